/*
 * The "name" custom section (spec appendix 7.4): only the function names
 * subsection (id 1) is kept, for messages and gate_module_info. Custom
 * sections are never validated, so a malformed name section, or a name map
 * over limits.names, is ignored rather than reported: the module keeps no
 * function names and stays valid.
 */
#include <stdlib.h>

#include "leb128.h"
#include "module.h"

/* Returns 0 with m->fnames filled, 1 if the subsection is malformed, or
 * GATE_OUT_OF_MEMORY. */
static int function_names(struct gate__ctx *c, struct gate__reader *r)
{
	struct gate_module *m = c->m;
	uint32_t n;

	if (gate__read_u32(r, &n) || n > gate__left(r) / 2 || n > c->lim->names)
		return 1;
	m->fnames = calloc(n ? n : 1, sizeof(*m->fnames));
	if (m->fnames == NULL)
		return gate__fail(c, GATE_OUT_OF_MEMORY, 0, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct gate__fname *f = &m->fnames[i];
		uint32_t len;

		if (gate__read_u32(r, &f->index) || f->index >= m->nfuncs)
			return 1;
		/* indices must increase, which also keeps them unique and sorted */
		if (i > 0 && f->index <= m->fnames[i - 1].index)
			return 1;
		if (gate__read_u32(r, &len) || len > gate__left(r) || !gate__utf8_valid(r->p, len))
			return 1;
		f->name.off = (uint32_t)gate__off(r);
		f->name.len = len;
		r->p += len;
		m->nfnames = i + 1;
	}
	return r->p == r->end ? 0 : 1;
}

int gate__parse_names(struct gate__ctx *c)
{
	struct gate_module *m = c->m;
	struct gate__reader r = { m->bytes + m->names.off,
				  m->bytes + m->names.off + m->names.len, m->bytes };
	bool seen = false;

	if (!m->has_names)
		return 0;
	while (r.p < r.end) {
		struct gate__reader sub = r;
		uint8_t id;
		uint32_t size;
		int ret;

		if (gate__read_u8(&r, &id) || gate__read_u32(&r, &size) || size > gate__left(&r))
			break;
		sub.p = r.p;
		sub.end = r.p + size;
		r.p += size;
		if (id != 1 || seen)
			continue;
		seen = true;
		ret = function_names(c, &sub);
		if (ret == 1) {
			free(m->fnames);
			m->fnames = NULL;
			m->nfnames = 0;
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}
