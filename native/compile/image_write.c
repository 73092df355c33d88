/*
 * Serializes a compiled module into an image (docs/image.md). Everything the
 * runtime needs to instantiate and run the module is copied: the module's
 * bytes are not needed afterwards.
 */
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "image.h"

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
	if (w->len + n > w->cap) {
		size_t c = w->cap ? w->cap : 4096;
		uint8_t *q;

		while (c < w->len + n)
			c *= 2;
		q = realloc(w->p, c);
		if (q == NULL) {
			w->oom = true;
			return;
		}
		w->p = q;
		w->cap = c;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void u8(struct wbuf *w, uint8_t v)
{
	put(w, &v, 1);
}

static void u32(struct wbuf *w, uint32_t v)
{
	put(w, &v, 4);
}

static void u64(struct wbuf *w, uint64_t v)
{
	put(w, &v, 8);
}

static void span(struct wbuf *w, const struct gate_module *m, struct gate__span s)
{
	u32(w, s.len);
	put(w, m->bytes + s.off, s.len);
}

static void limits(struct wbuf *w, const struct gate__bounds *b)
{
	u8(w, b->has_max);
	u32(w, b->min);
	u32(w, b->max);
}

/* Section framing: the length is patched when the section ends. */
static size_t begin(struct wbuf *w, uint32_t tag)
{
	size_t at;

	u32(w, tag);
	at = w->len;
	u32(w, 0);
	return at;
}

static void end(struct wbuf *w, size_t at)
{
	uint32_t n = (uint32_t)(w->len - at - 4);

	if (!w->oom)
		memcpy(w->p + at, &n, 4);
}

/* Reads one validated constant instruction at p. */
static const uint8_t *read_expr(const uint8_t *p, struct gate__iexpr *e)
{
	struct gate__reader r = {p + 1, p + 32, p};
	int64_t s = 0;
	uint64_t u = 0;

	e->op = *p;
	e->v = 0;
	switch (e->op) {
	case 0x41:
		gate__leb_s(&r, 32, &s);
		e->v = (uint32_t)s;
		break;
	case 0x42:
		gate__leb_s(&r, 64, &s);
		e->v = (uint64_t)s;
		break;
	case 0x43:
		memcpy(&e->v, r.p, 4);
		r.p += 4;
		break;
	case 0x44:
		memcpy(&e->v, r.p, 8);
		r.p += 8;
		break;
	case 0xd0:
		e->v = *r.p++;
		break;
	default: /* ref.func, global.get */
		gate__leb_u(&r, 32, &u);
		e->v = u;
		break;
	}
	return r.p;
}

static void expr(struct wbuf *w, const struct gate__iexpr *e)
{
	u8(w, e->op);
	u64(w, e->v);
}

static void expr_at(struct wbuf *w, const struct gate_module *m, uint32_t off)
{
	struct gate__iexpr e;

	read_expr(m->bytes + off, &e);
	expr(w, &e);
}

/* The declared locals of a validated body at p: u32 n, n x {u32 count, u8 type}. */
static void local_runs(struct wbuf *w, const uint8_t *p)
{
	uint32_t n = gate__next_u32(&p);

	u32(w, n);
	for (uint32_t i = 0; i < n; i++) {
		u32(w, gate__next_u32(&p));
		u8(w, *p++);
	}
}

static int by_ret(const void *a, const void *b)
{
	uint32_t x = ((const struct gate__callsite *)a)->ret,
		 y = ((const struct gate__callsite *)b)->ret;

	return x < y ? -1 : x > y;
}

static int by_code(const void *a, const void *b)
{
	uint32_t x = ((const struct gate__memsite *)a)->code,
		 y = ((const struct gate__memsite *)b)->code;

	return x < y ? -1 : x > y;
}

int gate__image_write(const struct gate_module *m, const struct gate__compiled *c, uint8_t **out,
		      size_t *out_len)
{
	struct wbuf w = {0};
	size_t s;

	w.cap = (size_t)c->code_len + (size_t)GATE__CALLSITE_SIZE * c->sites.ncalls +
		12ull * c->sites.nmems + c->sites.maps_len + m->size + 4096;
	w.p = malloc(w.cap);
	if (w.p == NULL)
		w.cap = 0;

	put(&w, GATE__IMAGE_MAGIC, 8);
	u32(&w, GATE__COMPILER_VERSION);
	u32(&w, GATE__IMAGE_ARCH_X64);
	u64(&w, 0); /* hash, below */

	s = begin(&w, GATE__SEC_TYPES);
	u32(&w, m->ntypes);
	for (uint32_t i = 0; i < m->ntypes; i++) {
		const struct gate__functype *t = &m->types[i];

		u32(&w, t->nparams);
		u32(&w, t->nresults);
		put(&w, t->types, t->nparams + t->nresults);
		u32(&w, c->entry_stub[i]);
		u32(&w, c->host_stub[i]);
		u32(&w, c->host_ret[i]);
	}
	end(&w, s);

	s = begin(&w, GATE__SEC_IMPORTS);
	u32(&w, m->nimports);
	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct gate__import *im = &m->imports[i];

		span(&w, m, im->module);
		span(&w, m, im->name);
		u8(&w, im->kind);
		u32(&w, im->index);
	}
	end(&w, s);

	s = begin(&w, GATE__SEC_FUNCS);
	u32(&w, m->nfuncs);
	u32(&w, m->nfunc_imports);
	for (uint32_t f = 0; f < m->nfuncs; f++) {
		const struct gate__span *name = gate__func_name(m, f);

		u32(&w, m->func_types[f]);
		u32(&w, c->func_off[f]);
		u32(&w, c->func_len[f]);
		u32(&w, f < m->nfunc_imports ? 0 : m->code[f - m->nfunc_imports].off);
		if (name)
			span(&w, m, *name);
		else
			u32(&w, 0);
		u32(&w, c->func_frame[f]);
		if (f < m->nfunc_imports)
			u32(&w, 0);
		else
			local_runs(&w, m->bytes + m->code[f - m->nfunc_imports].off);
	}
	end(&w, s);

	s = begin(&w, GATE__SEC_TABLES);
	u32(&w, m->ntables);
	u32(&w, m->ntable_imports);
	for (uint32_t i = 0; i < m->ntables; i++) {
		u8(&w, m->tables[i].elem);
		limits(&w, &m->tables[i].lim);
	}
	end(&w, s);

	s = begin(&w, GATE__SEC_MEMS);
	u32(&w, m->nmems);
	u32(&w, m->nmem_imports);
	for (uint32_t i = 0; i < m->nmems; i++)
		limits(&w, &m->mems[i]);
	end(&w, s);

	s = begin(&w, GATE__SEC_GLOBALS);
	u32(&w, m->nglobals);
	u32(&w, m->nglobal_imports);
	for (uint32_t i = 0; i < m->nglobals; i++) {
		const struct gate__global *gl = &m->globals[i];
		struct gate__iexpr none = {0, 0};

		u8(&w, gl->type);
		u8(&w, gl->mut);
		if (gl->imported)
			expr(&w, &none);
		else
			expr_at(&w, m, gl->init);
	}
	end(&w, s);

	s = begin(&w, GATE__SEC_EXPORTS);
	u32(&w, m->nexports);
	for (uint32_t i = 0; i < m->nexports; i++) {
		span(&w, m, m->exports[i].name);
		u8(&w, m->exports[i].kind);
		u32(&w, m->exports[i].index);
	}
	end(&w, s);

	s = begin(&w, GATE__SEC_START);
	u32(&w, m->has_start ? m->start : GATE__NONE);
	end(&w, s);

	s = begin(&w, GATE__SEC_ELEMS);
	u32(&w, m->nelems);
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct gate__elem *e = &m->elems[i];
		const uint8_t *p = m->bytes + e->items;
		struct gate__iexpr none = {0, 0};

		u8(&w, e->mode);
		u8(&w, e->type);
		u32(&w, e->table);
		if (e->mode == GATE__SEG_ACTIVE)
			expr_at(&w, m, e->offset);
		else
			expr(&w, &none);
		u32(&w, e->count);
		for (uint32_t k = 0; k < e->count; k++) {
			struct gate__iexpr it;

			if (e->exprs) {
				p = read_expr(p, &it);
				p++; /* end */
			} else {
				it.op = 0xd2;
				it.v = gate__next_u32(&p);
			}
			expr(&w, &it);
		}
	}
	end(&w, s);

	s = begin(&w, GATE__SEC_DATAS);
	u32(&w, m->ndata);
	for (uint32_t i = 0; i < m->ndata; i++) {
		const struct gate__data *d = &m->data[i];
		struct gate__iexpr none = {0, 0};

		u8(&w, d->mode);
		u32(&w, d->memory);
		if (d->mode == GATE__SEG_ACTIVE)
			expr_at(&w, m, d->offset);
		else
			expr(&w, &none);
		span(&w, m, d->bytes);
	}
	end(&w, s);

	s = begin(&w, GATE__SEC_CODE);
	u32(&w, c->code_len);
	put(&w, c->code, c->code_len);
	end(&w, s);

	/* sites are recorded in code order; sort only if that ever changes */
	for (uint32_t i = 1; i < c->sites.ncalls; i++) {
		if (c->sites.calls[i].ret <= c->sites.calls[i - 1].ret) {
			qsort(c->sites.calls, c->sites.ncalls, sizeof(*c->sites.calls), by_ret);
			break;
		}
	}
	for (uint32_t i = 1; i < c->sites.nmems; i++) {
		if (c->sites.mems[i].code <= c->sites.mems[i - 1].code) {
			qsort(c->sites.mems, c->sites.nmems, sizeof(*c->sites.mems), by_code);
			break;
		}
	}
	s = begin(&w, GATE__SEC_CALLSITES);
	u32(&w, c->sites.ncalls);
	put(&w, c->sites.calls, (size_t)c->sites.ncalls * sizeof(*c->sites.calls));
	end(&w, s);

	s = begin(&w, GATE__SEC_MEMSITES);
	u32(&w, c->sites.nmems);
	put(&w, c->sites.mems, (size_t)c->sites.nmems * sizeof(*c->sites.mems));
	end(&w, s);

	s = begin(&w, GATE__SEC_MAPS);
	u32(&w, c->sites.maps_len);
	put(&w, c->sites.maps, c->sites.maps_len);
	end(&w, s);

	s = begin(&w, GATE__SEC_END);
	end(&w, s);

	if (w.oom) {
		free(w.p);
		return GATE_OUT_OF_MEMORY;
	}
	{
		uint64_t h = gate__image_hash(w.p + GATE__IMAGE_HEADER, w.len - GATE__IMAGE_HEADER);

		memcpy(w.p + 16, &h, 8);
	}
	*out = w.p;
	*out_len = w.len;
	return GATE_OK;
}
