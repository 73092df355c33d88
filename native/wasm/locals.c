/* Local declarations of a function body and lookups of local types. */
#include <stdlib.h>
#include <string.h>

#include "body.h"

#define READ_U32(r, x)                                                   \
	do {                                                             \
		int e_ = gate__read_u32(r, &(x));                        \
		if (e_)                                                  \
			return gate__fail_read(b->c, e_, gate__off(r));  \
	} while (0)

uint8_t gate__body_local_type(const struct gate__body *b, uint32_t i)
{
	uint32_t lo = 0, hi = b->nruns;

	if (i < b->nexpanded)
		return b->ltypes[i];
	if (i >= b->nlocals)
		return GATE__UNKNOWN;
	if (i < b->type->nparams)
		return b->type->types[i];
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (b->runs[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return b->runs[lo].type;
}

/*
 * Reads the local declarations. A first pass sums the counts, so that the
 * spec's "too many locals" (more than 2^32 - 1) and our limit are checked
 * before anything is stored. Only the first 64 + 8 * body size locals are
 * expanded into ltypes, so a short body that declares 50,000 locals costs no
 * more than its size; the rest are found by binary search over the runs.
 */
int gate__body_read_locals(struct gate__body *b, struct gate__reader *r, size_t body_size)
{
	struct gate__reader scan = *r;
	uint64_t total = b->type->nparams;
	uint32_t n, nz = 0, cap;

	READ_U32(r, n);
	if (n > gate__left(r) / 2)
		return gate__body_fail(b, GATE_MALFORMED,
				       "unexpected end: %u local declarations in %zu bytes", n,
				       gate__left(r));
	scan = *r;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t count;
		uint8_t t;
		int e;

		READ_U32(&scan, count);
		e = gate__read_u8(&scan, &t);
		if (e)
			return gate__fail_read(b->c, e, gate__off(&scan));
		if (!gate__is_valtype(t))
			return gate__fail(b->c, GATE_MALFORMED, gate__off(&scan) - 1,
					  "malformed value type 0x%02x", t);
		total += count;
		nz += count != 0;
	}
	if (total > UINT32_MAX)
		return gate__body_fail(b, GATE_MALFORMED, "too many locals: %llu",
				       (unsigned long long)total);
	if (total > b->c->lim->locals)
		return gate__body_fail(b, GATE_LIMIT,
				       "%llu locals exceed the limit of %u",
				       (unsigned long long)total, b->c->lim->locals);
	b->nlocals = (uint32_t)total;
	b->nexpanded = b->nlocals;
	if ((uint64_t)b->nexpanded > 64 + 8 * (uint64_t)body_size)
		b->nexpanded = (uint32_t)(64 + 8 * (uint64_t)body_size);
	if (b->nexpanded > b->ltypes_cap) {
		cap = b->ltypes_cap ? b->ltypes_cap : 64;
		while (cap < b->nexpanded)
			cap *= 2;
		free(b->ltypes);
		b->ltypes = malloc(cap);
		b->ltypes_cap = b->ltypes ? cap : 0;
		if (b->ltypes == NULL)
			return gate__body_fail(b, GATE_OUT_OF_MEMORY, "out of memory");
	}
	if (nz > b->runs_cap) {
		cap = b->runs_cap ? b->runs_cap : 16;
		while (cap < nz)
			cap *= 2;
		free(b->runs);
		b->runs = malloc((size_t)cap * sizeof(*b->runs));
		b->runs_cap = b->runs ? cap : 0;
		if (b->runs == NULL)
			return gate__body_fail(b, GATE_OUT_OF_MEMORY, "out of memory");
	}
	n = b->type->nparams < b->nexpanded ? b->type->nparams : b->nexpanded;
	if (n)
		memcpy(b->ltypes, b->type->types, n);
	b->nruns = 0;
	for (uint32_t first = b->type->nparams; r->p < scan.p;) {
		uint32_t count;
		uint8_t t;

		READ_U32(r, count);
		t = *r->p++;
		if (count == 0)
			continue;
		b->runs[b->nruns++] = (struct gate__local_run){ first, count, t };
		if (first < b->nexpanded) {
			uint32_t k = b->nexpanded - first < count ? b->nexpanded - first : count;

			memset(b->ltypes + first, t, k);
		}
		first += count;
	}
	return 0;
}
