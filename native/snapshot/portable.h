/*
 * Portable execution state: a suspended program's call stack in WebAssembly
 * terms only (docs/snapshot.md). No native address, register, slot number or
 * frame size appears here; the runtime turns native frames into this at a
 * suspension (native/rt) and back at a resume, and the snapshot codec
 * (native/snapshot) encodes it as the gate.stack section. Any engine that can
 * reach the same positions can resume it.
 *
 * A stack is a list of frames, innermost first:
 *
 * - The innermost frame is one of
 *   - GATE_PFRAME_AT: a wasm frame about to execute the instruction at
 *     offset (a loop, or the function's first instruction at entry), with its
 *     full operand stack;
 *   - GATE_PFRAME_HOST: a call into the host that did not finish and is
 *     retried on resume: an imported function (index = its function index in
 *     the module's function space) or an instruction the runtime runs in
 *     pieces (index = GATE_PHOST_MEMORY_FILL, GATE_PHOST_MEMORY_COPY, ...),
 *     with its arguments as values (for a bulk instruction: the part not yet
 *     done, e.g. memory.fill's (d + k, v, n - k) after k bytes).
 * - Every other frame is GATE_PFRAME_CALL: a wasm frame waiting in the
 *   call-like instruction at offset (call, call_indirect, or an instruction
 *   run by the host such as memory.fill), with the operands below that
 *   instruction's inputs; the frame above it produces the instruction's
 *   results.
 *
 * The outermost frame is a function the caller invoked (an export, or the
 * start function); its results go back to that caller.
 *
 * Offsets count from the first byte of the function's body (the byte after
 * the body's size, where its local declarations start), so they survive
 * re-encoding the module.
 *
 * Values: i32 and f32 in the low 32 bits of bits (upper bits zero), i64 and
 * f64 as their 64 bits, funcref as a function index in the module's function
 * space or GATE_PNULL, externref only as GATE_PNULL (a program cannot hold
 * another one). v128 is not supported by the compiler, so never appears.
 */
#ifndef GATE_SNAPSHOT_PORTABLE_H
#define GATE_SNAPSHOT_PORTABLE_H

#include <stdint.h>

#define GATE_PNULL UINT64_MAX

enum gate_pframe_kind {
	GATE_PFRAME_CALL = 0,
	GATE_PFRAME_AT = 1,
	GATE_PFRAME_HOST = 2,
};

/* GATE_PFRAME_HOST indexes that are not functions: the instruction's
 * opcode (0xfc prefix) with the high bit set. */
#define GATE_PHOST_OP 0x80000000u
#define GATE_PHOST_MEMORY_INIT (GATE_PHOST_OP | 8u)
#define GATE_PHOST_MEMORY_COPY (GATE_PHOST_OP | 10u)
#define GATE_PHOST_MEMORY_FILL (GATE_PHOST_OP | 11u)
#define GATE_PHOST_TABLE_INIT (GATE_PHOST_OP | 12u)
#define GATE_PHOST_TABLE_COPY (GATE_PHOST_OP | 14u)
#define GATE_PHOST_TABLE_FILL (GATE_PHOST_OP | 17u)

struct gate_pvalue {
	uint8_t type; /* 0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64, 0x70 funcref, 0x6f externref */
	uint64_t bits;
};

struct gate_pframe {
	uint8_t kind;     /* enum gate_pframe_kind */
	uint32_t func;    /* wasm frames: function index; HOST: function or GATE_PHOST_* */
	uint32_t offset;  /* wasm frames: instruction offset in the body; HOST: 0 */
	uint32_t nlocals; /* wasm frames: params then declared locals; HOST: 0 */
	uint32_t nstack;  /* wasm frames: operands, bottom first; HOST: arguments */
	struct gate_pvalue *values; /* nlocals + nstack values, locals first */
};

struct gate_pstack {
	uint32_t nframes;
	struct gate_pframe *frames; /* innermost first */
};

/* Frees every frame's values and the frames; leaves an empty stack. */
void gate_pstack_clear(struct gate_pstack *st);

#endif
