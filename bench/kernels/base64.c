/*
 * base64: encodes 192 KiB of bytes to base64 and decodes it back, checking
 * the round trip. Table lookups, shifts and byte stores.
 */
#include "kernel.h"

#define RAW_LEN (192u << 10) /* a multiple of 3: no padding */
#define ENC_LEN (RAW_LEN / 3 * 4)

static u8 raw[RAW_LEN], enc[ENC_LEN], dec[RAW_LEN];
static const char digits[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static u8 values[256];

static void encode(const u8 *in, u32 len, u8 *out) {
	for (u32 i = 0, o = 0; i < len; i += 3, o += 4) {
		u32 w = (u32)in[i] << 16 | (u32)in[i + 1] << 8 | in[i + 2];
		out[o] = (u8)digits[w >> 18];
		out[o + 1] = (u8)digits[(w >> 12) & 63];
		out[o + 2] = (u8)digits[(w >> 6) & 63];
		out[o + 3] = (u8)digits[w & 63];
	}
}

static void decode(const u8 *in, u32 len, u8 *out) {
	for (u32 i = 0, o = 0; i < len; i += 4, o += 3) {
		u32 w = (u32)values[in[i]] << 18 | (u32)values[in[i + 1]] << 12 |
			(u32)values[in[i + 2]] << 6 | values[in[i + 3]];
		out[o] = (u8)(w >> 16);
		out[o + 1] = (u8)(w >> 8);
		out[o + 2] = (u8)w;
	}
}

u32 run(u32 n) {
	for (u32 i = 0; i < 64; i++)
		values[(u8)digits[i]] = (u8)i;
	u32 state = 0x3c6ef372u;
	for (u32 i = 0; i < RAW_LEN; i++)
		raw[i] = (u8)xorshift32(&state);
	u32 h = 2166136261u;
	for (u32 r = 0; r < n; r++) {
		raw[r % RAW_LEN] ^= (u8)(r | 1);
		encode(raw, RAW_LEN, enc);
		decode(enc, ENC_LEN, dec);
		h = mix32(h, enc[r % ENC_LEN]);
		h = mix32(h, dec[(r * 7) % RAW_LEN] ^ raw[(r * 7) % RAW_LEN]);
	}
	return h;
}
