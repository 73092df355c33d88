/*
 * The validator's two stacks (spec appendix "Validation Algorithm"): the
 * operand stack of types and the control stack of frames. The fast paths are
 * inline here for the body decoder's loop; growth, errors and multi-value
 * moves are in stack.c.
 *
 * Multi-value pops and checks cost one memcmp, not a loop per value: a call
 * of 2 bytes may move 1,000 values. They rely on an invariant of the
 * algorithm: GATE__UNKNOWN values only ever sit at the bottom of a frame's
 * values (select pushes Unknown only when both operands came from an empty
 * unreachable frame; everything else pushes concrete types on top), so the
 * values above a frame's height are Unknown* then concrete*.
 */
#ifndef GATE_WASM_STACK_H
#define GATE_WASM_STACK_H

#include <string.h>

#include "body.h"

#define GATE__INLINE static inline __attribute__((always_inline))

#define GATE__TRY(x)                       \
	do {                               \
		int gate_try_ = (x);       \
		if (gate_try_)             \
			return gate_try_;  \
	} while (0)

/* Cold paths (stack.c). */
int gate__type_error(const struct gate__body *b, uint8_t want, bool found, uint8_t got)
	__attribute__((cold));
int gate__grow_stack(struct gate__body *b, uint32_t n) __attribute__((cold));
int gate__grow_frames(struct gate__body *b) __attribute__((cold));

/* Checks the top values against t[0..n) without popping: the spec's
 * push_vals(pop_vals(t)) for a branch target. One memcmp, not a loop. */
int gate__check_vals(struct gate__body *b, const uint8_t *t, uint32_t n);
int gate__pop_many(struct gate__body *b, const uint8_t *t, uint32_t n);

GATE__INLINE struct gate__frame *gate__top(struct gate__body *b)
{
	return &b->frames[b->nframes - 1];
}

GATE__INLINE int gate__push(struct gate__body *b, uint8_t t)
{
	if (b->sp == b->stack_cap)
		GATE__TRY(gate__grow_stack(b, 1));
	b->stack[b->sp++] = t;
	return 0;
}

GATE__INLINE int gate__push_vals(struct gate__body *b, const uint8_t *t, uint32_t n)
{
	if (n == 0)
		return 0;
	if (b->stack_cap - b->sp < n)
		GATE__TRY(gate__grow_stack(b, n));
	memcpy(b->stack + b->sp, t, n);
	b->sp += n;
	return 0;
}

GATE__INLINE int gate__pop_expect(struct gate__body *b, uint8_t want)
{
	struct gate__frame *f = gate__top(b);
	uint8_t got;

	if (b->sp == f->height)
		return f->unreachable ? 0 : gate__type_error(b, want, false, 0);
	got = b->stack[--b->sp];
	if (got != want && got != GATE__UNKNOWN)
		return gate__type_error(b, want, true, got);
	return 0;
}

/* Pops any value; *out is GATE__UNKNOWN below an unreachable frame. */
GATE__INLINE int gate__pop_any(struct gate__body *b, uint8_t *out)
{
	struct gate__frame *f = gate__top(b);

	if (b->sp == f->height) {
		*out = GATE__UNKNOWN;
		return f->unreachable ? 0 : gate__type_error(b, 0, false, 0);
	}
	*out = b->stack[--b->sp];
	return 0;
}

GATE__INLINE int gate__pop_vals(struct gate__body *b, const uint8_t *t, uint32_t n)
{
	if (n > 4)
		return gate__pop_many(b, t, n);
	for (uint32_t i = n; i-- > 0;)
		GATE__TRY(gate__pop_expect(b, t[i]));
	return 0;
}

GATE__INLINE void gate__set_unreachable(struct gate__body *b)
{
	struct gate__frame *f = gate__top(b);

	b->sp = f->height;
	f->unreachable = true;
}

GATE__INLINE int gate__push_frame(struct gate__body *b, uint8_t kind,
				  const struct gate__blocktype *bt, uint32_t off)
{
	struct gate__frame *f;

	if (b->nframes == b->frames_cap)
		GATE__TRY(gate__grow_frames(b));
	f = &b->frames[b->nframes++];
	f->kind = kind;
	f->unreachable = false;
	f->height = b->sp;
	f->offset = off;
	f->type = *bt;
	return gate__push_vals(b, bt->params, bt->nparams);
}

#endif
