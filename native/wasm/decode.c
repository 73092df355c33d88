/*
 * Module decoding: the preamble, the section sequence and every section but
 * the element and data sections (segments.c). Module-level validation is
 * done here as each entry is read, so no second pass is needed; function
 * bodies are only delimited here and validated later (body.c), once the
 * name section is known for error messages.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "hash.h"

/* Rank of each section id in the required order (spec 5.5.2); custom is 0. */
static const uint8_t section_rank[13] = {
	[1] = 1, [2] = 2, [3] = 3,   [4] = 4,   [5] = 5,   [6] = 6,  [7] = 7,
	[8] = 8, [9] = 9, [12] = 10, [10] = 11, [11] = 12,
};

static const char *const kind_name[4] = { "function", "table", "memory", "global" };

#define MAX_PAGES 65536u /* 4 GiB of 64 KiB pages: spec 3.2.4 */

int gate__get_u8(struct gate__ctx *c, struct gate__reader *r, uint8_t *out)
{
	int e = gate__read_u8(r, out);

	return e ? gate__fail_read(c, e, gate__off(r)) : 0;
}

int gate__get_u32(struct gate__ctx *c, struct gate__reader *r, uint32_t *out)
{
	int e = gate__read_u32(r, out);

	return e ? gate__fail_read(c, e, gate__off(r)) : 0;
}

int gate__get_valtype(struct gate__ctx *c, struct gate__reader *r, uint8_t *out)
{
	size_t off = gate__off(r);
	int ret = gate__get_u8(c, r, out);

	if (ret)
		return ret;
	if (!gate__is_valtype(*out))
		return gate__fail(c, GATE_MALFORMED, off, "malformed value type 0x%02x", *out);
	return 0;
}

int gate__get_reftype(struct gate__ctx *c, struct gate__reader *r, uint8_t *out)
{
	size_t off = gate__off(r);
	int ret = gate__get_u8(c, r, out);

	if (ret)
		return ret;
	if (!gate__is_reftype(*out))
		return gate__fail(c, GATE_MALFORMED, off, "malformed reference type 0x%02x", *out);
	return 0;
}

int gate__get_name(struct gate__ctx *c, struct gate__reader *r, struct gate__span *out)
{
	size_t off = gate__off(r);
	uint32_t len;
	int ret = gate__get_u32(c, r, &len);

	if (ret)
		return ret;
	if (len > gate__left(r))
		return gate__fail(c, GATE_MALFORMED, off,
				  "length out of bounds: name of %u bytes, %zu left", len,
				  gate__left(r));
	if (!gate__utf8_valid(r->p, len))
		return gate__fail(c, GATE_MALFORMED, off, "malformed UTF-8 encoding");
	out->off = (uint32_t)gate__off(r);
	out->len = len;
	r->p += len;
	return 0;
}

int gate__get_count(struct gate__ctx *c, struct gate__reader *r, uint32_t limit,
		    const char *what, size_t min_size, uint32_t *out)
{
	size_t off = gate__off(r);
	int ret = gate__get_u32(c, r, out);

	if (ret)
		return ret;
	if (*out > gate__left(r) / min_size)
		return gate__fail(c, GATE_MALFORMED, off,
				  "unexpected end: %u %s cannot fit in the %zu bytes left", *out,
				  what, gate__left(r));
	if (*out > limit)
		return gate__fail(c, GATE_LIMIT, off, "too many %s: %u exceeds the limit of %u",
				  what, *out, limit);
	return 0;
}

/* Checks that total = have + more fits under limit, for index spaces. */
static int check_total(struct gate__ctx *c, size_t off, uint32_t have, uint32_t more,
		       uint32_t limit, const char *what)
{
	if ((uint64_t)have + more > limit)
		return gate__fail(c, GATE_LIMIT, off, "too many %s: %llu exceeds the limit of %u",
				  what, (unsigned long long)have + more, limit);
	return 0;
}

/* Grows *arr to hold n entries of size sz; returns -1 when out of memory. */
static int resize(struct gate__ctx *c, void **arr, size_t n, size_t sz)
{
	void *p = realloc(*arr, (n ? n : 1) * sz);

	if (p == NULL)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	*arr = p;
	return 0;
}

static int read_limits(struct gate__ctx *c, struct gate__reader *r, struct gate__bounds *out)
{
	size_t off = gate__off(r);
	uint8_t flags;
	int ret = gate__get_u8(c, r, &flags);

	if (ret)
		return ret;
	if (flags > 1)
		return gate__fail(c, GATE_MALFORMED, off, "malformed limits flags 0x%02x", flags);
	ret = gate__get_u32(c, r, &out->min);
	if (ret)
		return ret;
	out->has_max = flags == 1;
	out->max = 0;
	if (out->has_max) {
		ret = gate__get_u32(c, r, &out->max);
		if (ret)
			return ret;
		if (out->min > out->max)
			return gate__fail(c, GATE_INVALID, off,
					  "size minimum must not be greater than maximum: %u > %u",
					  out->min, out->max);
	}
	return 0;
}

static int read_memory(struct gate__ctx *c, struct gate__reader *r, struct gate__bounds *out)
{
	size_t off = gate__off(r);
	int ret = read_limits(c, r, out);

	if (ret)
		return ret;
	if (out->min > MAX_PAGES || (out->has_max && out->max > MAX_PAGES))
		return gate__fail(c, GATE_INVALID, off,
				  "memory size must be at most 65536 pages (4GiB)");
	return 0;
}

static int read_table(struct gate__ctx *c, struct gate__reader *r, struct gate__table *out,
		      bool defined)
{
	size_t off;
	int ret = gate__get_reftype(c, r, &out->elem);

	if (ret)
		return ret;
	off = gate__off(r);
	ret = read_limits(c, r, &out->lim);
	if (ret)
		return ret;
	if (defined && out->lim.min > c->lim->table_size)
		return gate__fail(c, GATE_LIMIT, off,
				  "table of %u elements exceeds the limit of %u", out->lim.min,
				  c->lim->table_size);
	return 0;
}

static int read_global_type(struct gate__ctx *c, struct gate__reader *r,
			    struct gate__global *out)
{
	size_t off;
	uint8_t mut;
	int ret = gate__get_valtype(c, r, &out->type);

	if (ret)
		return ret;
	off = gate__off(r);
	ret = gate__get_u8(c, r, &mut);
	if (ret)
		return ret;
	if (mut > 1)
		return gate__fail(c, GATE_MALFORMED, off, "malformed mutability 0x%02x", mut);
	out->mut = mut;
	return 0;
}

static int add_memory(struct gate__ctx *c, size_t off)
{
	if (c->m->nmems + 1 > 1)
		return gate__fail(c, GATE_INVALID, off, "multiple memories");
	return check_total(c, off, c->m->nmems, 1, c->lim->memories, "memories");
}

static bool same_type(const struct gate__functype *a, const struct gate__functype *b)
{
	return a->nparams == b->nparams && a->nresults == b->nresults &&
	       !memcmp(a->types, b->types, (size_t)a->nparams + a->nresults);
}

/*
 * Makes type i canonical: an earlier identical type lends it its `types`
 * and index. slots is an open-addressing set of cap (a power of two) entries,
 * type index + 1 each, so the whole section is deduplicated in linear time.
 */
static void canonicalize(struct gate_module *m, uint32_t i, uint32_t *slots, uint32_t cap,
			 uint64_t key)
{
	struct gate__functype *t = &m->types[i];
	size_t len = (size_t)t->nparams + t->nresults;
	uint32_t h = (uint32_t)gate__hash(key ^ t->nparams, t->types, len) & (cap - 1);

	for (; slots[h]; h = (h + 1) & (cap - 1)) {
		const struct gate__functype *o = &m->types[slots[h] - 1];

		if (same_type(o, t)) {
			t->types = o->types;
			t->canon = o->canon;
			return;
		}
	}
	slots[h] = i + 1;
	t->canon = i;
}

static int decode_types(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	uint32_t n, used = 0, cap = 2, *slots;
	uint64_t key = gate__hash_key();
	int ret = gate__get_count(c, r, c->lim->types, "types", 3, &n);

	if (ret)
		return ret;
	while (cap < 2 * (uint64_t)n)
		cap *= 2;
	m->types = calloc(n ? n : 1, sizeof(*m->types));
	/* every value type takes one byte of the section */
	m->type_pool = malloc(gate__left(r) ? gate__left(r) : 1);
	slots = calloc(cap, sizeof(*slots));
	if (m->types == NULL || m->type_pool == NULL || slots == NULL) {
		ret = gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
		goto out_free_slots;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct gate__functype *t = &m->types[i];
		size_t off = gate__off(r);
		uint8_t form;

		ret = gate__get_u8(c, r, &form);
		if (ret)
			goto out_free_slots;
		if (form != 0x60) {
			ret = gate__fail(c, GATE_MALFORMED, off, "malformed function type 0x%02x",
					 form);
			goto out_free_slots;
		}
		t->types = m->type_pool + used;
		ret = gate__get_count(c, r, c->lim->params, "parameters", 1, &t->nparams);
		for (uint32_t j = 0; !ret && j < t->nparams; j++)
			ret = gate__get_valtype(c, r, &m->type_pool[used++]);
		if (!ret)
			ret = gate__get_count(c, r, c->lim->results, "results", 1, &t->nresults);
		for (uint32_t j = 0; !ret && j < t->nresults; j++)
			ret = gate__get_valtype(c, r, &m->type_pool[used++]);
		if (ret)
			goto out_free_slots;
		canonicalize(m, i, slots, cap, key);
		m->ntypes++;
	}
out_free_slots:
	free(slots);
	return ret;
}

static int decode_import(struct gate__ctx *c, struct gate__reader *r, struct gate__import *im)
{
	struct gate_module *m = c->m;
	size_t off;
	uint8_t kind;
	uint32_t ti;
	int ret;

	ret = gate__get_name(c, r, &im->module);
	if (!ret)
		ret = gate__get_name(c, r, &im->name);
	if (ret)
		return ret;
	off = gate__off(r);
	ret = gate__get_u8(c, r, &kind);
	if (ret)
		return ret;
	im->kind = kind;
	switch (kind) {
	case GATE__EXT_FUNC:
		ret = gate__get_u32(c, r, &ti);
		if (ret)
			return ret;
		if (ti >= m->ntypes)
			return gate__fail(c, GATE_INVALID, off + 1, "unknown type %u", ti);
		ret = check_total(c, off, m->nfuncs, 1, c->lim->functions, "functions");
		if (ret)
			return ret;
		im->index = m->nfuncs;
		m->func_types[m->nfuncs++] = ti;
		m->nfunc_imports++;
		return 0;
	case GATE__EXT_TABLE:
		ret = check_total(c, off, m->ntables, 1, c->lim->tables, "tables");
		if (!ret)
			ret = read_table(c, r, &m->tables[m->ntables], false);
		if (ret)
			return ret;
		im->index = m->ntables++;
		m->ntable_imports++;
		return 0;
	case GATE__EXT_MEMORY:
		ret = read_memory(c, r, &m->mems[m->nmems]);
		if (!ret)
			ret = add_memory(c, off);
		if (ret)
			return ret;
		im->index = m->nmems++;
		m->nmem_imports++;
		return 0;
	case GATE__EXT_GLOBAL:
		ret = check_total(c, off, m->nglobals, 1, c->lim->globals, "globals");
		if (!ret)
			ret = read_global_type(c, r, &m->globals[m->nglobals]);
		if (ret)
			return ret;
		m->globals[m->nglobals].imported = true;
		m->globals[m->nglobals].init = 0;
		im->index = m->nglobals++;
		m->nglobal_imports++;
		return 0;
	}
	return gate__fail(c, GATE_MALFORMED, off, "malformed import kind 0x%02x", kind);
}

static int decode_imports(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	uint32_t n;
	int ret = gate__get_count(c, r, c->lim->imports, "imports", 4, &n);

	if (ret)
		return ret;
	/* Each kind gets room for n; the defining sections grow them later. */
	m->imports = calloc(n ? n : 1, sizeof(*m->imports));
	m->func_types = calloc(n ? n : 1, sizeof(*m->func_types));
	m->tables = calloc(n ? n : 1, sizeof(*m->tables));
	m->mems = calloc(n ? n : 1, sizeof(*m->mems));
	m->globals = calloc(n ? n : 1, sizeof(*m->globals));
	if (!m->imports || !m->func_types || !m->tables || !m->mems || !m->globals)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		ret = decode_import(c, r, &m->imports[i]);
		if (ret)
			return ret;
		m->nimports++;
	}
	return 0;
}

static int decode_functions(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	size_t off = gate__off(r);
	uint32_t n;
	int ret = gate__get_count(c, r, UINT32_MAX, "functions", 1, &n);

	if (!ret)
		ret = check_total(c, off, m->nfuncs, n, c->lim->functions, "functions");
	if (!ret)
		ret = resize(c, (void **)&m->func_types, (size_t)m->nfuncs + n,
			     sizeof(*m->func_types));
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ti;

		off = gate__off(r);
		ret = gate__get_u32(c, r, &ti);
		if (ret)
			return ret;
		if (ti >= m->ntypes)
			return gate__fail(c, GATE_INVALID, off, "unknown type %u", ti);
		m->func_types[m->nfuncs++] = ti;
	}
	return 0;
}

static int decode_tables(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	size_t off = gate__off(r);
	uint32_t n;
	int ret = gate__get_count(c, r, UINT32_MAX, "tables", 3, &n);

	if (!ret)
		ret = check_total(c, off, m->ntables, n, c->lim->tables, "tables");
	if (!ret)
		ret = resize(c, (void **)&m->tables, (size_t)m->ntables + n, sizeof(*m->tables));
	for (uint32_t i = 0; !ret && i < n; i++) {
		ret = read_table(c, r, &m->tables[m->ntables], true);
		if (!ret)
			m->ntables++;
	}
	return ret;
}

static int decode_memories(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	uint32_t n;
	int ret = gate__get_count(c, r, UINT32_MAX, "memories", 2, &n);

	if (!ret)
		ret = resize(c, (void **)&m->mems, (size_t)m->nmems + n, sizeof(*m->mems));
	for (uint32_t i = 0; !ret && i < n; i++) {
		size_t off = gate__off(r);

		ret = read_memory(c, r, &m->mems[m->nmems]);
		if (!ret)
			ret = add_memory(c, off);
		if (!ret)
			m->nmems++;
	}
	return ret;
}

static int decode_globals(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	size_t off = gate__off(r);
	uint32_t n;
	int ret = gate__get_count(c, r, UINT32_MAX, "globals", 3, &n);

	if (!ret)
		ret = check_total(c, off, m->nglobals, n, c->lim->globals, "globals");
	if (!ret)
		ret = resize(c, (void **)&m->globals, (size_t)m->nglobals + n,
			     sizeof(*m->globals));
	for (uint32_t i = 0; !ret && i < n; i++) {
		struct gate__global *g = &m->globals[m->nglobals];

		g->imported = false;
		ret = read_global_type(c, r, g);
		if (!ret)
			ret = gate__const_expr(c, r, g->type, &g->init);
		if (!ret)
			m->nglobals++;
	}
	return ret;
}

/* Export names must be unique (spec 3.4.10); an open-addressing set keeps
 * the check linear. */
static int check_export_names(struct gate__ctx *c)
{
	struct gate_module *m = c->m;
	uint32_t cap = 2, *slots;
	uint64_t key = gate__hash_key();
	int ret = 0;

	while (cap < 2 * (uint64_t)m->nexports)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	for (uint32_t i = 0; i < m->nexports && !ret; i++) {
		const struct gate__span *nm = &m->exports[i].name;
		const uint8_t *s = m->bytes + nm->off;
		uint32_t h = (uint32_t)gate__hash(key, s, nm->len) & (cap - 1);

		for (; slots[h]; h = (h + 1) & (cap - 1)) {
			const struct gate__span *o = &m->exports[slots[h] - 1].name;

			if (o->len == nm->len && !memcmp(m->bytes + o->off, s, nm->len)) {
				ret = gate__fail(c, GATE_INVALID, nm->off,
						 "duplicate export name \"%.*s\"",
						 (int)(nm->len > 64 ? 64 : nm->len), s);
				break;
			}
		}
		slots[h] = i + 1;
	}
	free(slots);
	return ret;
}

static int decode_exports(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	uint32_t n;
	int ret = gate__get_count(c, r, c->lim->exports, "exports", 3, &n);

	if (ret)
		return ret;
	m->exports = calloc(n ? n : 1, sizeof(*m->exports));
	if (m->exports == NULL)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct gate__export *e = &m->exports[i];
		size_t off;
		uint8_t kind;
		int64_t count;

		ret = gate__get_name(c, r, &e->name);
		if (ret)
			return ret;
		off = gate__off(r);
		ret = gate__get_u8(c, r, &kind);
		if (!ret)
			ret = gate__get_u32(c, r, &e->index);
		if (ret)
			return ret;
		count = gate__extern_count(m, kind);
		if (count < 0)
			return gate__fail(c, GATE_MALFORMED, off, "malformed export kind 0x%02x",
					  kind);
		e->kind = kind;
		if (e->index >= count)
			return gate__fail(c, GATE_INVALID, off + 1, "unknown %s %u",
					  kind_name[kind], e->index);
		if (kind == GATE__EXT_FUNC)
			gate__declare(m, e->index);
		m->nexports++;
	}
	return check_export_names(c);
}

static int decode_start(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	size_t off = gate__off(r);
	const struct gate__functype *t;
	int ret = gate__get_u32(c, r, &m->start);

	if (ret)
		return ret;
	if (m->start >= m->nfuncs)
		return gate__fail(c, GATE_INVALID, off, "unknown function %u", m->start);
	t = gate__func_type(m, m->start);
	if (t->nparams || t->nresults)
		return gate__fail(c, GATE_INVALID, off,
				  "start function %u must have type [] -> []", m->start);
	m->has_start = true;
	return 0;
}

static int decode_code(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	size_t off = gate__off(r);
	uint32_t n;
	int ret = gate__get_count(c, r, UINT32_MAX, "function bodies", 2, &n);

	if (ret)
		return ret;
	if (n != m->nfuncs - m->nfunc_imports)
		return gate__fail(c, GATE_MALFORMED, off,
				  "function and code section have inconsistent lengths: %u "
				  "functions, %u bodies",
				  m->nfuncs - m->nfunc_imports, n);
	m->code = calloc(n ? n : 1, sizeof(*m->code));
	if (m->code == NULL)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t size;

		off = gate__off(r);
		ret = gate__get_u32(c, r, &size);
		if (ret)
			return ret;
		if (size > gate__left(r))
			return gate__fail(c, GATE_MALFORMED, off,
					  "unexpected end of section or function: body of %u "
					  "bytes, %zu left",
					  size, gate__left(r));
		if (size > c->lim->body_size)
			return gate__fail(c, GATE_LIMIT, off,
					  "function body of %u bytes exceeds the limit of %u", size,
					  c->lim->body_size);
		m->code[i].off = (uint32_t)gate__off(r);
		m->code[i].size = size;
		r->p += size;
		m->ncode++;
	}
	return 0;
}

static int decode_custom(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	struct gate__span name;
	int ret = gate__get_name(c, r, &name);

	if (ret)
		return ret;
	/* grow by doubling at powers of two: linear in the number of sections */
	if ((m->ncustom & (m->ncustom - 1)) == 0) {
		ret = resize(c, (void **)&m->custom, m->ncustom ? 2 * (size_t)m->ncustom : 1,
			     sizeof(*m->custom));
		if (ret)
			return ret;
	}
	m->custom[m->ncustom++] = name;
	if (!m->has_names && name.len == 4 && !memcmp(m->bytes + name.off, "name", 4)) {
		m->has_names = true;
		m->names.off = (uint32_t)gate__off(r);
		m->names.len = (uint32_t)gate__left(r);
	}
	r->p = r->end; /* custom sections are not validated */
	return 0;
}

/* The function index space is complete once a section after it appears. */
static int close_functions(struct gate__ctx *c)
{
	struct gate_module *m = c->m;

	if (m->declared != NULL)
		return 0;
	m->declared = calloc(m->nfuncs / 8 + 1, 1);
	if (m->declared == NULL)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	return 0;
}

static int decode_section(struct gate__ctx *c, uint8_t id, struct gate__reader *s)
{
	struct gate_module *m = c->m;
	size_t off = gate__off(s);

	switch (id) {
	case 0:
		return decode_custom(c, s);
	case 1:
		return decode_types(c, s);
	case 2:
		return decode_imports(c, s);
	case 3:
		return decode_functions(c, s);
	case 4:
		return decode_tables(c, s);
	case 5:
		return decode_memories(c, s);
	case 6:
		return decode_globals(c, s);
	case 7:
		return decode_exports(c, s);
	case 8:
		return decode_start(c, s);
	case 9:
		return gate__decode_elems(c, s);
	case 10:
		return decode_code(c, s);
	case 11:
		return gate__decode_data(c, s);
	case 12:
		m->has_datacount = true;
		return gate__get_u32(c, s, &m->datacount);
	}
	return gate__fail(c, GATE_MALFORMED, off, "malformed section id %u", id);
}

int gate__decode_module(struct gate__ctx *c)
{
	struct gate_module *m = c->m;
	struct gate__reader r = { m->bytes, m->bytes + m->size, m->bytes };
	uint8_t last = 0;
	int ret;

	if (m->size < 4 || memcmp(m->bytes, "\0asm", 4))
		return gate__fail(c, GATE_MALFORMED, 0, "magic header not detected");
	if (m->size < 8 || memcmp(m->bytes + 4, "\1\0\0\0", 4))
		return gate__fail(c, GATE_MALFORMED, 4, "unknown binary version");
	r.p += 8;
	while (r.p < r.end) {
		size_t off = gate__off(&r);
		struct gate__reader s = r;
		uint8_t id;
		uint32_t size;

		ret = gate__get_u8(c, &r, &id);
		if (ret)
			return ret;
		if (id > 12)
			return gate__fail(c, GATE_MALFORMED, off, "malformed section id %u", id);
		ret = gate__get_u32(c, &r, &size);
		if (ret)
			return ret;
		if (size > gate__left(&r))
			return gate__fail(c, GATE_MALFORMED, off,
					  "length out of bounds: section of %u bytes, %zu left",
					  size, gate__left(&r));
		s.p = r.p;
		s.end = r.p + size;
		r.p += size;
		if (id != 0) {
			if (section_rank[id] <= last)
				return gate__fail(c, GATE_MALFORMED, off,
						  "unexpected content after last section: section "
						  "%u out of order",
						  id);
			last = section_rank[id];
			if (last > section_rank[3]) {
				ret = close_functions(c);
				if (ret)
					return ret;
			}
		}
		ret = decode_section(c, id, &s);
		if (ret)
			return ret;
		if (s.p != s.end)
			return gate__fail(c, GATE_MALFORMED, gate__off(&s),
					  "section size mismatch: %zu bytes left in section %u",
					  gate__left(&s), id);
	}
	ret = close_functions(c);
	if (ret)
		return ret;
	if (m->ncode != m->nfuncs - m->nfunc_imports)
		return gate__fail(c, GATE_MALFORMED, m->size,
				  "function and code section have inconsistent lengths: %u "
				  "functions, %u bodies",
				  m->nfuncs - m->nfunc_imports, m->ncode);
	if (m->has_datacount && m->datacount != m->ndata)
		return gate__fail(c, GATE_MALFORMED, m->size,
				  "data count and data section have inconsistent lengths: %u, %u",
				  m->datacount, m->ndata);
	return 0;
}
