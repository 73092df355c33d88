/*
 * ChaCha20 (RFC 8439, section 2): the keystream random_get serves, keyed by
 * the PROGRAM's 32-byte seed with a zero nonce. Pure.
 */
#include "host.h"

static inline uint32_t rotl(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static inline uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define QR(a, b, c, d)                                  \
	do {                                            \
		a += b, d ^= a, d = rotl(d, 16);        \
		c += d, b ^= c, b = rotl(b, 12);        \
		a += b, d ^= a, d = rotl(d, 8);         \
		c += d, b ^= c, b = rotl(b, 7);         \
	} while (0)

void gate__chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
			  uint8_t out[64])
{
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }, x[16];

	memcpy(in + 4, key, 32);
	in[12] = counter;
	memcpy(in + 13, nonce, 12);
	memcpy(x, in, sizeof x);
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];

		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
}

void gate__chacha20_init(struct gate__chacha20 *c, const uint8_t key[32], const uint8_t nonce[12],
			 uint32_t counter)
{
	for (int i = 0; i < 8; i++)
		c->key[i] = load32(key + 4 * i);
	for (int i = 0; i < 3; i++)
		c->nonce[i] = load32(nonce + 4 * i);
	c->counter = counter;
	c->used = 64;
}

void gate__chacha20_stream(struct gate__chacha20 *c, uint8_t *out, size_t n)
{
	while (n > 0) {
		size_t k;

		if (c->used == 64) {
			gate__chacha20_block(c->key, c->counter, c->nonce, c->block);
			/* 2^32 blocks (256 GiB): then the nonce moves on */
			if (++c->counter == 0)
				c->nonce[0]++;
			c->used = 0;
		}
		k = 64 - c->used;
		if (k > n)
			k = n;
		memcpy(out, c->block + c->used, k);
		c->used += (uint32_t)k;
		out += k;
		n -= k;
	}
}
