/*
 * Opcode tables for the body decoder: for every opcode, how its immediates
 * are decoded (class) and, where fixed, the types it pops and pushes. Simple
 * instructions are validated from these tables alone; the rest have a case
 * in body.c's switch and use the table only for their fixed types.
 */
#ifndef GATE_WASM_OPCODES_H
#define GATE_WASM_OPCODES_H

#include <stdint.h>

#include "module.h"

enum gate__op_class {
	GATE__OPC_ILLEGAL = 0, /* not an opcode: malformed */
	GATE__OPC_SIMPLE,      /* no immediates, the signature below */
	GATE__OPC_MEM,         /* memarg, then the signature below */
	GATE__OPC_LANE,        /* lane index byte below `lanes` */
	GATE__OPC_MEM_LANE,    /* memarg and a lane index byte */
	GATE__OPC_SPECIAL,     /* decoded by a case of its own */
};

struct gate__opinfo {
	uint8_t cls;
	uint8_t npop;
	uint8_t pop[3]; /* bottom first */
	uint8_t push;   /* GATE__UNKNOWN (0) if nothing */
	uint8_t align;  /* natural alignment, log2 bytes */
	uint8_t lanes;
};

/* One-byte opcodes, 0xfc sub-opcodes (0..17), 0xfd sub-opcodes (0..255). */
#define GATE__FC_COUNT 18
extern const struct gate__opinfo gate__ops[256];
extern const struct gate__opinfo gate__ops_fc[GATE__FC_COUNT];
extern const struct gate__opinfo gate__ops_fd[256];

/* Initializers for the tables (GNU range designators keep them short). */
#define GATE__S(n, a, b, c, r) { GATE__OPC_SIMPLE, n, { a, b, c }, r, 0, 0 }
#define GATE__X(n, a, b, c, r) { GATE__OPC_SPECIAL, n, { a, b, c }, r, 0, 0 }
#define GATE__LD(t, al) { GATE__OPC_MEM, 1, { GATE__I32, 0, 0 }, t, al, 0 }
#define GATE__ST(t, al) { GATE__OPC_MEM, 2, { GATE__I32, t, 0 }, 0, al, 0 }

#endif
