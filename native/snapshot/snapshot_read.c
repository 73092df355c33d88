/*
 * The snapshot decoder (snapshot.h; layout and rules in docs/snapshot.md).
 * A snapshot is untrusted: it must be a valid module, its gate sections must
 * be in their places, exactly consumed, and everything they and the
 * regenerated sections say must be consistent with the code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/error.h"
#include "../wasm/leb128.h"
#include "host_state.h"
#include "snapshot_internal.h"

#define PAGE 65536u

/* Ranks that order the gate sections among the standard ones (the
 * standard ids ranked as the spec orders them, times 10). */
static const uint8_t std_rank[13] = {
    [1] = 10, [2] = 20, [3] = 30, [4] = 40,   [5] = 50,	  [6] = 60,
    [7] = 70, [8] = 80, [9] = 90, [12] = 100, [10] = 110, [11] = 120,
};

static const uint8_t gate_rank[GATE__S_COUNT] = {
    [GATE__S_SNAPSHOT] = 65, /* after globals */
    [GATE__S_EXPORT] = 70,   /* in place of the export section */
    [GATE__S_BUFFER] = 113,  /* after code */
    [GATE__S_STACK] = 116,   /* after gate.buffer, before data */
};

struct dec {
	const uint8_t *bytes;
	size_t len;
	gate_module *m;
	struct gate__ssec *secs;
	uint32_t nsecs;
	const struct gate__ssec *std[13];
	const struct gate__ssec *gsec[GATE__S_COUNT];
	struct gate__shead h;
	struct gate_snapshot *out;
	struct gate__smem_segs *segs; /* memory as segments in place, not copied */
	char *err;
	size_t err_len;
};

static int fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct dec *d, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return gate__errorf(d->err, d->err_len, GATE_MALFORMED, "Cannot decode snapshot: %s",
			    detail);
}

static int oom(struct dec *d)
{
	return gate__errorf(d->err, d->err_len, GATE_OUT_OF_MEMORY,
			    "Cannot decode snapshot: out of memory");
}

/* ---- the module and its sections ---- */

static int load(struct dec *d)
{
	gate_limits lim;
	char inner[256] = "";
	uint8_t last = 0;
	int last_gate = GATE__S_NONE;
	int ret;

	gate_limits_default(&lim);
	lim.module_size = UINT32_MAX; /* a snapshot carries its memory */
	/* Borrowed: a snapshot is its memory, which is not copied twice. */
	ret = gate__module_new_borrowed(d->bytes, d->len, &lim, &d->m, inner, sizeof(inner));
	if (ret == GATE_OUT_OF_MEMORY || ret == GATE_LIMIT)
		return gate__errorf(d->err, d->err_len, ret, "Cannot decode snapshot: %s", inner);
	if (ret)
		return fail(d, "not a valid module: %s", inner);
	ret = gate__ssec_split(d->bytes, d->len, &d->secs, &d->nsecs, "decode", d->err, d->err_len);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < d->nsecs; i++) {
		const struct gate__ssec *s = &d->secs[i];
		uint8_t rank;
		int g;

		if (s->id != 0) {
			d->std[s->id] = s;
			rank = std_rank[s->id];
			/* the decoder checked the order of standard sections */
			if (rank <= last)
				return fail(d, "section %u out of place: after %s", s->id,
					    gate__sgate_names[last_gate]);
			last = rank;
			continue;
		}
		g = gate__sgate_of(s->name, s->name_len);
		if (g == GATE__S_NONE)
			continue;
		if (g == GATE__S_COUNT)
			return fail(d, "unknown section \"%.*s\"",
				    (int)(s->name_len > 64 ? 64 : s->name_len),
				    (const char *)s->name);
		if (d->gsec[g] != NULL)
			return fail(d, "two %s sections", gate__sgate_names[g]);
		if (gate_rank[g] <= last)
			return fail(d, "%s section out of place at offset %zu",
				    gate__sgate_names[g], s->start);
		d->gsec[g] = s;
		last = gate_rank[g];
		last_gate = g;
	}
	if (d->gsec[GATE__S_SNAPSHOT] == NULL)
		return fail(d, "no gate.snapshot section: not a snapshot");
	if (d->std[8] != NULL)
		return fail(d, "a start section: a snapshot's state is after start");
	if (d->m->nmem_imports)
		return fail(d, "an imported memory");
	ret = gate__shead_get(d->bytes + d->gsec[GATE__S_SNAPSHOT]->body,
			      d->gsec[GATE__S_SNAPSHOT]->body_len, &d->h, d->err, d->err_len);
	if (ret)
		return ret;
	/* catches truncation at a section boundary too */
	if (d->h.size != d->len)
		return fail(d, "gate.snapshot gives a size of %u bytes, the snapshot has %zu",
			    d->h.size, d->len);
	return 0;
}

/* ---- state sections ---- */

/* Reads a constant expression of one instruction: i32.const for offsets. */
static bool read_i32_const(const struct gate_module *m, uint32_t at, uint32_t *out)
{
	struct gate__reader r = {m->bytes + at, m->bytes + m->size, m->bytes};
	uint8_t op, end;
	int64_t v;

	if (gate__read_u8(&r, &op) || op != 0x41 || gate__leb_s(&r, 32, &v) ||
	    gate__read_u8(&r, &end) || end != 0x0b)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int get_globals(struct dec *d)
{
	const struct gate_module *m = d->m;
	uint32_t n = m->nglobals - m->nglobal_imports;
	struct gate_snapshot *out = d->out;

	out->globals = calloc(n ? n : 1, sizeof(*out->globals));
	if (out->globals == NULL)
		return oom(d);
	out->nglobals = n;
	for (uint32_t k = 0; k < n; k++) {
		const struct gate__global *g = &m->globals[m->nglobal_imports + k];
		struct gate__reader r = {m->bytes + g->init, m->bytes + m->size, m->bytes};
		struct gate_pvalue *v = &out->globals[k];
		uint8_t op, raw[8] = {0};
		int64_t s = 0;
		uint32_t x = 0;
		bool ok = false;

		v->type = g->type;
		if (gate__read_u8(&r, &op))
			return fail(d, "global %u is truncated", m->nglobal_imports + k);
		switch (op) {
		case 0x41:
			ok = !gate__leb_s(&r, 32, &s);
			v->bits = (uint32_t)s;
			break;
		case 0x42:
			ok = !gate__leb_s(&r, 64, &s);
			v->bits = (uint64_t)s;
			break;
		case 0x43:
		case 0x44:
			ok = !gate__read_bytes(&r, raw, op == 0x43 ? 4 : 8);
			for (int i = 0; i < 8; i++)
				v->bits |= (uint64_t)raw[i] << (8 * i);
			break;
		case 0xd0:
			ok = !gate__read_u8(&r, &op);
			v->bits = GATE_PNULL;
			break;
		case 0xd2:
			ok = !gate__read_u32(&r, &x);
			v->bits = x;
			break;
		}
		if (g->type == GATE__V128)
			return fail(d, "global %u is v128, which Gate does not support",
				    m->nglobal_imports + k);
		if (!ok)
			return fail(d, "global %u is not initialised with a constant value",
				    m->nglobal_imports + k);
	}
	return 0;
}

static int get_data(struct dec *d)
{
	const struct gate_module *m = d->m;
	struct gate_snapshot *out = d->out;
	uint64_t end = 0;
	uint8_t *mem = NULL;

	if (d->h.ndata > m->ndata)
		return fail(d, "gate.snapshot counts %u data segments, the module has %u",
			    d->h.ndata, m->ndata);
	if (m->nmems) {
		out->memory_len = (uint64_t)m->mems[0].min * PAGE;
		if (d->segs != NULL) {
			/* one per memory segment: those after the program's */
			d->segs->v = calloc(m->ndata - d->h.ndata + 1, sizeof *d->segs->v);
			if (d->segs->v == NULL)
				return oom(d);
		} else {
			/* calloc: large blocks come from mmap, zero pages untouched */
			mem = calloc(out->memory_len ? out->memory_len : 1, 1);
			if (mem == NULL)
				return oom(d);
			gate__sadvise_huge(mem, out->memory_len);
			out->memory = mem;
		}
	}
	out->ndata = d->h.ndata;
	out->data_dropped = calloc(d->h.ndata ? d->h.ndata : 1, 1);
	if (out->data_dropped == NULL)
		return oom(d);
	for (uint32_t i = 0; i < m->ndata; i++) {
		const struct gate__data *s = &m->data[i];
		uint32_t at;

		if (i < d->h.ndata) {
			/* the program's: live passive, or dropped (empty, at 0) */
			if (s->mode == GATE__SEG_PASSIVE)
				continue;
			if (s->bytes.len || !read_i32_const(m, s->offset, &at) || at)
				return fail(d, "data segment %u of the program is active", i);
			out->data_dropped[i] = 1;
			continue;
		}
		if (s->mode != GATE__SEG_ACTIVE || !s->bytes.len ||
		    !read_i32_const(m, s->offset, &at))
			return fail(d,
				    "memory data segment %u is not active at a constant offset "
				    "with contents",
				    i);
		if (at < end || (uint64_t)at + s->bytes.len > out->memory_len)
			return fail(d,
				    "memory data segment %u at %u overlaps or is out of order "
				    "or bounds",
				    i, at);
		if (d->segs != NULL)
			d->segs->v[d->segs->n++] = (struct gate__smem_seg){ at, d->bytes + s->bytes.off,
									   s->bytes.len };
		else
			memcpy(mem + at, m->bytes + s->bytes.off, s->bytes.len);
		end = (uint64_t)at + s->bytes.len;
	}
	return 0;
}

static int get_tables(struct dec *d)
{
	const struct gate_module *m = d->m;
	struct gate_snapshot *out = d->out;
	uint32_t n = m->ntables - m->ntable_imports, last_table = 0;
	uint64_t end = 0;

	out->ntables = n;
	out->table_len = calloc(n ? n : 1, sizeof(*out->table_len));
	out->tables = calloc(n ? n : 1, sizeof(*out->tables));
	if (out->table_len == NULL || out->tables == NULL)
		return oom(d);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t len = m->tables[m->ntable_imports + k].lim.min;

		out->table_len[k] = len;
		out->tables[k] = malloc((len ? len : 1) * sizeof(uint64_t));
		if (out->tables[k] == NULL)
			return oom(d);
		for (uint32_t i = 0; i < len; i++)
			out->tables[k][i] = GATE_PNULL;
	}
	if (d->h.nelem > m->nelems)
		return fail(d, "gate.snapshot counts %u element segments, the module has %u",
			    d->h.nelem, m->nelems);
	out->nelem = d->h.nelem;
	out->elem_dropped = calloc(d->h.nelem ? d->h.nelem : 1, 1);
	if (out->elem_dropped == NULL)
		return oom(d);
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct gate__elem *s = &m->elems[i];
		struct gate__reader r = {m->bytes + s->items, m->bytes + m->size, m->bytes};
		uint32_t at, t = s->table;

		if (i < d->h.nelem) {
			/* the program's: live passive, or dropped (declarative) */
			if (s->mode == GATE__SEG_ACTIVE)
				return fail(d, "element segment %u of the program is active", i);
			out->elem_dropped[i] = s->mode == GATE__SEG_DECLARATIVE;
			continue;
		}
		if (i == d->h.nelem && s->mode == GATE__SEG_DECLARATIVE)
			continue; /* declarations */
		if (s->mode != GATE__SEG_ACTIVE || s->exprs || !s->count || t < m->ntable_imports ||
		    !read_i32_const(m, s->offset, &at))
			return fail(d,
				    "table element segment %u is not active at a constant offset "
				    "with functions",
				    i);
		/* sorted by table, then offset, none overlapping */
		if (t < last_table || (t == last_table && at < end) ||
		    (uint64_t)at + s->count > out->table_len[t - m->ntable_imports])
			return fail(d,
				    "table element segment %u at %u overlaps or is out of order "
				    "or bounds",
				    i, at);
		for (uint32_t k = 0; k < s->count; k++) {
			uint32_t x;

			if (gate__read_u32(&r, &x))
				return fail(d, "table element segment %u is truncated", i);
			out->tables[t - m->ntable_imports][at + k] = x;
		}
		last_table = t;
		end = (uint64_t)at + s->count;
	}
	return 0;
}

static int get_buffers(struct dec *d)
{
	const struct gate__ssec *s = d->gsec[GATE__S_BUFFER];
	struct gate_snapshot *out = d->out;
	struct gate__reader r;
	uint64_t total;
	uint8_t *p;
	int e = 0;

	if (s == NULL)
		return 0;
	r = (struct gate__reader){d->bytes + s->body, d->bytes + s->body + s->body_len, d->bytes};
	if (gate__read_u32(&r, &out->input_len) || gate__read_u32(&r, &out->output_len) ||
	    gate__read_u32(&r, &out->nservices))
		return fail(d, "gate.buffer: truncated header");
	if (out->nservices > GATE_SNAPSHOT_MAX_SERVICES) {
		out->nservices = 0;
		return fail(d, "gate.buffer: more than %u services", GATE_SNAPSHOT_MAX_SERVICES);
	}
	out->services = calloc(out->nservices ? out->nservices : 1, sizeof(*out->services));
	if (out->services == NULL)
		return oom(d);
	total = (uint64_t)out->input_len + out->output_len;
	for (uint32_t i = 0; i < out->nservices; i++) {
		struct gate_snapshot_service *sv = &out->services[i];

		e = gate__read_u8(&r, &sv->name_len);
		if (!e && (sv->name_len == 0 || sv->name_len > GATE_SNAPSHOT_MAX_NAME))
			return fail(d, "gate.buffer: service %u: name of %u bytes", i,
				    sv->name_len);
		if (!e)
			e = gate__read_bytes(&r, sv->name, sv->name_len);
		if (!e)
			e = gate__read_u32(&r, &sv->state_len);
		if (e)
			return fail(d, "gate.buffer: service %u is truncated", i);
		for (uint32_t j = 0; j < i; j++)
			if (out->services[j].name_len == sv->name_len &&
			    !memcmp(out->services[j].name, sv->name, sv->name_len))
				return fail(d, "gate.buffer: service \"%.*s\" twice",
					    (int)sv->name_len, sv->name);
		total += sv->state_len;
	}
	if (total != gate__left(&r))
		return fail(d, "gate.buffer: %llu bytes of buffers, %zu in the section",
			    (unsigned long long)total, gate__left(&r));
	p = malloc(total ? total : 1);
	if (p == NULL)
		return oom(d);
	memcpy(p, r.p, total);
	out->blob = p;
	out->input = p;
	out->output = p + out->input_len;
	p += out->input_len + out->output_len;
	for (uint32_t i = 0; i < out->nservices; i++) {
		struct gate_snapshot_service *sv = &out->services[i];
		struct gate_host_state hs;
		const char *why;

		sv->state = p;
		p += sv->state_len;
		if (!gate_host_state_named(sv->name, sv->name_len))
			continue;
		why = gate_host_state_get(sv->state, sv->state_len, &hs);
		if (why)
			return fail(d, "gate.buffer: " GATE_HOST_STATE_NAME ": %s", why);
	}
	return 0;
}

static int get_stack(struct dec *d)
{
	const struct gate__ssec *s = d->gsec[GATE__S_STACK];
	int ret;

	if (s == NULL) {
		if (d->gsec[GATE__S_EXPORT] != NULL)
			return fail(d, "gate.export without a stack");
		return 0;
	}
	if (d->std[7] != NULL)
		return fail(d, "an export section with a stack: the program could be started "
			       "at another entry");
	ret = gate__sstack_get(d->bytes + s->body, s->body_len, d->m->nfuncs, &d->out->stack,
			       d->err, d->err_len);
	if (ret)
		return ret;
	return gate__sstack_check(d->m, &d->out->stack, GATE_MALFORMED, "decode", d->err,
				  d->err_len);
}

static int decode(struct dec *d)
{
	const struct gate__ssec *x;
	int ret = load(d);

	if (ret)
		return ret;
	d->out->flags = d->h.flags;
	d->out->trap = d->h.trap;
	d->out->result = d->h.result;
	d->out->monotonic = d->h.monotonic;
	x = d->gsec[GATE__S_EXPORT];
	if (x != NULL) {
		ret = gate__sexports_check(d->m, d->bytes + x->body, x->body_len, NULL, "decode",
					   d->err, d->err_len);
		if (ret)
			return ret;
	}
	ret = get_globals(d);
	if (!ret)
		ret = get_data(d);
	if (!ret)
		ret = get_tables(d);
	if (!ret)
		ret = get_buffers(d);
	if (!ret)
		ret = get_stack(d);
	return ret;
}

static int decode_with(const uint8_t *bytes, size_t len, struct gate_snapshot *out,
		       struct gate__smem_segs *segs, char *err, size_t err_len)
{
	struct dec d = {
		.bytes = bytes, .len = len, .out = out, .segs = segs, .err = err, .err_len = err_len
	};
	int ret;

	if (out == NULL || (bytes == NULL && len))
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot decode snapshot: no snapshot or no output");
	memset(out, 0, sizeof(*out));
	if (segs != NULL)
		*segs = (struct gate__smem_segs){ NULL, 0 };
	ret = decode(&d);
	if (ret) {
		gate_snapshot_free(out);
		if (segs != NULL) {
			free(segs->v);
			*segs = (struct gate__smem_segs){ NULL, 0 };
		}
	}
	free(d.secs);
	gate_module_free(d.m);
	return ret;
}

int gate_snapshot_decode(const uint8_t *bytes, size_t len, struct gate_snapshot *out, char *err,
			 size_t err_len)
{
	return decode_with(bytes, len, out, NULL, err, err_len);
}

int gate__snapshot_decode_segs(const uint8_t *bytes, size_t len, struct gate_snapshot *out,
			       struct gate__smem_segs *segs, char *err, size_t err_len)
{
	return decode_with(bytes, len, out, segs, err, err_len);
}

void gate_snapshot_free(struct gate_snapshot *st)
{
	if (st == NULL)
		return;
	free((void *)st->memory);
	free(st->globals);
	for (uint32_t k = 0; st->tables != NULL && k < st->ntables; k++)
		free(st->tables[k]);
	free(st->tables);
	free(st->table_len);
	free(st->data_dropped);
	free(st->elem_dropped);
	free(st->services);
	free(st->blob);
	gate_pstack_clear(&st->stack);
	memset(st, 0, sizeof(*st));
}
