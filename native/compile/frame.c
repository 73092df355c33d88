/*
 * ISA-independent frame shape: calling-convention assignment, call sites,
 * memory-access sites and stack maps (see compile.h, docs/compiler.md).
 */
#include <stdlib.h>
#include <string.h>

#include "compile.h"

uint32_t gate__abi_assign(const uint8_t *t, uint32_t n, const uint8_t *gp, uint32_t ngp,
			  const uint8_t *fp, uint32_t nfp, struct gate__abi_loc *out)
{
	uint32_t igp = 0, ifp = 0, stack = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (gate__is_float(t[i]) && ifp < nfp) {
			out[i] = (struct gate__abi_loc){fp[ifp++], 0};
		} else if (!gate__is_float(t[i]) && igp < ngp) {
			out[i] = (struct gate__abi_loc){gp[igp++], 0};
		} else {
			out[i] = (struct gate__abi_loc){GATE__ABI_STACK, stack++};
		}
	}
	return stack;
}

void gate__sites_free(struct gate__sites *s)
{
	free(s->calls);
	free(s->mems);
	free(s->maps);
	memset(s, 0, sizeof(*s));
}

/* Grows *p (elements of size sz) to hold one more; false when out of memory. */
static bool grow(void **p, uint32_t *cap, uint32_t n, size_t sz)
{
	uint32_t c;
	void *q;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 256;
	q = realloc(*p, (size_t)c * sz);
	if (q == NULL)
		return false;
	*p = q;
	*cap = c;
	return true;
}

void gate__sites_call(struct gate__sites *s, const struct gate__callsite *c)
{
	if (!grow((void **)&s->calls, &s->calls_cap, s->ncalls, sizeof(*s->calls))) {
		s->oom = true;
		return;
	}
	s->calls[s->ncalls++] = *c;
}

void gate__sites_mem(struct gate__sites *s, uint32_t code, uint32_t func, uint32_t offset)
{
	if (!grow((void **)&s->mems, &s->mems_cap, s->nmems, sizeof(*s->mems))) {
		s->oom = true;
		return;
	}
	s->mems[s->nmems++] = (struct gate__memsite){code, func, offset};
}

static void put(struct gate__sites *s, const void *p, uint32_t n)
{
	while (s->maps_len + n > s->maps_cap) {
		uint32_t c = s->maps_cap ? s->maps_cap * 2 : 4096;
		uint8_t *q = realloc(s->maps, c);

		if (q == NULL) {
			s->oom = true;
			return;
		}
		s->maps = q;
		s->maps_cap = c;
	}
	memcpy(s->maps + s->maps_len, p, n);
	s->maps_len += n;
}

/*
 * A stack map is u32 n, then per operand (bottom first) u8 type, u8 loc and
 * for GATE__MAP_CONST the u64 value. Locals are always in their slots.
 */
uint32_t gate__map_begin(struct gate__sites *s, uint32_t n)
{
	uint32_t off = s->maps_len;

	put(s, &n, 4);
	return off;
}

void gate__map_value(struct gate__sites *s, uint8_t type, bool is_const, uint64_t k)
{
	uint8_t b[2] = {type, is_const ? GATE__MAP_CONST : GATE__MAP_SLOT};

	put(s, b, 2);
	if (is_const)
		put(s, &k, 8);
}

/* ---- which locals deserve a register ---- */

static bool skip_leb(const uint8_t **p, const uint8_t *end)
{
	while (*p < end) {
		if (!(*(*p)++ & 0x80))
			return true;
	}
	return false;
}

static uint32_t read_leb(const uint8_t **p, const uint8_t *end)
{
	uint32_t v = 0;
	unsigned shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		if (shift < 32)
			v |= (uint32_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/* What follows each one-byte opcode, for the scan below. */
enum {
	K_NONE,
	K_LEB,
	K_LEB2,
	K_BLOCK,
	K_LOOP,
	K_END,
	K_LOCAL,
	K_BRTABLE,
	K_BYTE,
	K_4,
	K_8,
	K_SELECTT,
	K_FC,
	K_STOP
};

static const uint8_t imm_kind[256] = {
    [0x02] = K_BLOCK,
    [0x03] = K_LOOP,
    [0x04] = K_BLOCK,
    [0x0b] = K_END,
    [0x0c] = K_LEB,
    [0x0d] = K_LEB,
    [0x0e] = K_BRTABLE,
    [0x10] = K_LEB,
    [0x11] = K_LEB2,
    [0x1c] = K_SELECTT,
    [0x20 ... 0x22] = K_LOCAL,
    [0x23 ... 0x26] = K_LEB,
    [0x28 ... 0x3e] = K_LEB2,
    [0x3f ... 0x40] = K_BYTE,
    [0x41 ... 0x42] = K_LEB,
    [0x43] = K_4,
    [0x44] = K_8,
    [0xd0] = K_BYTE,
    [0xd2] = K_LEB,
    [0xfc] = K_FC,
    [0xfd] = K_STOP,
};

/*
 * One quick pass over a validated body: w[i] += 4^(loop depth) for every
 * local.get/set/tee of local i (saturating). Table-driven so that the
 * common opcode without immediates costs a load and a branch. Returns false
 * (weights unusable) for bodies it does not understand, such as SIMD code.
 */
bool gate__local_weights(const uint8_t *p, const uint8_t *end, uint32_t nlocals, uint32_t *w)
{
	uint64_t loops = 0; /* bit k: block at depth k is a loop (first 64 levels) */
	uint32_t depth = 0, loopdepth = 0;
	uint32_t n = read_leb(&p, end);

	for (uint32_t i = 0; i < n && p < end; i++) {
		skip_leb(&p, end);
		p++;
	}
	while (p < end) {
		uint8_t op = *p++, k = imm_kind[op];
		uint32_t x;

		/* the frequent kinds first, as plain branches */
		if (k == K_NONE)
			continue;
		if (k == K_LOCAL) {
			uint32_t inc = 1u << (2 * (loopdepth < 8 ? loopdepth : 8));

			x = read_leb(&p, end);
			if (x < nlocals)
				w[x] = w[x] > UINT32_MAX - inc ? UINT32_MAX : w[x] + inc;
			continue;
		}
		if (k == K_LEB) {
			skip_leb(&p, end);
			continue;
		}
		if (k == K_LEB2) {
			skip_leb(&p, end);
			skip_leb(&p, end);
			continue;
		}
		switch (k) {
		case K_LOOP:
		case K_BLOCK:
			if (p < end && (*p == 0x40 || *p >= 0x6f))
				p++;
			else
				skip_leb(&p, end);
			if (op == 0x03) {
				loopdepth++;
				if (depth < 64)
					loops |= 1ull << depth;
			} else if (depth < 64) {
				loops &= ~(1ull << depth);
			}
			depth++;
			break;
		case K_END:
			if (depth == 0)
				return true;
			depth--;
			if (depth < 64 && (loops >> depth & 1))
				loopdepth--;
			break;
		case K_BRTABLE:
			x = read_leb(&p, end);
			for (uint64_t k = 0; k <= x && p < end; k++)
				skip_leb(&p, end);
			break;
		case K_SELECTT:
			x = read_leb(&p, end);
			p += x;
			break;
		case K_BYTE:
			p++;
			break;
		case K_4:
			p += 4;
			break;
		case K_8:
			p += 8;
			break;
		case K_FC:
			x = read_leb(&p, end);
			switch (x) {
			case 8:
				skip_leb(&p, end);
				p++;
				break;
			case 9:
			case 13:
			case 15:
			case 16:
			case 17:
				skip_leb(&p, end);
				break;
			case 10:
				p += 2;
				break;
			case 11:
				p++;
				break;
			case 12:
			case 14:
				skip_leb(&p, end);
				skip_leb(&p, end);
				break;
			default:
				break;
			}
			break;
		default:
			return false;
		}
	}
	return true;
}
