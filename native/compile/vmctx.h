/*
 * The contract between generated code and the runtime: the instance context
 * (vmctx) that r14 points at, the objects it points to, the runtime helpers
 * called through it, and the entry points of the stubs in an image.
 *
 * The compiler bakes these offsets into code and the runtime builds the
 * structures, so both include this header and nothing here may change
 * without bumping GATE__COMPILER_VERSION (compile.h). docs/compiler.md.
 */
#ifndef GATE_COMPILE_VMCTX_H
#define GATE_COMPILE_VMCTX_H

#include <stddef.h>
#include <stdint.h>

/* A function reference: what funcref values and table elements point at.
 * One per function of an instance (imports point at the exporter's). */
struct gate__funcref {
	void *code;    /* entry of the wasm-ABI code (or of a host-call stub) */
	void *vmctx;   /* the callee's vmctx, or a struct gate__hostfunc */
	uint32_t sig;  /* store-wide canonical signature id */
	uint32_t addr; /* store function address */
};

#define GATE__FUNCREF_CODE 0
#define GATE__FUNCREF_VMCTX 8
#define GATE__FUNCREF_SIG 16

/* A table: 8-byte elements (a struct gate__funcref pointer or an externref
 * handle; 0 is null). elems has room for at least one element, so a
 * clamped index 0 of an empty table stays inside the allocation. */
struct gate__rt_table {
	uint64_t *elems;
	uint32_t size;
	uint32_t max; /* UINT32_MAX when unbounded */
	uint32_t cap;
	uint8_t type;
	uint8_t has_max;
};

#define GATE__TABLE_ELEMS 0
#define GATE__TABLE_SIZE 8

/* A linear memory: a reservation of GATE__MEM_RESERVE bytes of which the
 * first pages * 64 KiB are readable and writable. */
struct gate__rt_memory {
	uint8_t *base;
	uint32_t pages;
	uint32_t max; /* in pages */
	size_t reserved;
	uint8_t has_max;
};

#define GATE__MEMORY_PAGES 8
/* 4 GiB of index + 4 GiB of offset: no explicit bounds checks. */
#define GATE__MEM_RESERVE (8ull << 30)
#define GATE__PAGE_SIZE 65536u
#define GATE__MAX_PAGES 65536u

/* Runtime helpers, C functions with the System V ABI, first argument the
 * caller's vmctx. Those that can trap return a trap kind (0 = none). */
enum gate__helper {
	GATE__H_MEMORY_GROW, /* uint32_t (vmctx, uint32_t delta) -> old pages or -1 */
	GATE__H_MEMORY_FILL, /* uint32_t (vmctx, d, val, n) -> trap */
	GATE__H_MEMORY_COPY, /* uint32_t (vmctx, d, s, n) -> trap */
	GATE__H_MEMORY_INIT, /* uint32_t (vmctx, seg, d, s, n) -> trap */
	GATE__H_DATA_DROP,   /* void (vmctx, seg) */
	GATE__H_TABLE_GROW,  /* uint32_t (vmctx, table, uint64_t ref, delta) */
	GATE__H_TABLE_FILL,  /* uint32_t (vmctx, table, i, uint64_t ref, n) -> trap */
	GATE__H_TABLE_COPY,  /* uint32_t (vmctx, dst, src, d, s, n) -> trap */
	GATE__H_TABLE_INIT,  /* uint32_t (vmctx, table, seg, d, s, n) -> trap */
	GATE__H_ELEM_DROP,   /* void (vmctx, seg) */
	GATE__H_COUNT,
};

/* The fixed head of every vmctx; a struct gate__hostfunc starts with one
 * too, so generated code may read these fields through any callee's r14. */
struct gate__vmctx_head {
	uint8_t *membase;		/* memory 0 base: r15 */
	struct gate__rt_memory *memory; /* memory 0, or NULL */
	void *trap;			/* void gate__rt_trap(kind, pc, fp), noreturn */
	void *safepoint;		/* uint64_t (vmctx, fp): the new r13 */
	void *instance;			/* runtime's struct, opaque to code */
	const volatile uint8_t *suspend; /* the store's suspend request flag (0 or 1) */
	void *helpers[GATE__H_COUNT];
};

#define GATE__VM_MEMBASE 0
#define GATE__VM_MEMORY 8
#define GATE__VM_TRAP 16
#define GATE__VM_SAFEPOINT 24
#define GATE__VM_SUSPEND 40
#define GATE__VM_HELPER(h) (48 + 8 * (h))

_Static_assert(offsetof(struct gate__vmctx_head, suspend) == GATE__VM_SUSPEND, "vmctx layout");
_Static_assert(offsetof(struct gate__vmctx_head, helpers) == GATE__VM_HELPER(0), "vmctx layout");

/*
 * After the head, per module: funcrefs[nfuncs] (pointers), tables[ntables]
 * (pointers), sigids[ntypes] (uint32_t, padded to 8), globals[nglobals]
 * (8 bytes each: the value of a defined global, a pointer to the cell of an
 * imported one).
 */
struct gate__vmctx_layout {
	uint32_t funcs, tables, sigids, globals, size;
};

static inline void gate__vmctx_layout(uint32_t nfuncs, uint32_t ntables, uint32_t ntypes,
				      uint32_t nglobals, struct gate__vmctx_layout *l)
{
	uint64_t off = sizeof(struct gate__vmctx_head);

	l->funcs = (uint32_t)off;
	off += 8ull * nfuncs;
	l->tables = (uint32_t)off;
	off += 8ull * ntables;
	l->sigids = (uint32_t)off;
	off += (4ull * ntypes + 7) & ~7ull;
	l->globals = (uint32_t)off;
	off += 8ull * nglobals;
	l->size = (uint32_t)off;
}

/* The suspend request: bit 63 of r13, so `cmp rsp, r13; jb` sees it and a
 * loop header tests it with `test r13, r13; js`. Code coming back from C
 * (entry stubs, after calls that may reach the host and after helpers) ors
 * the store's flag (head->suspend) into it, so that a request made while C
 * ran is not lost. */
#define GATE__SUSPEND_BIT (1ull << 63)

/* Stubs, per signature, in the image's code (x64_stubs.c):
 *   entry:  void (void *vmctx, void *code, uint64_t *slots, uint64_t r13)
 *           args in slots[0..nparams), results written to slots[0..nresults)
 *   host:   called with the wasm ABI and r14 = struct gate__hostfunc *;
 *           calls hf->call(hf, slots) with args in slots, results back in slots */
typedef void (*gate__entry_fn)(void *vmctx, void *code, uint64_t *slots, uint64_t r13);

/* A host-call stub's frame for a signature of n = max(params, results)
 * values: [rbp - 8] the struct gate__hostfunc (r14), and the value slots at
 * rbp - gate__host_stub_frame(n), which is also rsp while C runs. */
static inline uint32_t gate__host_stub_frame(uint32_t n)
{
	return ((n + 1) * 8 + 15) & ~15u;
}

struct gate__hostfunc;
typedef uint32_t (*gate__host_call)(struct gate__hostfunc *hf, uint64_t *slots);

struct gate__hostfunc {
	struct gate__vmctx_head head; /* membase 0, trap: as in every vmctx */
	gate__host_call call;
	void *ctx;
	uint32_t type; /* store signature id */
};

#define GATE__HOSTFUNC_CALL sizeof(struct gate__vmctx_head)

#endif
