/*
 * crc32: bitwise (table-free) CRC-32 over a pseudo-random buffer, then a
 * 64-bit multiply-xorshift hash of the same buffer. Integer ALU bound: shifts,
 * xors, masks, 64-bit multiplies.
 */
#include "kernel.h"

#define BUF_LEN 65536 /* fits in L2 natively; the work is the arithmetic */

static u8 buf[BUF_LEN];

static u32 crc32(const u8 *p, u32 len) {
	u32 crc = 0xffffffffu;
	for (u32 i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static u64 hash64(const u8 *p, u32 len, u64 seed) {
	u64 h = seed;
	for (u32 i = 0; i + 4 <= len; i += 4) {
		u64 w = (u64)p[i] | (u64)p[i + 1] << 8 | (u64)p[i + 2] << 16 | (u64)p[i + 3] << 24;
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

u32 run(u32 n) {
	u32 state = 0x12345678u;
	for (u32 i = 0; i < BUF_LEN; i++)
		buf[i] = (u8)xorshift32(&state);
	u32 h = 2166136261u;
	for (u32 round = 0; round < n; round++) {
		buf[round % BUF_LEN] ^= (u8)round;
		h = mix32(h, crc32(buf, BUF_LEN));
		u64 x = hash64(buf, BUF_LEN, round);
		h = mix32(h, (u32)x ^ (u32)(x >> 32));
	}
	return h;
}
