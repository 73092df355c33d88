/*
 * The single-pass code generator: internal interface (docs/compiler.md).
 *
 * compile.c drives gate_image_new(): stubs, then every function body through
 * the body decoder with the code generator as its visitor, then the image
 * writer. frame.c holds the ISA-independent parts that decide frame shape
 * (slot layout, the calling convention's assignment of values to locations,
 * call sites, memory-access sites and stack maps); x64_*.c emit x86-64.
 */
#ifndef GATE_COMPILE_COMPILE_H
#define GATE_COMPILE_COMPILE_H

#include <stdbool.h>
#include <stdint.h>

#include "../wasm/body.h"
#include "../x64/asm.h"
#include "image.h"
#include "vmctx.h"

/* Bump on any change to generated code, vmctx.h or the image format. */
#define GATE__COMPILER_VERSION 2

#define GATE__NONE UINT32_MAX

/* ---- frame layout (frame.c) ---- */

/*
 * A frame, from rbp down: [rbp + 8] return address, [rbp] caller's rbp,
 * [rbp - 8] the vmctx saved around cross-instance calls, then one 8-byte
 * slot per local (params first) and per operand stack height, then the
 * outgoing area for stack-passed arguments and results at [rsp].
 */
static inline int32_t gate__slot_disp(uint32_t slot)
{
	return -16 - 8 * (int32_t)slot;
}

#define GATE__VMCTX_SAVE_DISP (-8)

/* Where the calling convention puts one parameter or result. */
struct gate__abi_loc {
	uint8_t reg;   /* ISA register number, or GATE__ABI_STACK */
	uint32_t slot; /* index of its 8-byte slot in the outgoing area */
};

#define GATE__ABI_STACK 0xff

/* Registers of the calling convention; the ISA fills them in. */
struct gate__abi_regs {
	uint8_t ngp_args, nfp_args, ngp_rets, nfp_rets;
	const uint8_t *gp_args, *fp_args, *gp_rets, *fp_rets;
};

/* Assigns locations to n values of types t[] from the register lists gp and
 * fp in order, the rest to stack slots; returns the number of stack slots. */
uint32_t gate__abi_assign(const uint8_t *t, uint32_t n, const uint8_t *gp, uint32_t ngp,
			  const uint8_t *fp, uint32_t nfp, struct gate__abi_loc *out);

static inline bool gate__is_float(uint8_t t)
{
	return t == GATE__F32 || t == GATE__F64;
}

/* Adds to w[i] the uses of local i in a function body (code after the
 * size), weighted by loop depth; false if the body cannot be scanned. */
bool gate__local_weights(const uint8_t *p, const uint8_t *end, uint32_t nlocals, uint32_t *w);

/* ---- sites and stack maps (frame.c) ---- */

/* A memory-access site: an instruction that may fault on a guard page. */
struct gate__memsite {
	uint32_t code;
	uint32_t func;
	uint32_t offset;
};

/* Locations in a stack map entry. */
enum gate__map_loc {
	GATE__MAP_SLOT = 0,  /* the value's canonical frame slot */
	GATE__MAP_CONST = 1, /* a constant, 8 bytes follow */
};

struct gate__sites {
	struct gate__callsite *calls;
	uint32_t ncalls, calls_cap;
	struct gate__memsite *mems;
	uint32_t nmems, mems_cap;
	uint8_t *maps; /* stack map blob */
	uint32_t maps_len, maps_cap;
	bool oom;
};

void gate__sites_free(struct gate__sites *s);
/* Appends a call site (image.h); c->ret must grow with each call. */
void gate__sites_call(struct gate__sites *s, const struct gate__callsite *c);
void gate__sites_mem(struct gate__sites *s, uint32_t code, uint32_t func, uint32_t offset);
/* Starts a stack map of n operands; returns its offset in the blob. */
uint32_t gate__map_begin(struct gate__sites *s, uint32_t n);
void gate__map_value(struct gate__sites *s, uint8_t type, bool is_const, uint64_t k);

/* ---- the compiled module ---- */

struct gate__compiled {
	uint8_t *code;
	uint32_t code_len;
	uint32_t *func_off; /* per function (imports: GATE__NONE) */
	uint32_t *func_len;
	uint32_t *func_frame; /* per function: bytes below rbp (imports: 0) */
	uint32_t *entry_stub; /* per type index */
	uint32_t *host_stub;  /* per type index, GATE__NONE if unused */
	uint32_t *host_ret;   /* per type index: return offset of the host call in the stub */
	struct gate__sites sites;
};

/*
 * Code generation options. The defaults (all false) are what gate_image_new()
 * uses; the others exist to measure what a feature costs and to test that
 * suspended state does not depend on how code was generated.
 */
struct gate__compile_opts {
	bool no_loop_checks; /* no suspend check at loop heads: a loop cannot be suspended */
	bool no_pins;	     /* keep every local in its frame slot, none in registers */
};

/* Compiles every function of m; on failure returns a status with err. */
int gate__compile_module(const struct gate_module *m, struct gate__compiled *out, char *err,
			 size_t err_len);
/* The same with options (NULL: the defaults). */
int gate__compile_module_opts(const struct gate_module *m, const struct gate__compile_opts *opts,
			      struct gate__compiled *out, char *err, size_t err_len);
void gate__compiled_free(struct gate__compiled *c);

/* image_write.c: serializes module metadata and compiled code (docs/image.md). */
int gate__image_write(const struct gate_module *m, const struct gate__compiled *c, uint8_t **out,
		      size_t *out_len);

/* gate_image_new() with options (NULL: the defaults). */
int gate__image_new_opts(const struct gate_module *m, const struct gate__compile_opts *opts,
			 uint8_t **out, size_t *out_len, char *err, size_t err_len);

#endif
