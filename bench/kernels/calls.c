/*
 * calls: a fib-shaped call tree where each call mixes its two results in a
 * non-associative way, so the compiler cannot turn the recursion into a loop
 * (as clang does for plain fib). Measures call/return overhead.
 */
#include "kernel.h"

static NOINLINE u32 leaf(u32 a, u32 b) {
	return (a * 2654435761u) ^ (b + 0x9e3779b9u);
}

static NOINLINE u32 tree(u32 depth, u32 seed) {
	if (depth < 2)
		return leaf(seed, depth);
	u32 a = tree(depth - 1, seed * 3 + 1);
	u32 b = tree(depth - 2, seed ^ a);
	return (a >> 3) ^ (b * 5) ^ depth;
}

u32 run(u32 n) {
	u32 h = 2166136261u;
	for (u32 i = 0; i < n; i++)
		h = mix32(h, tree(20, i));
	return h;
}
