/*
 * tak: the Takeuchi function, deep non-tail recursion with three arguments
 * and little work per call.
 */
#include "kernel.h"

static NOINLINE i32 tak(i32 x, i32 y, i32 z) {
	if (y >= x)
		return z;
	return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

u32 run(u32 n) {
	u32 h = 2166136261u;
	for (u32 i = 0; i < n; i++)
		h = mix32(h, (u32)tak(18 + (i32)(i & 3), 12, 6));
	return h;
}
