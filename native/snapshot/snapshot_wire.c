/*
 * Wire pieces of the snapshot codec: the byte buffer and LEB128 writers, the
 * section walker and the gate.snapshot header (docs/snapshot.md).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/error.h"
#include "../rt/rt.h"
#include "../wasm/leb128.h"
#include "snapshot_internal.h"

void gate__sbuf_put(struct gate__sbuf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		uint8_t *q;

		while (c < b->n + n)
			c *= 2;
		q = realloc(b->p, c);
		if (q == NULL) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = c;
	}
	if (n)
		memcpy(b->p + b->n, src, n);
	b->n += n;
}

void gate__sbuf_u8(struct gate__sbuf *b, uint8_t v)
{
	gate__sbuf_put(b, &v, 1);
}

size_t gate__leb_put_u64(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		p[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
	} while (v);
	return n;
}

size_t gate__leb_put_s64(uint8_t *p, int64_t v)
{
	size_t n = 0;

	for (;;) {
		uint8_t byte = v & 0x7f;

		v >>= 7; /* arithmetic: gcc and clang define it for signed values */
		if ((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40))) {
			p[n++] = byte;
			return n;
		}
		p[n++] = byte | 0x80;
	}
}

size_t gate__leb_size_u64(uint64_t v)
{
	size_t n = 1;

	while (v >>= 7)
		n++;
	return n;
}

size_t gate__leb_size_s64(int64_t v)
{
	uint8_t tmp[10];

	return gate__leb_put_s64(tmp, v);
}

void gate__sbuf_u32(struct gate__sbuf *b, uint32_t v)
{
	gate__sbuf_u64(b, v);
}

void gate__sbuf_u64(struct gate__sbuf *b, uint64_t v)
{
	uint8_t tmp[10];

	gate__sbuf_put(b, tmp, gate__leb_put_u64(tmp, v));
}

void gate__sbuf_s32(struct gate__sbuf *b, int32_t v)
{
	gate__sbuf_s64(b, v);
}

void gate__sbuf_s64(struct gate__sbuf *b, int64_t v)
{
	uint8_t tmp[10];

	gate__sbuf_put(b, tmp, gate__leb_put_s64(tmp, v));
}

void gate__sbuf_free(struct gate__sbuf *b)
{
	free(b->p);
	*b = (struct gate__sbuf){0};
}

/* ---- sections ---- */

const char *const gate__sgate_names[GATE__S_COUNT] = {
    "gate.snapshot",
    "gate.export",
    "gate.buffer",
    "gate.stack",
};

int gate__sgate_of(const uint8_t *name, uint32_t len)
{
	for (int i = 0; i < GATE__S_COUNT; i++)
		if (len == strlen(gate__sgate_names[i]) && !memcmp(name, gate__sgate_names[i], len))
			return i;
	if (len >= 5 && !memcmp(name, "gate.", 5))
		return GATE__S_COUNT;
	return GATE__S_NONE;
}

int gate__ssec_split(const uint8_t *m, size_t len, struct gate__ssec **out, uint32_t *n,
		     const char *verb, char *err, size_t err_len)
{
	struct gate__reader r = {m + 8, m + len, m};
	struct gate__ssec *v = NULL;
	uint32_t cnt = 0, cap = 0;

	if (len < 8 || memcmp(m, "\0asm\1\0\0\0", 8))
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot %s snapshot: not a WebAssembly module", verb);
	while (r.p < r.end) {
		struct gate__ssec s = {.start = gate__off(&r)};
		uint32_t size;

		if (gate__read_u8(&r, &s.id) || gate__read_u32(&r, &size) || size > gate__left(&r))
			goto malformed;
		s.off = gate__off(&r);
		s.len = size;
		if (s.id == 0) {
			struct gate__reader c = {r.p, r.p + size, m};

			if (gate__read_u32(&c, &s.name_len) || s.name_len > gate__left(&c))
				goto malformed;
			s.name = c.p;
			s.body = gate__off(&c) + s.name_len;
			s.body_len = (size_t)(c.end - c.p) - s.name_len;
		}
		r.p += size;
		if (cnt == cap) {
			struct gate__ssec *q;

			cap = cap ? 2 * cap : 16;
			q = realloc(v, cap * sizeof(*v));
			if (q == NULL) {
				free(v);
				return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
						    "Cannot %s snapshot: out of memory", verb);
			}
			v = q;
		}
		v[cnt++] = s;
	}
	*out = v;
	*n = cnt;
	return 0;
malformed:
	free(v);
	return gate__errorf(err, err_len, GATE_MALFORMED,
			    "Cannot %s snapshot: malformed section at offset %zu", verb,
			    gate__off(&r));
}

/* ---- gate.snapshot ---- */

void gate__shead_patch(uint8_t *p, uint32_t size)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(((size >> (7 * i)) & 0x7f) | 0x80);
	p[4] = (uint8_t)(size >> 28);
}

size_t gate__shead_put(struct gate__sbuf *b, const struct gate__shead *h)
{
	uint8_t size[GATE__SHEAD_SIZE_BYTES];
	size_t at;

	gate__sbuf_u32(b, h->version);
	gate__sbuf_u32(b, h->flags);
	gate__sbuf_u32(b, h->trap);
	gate__sbuf_s32(b, h->result);
	gate__sbuf_u64(b, h->monotonic);
	gate__sbuf_u32(b, h->ndata);
	gate__sbuf_u32(b, h->nelem);
	at = b->n;
	gate__shead_patch(size, h->size);
	gate__sbuf_put(b, size, sizeof(size));
	return at;
}

uint32_t gate__strap_max(void)
{
	static const uint32_t kinds[] = {
#define GATE_TRAP(name, num, msg) num,
#include "../rt/traps.def"
#undef GATE_TRAP
	};
	uint32_t n = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		n = kinds[i] > n ? kinds[i] : n;
	return n;
}

int gate__shead_get(const uint8_t *p, size_t len, struct gate__shead *out, char *err,
		    size_t err_len)
{
	struct gate__reader r = {p, p + len, p};
	uint64_t u = 0;
	int64_t s = 0;
	const char *what = "version";
	int e;

	memset(out, 0, sizeof(*out));
	e = gate__read_u32(&r, &out->version);
	if (!e && out->version != GATE_SNAPSHOT_VERSION)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.snapshot: unknown version %u",
				    out->version);
	if (!e) {
		what = "flags";
		e = gate__read_u32(&r, &out->flags);
	}
	if (!e && (out->flags & ~GATE_SNAPSHOT_FINAL))
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.snapshot: unknown flags 0x%x",
				    out->flags);
	if (!e) {
		what = "trap";
		e = gate__read_u32(&r, &out->trap);
	}
	if (!e && out->trap > gate__strap_max())
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.snapshot: unknown trap %u",
				    out->trap);
	if (!e) {
		what = "result";
		e = gate__leb_s(&r, 32, &s);
		out->result = (int32_t)s;
	}
	if (!e && out->result != 0 && out->trap != GATE_TRAP_EXIT)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.snapshot: result %d without "
				    "trap EXIT",
				    out->result);
	if (!e) {
		what = "monotonic time";
		e = gate__leb_u(&r, 64, &u);
		out->monotonic = u;
	}
	if (!e) {
		what = "data segment count";
		e = gate__read_u32(&r, &out->ndata);
	}
	if (!e) {
		what = "element segment count";
		e = gate__read_u32(&r, &out->nelem);
	}
	if (!e) {
		what = "size";
		e = gate__read_u32(&r, &out->size);
	}
	if (e)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.snapshot: %s: %s", what,
				    gate__rerr_text(e));
	if (r.p != r.end)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.snapshot: %zu bytes after the "
				    "fields",
				    gate__left(&r));
	return 0;
}

void gate__sadvise_huge(void *p, size_t n)
{
	uintptr_t lo = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)4095;

	if (n >= (4u << 20) && hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}
