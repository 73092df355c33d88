/*
 * The element section (8 encodings, spec 5.5.12) and the data section
 * (3 encodings, spec 5.5.14), validated as they are read.
 */
#include <stdlib.h>

#include "decode.h"

static int decode_elem(struct gate__ctx *c, struct gate__reader *r, struct gate__elem *e)
{
	struct gate_module *m = c->m;
	size_t off = gate__off(r);
	uint32_t flags;
	int ret = gate__get_u32(c, r, &flags);

	if (ret)
		return ret;
	/* bit 0: passive or declarative; bit 1: explicit table (active) or
	 * declarative; bit 2: items are expressions */
	if (flags > 7)
		return gate__fail(c, GATE_MALFORMED, off, "malformed element segment flags %u",
				  flags);
	e->mode = !(flags & 1) ? GATE__SEG_ACTIVE
		  : (flags & 2) ? GATE__SEG_DECLARATIVE
				: GATE__SEG_PASSIVE;
	e->exprs = flags & 4;
	e->type = GATE__FUNCREF;
	e->table = 0;
	e->offset = 0;
	if (e->mode == GATE__SEG_ACTIVE) {
		if (flags & 2) {
			ret = gate__get_u32(c, r, &e->table);
			if (ret)
				return ret;
		}
		if (e->table >= m->ntables)
			return gate__fail(c, GATE_INVALID, off, "unknown table %u", e->table);
		ret = gate__const_expr(c, r, GATE__I32, &e->offset);
		if (ret)
			return ret;
	}
	if (flags & 3) {
		/* an element kind (0x00 = funcref) or, for expressions, a ref type */
		size_t koff = gate__off(r);
		uint8_t kind;

		if (e->exprs) {
			ret = gate__get_reftype(c, r, &e->type);
			if (ret)
				return ret;
		} else {
			ret = gate__get_u8(c, r, &kind);
			if (ret)
				return ret;
			if (kind != 0x00)
				return gate__fail(c, GATE_MALFORMED, koff,
						  "malformed element kind 0x%02x", kind);
		}
	}
	if (e->mode == GATE__SEG_ACTIVE && m->tables[e->table].elem != e->type)
		return gate__fail(c, GATE_INVALID, off,
				  "type mismatch: %s element segment for table %u of %s",
				  gate__valtype_name(e->type), e->table,
				  gate__valtype_name(m->tables[e->table].elem));
	ret = gate__get_count(c, r, c->lim->elem_items, "element segment items", 1, &e->count);
	if (ret)
		return ret;
	e->items = (uint32_t)gate__off(r);
	for (uint32_t i = 0; i < e->count; i++) {
		uint32_t x, start;

		if (e->exprs) {
			ret = gate__const_expr(c, r, e->type, &start);
			if (ret)
				return ret;
			continue;
		}
		off = gate__off(r);
		ret = gate__get_u32(c, r, &x);
		if (ret)
			return ret;
		if (x >= m->nfuncs)
			return gate__fail(c, GATE_INVALID, off, "unknown function %u", x);
		gate__declare(m, x);
	}
	return 0;
}

int gate__decode_elems(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	uint32_t n;
	int ret = gate__get_count(c, r, c->lim->elem_segments, "element segments", 3, &n);

	if (ret)
		return ret;
	m->elems = calloc(n ? n : 1, sizeof(*m->elems));
	if (m->elems == NULL)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		ret = decode_elem(c, r, &m->elems[i]);
		if (ret)
			return ret;
		m->nelems++;
	}
	return 0;
}

static int decode_segment(struct gate__ctx *c, struct gate__reader *r, struct gate__data *d)
{
	struct gate_module *m = c->m;
	size_t off = gate__off(r);
	uint32_t flags, len;
	int ret = gate__get_u32(c, r, &flags);

	if (ret)
		return ret;
	if (flags > 2)
		return gate__fail(c, GATE_MALFORMED, off, "malformed data segment flags %u",
				  flags);
	d->mode = flags == 1 ? GATE__SEG_PASSIVE : GATE__SEG_ACTIVE;
	d->memory = 0;
	d->offset = 0;
	if (flags == 2) {
		ret = gate__get_u32(c, r, &d->memory);
		if (ret)
			return ret;
	}
	if (d->mode == GATE__SEG_ACTIVE) {
		if (d->memory >= m->nmems)
			return gate__fail(c, GATE_INVALID, off, "unknown memory %u", d->memory);
		ret = gate__const_expr(c, r, GATE__I32, &d->offset);
		if (ret)
			return ret;
	}
	off = gate__off(r);
	ret = gate__get_u32(c, r, &len);
	if (ret)
		return ret;
	if (len > gate__left(r))
		return gate__fail(c, GATE_MALFORMED, off,
				  "unexpected end of section or function: data segment of %u "
				  "bytes, %zu left",
				  len, gate__left(r));
	d->bytes.off = (uint32_t)gate__off(r);
	d->bytes.len = len;
	r->p += len;
	return 0;
}

int gate__decode_data(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	uint32_t n;
	int ret = gate__get_count(c, r, c->lim->data_segments, "data segments", 2, &n);

	if (ret)
		return ret;
	m->data = calloc(n ? n : 1, sizeof(*m->data));
	if (m->data == NULL)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		ret = decode_segment(c, r, &m->data[i]);
		if (ret)
			return ret;
		m->ndata++;
	}
	return 0;
}
