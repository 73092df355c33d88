/* Cold and multi-value paths of the validator's stacks (see stack.h). */
#include <stdlib.h>
#include <string.h>

#include "stack.h"

int gate__type_error(const struct gate__body *b, uint8_t want, bool found, uint8_t got)
{
	return gate__body_fail(b, GATE_INVALID, "type mismatch: expected %s, found %s",
			       want ? gate__valtype_name(want) : "a value",
			       found ? gate__valtype_name(got) : "nothing");
}

int gate__grow_stack(struct gate__body *b, uint32_t n)
{
	uint64_t want = (uint64_t)b->sp + n, cap = b->stack_cap ? b->stack_cap : 64;
	uint8_t *p;

	if (want > b->c->lim->operand_stack)
		return gate__body_fail(b, GATE_LIMIT,
				       "operand stack of %llu values exceeds the limit of %u",
				       (unsigned long long)want, b->c->lim->operand_stack);
	while (cap < want)
		cap *= 2;
	p = realloc(b->stack, cap);
	if (p == NULL)
		return gate__body_fail(b, GATE_OUT_OF_MEMORY, "out of memory");
	b->stack = p;
	b->stack_cap = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
	return 0;
}

static int mismatch_at(struct gate__body *b, const uint8_t *t, uint32_t n, uint32_t m)
{
	/* report the topmost differing value among the top m */
	for (uint32_t i = 0; i < m; i++) {
		uint8_t got = b->stack[b->sp - 1 - i], want = t[n - 1 - i];

		if (got != want && got != GATE__UNKNOWN)
			return gate__type_error(b, want, true, got);
	}
	return gate__type_error(b, t[n - 1 - m], false, 0);
}

/* Unknowns run from the frame's height up: binary-search their end, then
 * compare the concrete values above it in one memcmp. */
int gate__check_vals(struct gate__body *b, const uint8_t *t, uint32_t n)
{
	struct gate__frame *f = gate__top(b);
	uint32_t avail = b->sp - f->height, m = avail < n ? avail : n, lo, hi, cc;

	if (n == 0)
		return 0;
	if (m == n && memcmp(b->stack + b->sp - n, t, n) == 0)
		return 0;
	if (m < n && !f->unreachable)
		return mismatch_at(b, t, n, m);
	/* concrete values start where the Unknown run at the bottom ends */
	lo = f->height;
	hi = b->sp;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (b->stack[mid] == GATE__UNKNOWN)
			lo = mid + 1;
		else
			hi = mid;
	}
	cc = b->sp - lo < m ? b->sp - lo : m;
	if (cc && memcmp(b->stack + b->sp - cc, t + n - cc, cc) != 0)
		return mismatch_at(b, t, n, cc);
	return 0;
}

int gate__pop_many(struct gate__body *b, const uint8_t *t, uint32_t n)
{
	struct gate__frame *f = gate__top(b);
	uint32_t avail = b->sp - f->height;

	GATE__TRY(gate__check_vals(b, t, n));
	b->sp -= avail < n ? avail : n;
	return 0;
}

int gate__grow_frames(struct gate__body *b)
{
	uint32_t cap = b->frames_cap ? b->frames_cap * 2 : 16;
	struct gate__frame *p;

	if (b->nframes >= b->c->lim->nesting)
		return gate__body_fail(b, GATE_LIMIT, "blocks nested deeper than the limit of %u",
				       b->c->lim->nesting);
	if (cap > b->c->lim->nesting)
		cap = b->c->lim->nesting;
	p = realloc(b->frames, (size_t)cap * sizeof(*p));
	if (p == NULL)
		return gate__body_fail(b, GATE_OUT_OF_MEMORY, "out of memory");
	b->frames = p;
	b->frames_cap = cap;
	return 0;
}
