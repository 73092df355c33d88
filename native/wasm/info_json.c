/*
 * gate_module_info: the module's interface as JSON (ModuleInfo in
 * ffi/module.ts). The writer counts every byte but stores only those that fit
 * in the caller's buffer, so it needs no allocation and a caller can size its
 * buffer from the first call's result.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "module.h"

struct jw {
	uint8_t *buf;
	size_t cap;
	size_t len; /* bytes the whole document needs */
};

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->len < w->cap) {
		size_t k = w->cap - w->len < n ? w->cap - w->len : n;

		memcpy(w->buf + w->len, s, k);
	}
	w->len += n;
}

static void puts_(struct jw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void putu(struct jw *w, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	put(w, tmp, (size_t)n);
}

/* A JSON string: names are valid UTF-8 already, so only ", \ and control
 * characters need escapes. */
static void putstr(struct jw *w, const uint8_t *s, size_t n)
{
	size_t run = 0;

	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char esc[8];

		if (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
			continue;
		put(w, (const char *)s + run, i - run);
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			put(w, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			put(w, esc, 6);
		}
		run = i + 1;
	}
	put(w, (const char *)s + run, n - run);
	put(w, "\"", 1);
}

static void putspan(struct jw *w, const struct gate_module *m, const struct gate__span *sp)
{
	putstr(w, m->bytes + sp->off, sp->len);
}

static void put_types(struct jw *w, const uint8_t *t, uint32_t n)
{
	put(w, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			put(w, ",", 1);
		put(w, "\"", 1);
		puts_(w, gate__valtype_name(t[i]));
		put(w, "\"", 1);
	}
	put(w, "]", 1);
}

static void put_functype(struct jw *w, const struct gate__functype *t)
{
	puts_(w, "{\"params\":");
	put_types(w, t->types, t->nparams);
	puts_(w, ",\"results\":");
	put_types(w, gate__results(t), t->nresults);
	put(w, "}", 1);
}

static void put_bounds(struct jw *w, const struct gate__bounds *b)
{
	puts_(w, "\"minimum\":");
	putu(w, b->min);
	if (b->has_max) {
		puts_(w, ",\"maximum\":");
		putu(w, b->max);
	}
}

static void put_memory(struct jw *w, const struct gate__bounds *b)
{
	put(w, "{", 1);
	put_bounds(w, b);
	put(w, "}", 1);
}

static void put_table(struct jw *w, const struct gate__table *t)
{
	puts_(w, "{\"element\":\"");
	puts_(w, gate__valtype_name(t->elem));
	puts_(w, "\",");
	put_bounds(w, &t->lim);
	put(w, "}", 1);
}

static void put_global(struct jw *w, const struct gate__global *g)
{
	puts_(w, "{\"value\":\"");
	puts_(w, gate__valtype_name(g->type));
	puts_(w, g->mut ? "\",\"mutable\":true}" : "\",\"mutable\":false}");
}

static const char *const kind_name[4] = { "function", "table", "memory", "global" };

static void put_extern_type(struct jw *w, const struct gate_module *m, uint8_t kind,
			    uint32_t index)
{
	switch (kind) {
	case GATE__EXT_FUNC:
		put_functype(w, gate__func_type(m, index));
		break;
	case GATE__EXT_TABLE:
		put_table(w, &m->tables[index]);
		break;
	case GATE__EXT_MEMORY:
		put_memory(w, &m->mems[index]);
		break;
	default:
		put_global(w, &m->globals[index]);
		break;
	}
}

GATE_API int64_t gate_module_info(const gate_module *m, uint8_t *buf, size_t len)
{
	struct jw w = { buf, buf ? len : 0, 0 };

	if (m == NULL)
		return -1;
	puts_(&w, "{\"imports\":[");
	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct gate__import *im = &m->imports[i];

		puts_(&w, i ? ",{\"module\":" : "{\"module\":");
		putspan(&w, m, &im->module);
		puts_(&w, ",\"name\":");
		putspan(&w, m, &im->name);
		puts_(&w, ",\"kind\":\"");
		puts_(&w, kind_name[im->kind]);
		puts_(&w, "\",\"type\":");
		put_extern_type(&w, m, im->kind, im->index);
		put(&w, "}", 1);
	}
	puts_(&w, "],\"exports\":[");
	for (uint32_t i = 0; i < m->nexports; i++) {
		const struct gate__export *e = &m->exports[i];

		puts_(&w, i ? ",{\"name\":" : "{\"name\":");
		putspan(&w, m, &e->name);
		puts_(&w, ",\"kind\":\"");
		puts_(&w, kind_name[e->kind]);
		puts_(&w, "\",\"index\":");
		putu(&w, e->index);
		puts_(&w, ",\"type\":");
		put_extern_type(&w, m, e->kind, e->index);
		put(&w, "}", 1);
	}
	puts_(&w, "],\"functions\":");
	putu(&w, m->nfuncs);
	puts_(&w, ",\"memories\":[");
	for (uint32_t i = 0; i < m->nmems; i++) {
		if (i)
			put(&w, ",", 1);
		put_memory(&w, &m->mems[i]);
	}
	puts_(&w, "],\"tables\":[");
	for (uint32_t i = 0; i < m->ntables; i++) {
		if (i)
			put(&w, ",", 1);
		put_table(&w, &m->tables[i]);
	}
	puts_(&w, "],\"globals\":[");
	for (uint32_t i = 0; i < m->nglobals; i++) {
		if (i)
			put(&w, ",", 1);
		put_global(&w, &m->globals[i]);
	}
	puts_(&w, "],\"start\":");
	if (m->has_start)
		putu(&w, m->start);
	else
		puts_(&w, "null");
	puts_(&w, ",\"customSections\":[");
	for (uint32_t i = 0; i < m->ncustom; i++) {
		if (i)
			put(&w, ",", 1);
		putspan(&w, m, &m->custom[i]);
	}
	puts_(&w, "],\"functionNames\":[");
	for (uint32_t i = 0; i < m->nfnames; i++) {
		puts_(&w, i ? ",[" : "[");
		putu(&w, m->fnames[i].index);
		put(&w, ",", 1);
		putspan(&w, m, &m->fnames[i].name);
		put(&w, "]", 1);
	}
	puts_(&w, "]}");
	return (int64_t)w.len;
}
