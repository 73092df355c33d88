/*
 * Loads a serialized image (docs/image.md) in an instance process. Images
 * come from a cache on disk, so every field is checked before use: counts
 * against the bytes left, indices against their spaces, code offsets against
 * the code. A corrupted image is rejected with GATE_MALFORMED, never run.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../compile/compile.h"
#include "../lib/error.h"
#include "rt_internal.h"

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static bool need(struct rd *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return false;
	}
	return true;
}

static uint8_t u8(struct rd *r)
{
	return need(r, 1) ? *r->p++ : 0;
}

static uint32_t u32(struct rd *r)
{
	uint32_t v = 0;

	if (need(r, 4)) {
		memcpy(&v, r->p, 4);
		r->p += 4;
	}
	return v;
}

static uint64_t u64(struct rd *r)
{
	uint64_t v = 0;

	if (need(r, 8)) {
		memcpy(&v, r->p, 8);
		r->p += 8;
	}
	return v;
}

static const uint8_t *bytes(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (!need(r, n))
		return NULL;
	r->p += n;
	return p;
}

static struct rt_name name(struct rd *r)
{
	uint32_t n = u32(r);
	const uint8_t *p = bytes(r, n);

	return (struct rt_name){ (const char *)p, p ? n : 0 };
}

/* A count of items of at least min bytes each that fit in what is left. */
static uint32_t count(struct rd *r, size_t min)
{
	uint32_t n = u32(r);

	if ((size_t)(r->end - r->p) / (min ? min : 1) < n)
		r->bad = true;
	return r->bad ? 0 : n;
}

static void *array(struct rd *r, uint32_t n, size_t sz)
{
	void *p;

	if (r->bad)
		return NULL;
	p = calloc(n ? n : 1, sz);
	if (p == NULL)
		r->bad = true;
	return p;
}

/* Copies n bytes out of the image so that their structs are aligned. */
static void *dup(struct rd *r, size_t n)
{
	const uint8_t *p = bytes(r, n);
	void *q;

	if (p == NULL)
		return NULL;
	q = malloc(n ? n : 1);
	if (q == NULL) {
		r->bad = true;
		return NULL;
	}
	memcpy(q, p, n);
	return q;
}

static struct rt_limits limits(struct rd *r)
{
	struct rt_limits l;

	l.has_max = u8(r) != 0;
	l.min = u32(r);
	l.max = u32(r);
	if (l.has_max && l.max < l.min)
		r->bad = true;
	return l;
}

static bool valtype(uint8_t t)
{
	return t == 0x7f || t == 0x7e || t == 0x7d || t == 0x7c || t == 0x70 || t == 0x6f;
}

static bool reftype(uint8_t t)
{
	return t == 0x70 || t == 0x6f;
}

static struct gate__iexpr expr(struct rd *r)
{
	struct gate__iexpr e;

	e.op = u8(r);
	e.v = u64(r);
	return e;
}

/* Opens the next section, which must have this tag; *sec reads inside it. */
static void section(struct rd *r, uint32_t tag, struct rd *sec)
{
	uint32_t t = u32(r), n = u32(r);

	if (t != tag || !need(r, n)) {
		r->bad = true;
		*sec = (struct rd){ r->p, r->p, true };
		return;
	}
	*sec = (struct rd){ r->p, r->p + n, false };
	r->p += n;
}

static void close_section(struct rd *r, struct rd *sec)
{
	if (sec->bad || sec->p != sec->end)
		r->bad = true;
}

/* Checks a constant expression of type t against the image's index spaces. */
static bool check_expr(const struct rt_image *img, const struct gate__iexpr *e, uint8_t t)
{
	switch (e->op) {
	case 0x41: return t == 0x7f;
	case 0x42: return t == 0x7e;
	case 0x43: return t == 0x7d;
	case 0x44: return t == 0x7c;
	case 0xd0: return e->v == t && reftype(t);
	case 0xd2: return t == 0x70 && e->v < img->nfuncs;
	case 0x23:
		return e->v < img->nglobal_imports && img->globals[e->v].type == t &&
		       !img->globals[e->v].mut;
	}
	return false;
}

static bool in_code(const struct rt_image *img, uint32_t off)
{
	return off < img->code_len;
}

/* A function's locals and frame: imports have none; a body's locals fit in
 * its frame (at most 2^28 of them), whose size keeps rsp 16-byte aligned. */
static bool locals_ok(const struct rt_image *img, struct rt_func *f, bool import)
{
	uint64_t n = img->types[f->type].np;

	if (import)
		return f->frame == 0 && f->nruns == 0;
	for (uint32_t k = 0; k < f->nruns; k++) {
		if (!valtype(f->runs[k].type) && f->runs[k].type != 0x7b)
			return false;
		n += f->runs[k].count;
	}
	if (f->frame % 16 || f->frame > INT32_MAX || 8 + 8 * n > f->frame)
		return false;
	f->nlocals = (uint32_t)n;
	return true;
}

/* A stack map of a frame with nlocals locals and a frame of frame bytes:
 * inside the blob, known types and locations, every slot inside the frame. */
static bool map_ok(const struct rt_image *img, uint32_t map, uint32_t nlocals, uint32_t frame)
{
	const uint8_t *p = img->maps + map, *end = img->maps + img->maps_len;
	uint32_t n;

	if ((uint64_t)map + 4 > img->maps_len)
		return false;
	memcpy(&n, p, 4);
	p += 4;
	if (8 + 8 * ((uint64_t)nlocals + n) > frame)
		return false;
	for (uint32_t h = 0; h < n; h++) {
		if (end - p < 2 || !valtype(p[0]) || p[1] > GATE__MAP_CONST)
			return false;
		p += p[1] == GATE__MAP_CONST ? 10 : 2;
		if (p > end)
			return false;
	}
	return true;
}

/* A call site's kind, callee and immediates against the image's spaces. */
static bool site_ok(const struct rt_image *img, const struct gate__callsite *c)
{
	const struct rt_func *f;

	if (c->kind >= GATE__SITE_KINDS ||
	    (c->func == GATE__RT_NONE) != (c->kind == GATE__SITE_STUB_TRAP))
		return false;
	if (c->func == GATE__RT_NONE)
		return c->map == GATE__RT_NONE;
	if (c->func < img->nfunc_imports || c->func >= img->nfuncs)
		return false;
	f = &img->funcs[c->func];
	if (c->ret <= f->off || c->ret > f->off + f->len)
		return false;
	if (c->map != GATE__RT_NONE && !map_ok(img, c->map, f->nlocals, f->frame))
		return false;
	switch (c->kind) {
	case GATE__SITE_ENTRY:
	case GATE__SITE_LOOP:
		return c->map != GATE__RT_NONE;
	case GATE__SITE_CALL:
		return c->map != GATE__RT_NONE && c->a < img->nfuncs;
	case GATE__SITE_CALL_INDIRECT:
	case GATE__SITE_CALL_INDIRECT_X:
		return c->map != GATE__RT_NONE && c->a < img->ntypes && c->b < img->ntables;
	case GATE__SITE_HELPER:
		switch (c->helper) {
		case GATE__H_MEMORY_INIT:
		case GATE__H_DATA_DROP:
			if (c->a >= img->ndatas)
				return false;
			break;
		case GATE__H_TABLE_INIT:
			if (c->b >= img->nelems)
				return false;
			__attribute__((fallthrough));
		case GATE__H_TABLE_GROW:
		case GATE__H_TABLE_FILL:
			if (c->a >= img->ntables)
				return false;
			break;
		case GATE__H_TABLE_COPY:
			if (c->a >= img->ntables || c->b >= img->ntables)
				return false;
			break;
		case GATE__H_ELEM_DROP:
			if (c->a >= img->nelems)
				return false;
			break;
		}
		__attribute__((fallthrough));
	case GATE__SITE_HELPER_TRAP:
		return c->map != GATE__RT_NONE && c->helper < GATE__H_COUNT;
	}
	return true;
}

static bool parse(struct rt_image *img)
{
	struct rd r = { img->bytes, img->bytes + img->len, false }, s;
	const uint8_t *magic = bytes(&r, 8);
	uint32_t nitems = 0;

	if (img->len < GATE__IMAGE_HEADER || magic == NULL || memcmp(magic, GATE__IMAGE_MAGIC, 8) != 0)
		return false;
	if (u32(&r) != GATE__COMPILER_VERSION || u32(&r) != GATE__IMAGE_ARCH_X64)
		return false;
	if (u64(&r) != gate__image_hash(img->bytes + GATE__IMAGE_HEADER, img->len - GATE__IMAGE_HEADER))
		return false;

	section(&r, GATE__SEC_TYPES, &s);
	img->ntypes = count(&s, 20);
	img->types = array(&s, img->ntypes, sizeof(*img->types));
	for (uint32_t i = 0; i < img->ntypes && !s.bad; i++) {
		struct rt_type *t = &img->types[i];

		t->np = u32(&s);
		t->nr = u32(&s);
		if ((uint64_t)t->np + t->nr > 100000) {
			s.bad = true;
			break;
		}
		t->types = bytes(&s, t->np + t->nr);
		for (uint32_t k = 0; t->types && k < t->np + t->nr; k++)
			if (!valtype(t->types[k]))
				s.bad = true;
		t->entry = u32(&s);
		t->host = u32(&s);
		t->host_ret = u32(&s);
	}
	close_section(&r, &s);

	section(&r, GATE__SEC_IMPORTS, &s);
	img->nimports = count(&s, 13);
	img->imports = array(&s, img->nimports, sizeof(*img->imports));
	for (uint32_t i = 0; i < img->nimports && !s.bad; i++) {
		img->imports[i].module = name(&s);
		img->imports[i].name = name(&s);
		img->imports[i].kind = u8(&s);
		img->imports[i].index = u32(&s);
		if (img->imports[i].kind > 3)
			s.bad = true;
	}
	close_section(&r, &s);

	section(&r, GATE__SEC_FUNCS, &s);
	img->nfuncs = count(&s, 28);
	img->nfunc_imports = u32(&s);
	if (img->nfunc_imports > img->nfuncs)
		s.bad = true;
	img->funcs = array(&s, img->nfuncs, sizeof(*img->funcs));
	{
		/* local runs: a first pass counts them for one allocation */
		struct rd scan = s;

		for (uint32_t i = 0; i < img->nfuncs && !scan.bad; i++) {
			uint32_t n;

			bytes(&scan, 16);
			name(&scan);
			bytes(&scan, 4);
			n = count(&scan, 5);
			bytes(&scan, (size_t)n * 5);
			nitems += n;
		}
		if (scan.bad)
			s.bad = true;
		img->runs = array(&s, nitems, sizeof(*img->runs));
		nitems = 0;
	}
	for (uint32_t i = 0, at = 0; i < img->nfuncs && !s.bad; i++) {
		struct rt_func *f = &img->funcs[i];

		f->type = u32(&s);
		f->off = u32(&s);
		f->len = u32(&s);
		f->body = u32(&s);
		f->name = name(&s);
		f->frame = u32(&s);
		f->nruns = count(&s, 5);
		f->runs = img->runs + at;
		for (uint32_t k = 0; k < f->nruns && !s.bad; k++) {
			img->runs[at + k].count = u32(&s);
			img->runs[at + k].type = u8(&s);
		}
		at += f->nruns;
		if (f->type >= img->ntypes || !locals_ok(img, f, i < img->nfunc_imports))
			s.bad = true;
	}
	close_section(&r, &s);

	section(&r, GATE__SEC_TABLES, &s);
	img->ntables = count(&s, 10);
	img->ntable_imports = u32(&s);
	img->tables = array(&s, img->ntables, sizeof(*img->tables));
	for (uint32_t i = 0; i < img->ntables && !s.bad; i++) {
		img->tables[i].elem = u8(&s);
		img->tables[i].lim = limits(&s);
		if (!reftype(img->tables[i].elem))
			s.bad = true;
	}
	if (img->ntable_imports > img->ntables)
		s.bad = true;
	close_section(&r, &s);

	section(&r, GATE__SEC_MEMS, &s);
	img->nmems = count(&s, 9);
	img->nmem_imports = u32(&s);
	img->mems = array(&s, img->nmems, sizeof(*img->mems));
	for (uint32_t i = 0; i < img->nmems && !s.bad; i++) {
		img->mems[i] = limits(&s);
		if (img->mems[i].min > GATE__MAX_PAGES ||
		    (img->mems[i].has_max && img->mems[i].max > GATE__MAX_PAGES))
			s.bad = true;
	}
	if (img->nmem_imports > img->nmems || img->nmems > 1)
		s.bad = true;
	close_section(&r, &s);

	section(&r, GATE__SEC_GLOBALS, &s);
	img->nglobals = count(&s, 11);
	img->nglobal_imports = u32(&s);
	img->globals = array(&s, img->nglobals, sizeof(*img->globals));
	for (uint32_t i = 0; i < img->nglobals && !s.bad; i++) {
		img->globals[i].type = u8(&s);
		img->globals[i].mut = u8(&s) != 0;
		img->globals[i].init = expr(&s);
		if (!valtype(img->globals[i].type))
			s.bad = true;
	}
	if (img->nglobal_imports > img->nglobals)
		s.bad = true;
	for (uint32_t i = img->nglobal_imports; i < img->nglobals && !s.bad; i++)
		if (!check_expr(img, &img->globals[i].init, img->globals[i].type))
			s.bad = true;
	close_section(&r, &s);

	/* imports: kinds and indices must match the spaces just read */
	for (uint32_t i = 0, nf = 0, nt = 0, nm = 0, ng = 0; i < img->nimports && !r.bad; i++) {
		struct rt_import *im = &img->imports[i];
		uint32_t *n = im->kind == 0 ? &nf : im->kind == 1 ? &nt : im->kind == 2 ? &nm : &ng;
		uint32_t lim = im->kind == 0 ? img->nfunc_imports
			       : im->kind == 1 ? img->ntable_imports
			       : im->kind == 2 ? img->nmem_imports
					       : img->nglobal_imports;

		if (im->index != *n || *n >= lim)
			r.bad = true;
		(*n)++;
	}

	section(&r, GATE__SEC_EXPORTS, &s);
	img->nexports = count(&s, 9);
	img->exports = array(&s, img->nexports, sizeof(*img->exports));
	for (uint32_t i = 0; i < img->nexports && !s.bad; i++) {
		struct rt_exportdef *e = &img->exports[i];
		uint32_t lim;

		e->name = name(&s);
		e->kind = u8(&s);
		e->index = u32(&s);
		lim = e->kind == 0 ? img->nfuncs : e->kind == 1 ? img->ntables
						: e->kind == 2 ? img->nmems : img->nglobals;
		if (e->kind > 3 || e->index >= lim)
			s.bad = true;
	}
	close_section(&r, &s);

	section(&r, GATE__SEC_START, &s);
	img->start = u32(&s);
	if (img->start != GATE__RT_NONE && img->start >= img->nfuncs)
		s.bad = true;
	close_section(&r, &s);

	section(&r, GATE__SEC_ELEMS, &s);
	img->nelems = count(&s, 19);
	img->elems = array(&s, img->nelems, sizeof(*img->elems));
	{
		/* items: a first pass counts them for one allocation */
		struct rd scan = s;

		for (uint32_t i = 0; i < img->nelems && !scan.bad; i++) {
			uint32_t n;

			bytes(&scan, 2 + 4 + 9);
			n = count(&scan, 9);
			bytes(&scan, (size_t)n * 9);
			nitems += n;
		}
		if (scan.bad)
			s.bad = true;
	}
	img->items = array(&s, nitems, sizeof(*img->items));
	for (uint32_t i = 0, at = 0; i < img->nelems && !s.bad; i++) {
		struct rt_elemdef *e = &img->elems[i];

		e->mode = u8(&s);
		e->type = u8(&s);
		e->table = u32(&s);
		e->offset = expr(&s);
		e->count = count(&s, 9);
		e->items = img->items + at;
		for (uint32_t k = 0; k < e->count && !s.bad; k++) {
			e->items[k] = expr(&s);
			if (!check_expr(img, &e->items[k], e->type))
				s.bad = true;
		}
		at += e->count;
		if (e->mode > 2 || !reftype(e->type) ||
		    (e->mode == 0 && (e->table >= img->ntables || !check_expr(img, &e->offset, 0x7f))))
			s.bad = true;
	}
	close_section(&r, &s);

	section(&r, GATE__SEC_DATAS, &s);
	img->ndatas = count(&s, 18);
	img->datas = array(&s, img->ndatas, sizeof(*img->datas));
	for (uint32_t i = 0; i < img->ndatas && !s.bad; i++) {
		struct rt_datadef *d = &img->datas[i];

		d->mode = u8(&s);
		d->memory = u32(&s);
		d->offset = expr(&s);
		d->len = u32(&s);
		d->bytes = bytes(&s, d->len);
		if (d->mode > 1 ||
		    (d->mode == 0 && (d->memory >= img->nmems || !check_expr(img, &d->offset, 0x7f))))
			s.bad = true;
	}
	close_section(&r, &s);

	section(&r, GATE__SEC_CODE, &s);
	img->code_len = u32(&s);
	{
		const uint8_t *code = bytes(&s, img->code_len);

		if (code && img->code_len) {
			img->code_map = (img->code_len + 4095) & ~(size_t)4095;
			/* In a sandbox, from the code arena (RW until sealed below). */
			if (gate__rt_arenas_on())
				img->code = gate__rt_arena_code(img->code_map);
			else
				img->code = mmap(NULL, img->code_map, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (img->code == MAP_FAILED || img->code == NULL) {
				img->code = NULL;
				s.bad = true;
			} else {
				memcpy(img->code, code, img->code_len);
			}
		} else {
			s.bad = true;
		}
	}
	close_section(&r, &s);
	for (uint32_t i = 0; i < img->ntypes && !r.bad; i++) {
		const struct rt_type *t = &img->types[i];

		if (!in_code(img, t->entry) || (t->host == GATE__RT_NONE) != (t->host_ret == GATE__RT_NONE) ||
		    (t->host != GATE__RT_NONE && (!in_code(img, t->host) || !in_code(img, t->host_ret))))
			r.bad = true;
	}
	img->funcs_lo = (uint32_t)img->code_len;
	for (uint32_t i = 0; i < img->nfuncs && !r.bad; i++) {
		struct rt_func *f = &img->funcs[i];

		if (i < img->nfunc_imports) {
			if (img->types[f->type].host == GATE__RT_NONE)
				r.bad = true;
		} else if (!in_code(img, f->off) || f->len > img->code_len - f->off) {
			r.bad = true;
		} else {
			if (f->off < img->funcs_lo)
				img->funcs_lo = f->off;
			if (f->off + f->len > img->funcs_hi)
				img->funcs_hi = f->off + f->len;
		}
	}

	section(&r, GATE__SEC_CALLSITES, &s);
	img->ncalls = count(&s, GATE__CALLSITE_SIZE);
	img->calls = dup(&s, (size_t)img->ncalls * GATE__CALLSITE_SIZE);
	close_section(&r, &s);

	section(&r, GATE__SEC_MEMSITES, &s);
	img->nmemsites = count(&s, 12);
	img->memsites = dup(&s, (size_t)img->nmemsites * 12);
	close_section(&r, &s);

	section(&r, GATE__SEC_MAPS, &s);
	img->maps_len = u32(&s);
	img->maps = bytes(&s, img->maps_len);
	close_section(&r, &s);

	section(&r, GATE__SEC_END, &s);
	close_section(&r, &s);
	if (r.bad || r.p != r.end)
		return false;

	/* sites sorted, inside their function's code, maps inside the blob
	 * and the frame, callees and immediates inside their spaces */
	for (uint32_t i = 0; i < img->ncalls; i++) {
		const struct gate__callsite *c = &img->calls[i];

		if (c->ret > img->code_len || (i && c->ret <= img->calls[i - 1].ret) || !site_ok(img, c))
			return false;
	}
	for (uint32_t i = 0; i < img->nmemsites; i++) {
		const struct gate__memsite_rt *m = &img->memsites[i];

		if (m->code >= img->code_len || (i && m->code <= img->memsites[i - 1].code) ||
		    m->func >= img->nfuncs)
			return false;
	}
	return true;
}

void gate__rt_image_free(struct rt_image *img)
{
	if (img == NULL)
		return;
	/* arena code is never reused: it goes with the process */
	if (img->code && !gate__rt_arenas_on())
		munmap(img->code, img->code_map);
	free(img->types);
	free(img->imports);
	free(img->funcs);
	free(img->runs);
	free(img->tables);
	free(img->mems);
	free(img->globals);
	free(img->exports);
	free(img->elems);
	free(img->items);
	free(img->datas);
	free((void *)img->calls);
	free((void *)img->memsites);
	free(img->bytes);
	free(img);
}

int gate__rt_image_load(const uint8_t *bytes_, size_t len, struct rt_image **out, char *err,
			size_t err_len)
{
	struct rt_image *img = calloc(1, sizeof(*img));

	if (img == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot load image: out of memory");
	img->bytes = malloc(len ? len : 1);
	if (img->bytes == NULL) {
		free(img);
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot load image: out of memory");
	}
	memcpy(img->bytes, bytes_, len);
	img->len = len;
	if (!parse(img)) {
		gate__rt_image_free(img);
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot load image: corrupted or from another compiler version");
	}
	if (mprotect(img->code, img->code_map, PROT_READ | PROT_EXEC) != 0) {
		gate__rt_image_free(img);
		return gate__errorf(err, err_len, GATE_INTERNAL, "Cannot load image: mprotect failed");
	}
	*out = img;
	return GATE_OK;
}

const struct gate__callsite *gate__rt_callsite(const struct rt_image *img, uint32_t ret)
{
	uint32_t lo = 0, hi = img->ncalls;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (img->calls[mid].ret == ret)
			return &img->calls[mid];
		if (img->calls[mid].ret < ret)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct gate__memsite_rt *gate__rt_memsite(const struct rt_image *img, uint32_t code)
{
	uint32_t lo = 0, hi = img->nmemsites;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (img->memsites[mid].code == code)
			return &img->memsites[mid];
		if (img->memsites[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint32_t gate__rt_func_sites(const struct rt_image *img, uint32_t f,
			     const struct gate__callsite **first)
{
	const struct rt_func *fn = &img->funcs[f];
	uint32_t lo = 0, hi = img->ncalls, n = 0;

	/* sites are sorted and every one lies in its function's code */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (img->calls[mid].ret <= fn->off)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = img->calls + lo;
	while (lo + n < img->ncalls && img->calls[lo + n].ret <= fn->off + fn->len)
		n++;
	return n;
}
