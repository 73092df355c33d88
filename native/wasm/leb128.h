/*
 * Bounded byte reader and LEB128 decoding for the WebAssembly binary format.
 *
 * Every read checks the end of the current region (a section, a function
 * body, a subsection) before it touches memory. On failure a reader function
 * returns a GATE__R_* code and leaves the cursor where the item started, so
 * the caller can report that offset. The unused bits of the last byte of a
 * maximal-length encoding must be a zero- or sign-extension of the value, as
 * the spec requires (binary-leb128.wast).
 */
#ifndef GATE_WASM_LEB128_H
#define GATE_WASM_LEB128_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum gate__rerr {
	GATE__R_OK = 0,
	GATE__R_END,   /* "unexpected end" */
	GATE__R_LONG,  /* "integer representation too long" */
	GATE__R_LARGE, /* "integer too large" */
};

struct gate__reader {
	const uint8_t *p;    /* cursor */
	const uint8_t *end;  /* end of the current region */
	const uint8_t *base; /* start of the module: offsets are p - base */
};

/* Returns the text of a GATE__R_* code. */
const char *gate__rerr_text(int e);

static inline size_t gate__off(const struct gate__reader *r)
{
	return (size_t)(r->p - r->base);
}

static inline size_t gate__left(const struct gate__reader *r)
{
	return (size_t)(r->end - r->p);
}

static inline int gate__read_u8(struct gate__reader *r, uint8_t *out)
{
	if (r->p >= r->end) {
		*out = 0;
		return GATE__R_END;
	}
	*out = *r->p++;
	return GATE__R_OK;
}

/* Copies n raw bytes (fixed-width constants) into out. */
static inline int gate__read_bytes(struct gate__reader *r, void *out, size_t n)
{
	if (gate__left(r) < n)
		return GATE__R_END;
	memcpy(out, r->p, n);
	r->p += n;
	return GATE__R_OK;
}

/*
 * Unsigned LEB128 of at most `bits` bits (32 or 64). The last of the
 * ceil(bits / 7) bytes may carry only the value's top bits: anything above
 * them is "integer too large", a continuation bit "too long".
 */
static inline int gate__leb_u(struct gate__reader *r, unsigned bits, uint64_t *out)
{
	const uint8_t *p = r->p;
	uint64_t v = 0;
	unsigned shift = 0;

	for (;;) {
		uint8_t b;

		if (p >= r->end)
			return GATE__R_END;
		b = *p++;
		if (shift + 7 >= bits) {
			/* last permitted byte: bits - shift value bits remain */
			if (b & 0x80)
				return GATE__R_LONG;
			if (b >> (bits - shift))
				return GATE__R_LARGE;
			v |= (uint64_t)b << shift;
			break;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	r->p = p;
	*out = v;
	return GATE__R_OK;
}

/*
 * Signed LEB128 of at most `bits` bits (32, 33 or 64), sign-extended into
 * *out. In the last permitted byte, the bits above the value's top bit must
 * all equal that sign bit.
 */
static inline int gate__leb_s(struct gate__reader *r, unsigned bits, int64_t *out)
{
	const uint8_t *p = r->p;
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	for (;;) {
		if (p >= r->end)
			return GATE__R_END;
		b = *p++;
		if (shift + 7 >= bits) {
			unsigned keep = bits - shift; /* value bits in this byte, 1..7 */
			uint8_t rest = (uint8_t)((b & 0x7f) >> (keep - 1));

			if (b & 0x80)
				return GATE__R_LONG;
			/* rest = sign bit and the unused bits: all 0s or all 1s */
			if (rest != 0 && rest != (0x7f >> (keep - 1)))
				return GATE__R_LARGE;
			v |= (uint64_t)b << shift;
			shift += 7;
			break;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	r->p = p;
	*out = (int64_t)v;
	return GATE__R_OK;
}

/* The common case: a u32 index or count, one byte most of the time. */
static inline int gate__read_u32(struct gate__reader *r, uint32_t *out)
{
	uint64_t v = 0;
	int e;

	if (r->p < r->end && !(*r->p & 0x80)) {
		*out = *r->p++;
		return GATE__R_OK;
	}
	e = gate__leb_u(r, 32, &v);
	*out = (uint32_t)v;
	return e;
}

/*
 * Skips one LEB128 u32 known to be well formed (the br_table iterator walks
 * targets the validator already decoded).
 */
static inline uint32_t gate__next_u32(const uint8_t **p)
{
	uint32_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		b = *(*p)++;
		v |= (uint32_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return v;
}

#endif
