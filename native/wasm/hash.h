/*
 * Keyed hashing for the decoder's sets (type canonicalization, export
 * names). The key is random per process, so a module cannot be built to make
 * every entry collide and turn a linear pass into a quadratic one.
 */
#ifndef GATE_WASM_HASH_H
#define GATE_WASM_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Returns the process's random hash key (drawn once). */
uint64_t gate__hash_key(void);

static inline uint64_t gate__hash(uint64_t key, const uint8_t *s, size_t n)
{
	uint64_t h = key ^ (n * 0x9e3779b97f4a7c15u);

	for (size_t i = 0; i < n; i++) {
		h = (h ^ s[i]) * 0xff51afd7ed558ccdu;
		h ^= h >> 29;
	}
	h *= 0xc4ceb9fe1a85ec53u;
	return h ^ (h >> 32);
}

#endif
