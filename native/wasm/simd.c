/*
 * Opcode table of the 0xfd (128-bit SIMD) instructions, final SIMD proposal
 * as merged into WebAssembly 2.0 (relaxed SIMD excluded). Gaps are reserved
 * sub-opcodes and decode as illegal.
 */
#include "opcodes.h"

#define I32 GATE__I32
#define I64 GATE__I64
#define F32 GATE__F32
#define F64 GATE__F64
#define V GATE__V128

#define U GATE__S(1, V, 0, 0, V)           /* v128 -> v128 */
#define B GATE__S(2, V, V, 0, V)           /* v128 v128 -> v128 */
#define TEST GATE__S(1, V, 0, 0, I32)      /* v128 -> i32 */
#define SHIFT GATE__S(2, V, I32, 0, V)     /* v128 i32 -> v128 */
#define SPLAT(t) GATE__S(1, t, 0, 0, V)
#define EXTRACT(t, n) { GATE__OPC_LANE, 1, { V, 0, 0 }, t, 0, n }
#define REPLACE(t, n) { GATE__OPC_LANE, 2, { V, t, 0 }, V, 0, n }
#define LOAD_LANE(al, n) { GATE__OPC_MEM_LANE, 2, { I32, V, 0 }, V, al, n }
#define STORE_LANE(al, n) { GATE__OPC_MEM_LANE, 2, { I32, V, 0 }, 0, al, n }

const struct gate__opinfo gate__ops_fd[256] = {
	[0x00] = GATE__LD(V, 4),
	[0x01 ... 0x06] = GATE__LD(V, 3), /* load8x8_s .. load32x2_u */
	[0x07] = GATE__LD(V, 0), [0x08] = GATE__LD(V, 1), /* load*_splat */
	[0x09] = GATE__LD(V, 2), [0x0a] = GATE__LD(V, 3),
	[0x0b] = GATE__ST(V, 4),
	[0x0c] = GATE__X(0, 0, 0, 0, V), /* v128.const */
	[0x0d] = GATE__X(2, V, V, 0, V), /* i8x16.shuffle */
	[0x0e] = B,                      /* i8x16.swizzle */
	[0x0f ... 0x11] = SPLAT(I32),
	[0x12] = SPLAT(I64), [0x13] = SPLAT(F32), [0x14] = SPLAT(F64),
	[0x15 ... 0x16] = EXTRACT(I32, 16), [0x17] = REPLACE(I32, 16),
	[0x18 ... 0x19] = EXTRACT(I32, 8), [0x1a] = REPLACE(I32, 8),
	[0x1b] = EXTRACT(I32, 4), [0x1c] = REPLACE(I32, 4),
	[0x1d] = EXTRACT(I64, 2), [0x1e] = REPLACE(I64, 2),
	[0x1f] = EXTRACT(F32, 4), [0x20] = REPLACE(F32, 4),
	[0x21] = EXTRACT(F64, 2), [0x22] = REPLACE(F64, 2),
	[0x23 ... 0x4c] = B, /* comparisons */
	[0x4d] = U,          /* v128.not */
	[0x4e ... 0x51] = B, /* and andnot or xor */
	[0x52] = GATE__S(3, V, V, V, V), /* v128.bitselect */
	[0x53] = TEST,                   /* v128.any_true */
	[0x54] = LOAD_LANE(0, 16), [0x55] = LOAD_LANE(1, 8),
	[0x56] = LOAD_LANE(2, 4), [0x57] = LOAD_LANE(3, 2),
	[0x58] = STORE_LANE(0, 16), [0x59] = STORE_LANE(1, 8),
	[0x5a] = STORE_LANE(2, 4), [0x5b] = STORE_LANE(3, 2),
	[0x5c] = GATE__LD(V, 2), [0x5d] = GATE__LD(V, 3), /* load32_zero, load64_zero */
	[0x5e ... 0x5f] = U, /* demote, promote */
	[0x60 ... 0x62] = U, /* i8x16 abs neg popcnt */
	[0x63 ... 0x64] = TEST, /* all_true bitmask */
	[0x65 ... 0x66] = B, /* narrow */
	[0x67 ... 0x6a] = U, /* f32x4 ceil floor trunc nearest */
	[0x6b ... 0x6d] = SHIFT,
	[0x6e ... 0x73] = B, /* add, sub, saturating */
	[0x74 ... 0x75] = U, /* f64x2 ceil floor */
	[0x76 ... 0x79] = B, /* min max */
	[0x7a] = U,          /* f64x2.trunc */
	[0x7b] = B,          /* i8x16.avgr_u */
	[0x7c ... 0x7f] = U, /* extadd_pairwise */
	[0x80 ... 0x81] = U, /* i16x8 abs neg */
	[0x82] = B,          /* q15mulr_sat_s */
	[0x83 ... 0x84] = TEST,
	[0x85 ... 0x86] = B,
	[0x87 ... 0x8a] = U, /* extend */
	[0x8b ... 0x8d] = SHIFT,
	[0x8e ... 0x93] = B,
	[0x94] = U, /* f64x2.nearest */
	[0x95 ... 0x99] = B, /* mul min max */
	[0x9b ... 0x9f] = B, /* avgr_u, extmul */
	[0xa0 ... 0xa1] = U,
	[0xa3 ... 0xa4] = TEST,
	[0xa7 ... 0xaa] = U,
	[0xab ... 0xad] = SHIFT,
	[0xae] = B, [0xb1] = B,
	[0xb5 ... 0xba] = B, /* mul min max dot */
	[0xbc ... 0xbf] = B, /* extmul */
	[0xc0 ... 0xc1] = U,
	[0xc3 ... 0xc4] = TEST,
	[0xc7 ... 0xca] = U,
	[0xcb ... 0xcd] = SHIFT,
	[0xce] = B, [0xd1] = B,
	[0xd5 ... 0xdf] = B, /* mul, i64x2 comparisons, extmul */
	[0xe0 ... 0xe1] = U, [0xe3] = U, /* f32x4 abs neg sqrt */
	[0xe4 ... 0xeb] = B,
	[0xec ... 0xed] = U, [0xef] = U, /* f64x2 abs neg sqrt */
	[0xf0 ... 0xf7] = B,
	[0xf8 ... 0xff] = U, /* conversions */
};
