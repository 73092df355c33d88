/*
 * dispatch: indirect calls through a table of function pointers, the
 * pattern of vtables and callbacks (call_indirect in wasm). The table is
 * filled at run time and the index depends on the previous result, so
 * nothing can be devirtualised.
 */
#include "kernel.h"

typedef u32 (*op_fn)(u32 s, u32 i);

static NOINLINE u32 op_add(u32 s, u32 i) { return s + i; }
static NOINLINE u32 op_mul(u32 s, u32 i) { return s * (i | 1); }
static NOINLINE u32 op_xor(u32 s, u32 i) { return s ^ (i * 2654435761u); }
static NOINLINE u32 op_rot(u32 s, u32 i) { return (s << (i & 31)) | (s >> ((32 - (i & 31)) & 31)); }
static NOINLINE u32 op_sub(u32 s, u32 i) { return s - (i >> 1); }
static NOINLINE u32 op_not(u32 s, u32 i) { return ~s + (i & 7); }
static NOINLINE u32 op_shr(u32 s, u32 i) { return s ^ (s >> 7) ^ i; }
static NOINLINE u32 op_fnv(u32 s, u32 i) { return mix32(s, i); }

static op_fn table[8];

u32 run(u32 n) {
	table[0] = op_add;
	table[1] = op_mul;
	table[2] = op_xor;
	table[3] = op_rot;
	table[4] = op_sub;
	table[5] = op_not;
	table[6] = op_shr;
	table[7] = op_fnv;
	u32 s = 0x811c9dc5u;
	for (u32 i = 0; i < n; i++)
		s = table[((s >> 11) ^ i) & 7](s, i) + 1;
	return s;
}
