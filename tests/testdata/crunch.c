/*
 * crunch: compute-heavy work for suspend and resume tests
 * (tests/snapshot_test.ts). Fills a buffer on the heap, then mixes it in
 * rounds with integer and floating-point arithmetic at several call depths
 * (a recursive function, locals of every number type live across calls),
 * printing a checksum line per round, and exits with the final checksum's
 * low 7 bits. Deterministic: every run prints the same. Usage: crunch ROUNDS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS (64 * 1024) /* 512 KiB: several pages of memory in the snapshot */

static uint64_t *buf;

__attribute__((noinline)) static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* Walks the buffer in halves, recursively: the stack is depth + 2 frames deep. */
__attribute__((noinline)) static uint64_t walk(size_t from, size_t to, int depth, double *acc)
{
	if (depth == 0 || to - from < 64) {
		uint64_t h = (uint64_t)depth;
		float scale = 1.0f / (float)(to - from + 1);

		for (size_t i = from; i < to; i++) {
			buf[i] = mix(buf[i] + h + i);
			h += buf[i] >> 7;
			*acc += (double)(buf[i] & 0xffff) * scale;
		}
		return h;
	}
	size_t mid = from + (to - from) / 2;
	uint64_t left = walk(from, mid, depth - 1, acc);
	int32_t fold = (int32_t)(left >> 17);
	uint64_t right = walk(mid, to, depth - 1, acc);
	return mix(left ^ (right + (uint64_t)(int64_t)fold));
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	uint64_t sum = 0;
	double acc = 0;

	buf = malloc(WORDS * sizeof *buf);
	if (buf == NULL)
		return 99;
	for (size_t i = 0; i < WORDS; i++)
		buf[i] = mix(i + 1);
	for (int r = 1; r <= rounds; r++) {
		sum = mix(sum + walk(0, WORDS, 6, &acc));
		printf("round %d: %016llx %.6f\n", r, (unsigned long long)sum, acc);
		fflush(stdout);
	}
	return (int)(sum & 0x7f);
}
