/*
 * The runtime's internal structures (rt.h is the contract with the instance
 * process; this header is shared by the files of native/rt and its tests).
 */
#ifndef GATE_RT_INTERNAL_H
#define GATE_RT_INTERNAL_H

#include <setjmp.h>
#include <stdbool.h>

#include "../compile/image.h"
#include "../compile/vmctx.h"
#include "../snapshot/portable.h"
#include "rt.h"

#define GATE__RT_NONE UINT32_MAX

struct rt_type {
	uint32_t np, nr;
	const uint8_t *types; /* params then results */
	uint32_t entry, host; /* code offsets of the stubs */
	uint32_t host_ret;    /* return address of the host call in the host stub */
	uint32_t sig;         /* store-wide id, set at load */
};

struct rt_name {
	const char *p;
	uint32_t len;
};

struct rt_import {
	struct rt_name module, name;
	uint8_t kind;
	uint32_t index;
};

/* A run of declared locals of one type, as in the binary format. */
struct rt_local_run {
	uint32_t count;
	uint8_t type;
};

struct rt_func {
	uint32_t type;
	uint32_t off, len; /* code; GATE__RT_NONE for imports */
	uint32_t body;     /* bytecode offset of the body */
	struct rt_name name;
	uint32_t frame;	   /* bytes of its frame below rbp; 0 for imports */
	uint32_t nlocals;  /* params and declared locals */
	uint32_t nruns;
	const struct rt_local_run *runs; /* declared locals */
};

struct rt_limits {
	bool has_max;
	uint32_t min, max;
};

struct rt_tabledef {
	uint8_t elem;
	struct rt_limits lim;
};

struct rt_globaldef {
	uint8_t type;
	bool mut;
	struct gate__iexpr init;
};

struct rt_exportdef {
	struct rt_name name;
	uint8_t kind;
	uint32_t index;
};

struct rt_elemdef {
	uint8_t mode, type;
	uint32_t table;
	struct gate__iexpr offset;
	uint32_t count;
	struct gate__iexpr *items;
};

struct rt_datadef {
	uint8_t mode;
	uint32_t memory;
	struct gate__iexpr offset;
	const uint8_t *bytes;
	uint32_t len;
};

/* A loaded image: metadata points into bytes (a private copy). */
struct rt_image {
	uint8_t *bytes;
	size_t len;
	uint8_t *code; /* mapped read+exec */
	size_t code_len, code_map;
	uint32_t ntypes;
	struct rt_type *types;
	uint32_t nimports;
	struct rt_import *imports;
	uint32_t nfuncs, nfunc_imports;
	struct rt_func *funcs;
	uint32_t ntables, ntable_imports;
	struct rt_tabledef *tables;
	uint32_t nmems, nmem_imports;
	struct rt_limits *mems;
	uint32_t nglobals, nglobal_imports;
	struct rt_globaldef *globals;
	uint32_t nexports;
	struct rt_exportdef *exports;
	uint32_t start;
	uint32_t nelems;
	struct rt_elemdef *elems;
	struct gate__iexpr *items;
	uint32_t ndatas;
	struct rt_datadef *datas;
	struct rt_local_run *runs; /* of all functions */
	uint32_t funcs_lo, funcs_hi; /* code of the functions (r13 is the wasm one) */
	uint32_t ncalls;
	const struct gate__callsite *calls;
	uint32_t nmemsites;
	const struct gate__memsite_rt *memsites;
	const uint8_t *maps;
	uint32_t maps_len;
};

/* Sites as stored in the image (compile.h has the same layout). */
struct gate__memsite_rt {
	uint32_t code, func, offset;
};

struct rt_export {
	struct rt_name name;
	struct gate__extern ext;
};

struct rt_instance {
	struct rt_image *img; /* NULL for a host instance */
	uint32_t image;
	void *vmctx;
	struct gate__vmctx_layout vm;
	struct gate__funcref *own; /* defined functions */
	uint32_t *funcs, *tables, *mems, *globals; /* store addresses */
	uint32_t nexports;
	struct rt_export *exports;
	uint64_t **elems;  /* per segment: resolved references, NULL when dropped */
	uint32_t *elem_len;
	bool *data_dropped;
};

struct rt_funcinfo {
	struct gate__funcref *ref;
	struct gate__hostfunc *host; /* or NULL */
	uint32_t sig;
	struct rt_image *img; /* defining image (entry stub), NULL for host */
	uint32_t type;        /* type index in img */
};

struct rt_global {
	uint64_t *cell;
	uint8_t type;
	bool mut;
};

struct rt_sig {
	uint32_t np, nr;
	const uint8_t *types;
};

/* A bulk instruction that suspended between pieces: the GATE_PHOST_* op and
 * the operands of the part not done (references raw: funcref pointers). */
struct gate__rt_pending {
	uint32_t op;
	uint32_t n;
	uint8_t types[3];
	uint64_t args[3];
};

struct gate__store {
	struct rt_image **images;
	uint32_t nimages, images_cap;
	struct rt_instance **instances;
	uint32_t ninstances, instances_cap;
	struct rt_funcinfo *funcs;
	uint32_t nfuncs, funcs_cap;
	struct gate__rt_table **tables;
	uint32_t ntables, tables_cap;
	struct gate__rt_memory **mems;
	uint32_t nmems, mems_cap;
	struct rt_global *globals;
	uint32_t nglobals, globals_cap;
	struct rt_sig *sigs;
	uint32_t nsigs, sigs_cap;
	/* spectest's own memory and objects */
	struct gate__hostfunc *hostfuncs[8];
	uint64_t *host_cells;

	/* execution */
	jmp_buf *jmp;
	struct gate__trap *trap;
	uint64_t limit; /* r13 without the suspend bit */
	/* The suspend request (gate__rt_request_suspend): the next safepoint,
	 * interruptible wait or piece of a bulk instruction suspends. Set
	 * before an invoke, the program suspends at its entry. */
	volatile bool suspend;
	bool trace;	     /* tests: every safepoint takes the slow path */
	uint32_t depth;	     /* gate__rt_call()s of wasm code in progress */
	void *run_vmctx;     /* the vmctx of the innermost one's function */
	uint32_t trap_code; /* struct gate__trap.code of the next trap (proc_exit), then 0 */
	uint64_t safepoints; /* suspend-path entries, for tests */
	/* Called at every slow-path safepoint (tests); may set suspend. */
	void (*on_safepoint)(struct gate__store *s, uintptr_t pc, uintptr_t fp, void *ctx);
	void *on_safepoint_ctx;

	/* suspension (suspend.c) */
	struct gate_pstack suspended; /* the stack of the last suspension, until taken */
	int suspend_status;	      /* GATE_OK, or why that suspension failed */
	char suspend_err[200];
	struct gate__rt_pending pending; /* what a suspended bulk instruction left */
};

/* Adds a host function (C) of type (np params, nr results: types) to the
 * store, which owns it; ctx is hf->ctx for call. Returns its address, or
 * GATE__RT_NONE when out of memory. The first image importing it supplies
 * its host-call stub. */
uint32_t gate__store_host_func(struct gate__store *s, uint32_t np, uint32_t nr, const uint8_t *types,
			       gate__host_call call, void *ctx);

/* Memory index of instance (valid from the start of its instantiation, so
 * also in its start function), or NULL. The struct never moves. */
struct gate__rt_memory *gate__store_memory(const struct gate__store *s, uint32_t instance,
					   uint32_t index);

/* image_load.c */
int gate__rt_image_load(const uint8_t *bytes, size_t len, struct rt_image **out, char *err,
			size_t err_len);
void gate__rt_image_free(struct rt_image *img);
const struct gate__callsite *gate__rt_callsite(const struct rt_image *img, uint32_t ret);
const struct gate__memsite_rt *gate__rt_memsite(const struct rt_image *img, uint32_t code);
/* The call sites of function f: [*first, *first + n), in code order. */
uint32_t gate__rt_func_sites(const struct rt_image *img, uint32_t f,
			     const struct gate__callsite **first);

/* store.c */
uint32_t gate__rt_sig(struct gate__store *s, uint32_t np, uint32_t nr, const uint8_t *types);
bool gate__rt_grow(void **p, uint32_t *cap, uint32_t need, size_t sz);
struct gate__rt_memory *gate__rt_memory_new(uint32_t min, uint32_t max, bool has_max);
struct gate__rt_table *gate__rt_table_new(uint8_t type, uint32_t min, uint32_t max, bool has_max);

/* arena.c: without arenas, code and slots are NULL and callers map their own */
int gate__rt_arenas_reserve(const struct gate__rt_limits *lim, struct gate__rt_arenas *out,
			    char *err, size_t err_len);
bool gate__rt_arenas_on(void);
uint8_t *gate__rt_arena_code(size_t len);
uint8_t *gate__rt_arena_slot(void);
bool gate__rt_pages_take(uint64_t n);
void gate__rt_pages_give(uint64_t n);

/* invoke.c */
int gate__rt_thread_setup(void);
void gate__rt_trap(uint32_t kind, uintptr_t pc, uintptr_t fp) __attribute__((noreturn));
uint64_t gate__rt_safepoint(void *vmctx, uintptr_t fp);
int gate__rt_call(struct gate__store *s, uint32_t func, uint64_t *slots, struct gate__trap *trap);
/* Runs function func's entry stub with code instead of its code (resume.c). */
int gate__rt_enter(struct gate__store *s, uint32_t func, void *code, uint64_t *slots,
		   struct gate__trap *trap);
struct rt_image *gate__rt_image_of(struct gate__store *s, uintptr_t pc);
/* The calling thread's r13 (stack low end plus the red zone), once set up. */
uint64_t gate__rt_stack_limit(void);
/* Writes results[0..n) from slots, as the function's result types say. */
void gate__rt_results(const struct rt_sig *g, const uint64_t *slots, struct gate__value *results);
extern __thread struct gate__store *gate__rt_current;

/* suspend.c: captures the wasm stack at (pc, fp) into s->suspended before a
 * GATE_TRAP_SUSPENDED unwinds it; a failure is kept in suspend_status. */
void gate__rt_capture(struct gate__store *s, uintptr_t pc, uintptr_t fp);
/* After gate__rt_call: why the suspension failed (status and message). */
int gate__rt_suspend_status(struct gate__store *s, char *err, size_t err_len);

/* helpers.c */
extern void *const gate__rt_helpers[GATE__H_COUNT];
/* Pieces of bulk instructions between suspend checks: each takes well
 * under a millisecond. */
#define GATE__RT_BULK_BYTES (256u << 10)
uint32_t gate__rt_table_init(struct rt_instance *inst, uint32_t t, uint32_t seg, uint32_t d,
			     uint32_t s, uint32_t n);
uint32_t gate__rt_memory_init(struct rt_instance *inst, uint32_t seg, uint32_t d, uint32_t s,
			      uint32_t n);

/* Frame decoding for tests: the wasm frames from a safepoint, innermost
 * first (suspend.c captures them in full). */
struct gate__rt_frame {
	uint32_t func, offset, nstack;
	uintptr_t fp;
	const uint8_t *map; /* the stack map */
};
uint32_t gate__rt_walk(struct gate__store *s, uintptr_t pc, uintptr_t fp,
		       struct gate__rt_frame *out, uint32_t max);

#endif
