/*
 * Private to native/x64: the prefix/REX/ModRM/SIB core that every encoder
 * goes through, so REX handling lives in one place.
 *
 * An opcode is packed into a uint32_t: an extra prefix (0x66 for 16-bit
 * operands) in bits 24-31, the mandatory prefix in bits 16-23, escape bits
 * OP_0F/OP_0F38/OP_0F3A, and the opcode byte in bits 0-7. enum x64_sse and
 * enum x64_bitop values use the same packing.
 */
#ifndef GATE_X64_ASM_ENC_H
#define GATE_X64_ASM_ENC_H

#include <string.h>

#include "asm.h"

#define OP_0F 0x100u
#define OP_0F38 0x200u
#define OP_0F3A 0x400u
#define OP_16 (0x66u << 24)

/* Makes room for X64_RESERVE bytes, or records the error and points code at scratch. */
void gate__x64_grow(struct x64_asm *a);
/* Records error (the first one sticks); ENOMEM and ELIMIT also drop the buffer. */
void gate__x64_fail(struct x64_asm *a, int error);
/* Records that the field at `at` (size 1 or 4) receives l - end once l is bound. */
void gate__x64_use(struct x64_asm *a, struct x64_label *l, uint32_t at, uint32_t end,
		   uint32_t size);

/* True once output goes to scratch: offsets mean nothing and nothing is patched. */
static inline bool lost(const struct x64_asm *a)
{
	return a->code == a->scratch;
}

static inline uint8_t *begin(struct x64_asm *a)
{
	if (__builtin_expect(a->cap - a->len < X64_RESERVE, 0))
		gate__x64_grow(a);
	return a->code + a->len;
}

static inline void commit(struct x64_asm *a, uint8_t *p)
{
	a->len = (size_t)(p - a->code);
}

static inline uint32_t here(const struct x64_asm *a, const uint8_t *p)
{
	return (uint32_t)(p - a->code);
}

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

static inline uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static inline bool fits8(int64_t v)
{
	return v == (int8_t)v;
}

/* 8-bit access to SPL, BPL, SIL, DIL needs a REX prefix (else it means AH..BH). */
static inline bool rex8(enum x64_size sz, unsigned r)
{
	return sz == X64_S8 && r - 4 < 4;
}

static inline unsigned rexw(enum x64_size sz)
{
	return sz == X64_S64;
}

/* An opcode that has a byte form op8 and a wider form op8 + 1. */
static inline uint32_t op_w(enum x64_size sz, uint32_t op8)
{
	return (op8 + (sz != X64_S8)) | (sz == X64_S16 ? OP_16 : 0);
}

/* An opcode without a byte form. */
static inline uint32_t op_v(enum x64_size sz, uint32_t op)
{
	return op | (sz == X64_S16 ? OP_16 : 0);
}

/* Prefixes, REX (only when some bit is set, or forced for byte registers), escapes, opcode. */
static inline uint8_t *enc_op(uint8_t *p, uint32_t op, unsigned w, unsigned r, unsigned x,
			      unsigned b, bool force)
{
	unsigned rex = w << 3 | (r & 8) >> 1 | (x & 8) >> 2 | (b & 8) >> 3;

	if (op >> 24)
		*p++ = (uint8_t)(op >> 24);
	if ((op >> 16) & 0xff)
		*p++ = (uint8_t)(op >> 16);
	if (rex || force)
		*p++ = (uint8_t)(0x40 | rex);
	if (op & (OP_0F | OP_0F38 | OP_0F3A)) {
		*p++ = 0x0f;
		if (op & OP_0F38)
			*p++ = 0x38;
		else if (op & OP_0F3A)
			*p++ = 0x3a;
	}
	*p++ = (uint8_t)op;
	return p;
}

/* Register-direct ModRM: reg field r (a register or /digit), rm register b. */
static inline uint8_t *enc_rr(uint8_t *p, uint32_t op, unsigned w, unsigned r, unsigned b,
			      bool force)
{
	p = enc_op(p, op, w, r, 0, b, force);
	*p++ = (uint8_t)(0xc0 | (r & 7) << 3 | (b & 7));
	return p;
}

/*
 * RIP-relative disp32. tail is the number of immediate bytes that follow,
 * since the CPU adds the disp to the address of the next instruction.
 */
static inline uint8_t *enc_rip(struct x64_asm *a, uint8_t *p, const struct x64_mem *m,
			       unsigned tail)
{
	uint32_t at = here(a, p);
	uint32_t next = at + 4 + tail;

	if (m->label == NULL)
		return put32(p, (uint32_t)m->disp - next);
	if (m->label->bound)
		return put32(p, m->label->pos + (uint32_t)m->disp - next);
	p = put32(p, (uint32_t)m->disp);
	gate__x64_use(a, m->label, at, next, 4);
	return p;
}

/*
 * Memory ModRM [+ SIB] [+ disp]. The quirks: rm=100 (RSP, R12) means "SIB
 * follows"; mod=00 with rm=101 (RBP, R13) means RIP-relative, so those bases
 * take an explicit disp8 of 0; SIB index=100 means "no index", so RSP cannot
 * be an index.
 */
static inline uint8_t *enc_m(struct x64_asm *a, uint8_t *p, uint32_t op, unsigned w, unsigned r,
			     bool force, const struct x64_mem *m, unsigned tail)
{
	unsigned base = m->base;
	unsigned index = m->index == X64_NOREG ? 4 : m->index;
	unsigned mod, sib = (unsigned)m->shift << 6 | (index & 7) << 3;

	if (__builtin_expect(m->index == X64_RSP || m->shift > 3 || base > X64_RIP ||
				     (base == X64_RIP && m->index != X64_NOREG), 0))
		gate__x64_fail(a, X64_EINVAL);
	p = enc_op(p, op, w, r, index, base < 16 ? base : 0, force);
	r = (r & 7) << 3;
	if (base == X64_RIP) {
		*p++ = (uint8_t)(0x05 | r);
		return enc_rip(a, p, m, tail);
	}
	if (base == X64_NOREG) {
		*p++ = (uint8_t)(0x04 | r);
		*p++ = (uint8_t)(sib | 5);
		return put32(p, (uint32_t)m->disp);
	}
	if (m->disp == 0 && (base & 7) != 5)
		mod = 0x00;
	else if (fits8(m->disp))
		mod = 0x40;
	else
		mod = 0x80;
	if (index != 4 || (base & 7) == 4) {
		*p++ = (uint8_t)(mod | r | 4);
		*p++ = (uint8_t)(sib | (base & 7));
	} else {
		*p++ = (uint8_t)(mod | r | (base & 7));
	}
	if (mod == 0x40)
		*p++ = (uint8_t)m->disp;
	else if (mod == 0x80)
		p = put32(p, (uint32_t)m->disp);
	return p;
}

#endif
