/*
 * The runtime: runs compiled images inside an instance process.
 *
 * NEVER used inside the Deno process (it installs signal handlers and maps
 * executable memory); the Deno side compiles with libgate and talks to an
 * instance process over its channel. C unit tests use it in-process.
 *
 * A store holds everything one instance process runs: loaded images,
 * instances (several modules linked together, as the spec tests' `register`
 * needs), and their functions, tables, memories and globals, each addressed
 * by a store-wide index ("address", as in the spec's store). Host modules
 * (`spectest`, later `gate` and WASI) are instances whose functions are C.
 *
 * All functions return a status from errors.def and write a message into
 * err; GATE_TRAP means trap was filled in. Ownership as in libgate.h.
 *
 * This header is the contract between the compiler/runtime (native/compile,
 * native/rt) and the instance process (native/executor); docs/runtime.md.
 */
#ifndef GATE_RT_RT_H
#define GATE_RT_RT_H

#include <stddef.h>
#include <stdint.h>

#include "../libgate.h"

enum gate_trap {
#define GATE_TRAP(name, num, msg) GATE_TRAP_##name = num,
#include "traps.def"
#undef GATE_TRAP
};

/* Returns the spec message of a trap kind ("integer overflow"). */
const char *gate__trap_message(uint32_t kind);

/* A typed value. type is the binary value type (0x7f i32 ... 0x6f externref);
 * references are store-opaque 64-bit handles, 0 meaning null. */
struct gate__value {
	uint8_t type;
	union {
		uint32_t i32;
		uint64_t i64;
		uint32_t f32; /* bit pattern: NaN payloads preserved */
		uint64_t f64;
		uint8_t v128[16];
		uint64_t ref;
	} of;
};

/* One WebAssembly frame of a backtrace, innermost first. */
struct gate__trap_frame {
	uint32_t func;   /* function index within its module */
	uint32_t offset; /* bytecode offset in the module */
	uint32_t module; /* store index of the image */
};

#define GATE__TRAP_FRAMES 64 /* enough to locate a bug; deeper stacks are cut */

struct gate__trap {
	uint32_t kind; /* enum gate_trap */
	uint32_t code; /* the proc_exit code of GATE_TRAP_EXIT, else 0 */
	uint32_t nframes;
	struct gate__trap_frame frames[GATE__TRAP_FRAMES];
};

/* An external value: what an import is bound to, or what an export is. */
struct gate__extern {
	uint8_t kind;  /* enum gate__extern_kind: func, table, memory, global */
	uint32_t addr; /* store index within that kind */
};

struct gate__store;

int gate__store_new(struct gate__store **out, char *err, size_t err_len);
void gate__store_free(struct gate__store *store);

/* Loads a serialized image (see gate_image_new in libgate.h); the store
 * copies what it keeps. *out is the image's store index. */
int gate__store_load(struct gate__store *store, const uint8_t *image, size_t len,
		     uint32_t *out, char *err, size_t err_len);

/* Instantiates a loaded image with its imports bound in import order:
 * checks types (GATE_LINK), allocates memories, tables and globals,
 * initialises segments in spec order and runs the start function (GATE_TRAP
 * with trap filled in; per the spec a trapping start leaves what the
 * segments already wrote). *out is the new instance's store index. */
int gate__store_instantiate(struct gate__store *store, uint32_t image,
			    const struct gate__extern *imports, uint32_t nimports, uint32_t *out,
			    struct gate__trap *trap, char *err, size_t err_len);

/* Adds the `spectest` host module as an instance (spec testsuite's
 * harness: print_* functions, global_i32/i64/f32/f64, table, memory). */
int gate__store_add_spectest(struct gate__store *store, uint32_t *out, char *err,
			     size_t err_len);

/* Looks up an export of an instance by name (UTF-8, len bytes). */
int gate__store_export(const struct gate__store *store, uint32_t instance, const char *name,
		       size_t len, struct gate__extern *out, char *err, size_t err_len);

/* Calls a function: args must match its parameter types; results[0..n) are
 * written, n being its result count (at most nresults). */
int gate__store_invoke(struct gate__store *store, uint32_t func, const struct gate__value *args,
		       uint32_t nargs, struct gate__value *results, uint32_t nresults,
		       struct gate__trap *trap, char *err, size_t err_len);

/*
 * Suspend and resume (docs/runtime.md, "Suspend and resume").
 *
 * A suspended program's call stack is a struct gate_pstack
 * (native/snapshot/portable.h): frames in WebAssembly terms only, which a
 * store that holds the same module, instantiated and given the same memory,
 * globals and tables, can resume.
 */
struct gate_pstack;

/*
 * Asks the program running in store s to suspend at its next safepoint (a
 * function entry or loop head), interruptible wait, or piece of a bulk
 * memory or table instruction; if none runs, the next invoke or resume
 * suspends at its entry. Async-signal-safe: call it from a signal handler
 * on the thread that runs s, with the handler's ucontext (or NULL outside
 * a handler): when the signal interrupted generated code, the request
 * reaches it at once. A signal that lands in one of a few instructions
 * around calls between code and C (entry, host-call stubs) only sets the
 * flag, which the next return from C or safepoint sees; a requester that
 * must bound latency signals again if the program has not suspended after
 * a while.
 *
 * The invoke (or resume) then returns GATE_TRAP with trap->kind
 * GATE_TRAP_SUSPENDED, and gate__store_take_suspended() gives the stack. If
 * the stack cannot be expressed portably it returns GATE_UNSUPPORTED (a
 * non-null externref held by a frame, a funcref of another module, a call
 * into another instance, a host function that called back into
 * WebAssembly) and the program is lost, as after a trap.
 */
void gate__rt_request_suspend(struct gate__store *s, void *ucontext);

/* Moves the stack of the last suspension into *out (the caller clears it
 * with gate_pstack_clear); GATE_INVALID_ARGUMENT if there is none. */
int gate__store_take_suspended(struct gate__store *s, struct gate_pstack *out);

/*
 * Continues the suspended stack st in instance (whose module is the one
 * that suspended, instantiated in s, with memory, globals and tables holding
 * the suspended program's state). Everything is checked before anything
 * runs: each frame against the function's safepoints and call sites, its
 * locals and operands against their types, HOST frames against the
 * module's imports (bound to host functions) and the bulk instructions,
 * and each caller against its callee; a mismatch returns GATE_MALFORMED
 * with the reason. Then the stack is rebuilt and runs on: a HOST frame's
 * call is made again with its arguments. Results, traps and a new
 * suspension are reported as by gate__store_invoke() for the outermost
 * frame's function; GATE_TRAP "call stack exhausted" if the stack does not
 * fit on this thread's.
 */
int gate__store_resume(struct gate__store *s, uint32_t instance, const struct gate_pstack *st,
		       struct gate__value *results, uint32_t nresults, struct gate__trap *trap,
		       char *err, size_t err_len);

/*
 * References in portable form (portable.h): a funcref value of instance's
 * module (a table element or global) as a function index in the module's
 * function space, null as UINT64_MAX; externref only when null. Returns
 * GATE_UNSUPPORTED for a reference that has no such form (a function the
 * module neither defines nor imports, a non-null externref).
 */
int gate__store_ref_to_index(const struct gate__store *s, uint32_t instance, uint8_t type,
			     uint64_t ref, uint64_t *index);
/* The inverse: GATE_INVALID_ARGUMENT for an index outside the space. */
int gate__store_ref_from_index(const struct gate__store *s, uint32_t instance, uint8_t type,
			       uint64_t index, uint64_t *ref);

/* Reads a global's current value. */
int gate__store_global_get(const struct gate__store *store, uint32_t global,
			   struct gate__value *out);

/* The function's parameter and result types (binary value types), for the
 * protocol and for checking arguments. */
int gate__store_func_type(const struct gate__store *store, uint32_t func, uint32_t *nparams,
			  const uint8_t **params, uint32_t *nresults, const uint8_t **results);

/* The name of function func (module index) of a loaded image, from the
 * name section, for backtraces: *len bytes of UTF-8, or NULL if unnamed. */
const char *gate__store_func_name(const struct gate__store *store, uint32_t image, uint32_t func,
				  size_t *len);

/*
 * Sandboxed processes (docs/sandbox.md). Once the instance process's
 * seccomp filter is in place it cannot call mmap, and mprotect only inside
 * ranges the filter names. gate__rt_sandbox_prepare() must run before the
 * filter, once per process, after gate__rt_prepare_process() (below, or
 * inherited): it reserves the arenas that every later image's code and every
 * linear memory come from and sets the process-wide limit on linear memory
 * pages. *out receives the ranges for the filter.
 */
#define GATE__RT_MAX_MEMORIES 8192 /* 8 GiB each: 64 TiB of address space */

struct gate__rt_limits {
	uint32_t max_memories; /* linear memories in the process, 1..GATE__RT_MAX_MEMORIES */
	size_t code_bytes;     /* machine code of all images together */
	uint64_t memory_pages; /* 64 KiB pages of all memories together; 0: no limit */
};

struct gate__rt_arenas {
	uintptr_t lo, hi;           /* the whole reservation */
	uintptr_t code_lo, code_hi; /* code: 4 GiB aligned, followed by a 4 GiB gap */
	uintptr_t mem_lo, mem_hi;   /* 8 GiB memory slots, followed by a 4 GiB tail */
};

/* Installs the fault handlers and the alternate signal stack and caches
 * the calling thread's stack bounds (glibc's pthread_getattr_np, which
 * reads /proc/self/maps). A forked or cloned child inherits all three, so
 * the executor calls this once before it creates instance processes: in a
 * child made by a raw clone() glibc's cached thread id is stale and
 * pthread_getattr_np fails. Returns 0 or -1. */
int gate__rt_prepare_process(void);

int gate__rt_sandbox_prepare(const struct gate__rt_limits *limits, struct gate__rt_arenas *out,
			     char *err, size_t err_len);

/* The process-wide limit on linear memory pages (0: none), without arenas:
 * for tests. */
void gate__rt_set_page_limit(uint64_t pages);

#endif
