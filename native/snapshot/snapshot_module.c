/*
 * The parts of a decoded module that the snapshot codec copies byte for
 * byte: element segment items (whose ends the decoder does not keep) and
 * export sections (gate.export holds one that no decoder has seen).
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/error.h"
#include "../wasm/leb128.h"
#include "snapshot_internal.h"

static bool skip_leb(struct gate__reader *r, unsigned bits)
{
	uint64_t v;

	return gate__leb_u(r, bits, &v) == 0;
}

static void mark(uint8_t *funcs, uint32_t f)
{
	if (funcs != NULL)
		funcs[f >> 3] |= (uint8_t)(1u << (f & 7));
}

/* Skips a constant expression (WebAssembly 2.0: one instruction, end). */
static bool skip_expr(const struct gate_module *m, struct gate__reader *r, uint8_t *funcs)
{
	for (;;) {
		uint8_t op;
		uint32_t x;
		int64_t s;

		if (gate__read_u8(r, &op))
			return false;
		switch (op) {
		case 0x0b:
			return true;
		case 0x41:
			if (gate__leb_s(r, 32, &s))
				return false;
			break;
		case 0x42:
			if (gate__leb_s(r, 64, &s))
				return false;
			break;
		case 0x43:
		case 0x44:
			if (gate__left(r) < (op == 0x43 ? 4u : 8u))
				return false;
			r->p += op == 0x43 ? 4 : 8;
			break;
		case 0xd0:
			if (gate__read_u8(r, &op))
				return false;
			break;
		case 0xd2:
			if (gate__read_u32(r, &x) || x >= m->nfuncs)
				return false;
			mark(funcs, x);
			break;
		case 0x23:
			if (!skip_leb(r, 32))
				return false;
			break;
		case 0xfd: /* v128.const */
			if (!skip_leb(r, 32) || gate__left(r) < 16)
				return false;
			r->p += 16;
			break;
		default:
			return false;
		}
	}
}

size_t gate__selem_walk(const struct gate_module *m, uint32_t i, uint8_t *funcs)
{
	const struct gate__elem *e = &m->elems[i];
	struct gate__reader r = {m->bytes + e->items, m->bytes + m->size, m->bytes};

	for (uint32_t k = 0; k < e->count; k++) {
		uint32_t x;

		if (e->exprs) {
			if (!skip_expr(m, &r, funcs))
				return 0;
		} else {
			if (gate__read_u32(&r, &x) || x >= m->nfuncs)
				return 0;
			mark(funcs, x);
		}
	}
	return gate__off(&r);
}

size_t gate__sseg_first(const uint8_t *bytes, size_t off, size_t len)
{
	struct gate__reader r = {bytes + off, bytes + off + len, bytes};
	uint32_t n;

	if (gate__read_u32(&r, &n))
		return 0;
	return gate__off(&r);
}

struct name {
	const uint8_t *p;
	uint32_t len;
};

static int by_name(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

int gate__sexports_check(const struct gate_module *m, const uint8_t *p, size_t len, uint8_t *funcs,
			 const char *verb, char *err, size_t err_len)
{
	struct gate__reader r = {p, p + len, p};
	struct name *names;
	uint32_t n;
	int ret = 0;

	/* an export takes at least 3 bytes: name length, kind, index */
	if (gate__read_u32(&r, &n) || n > gate__left(&r) / 3)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot %s snapshot: gate.export: malformed export count",
				    verb);
	if (n > m->limits.exports)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot %s snapshot: gate.export: %u exports exceed the limit "
				    "of %u",
				    verb, n, m->limits.exports);
	names = malloc((n ? n : 1) * sizeof(*names));
	if (names == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot %s snapshot: out of memory", verb);
	for (uint32_t i = 0; i < n && !ret; i++) {
		uint32_t nlen, index;
		int64_t count;
		uint8_t kind;

		if (gate__read_u32(&r, &nlen) || nlen > gate__left(&r) ||
		    !gate__utf8_valid(r.p, nlen)) {
			ret = gate__errorf(err, err_len, GATE_MALFORMED,
					   "Cannot %s snapshot: gate.export: malformed name of "
					   "export %u",
					   verb, i);
			break;
		}
		names[i] = (struct name){r.p, nlen};
		r.p += nlen;
		if (gate__read_u8(&r, &kind) || gate__read_u32(&r, &index)) {
			ret = gate__errorf(
			    err, err_len, GATE_MALFORMED,
			    "Cannot %s snapshot: gate.export: export %u is truncated", verb, i);
			break;
		}
		count = gate__extern_count(m, kind);
		if (count < 0) {
			ret = gate__errorf(err, err_len, GATE_MALFORMED,
					   "Cannot %s snapshot: gate.export: export %u has kind %u",
					   verb, i, kind);
			continue;
		}
		if (index >= count)
			ret =
			    gate__errorf(err, err_len, GATE_MALFORMED,
					 "Cannot %s snapshot: gate.export: export %u names unknown "
					 "index %u",
					 verb, i, index);
		else if (kind == GATE__EXT_FUNC)
			mark(funcs, index);
	}
	if (!ret && r.p != r.end)
		ret = gate__errorf(err, err_len, GATE_MALFORMED,
				   "Cannot %s snapshot: gate.export: %zu bytes after the exports",
				   verb, gate__left(&r));
	if (!ret && n > 1) {
		qsort(names, n, sizeof(*names), by_name);
		for (uint32_t i = 1; i < n && !ret; i++)
			if (!by_name(&names[i - 1], &names[i]))
				ret =
				    gate__errorf(err, err_len, GATE_MALFORMED,
						 "Cannot %s snapshot: gate.export: duplicate "
						 "export name \"%.*s\"",
						 verb, (int)(names[i].len > 64 ? 64 : names[i].len),
						 (const char *)names[i].p);
	}
	free(names);
	return ret;
}
