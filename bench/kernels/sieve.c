/*
 * sieve: the sieve of Eratosthenes over 8 Mi odd numbers, one byte each
 * (8 MiB, bigger than the caches): strided stores across a large array.
 */
#include "kernel.h"

#define SIEVE_LEN (8u << 20) /* entry i stands for the odd number 2i+1 */

static u8 composite[SIEVE_LEN];

static u32 sieve(u32 len) {
	for (u32 i = 0; i < len; i++)
		composite[i] = 0;
	u32 count = 1; /* the prime 2 */
	for (u32 i = 1; i < len; i++) {
		if (composite[i])
			continue;
		count++;
		u64 p = 2 * (u64)i + 1;
		for (u64 m = (p * p) >> 1; m < len; m += p)
			composite[m] = 1;
	}
	return count;
}

u32 run(u32 n) {
	u32 h = 2166136261u;
	for (u32 r = 0; r < n; r++)
		h = mix32(h, sieve(SIEVE_LEN - (r & 1023)));
	return h;
}
