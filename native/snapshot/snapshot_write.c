/*
 * The snapshot encoder (snapshot.h; layout in docs/snapshot.md): the
 * program's module with its state folded in. Sections that carry code or
 * types are copied byte for byte; those that carry state are regenerated.
 *
 * The output is assembled from pieces (byte ranges of the input module,
 * generated sections, memory runs) whose sizes are all known before the one
 * allocation, so memory is read once by the scan and copied once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/error.h"
#include "../rt/rt.h"
#include "../wasm/leb128.h"
#include "snapshot_internal.h"

#define PAGE 65536u
#define MAX_PAGES 65536u

enum piece_kind { P_REF, P_GEN, P_RUNS };

struct piece {
	uint8_t kind;
	size_t off; /* P_REF: in the module; P_GEN: in gen */
	size_t n;
};

struct enc {
	const uint8_t *mod;
	size_t mod_len;
	const struct gate_snapshot *st;
	gate_module *m;
	struct gate__ssec *secs;
	uint32_t nsecs;
	const struct gate__ssec *std[13]; /* standard sections by id */
	const struct gate__ssec *gsec[GATE__S_COUNT];
	uint32_t ndata, nelem;	/* the program's segments */
	const uint8_t *exports; /* export section payload, if any */
	size_t exports_len;
	uint8_t *covered; /* functions the snapshot's own sections declare */
	struct gate__sbuf gen;
	struct piece *pieces;
	uint32_t npieces, cap;
	struct gate__sruns runs;
	uint64_t runs_bytes;
	size_t size_at; /* gate.snapshot's size field in gen */
	char *err;
	size_t err_len;
};

static int fail(struct enc *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct enc *e, int status, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return gate__errorf(e->err, e->err_len, status, "Cannot encode snapshot: %s", detail);
}

static int oom(struct enc *e)
{
	return fail(e, GATE_OUT_OF_MEMORY, "out of memory");
}

static void mark(uint8_t *set, uint32_t f)
{
	set[f >> 3] |= (uint8_t)(1u << (f & 7));
}

/* ---- pieces ---- */

static int add_piece(struct enc *e, uint8_t kind, size_t off, size_t n)
{
	if (e->npieces == e->cap) {
		uint32_t cap = e->cap ? 2 * e->cap : 32;
		struct piece *p = realloc(e->pieces, cap * sizeof(*p));

		if (p == NULL)
			return oom(e);
		e->pieces = p;
		e->cap = cap;
	}
	e->pieces[e->npieces++] = (struct piece){kind, off, n};
	return 0;
}

/* A section of the module as it is: id, size and payload. */
static int add_verbatim(struct enc *e, const struct gate__ssec *s)
{
	return add_piece(e, P_REF, s->start, s->off + s->len - s->start);
}

/* A generated section; frees c. */
static int add_section(struct enc *e, uint8_t id, struct gate__sbuf *c)
{
	size_t at = e->gen.n;
	bool big = c->n > UINT32_MAX, bad = c->oom;

	if (!big) {
		gate__sbuf_u8(&e->gen, id);
		gate__sbuf_u32(&e->gen, (uint32_t)c->n);
		gate__sbuf_put(&e->gen, c->p, c->n);
	}
	gate__sbuf_free(c);
	if (big)
		return fail(e, GATE_LIMIT, "section %u exceeds 4 GiB", id);
	if (bad || e->gen.oom)
		return oom(e);
	return add_piece(e, P_GEN, at, e->gen.n - at);
}

/* A generated custom section; frees c. */
static int add_custom(struct enc *e, const char *name, struct gate__sbuf *c)
{
	struct gate__sbuf s = {0};
	size_t len = strlen(name);

	gate__sbuf_u32(&s, (uint32_t)len);
	gate__sbuf_put(&s, name, len);
	gate__sbuf_put(&s, c->p, c->n);
	if (c->oom) {
		gate__sbuf_free(&s);
		gate__sbuf_free(c);
		return oom(e);
	}
	gate__sbuf_free(c);
	return add_section(e, 0, &s);
}

/* ---- the input module ---- */

static int load(struct enc *e)
{
	gate_limits lim;
	int ret;

	gate_limits_default(&lim);
	lim.module_size = UINT32_MAX; /* a snapshot module carries its memory */
	ret = gate_module_decode(e->mod, e->mod_len, &lim, &e->m, e->err, e->err_len);
	if (ret)
		return ret;
	ret =
	    gate__ssec_split(e->mod, e->mod_len, &e->secs, &e->nsecs, "encode", e->err, e->err_len);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < e->nsecs; i++) {
		const struct gate__ssec *s = &e->secs[i];
		int g;

		if (s->id != 0) {
			e->std[s->id] = s;
			continue;
		}
		g = gate__sgate_of(s->name, s->name_len);
		if (g == GATE__S_NONE || g == GATE__S_COUNT)
			continue;
		if (e->gsec[g] != NULL)
			return fail(e, GATE_MALFORMED, "module has two %s sections",
				    gate__sgate_names[g]);
		e->gsec[g] = s;
	}
	e->ndata = e->m->ndata;
	e->nelem = e->m->nelems;
	if (e->gsec[GATE__S_SNAPSHOT] != NULL) {
		/* resumed from a snapshot: its own segments come first */
		const struct gate__ssec *s = e->gsec[GATE__S_SNAPSHOT];
		struct gate__shead h;

		ret = gate__shead_get(e->mod + s->body, s->body_len, &h, e->err, e->err_len);
		if (ret)
			return ret;
		if (h.ndata > e->m->ndata || h.nelem > e->m->nelems)
			return fail(e, GATE_MALFORMED,
				    "module's gate.snapshot counts more segments "
				    "than it has");
		e->ndata = h.ndata;
		e->nelem = h.nelem;
	}
	if (e->std[7] != NULL && e->gsec[GATE__S_EXPORT] != NULL)
		return fail(e, GATE_MALFORMED, "module has both exports and gate.export");
	if (e->std[7] != NULL) {
		e->exports = e->mod + e->std[7]->off;
		e->exports_len = e->std[7]->len;
	} else if (e->gsec[GATE__S_EXPORT] != NULL) {
		e->exports = e->mod + e->gsec[GATE__S_EXPORT]->body;
		e->exports_len = e->gsec[GATE__S_EXPORT]->body_len;
	}
	if (e->m->nmem_imports)
		return fail(e, GATE_UNSUPPORTED, "the module imports its memory");
	e->covered = calloc(e->m->nfuncs / 8 + 1, 1);
	return e->covered ? 0 : oom(e);
}

/* ---- the state ---- */

static int check_value(struct enc *e, const char *what, uint32_t i, const struct gate_pvalue *v,
		       uint8_t type)
{
	if (v->type != type)
		return fail(e, GATE_INVALID_ARGUMENT, "%s %u is %s, the module's is %s", what, i,
			    gate__stype_name(v->type), gate__stype_name(type));
	switch (type) {
	case GATE__I32:
	case GATE__F32:
		if (v->bits >> 32)
			break;
		return 0;
	case GATE__I64:
	case GATE__F64:
		return 0;
	case GATE__FUNCREF:
		if (v->bits != GATE_PNULL && v->bits >= e->m->nfuncs)
			break;
		return 0;
	case GATE__EXTERNREF:
		if (v->bits != GATE_PNULL)
			break;
		return 0;
	default:
		return fail(e, GATE_UNSUPPORTED, "%s %u is %s", what, i, gate__stype_name(type));
	}
	return fail(e, GATE_INVALID_ARGUMENT, "%s %u: %s value 0x%llx out of range", what, i,
		    gate__stype_name(type), (unsigned long long)v->bits);
}

static int check_memory(struct enc *e)
{
	const struct gate_module *m = e->m;
	const struct gate_snapshot *st = e->st;
	uint64_t pages = st->memory_len / PAGE;

	if (m->nmems == 0) {
		if (st->memory_len)
			return fail(e, GATE_INVALID_ARGUMENT,
				    "memory of %llu bytes, the module "
				    "has none",
				    (unsigned long long)st->memory_len);
		return 0;
	}
	if (st->memory_len % PAGE || (st->memory_len && st->memory == NULL))
		return fail(e, GATE_INVALID_ARGUMENT, "memory of %llu bytes is not whole pages",
			    (unsigned long long)st->memory_len);
	if (pages < m->mems[0].min || pages > MAX_PAGES ||
	    (m->mems[0].has_max && pages > m->mems[0].max))
		return fail(e, GATE_INVALID_ARGUMENT,
			    "memory of %llu pages is outside the "
			    "module's limits",
			    (unsigned long long)pages);
	return 0;
}

static int check_tables(struct enc *e)
{
	const struct gate_module *m = e->m;
	const struct gate_snapshot *st = e->st;
	uint32_t n = m->ntables - m->ntable_imports;

	if (st->ntables != n || (n && (st->table_len == NULL || st->tables == NULL)))
		return fail(e, GATE_INVALID_ARGUMENT, "%u tables, the module defines %u",
			    st->ntables, n);
	for (uint32_t k = 0; k < n; k++) {
		const struct gate__table *t = &m->tables[m->ntable_imports + k];
		uint32_t len = st->table_len[k];

		if (len < t->lim.min || (t->lim.has_max && len > t->lim.max) ||
		    (len && st->tables[k] == NULL))
			return fail(e, GATE_INVALID_ARGUMENT,
				    "table %u of %u elements is outside "
				    "the module's limits",
				    m->ntable_imports + k, len);
		if (len > m->limits.table_size)
			return fail(e, GATE_LIMIT,
				    "table %u of %u elements exceeds the limit of %u",
				    m->ntable_imports + k, len, m->limits.table_size);
		for (uint32_t i = 0; i < len; i++) {
			uint64_t x = st->tables[k][i];

			if (x != GATE_PNULL && (t->elem != GATE__FUNCREF || x >= m->nfuncs))
				return fail(e, GATE_INVALID_ARGUMENT,
					    "table %u element %u: "
					    "%s value 0x%llx out of range",
					    m->ntable_imports + k, i, gate__stype_name(t->elem),
					    (unsigned long long)x);
		}
	}
	return 0;
}

static int check_buffers(struct enc *e)
{
	const struct gate_snapshot *st = e->st;

	if ((st->input_len && st->input == NULL) || (st->output_len && st->output == NULL))
		return fail(e, GATE_INVALID_ARGUMENT, "no buffer for input or output");
	if (st->nservices > GATE_SNAPSHOT_MAX_SERVICES || (st->nservices && st->services == NULL))
		return fail(e, GATE_INVALID_ARGUMENT, "%u services, at most %u", st->nservices,
			    GATE_SNAPSHOT_MAX_SERVICES);
	for (uint32_t i = 0; i < st->nservices; i++) {
		const struct gate_snapshot_service *s = &st->services[i];

		if (s->name_len == 0 || s->name_len > GATE_SNAPSHOT_MAX_NAME)
			return fail(e, GATE_INVALID_ARGUMENT, "service %u: name of %u bytes", i,
				    s->name_len);
		if (s->state_len && s->state == NULL)
			return fail(e, GATE_INVALID_ARGUMENT, "service %u: no state buffer", i);
		for (uint32_t j = 0; j < i; j++)
			if (st->services[j].name_len == s->name_len &&
			    !memcmp(st->services[j].name, s->name, s->name_len))
				return fail(e, GATE_INVALID_ARGUMENT, "service \"%.*s\" twice",
					    (int)s->name_len, s->name);
	}
	return 0;
}

static int check_state(struct enc *e)
{
	const struct gate_module *m = e->m;
	const struct gate_snapshot *st = e->st;
	uint32_t nglob = m->nglobals - m->nglobal_imports;
	int ret;

	if (st->flags & ~GATE_SNAPSHOT_FINAL)
		return fail(e, GATE_INVALID_ARGUMENT, "unknown flags 0x%x", st->flags);
	if (st->trap > gate__strap_max())
		return fail(e, GATE_INVALID_ARGUMENT, "unknown trap %u", st->trap);
	if (st->result && st->trap != GATE_TRAP_EXIT)
		return fail(e, GATE_INVALID_ARGUMENT, "result %d without trap EXIT", st->result);
	ret = check_memory(e);
	if (ret)
		return ret;
	if (st->nglobals != nglob || (nglob && st->globals == NULL))
		return fail(e, GATE_INVALID_ARGUMENT, "%u globals, the module defines %u",
			    st->nglobals, nglob);
	for (uint32_t k = 0; k < nglob; k++) {
		ret = check_value(e, "global", m->nglobal_imports + k, &st->globals[k],
				  m->globals[m->nglobal_imports + k].type);
		if (ret)
			return ret;
	}
	ret = check_tables(e);
	if (ret)
		return ret;
	if (st->ndata < e->ndata || (e->ndata && st->data_dropped == NULL) ||
	    st->nelem < e->nelem || (e->nelem && st->elem_dropped == NULL))
		return fail(e, GATE_INVALID_ARGUMENT,
			    "dropped flags for %u data and %u element "
			    "segments, the program has %u and %u",
			    st->ndata, st->nelem, e->ndata, e->nelem);
	ret = check_buffers(e);
	if (ret)
		return ret;
	return gate__sstack_check(e->m, &st->stack, GATE_INVALID_ARGUMENT, "encode", e->err,
				  e->err_len);
}

/* ---- sections ---- */

static void put_limits(struct gate__sbuf *b, uint64_t min, const struct gate__bounds *lim)
{
	gate__sbuf_u8(b, lim->has_max);
	gate__sbuf_u64(b, min);
	if (lim->has_max)
		gate__sbuf_u32(b, lim->max);
}

/* Tables and memory: the original limits with the current size as the
 * minimum (a table may have grown too). */
static int put_tables(struct enc *e)
{
	const struct gate_module *m = e->m;
	struct gate__sbuf c = {0};

	if (e->std[4] == NULL)
		return 0;
	gate__sbuf_u32(&c, m->ntables - m->ntable_imports);
	for (uint32_t k = 0; k < m->ntables - m->ntable_imports; k++) {
		const struct gate__table *t = &m->tables[m->ntable_imports + k];

		gate__sbuf_u8(&c, t->elem);
		put_limits(&c, e->st->table_len[k], &t->lim);
	}
	return add_section(e, 4, &c);
}

static int put_memory(struct enc *e)
{
	struct gate__sbuf c = {0};

	if (e->std[5] == NULL)
		return 0;
	gate__sbuf_u32(&c, 1);
	put_limits(&c, e->st->memory_len / PAGE, &e->m->mems[0]);
	return add_section(e, 5, &c);
}

static void put_const(struct enc *e, struct gate__sbuf *c, const struct gate_pvalue *v)
{
	uint8_t raw[8];

	switch (v->type) {
	case GATE__I32:
		gate__sbuf_u8(c, 0x41);
		gate__sbuf_s32(c, (int32_t)(uint32_t)v->bits);
		break;
	case GATE__I64:
		gate__sbuf_u8(c, 0x42);
		gate__sbuf_s64(c, (int64_t)v->bits);
		break;
	case GATE__F32:
	case GATE__F64:
		for (int i = 0; i < 8; i++)
			raw[i] = (uint8_t)(v->bits >> (8 * i));
		gate__sbuf_u8(c, v->type == GATE__F32 ? 0x43 : 0x44);
		gate__sbuf_put(c, raw, v->type == GATE__F32 ? 4 : 8);
		break;
	default:
		if (v->bits == GATE_PNULL) {
			gate__sbuf_u8(c, 0xd0);
			gate__sbuf_u8(c, v->type);
		} else {
			gate__sbuf_u8(c, 0xd2);
			gate__sbuf_u32(c, (uint32_t)v->bits);
			mark(e->covered, (uint32_t)v->bits);
		}
	}
	gate__sbuf_u8(c, 0x0b);
}

/* Globals: current values as constant initialisers; imported globals are
 * in the import section, not the program's state. */
static int put_globals(struct enc *e)
{
	const struct gate_module *m = e->m;
	struct gate__sbuf c = {0};

	if (e->std[6] == NULL)
		return 0;
	gate__sbuf_u32(&c, m->nglobals - m->nglobal_imports);
	for (uint32_t k = 0; k < m->nglobals - m->nglobal_imports; k++) {
		const struct gate__global *g = &m->globals[m->nglobal_imports + k];

		gate__sbuf_u8(&c, g->type);
		gate__sbuf_u8(&c, g->mut);
		put_const(e, &c, &e->st->globals[k]);
	}
	return add_section(e, 6, &c);
}

static int put_head(struct enc *e)
{
	const struct gate_snapshot *st = e->st;
	struct gate__shead h = {GATE_SNAPSHOT_VERSION, st->flags, st->trap, st->result,
				st->monotonic,	       e->ndata,  e->nelem, 0};
	struct gate__sbuf c = {0};
	size_t at = gate__shead_put(&c, &h), tail = c.n - at;
	int ret = add_custom(e, gate__sgate_names[GATE__S_SNAPSHOT], &c);

	/* the payload ends the generated bytes: find the field from the end */
	e->size_at = e->gen.n - tail;
	return ret;
}

/* With a stack, the exports move into gate.export: nobody may start the
 * program at another entry. Without one they stay where they were. */
static int put_exports(struct enc *e)
{
	struct gate__sbuf c = {0};
	bool hide = e->st->stack.nframes > 0;
	int ret;

	if (e->exports == NULL)
		return 0;
	ret = gate__sexports_check(e->m, e->exports, e->exports_len, hide ? NULL : e->covered,
				   "encode", e->err, e->err_len);
	if (ret)
		return ret;
	gate__sbuf_put(&c, e->exports, e->exports_len);
	return hide ? add_custom(e, gate__sgate_names[GATE__S_EXPORT], &c) : add_section(e, 7, &c);
}

static void put_offset(struct gate__sbuf *c, uint64_t off)
{
	gate__sbuf_u8(c, 0x41);
	gate__sbuf_s32(c, (int32_t)(uint32_t)off);
	gate__sbuf_u8(c, 0x0b);
}

/* Current table contents: one active segment per run of non-null
 * elements, function indices as items. */
static uint64_t put_table_runs(struct enc *e, struct gate__sbuf *c)
{
	const struct gate_module *m = e->m;
	uint64_t nseg = 0;

	for (uint32_t k = 0; k < m->ntables - m->ntable_imports; k++) {
		uint32_t t = m->ntable_imports + k, len = e->st->table_len[k];
		const uint64_t *el = e->st->tables[k];

		if (m->tables[t].elem != GATE__FUNCREF)
			continue; /* only nulls: checked */
		for (uint32_t i = 0; i < len;) {
			uint32_t j = i;

			if (el[i] == GATE_PNULL) {
				i++;
				continue;
			}
			while (j < len && el[j] != GATE_PNULL)
				j++;
			nseg++;
			if (t == 0) {
				gate__sbuf_u8(c, 0x00);
			} else {
				gate__sbuf_u8(c, 0x02);
				gate__sbuf_u32(c, t);
			}
			put_offset(c, i);
			if (t != 0)
				gate__sbuf_u8(c, 0x00); /* elemkind funcref */
			gate__sbuf_u32(c, j - i);
			for (; i < j; i++) {
				gate__sbuf_u32(c, (uint32_t)el[i]);
				mark(e->covered, (uint32_t)el[i]);
			}
		}
	}
	return nseg;
}

/*
 * Elements, indices unchanged: the program's active segments and dropped
 * passive ones become declarative with the same items (they keep declaring
 * their functions and act as dropped), live passive ones stay as they are.
 * Then, if the module declared functions that no section of the snapshot
 * declares any more (exports moved into gate.export, a global that now
 * holds another function), one declarative segment declares them. Then the
 * table contents.
 */
static int put_elements(struct enc *e)
{
	const struct gate_module *m = e->m;
	const struct gate__ssec *sec = e->std[9];
	struct gate__sbuf c = {0}, body = {0}, tabs = {0};
	size_t at = sec ? gate__sseg_first(e->mod, sec->off, sec->len) : 0;
	uint64_t nseg = e->nelem;
	uint32_t ndecl = 0;

	for (uint32_t i = 0; i < e->nelem; i++) {
		const struct gate__elem *s = &m->elems[i];
		size_t end = gate__selem_walk(m, i, e->covered);

		if (at == 0 || end == 0) {
			gate__sbuf_free(&body);
			return fail(e, GATE_MALFORMED, "malformed element segment %u", i);
		}
		if (s->mode == GATE__SEG_PASSIVE && !e->st->elem_dropped[i]) {
			gate__sbuf_put(&body, e->mod + at, end - at);
		} else {
			gate__sbuf_u8(&body, s->exprs ? 0x07 : 0x03);
			gate__sbuf_u8(&body, s->exprs ? s->type : 0x00);
			gate__sbuf_u32(&body, s->count);
			gate__sbuf_put(&body, e->mod + s->items, end - s->items);
		}
		at = end;
	}
	/* the table runs declare their functions too: write them first */
	nseg += put_table_runs(e, &tabs);
	for (uint32_t f = 0; f < m->nfuncs; f++)
		if (gate__is_declared(m, f) && !(e->covered[f >> 3] & (1u << (f & 7))))
			ndecl++;
	if (ndecl) {
		gate__sbuf_u8(&body, 0x03);
		gate__sbuf_u8(&body, 0x00);
		gate__sbuf_u32(&body, ndecl);
		for (uint32_t f = 0; f < m->nfuncs; f++)
			if (gate__is_declared(m, f) && !(e->covered[f >> 3] & (1u << (f & 7))))
				gate__sbuf_u32(&body, f);
		nseg++;
	}
	gate__sbuf_put(&body, tabs.p, tabs.n);
	if (tabs.oom)
		body.oom = true;
	gate__sbuf_free(&tabs);
	if (nseg > m->limits.elem_segments) {
		gate__sbuf_free(&body);
		return fail(e, GATE_LIMIT, "%llu element segments exceed the limit of %u",
			    (unsigned long long)nseg, m->limits.elem_segments);
	}
	if (nseg == 0 && sec == NULL) {
		gate__sbuf_free(&body);
		return 0;
	}
	gate__sbuf_u32(&c, (uint32_t)nseg);
	gate__sbuf_put(&c, body.p, body.n);
	if (body.oom)
		c.oom = true;
	gate__sbuf_free(&body);
	return add_section(e, 9, &c);
}

static int put_datacount(struct enc *e)
{
	struct gate__sbuf c = {0};

	if (e->std[12] == NULL)
		return 0;
	gate__sbuf_u32(&c, e->ndata + e->runs.n);
	return add_section(e, 12, &c);
}

static int put_buffers(struct enc *e)
{
	const struct gate_snapshot *st = e->st;
	struct gate__sbuf c = {0};

	if (!st->input_len && !st->output_len && !st->nservices)
		return 0;
	gate__sbuf_u32(&c, st->input_len);
	gate__sbuf_u32(&c, st->output_len);
	gate__sbuf_u32(&c, st->nservices);
	for (uint32_t i = 0; i < st->nservices; i++) {
		gate__sbuf_u8(&c, st->services[i].name_len);
		gate__sbuf_put(&c, st->services[i].name, st->services[i].name_len);
		gate__sbuf_u32(&c, st->services[i].state_len);
	}
	gate__sbuf_put(&c, st->input, st->input_len);
	gate__sbuf_put(&c, st->output, st->output_len);
	for (uint32_t i = 0; i < st->nservices; i++)
		gate__sbuf_put(&c, st->services[i].state, st->services[i].state_len);
	return add_custom(e, gate__sgate_names[GATE__S_BUFFER], &c);
}

static int put_stack(struct enc *e)
{
	struct gate__sbuf c = {0};

	if (e->st->stack.nframes == 0)
		return 0;
	gate__sstack_put(&c, &e->st->stack);
	return add_custom(e, gate__sgate_names[GATE__S_STACK], &c);
}

/*
 * Data, indices unchanged: the program's active segments and dropped passive
 * ones become empty active segments at offset 0 (instantiating one is a
 * no-op that drops it: the state after the original instantiation), live
 * passive ones stay as they are; then the memory runs. Without a memory
 * (no active segment is valid) a dropped segment becomes an empty passive
 * one: nothing can tell them apart without memory.init.
 */
static int put_data(struct enc *e)
{
	const struct gate_module *m = e->m;
	const struct gate__ssec *sec = e->std[11];
	struct gate__sbuf head = {0};
	size_t at = sec ? gate__sseg_first(e->mod, sec->off, sec->len) : 0;
	uint64_t size;
	uint32_t n = e->ndata + e->runs.n;

	if (n == 0)
		return 0;
	gate__sbuf_u32(&head, n);
	for (uint32_t i = 0; i < e->ndata; i++) {
		const struct gate__data *d = &m->data[i];
		size_t end = (size_t)d->bytes.off + d->bytes.len;

		if (at == 0) {
			gate__sbuf_free(&head);
			return fail(e, GATE_MALFORMED, "malformed data section");
		}
		if (d->mode == GATE__SEG_PASSIVE && !e->st->data_dropped[i])
			gate__sbuf_put(&head, e->mod + at, end - at);
		else if (m->nmems)
			gate__sbuf_put(&head, "\x00\x41\x00\x0b\x00", 5);
		else
			gate__sbuf_put(&head, "\x01\x00", 2);
		at = end;
	}
	size = head.n + e->runs_bytes;
	if (size > UINT32_MAX) {
		gate__sbuf_free(&head);
		return fail(e, GATE_LIMIT, "data section of %llu bytes exceeds 4 GiB",
			    (unsigned long long)size);
	}
	{
		size_t start = e->gen.n;
		int ret;

		gate__sbuf_u8(&e->gen, 11);
		gate__sbuf_u32(&e->gen, (uint32_t)size);
		gate__sbuf_put(&e->gen, head.p, head.n);
		if (head.oom || e->gen.oom) {
			gate__sbuf_free(&head);
			return oom(e);
		}
		gate__sbuf_free(&head);
		ret = add_piece(e, P_GEN, start, e->gen.n - start);
		return ret ? ret : add_piece(e, P_RUNS, 0, e->runs_bytes);
	}
}

/* ---- assembly ---- */

static uint8_t *write_runs(const struct enc *e, uint8_t *p)
{
	const uint8_t *mem = e->st->memory;

	for (uint32_t i = 0; i < e->runs.n; i++) {
		const struct gate__srun *r = &e->runs.v[i];
		uint64_t n = r->end - r->start;

		*p++ = 0x00;
		*p++ = 0x41;
		p += gate__leb_put_s64(p, (int32_t)(uint32_t)r->start);
		*p++ = 0x0b;
		p += gate__leb_put_u64(p, n);
		memcpy(p, mem + r->start, n);
		p += n;
	}
	return p;
}

static int assemble(struct enc *e, uint8_t **out, size_t *out_len)
{
	uint64_t total = 0;
	uint8_t *buf, *p;

	for (uint32_t i = 0; i < e->npieces; i++)
		total += e->pieces[i].n;
	if (total > UINT32_MAX)
		return fail(e, GATE_LIMIT, "snapshot of %llu bytes exceeds 4 GiB",
			    (unsigned long long)total);
	gate__shead_patch(e->gen.p + e->size_at, (uint32_t)total);
	buf = malloc(total);
	if (buf == NULL)
		return oom(e);
	gate__sadvise_huge(buf, total);
	p = buf;
	for (uint32_t i = 0; i < e->npieces; i++) {
		const struct piece *c = &e->pieces[i];

		switch (c->kind) {
		case P_REF:
			memcpy(p, e->mod + c->off, c->n);
			p += c->n;
			break;
		case P_GEN:
			memcpy(p, e->gen.p + c->off, c->n);
			p += c->n;
			break;
		default:
			p = write_runs(e, p);
		}
	}
	*out = buf;
	*out_len = (size_t)(p - buf);
	return 0;
}

static int encode(struct enc *e, uint8_t **out, size_t *out_len)
{
	const gate_limits *lim;
	uint32_t budget;
	int ret = load(e);

	if (!ret)
		ret = check_state(e);
	if (ret)
		return ret;
	lim = &e->m->limits;
	budget = lim->data_segments > e->ndata ? lim->data_segments - e->ndata : 0;
	if (e->st->memory_len) {
		ret = gate__smem_scan(e->st->memory, e->st->memory_len, budget ? budget : 1,
				      &e->runs);
		if (ret)
			return oom(e);
		if (e->runs.n > budget)
			return fail(e, GATE_LIMIT, "%u data segments leave no room for memory",
				    e->ndata);
		for (uint32_t i = 0; i < e->runs.n; i++)
			e->runs_bytes += gate__srun_seg_size(&e->runs.v[i]);
	}

	ret = add_piece(e, P_REF, 0, 8);
	for (uint8_t id = 1; id <= 3 && !ret; id++)
		if (e->std[id])
			ret = add_verbatim(e, e->std[id]);
	if (!ret)
		ret = put_tables(e);
	if (!ret)
		ret = put_memory(e);
	if (!ret)
		ret = put_globals(e);
	if (!ret)
		ret = put_head(e);
	if (!ret)
		ret = put_exports(e);
	/* no start section: the state is after start (a pending start is a
	 * frame on the stack) */
	if (!ret)
		ret = put_elements(e);
	if (!ret)
		ret = put_datacount(e);
	if (!ret && e->std[10])
		ret = add_verbatim(e, e->std[10]);
	if (!ret)
		ret = put_buffers(e);
	if (!ret)
		ret = put_stack(e);
	if (!ret)
		ret = put_data(e);
	for (uint32_t i = 0; i < e->nsecs && !ret; i++) {
		const struct gate__ssec *s = &e->secs[i];

		if (s->id == 0 && gate__sgate_of(s->name, s->name_len) == GATE__S_NONE)
			ret = add_verbatim(e, s);
	}
	if (!ret)
		ret = assemble(e, out, out_len);
	return ret;
}

int gate_snapshot_encode(const uint8_t *module, size_t module_len, const struct gate_snapshot *st,
			 uint8_t **out, size_t *out_len, char *err, size_t err_len)
{
	struct enc e = {
	    .mod = module, .mod_len = module_len, .st = st, .err = err, .err_len = err_len};
	int ret;

	if (module == NULL || st == NULL || out == NULL || out_len == NULL)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot encode snapshot: no module, state or output");
	ret = encode(&e, out, out_len);
	free(e.runs.v);
	free(e.pieces);
	gate__sbuf_free(&e.gen);
	free(e.covered);
	free(e.secs);
	gate_module_free(e.m);
	return ret;
}
