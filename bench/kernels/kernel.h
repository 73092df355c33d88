/*
 * Shared header for the benchmark kernels. Each kernel is one freestanding C
 * file that defines run(n): it does an amount of work that grows with n and
 * returns a deterministic checksum, so the native and wasm builds can be
 * checked against each other. No libc: the wasm build links with -nostdlib
 * and imports nothing.
 */
#ifndef GATE_BENCH_KERNEL_H
#define GATE_BENCH_KERNEL_H

typedef __UINT8_TYPE__ u8;
typedef __UINT32_TYPE__ u32;
typedef __INT32_TYPE__ i32;
typedef __UINT64_TYPE__ u64;

/* Runs the kernel with work parameter n; returns its checksum. */
u32 run(u32 n);

#define NOINLINE __attribute__((noinline))

/* xorshift32: the one pseudo-random source, so inputs are the same everywhere. */
static inline u32 xorshift32(u32 *state) {
	u32 x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Folds a 32-bit value into a running checksum (FNV-1a on the word). */
static inline u32 mix32(u32 h, u32 v) {
	return (h ^ v) * 16777619u;
}

#endif
