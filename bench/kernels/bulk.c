/*
 * bulk: memcpy, memmove and memset of sizes from 1 byte to 32 KiB over a
 * 1 MiB buffer. Built with -mbulk-memory, so clang emits memory.copy and
 * memory.fill for __builtin_memcpy/memmove/memset; natively they are libc
 * calls.
 */
#include "kernel.h"

#define BUF_LEN (1u << 20)
#define MAX_LEN (32u << 10) /* offsets stay below BUF_LEN - MAX_LEN */

static u8 src[BUF_LEN], dst[BUF_LEN];

static u32 pick_len(u32 *state) {
	u32 r = xorshift32(state);
	return (1u << (r & 15)) + ((r >> 4) & 63);
}

static u32 pick_off(u32 *state) {
	return xorshift32(state) % (BUF_LEN - MAX_LEN - 64);
}

u32 run(u32 n) {
	u32 state = 0x6b8b4567u;
	for (u32 i = 0; i < BUF_LEN; i++)
		src[i] = (u8)(i * 131u + (i >> 9));
	__builtin_memset(dst, 0, BUF_LEN);
	u32 h = 2166136261u;
	for (u32 r = 0; r < n; r++) {
		u32 len = pick_len(&state);
		__builtin_memcpy(dst + pick_off(&state), src + pick_off(&state), len);
		len = pick_len(&state);
		u32 from = pick_off(&state);
		__builtin_memmove(dst + from + (r & 63), dst + from, len);
		len = pick_len(&state);
		__builtin_memset(dst + pick_off(&state), (int)(r & 0xff), len);
		if ((r & 1023) == 0)
			h = mix32(h, dst[xorshift32(&state) % BUF_LEN]);
	}
	for (u32 i = 0; i < BUF_LEN; i += 509)
		h = mix32(h, dst[i]);
	return h;
}
