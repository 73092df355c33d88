/*
 * The stack rules (docs/snapshot.md, "Stack rules"): a portable stack must be
 * one the code could have: every wasm frame at an instruction of the right
 * kind, with the locals and operand types the validator has there, and every
 * frame the callee of the instruction its caller waits in. The bodies of the
 * functions on the stack are decoded once each with a visitor that compares
 * the frames at each offset with the validator's operand stack.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../lib/error.h"
#include "../wasm/body.h"
#include "snapshot_internal.h"

#define DONE (-1) /* visitor: every frame of the function was seen */

/* What the code has at a CALL frame's offset, for the callee check. */
struct site {
	uint32_t op;
	uint32_t a;	/* call: the function; call_indirect: the type */
	uint8_t pop[3]; /* bulk instructions: the input types */
};

struct key {
	uint32_t func, offset, frame;
};

struct check {
	struct gate_module *m;
	const struct gate_pstack *st;
	int status;
	const char *verb;
	char *err;
	size_t err_len;
	struct key *keys;   /* wasm frames sorted by function and offset */
	uint32_t pos, end;  /* the current function's keys */
	uint32_t code_off;  /* its body's offset in the module */
	bool first;	    /* no instruction reported yet */
	struct site *sites; /* per frame */
};

static bool is_host_op(uint32_t f)
{
	switch (f) {
	case GATE_PHOST_MEMORY_INIT:
	case GATE_PHOST_MEMORY_COPY:
	case GATE_PHOST_MEMORY_FILL:
	case GATE_PHOST_TABLE_INIT:
	case GATE_PHOST_TABLE_COPY:
	case GATE_PHOST_TABLE_FILL:
		return true;
	}
	return false;
}

static const char *host_op_name(uint32_t f)
{
	switch (f) {
	case GATE_PHOST_MEMORY_INIT:
		return "memory.init";
	case GATE_PHOST_MEMORY_COPY:
		return "memory.copy";
	case GATE_PHOST_MEMORY_FILL:
		return "memory.fill";
	case GATE_PHOST_TABLE_INIT:
		return "table.init";
	case GATE_PHOST_TABLE_COPY:
		return "table.copy";
	case GATE_PHOST_TABLE_FILL:
		return "table.fill";
	}
	return "an unknown instruction";
}

/* The instructions a CALL frame may wait in (portable.h). */
static bool is_call_op(uint32_t op)
{
	switch (op) {
	case 0x10:
	case 0x11:
		return true;
	}
	return (op >> 16) == 0xfc && is_host_op(GATE_PHOST_OP | (op & 0xffff));
}

static const char *kind_name(uint8_t k)
{
	return k == GATE_PFRAME_CALL ? "CALL" : k == GATE_PFRAME_AT ? "AT" : "HOST";
}

static int fail(struct check *c, uint32_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct check *c, uint32_t i, const char *fmt, ...)
{
	const struct gate_pframe *f = &c->st->frames[i];
	char detail[256], subject[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (f->kind == GATE_PFRAME_HOST && (f->func & GATE_PHOST_OP)) {
		snprintf(subject, sizeof(subject), "%s", host_op_name(f->func));
	} else {
		const struct gate__span *n =
		    f->func < c->m->nfuncs ? gate__func_name(c->m, f->func) : NULL;

		if (n != NULL)
			snprintf(subject, sizeof(subject), "function %u \"%.*s\"", f->func,
				 (int)(n->len > 64 ? 64 : n->len), c->m->bytes + n->off);
		else
			snprintf(subject, sizeof(subject), "function %u", f->func);
	}
	return gate__errorf(c->err, c->err_len, c->status,
			    "Cannot %s snapshot: gate.stack frame %u (%s %s): %s", c->verb, i,
			    kind_name(f->kind), subject, detail);
}

/* Phase 1: what a frame must be whatever the code. */
static int check_value(struct check *c, uint32_t i, uint32_t k, const struct gate_pvalue *v)
{
	switch (v->type) {
	case GATE__I32:
	case GATE__F32:
		if (v->bits >> 32)
			return fail(c, i, "value %u: %s with bits above 32", k,
				    gate__stype_name(v->type));
		return 0;
	case GATE__I64:
	case GATE__F64:
		return 0;
	case GATE__FUNCREF:
		if (v->bits != GATE_PNULL && v->bits >= c->m->nfuncs)
			return fail(c, i, "value %u: unknown function %llu", k,
				    (unsigned long long)v->bits);
		return 0;
	case GATE__EXTERNREF:
		if (v->bits != GATE_PNULL)
			return fail(c, i, "value %u: an externref other than null", k);
		return 0;
	}
	return fail(c, i, "value %u: unsupported value type 0x%02x", k, v->type);
}

static int check_shape(struct check *c, uint32_t i)
{
	const struct gate_module *m = c->m;
	const struct gate_pframe *f = &c->st->frames[i];
	int ret;

	if (f->kind > GATE_PFRAME_HOST)
		return fail(c, i, "unknown frame kind %u", f->kind);
	if (i == 0 && f->kind == GATE_PFRAME_CALL)
		return fail(c, i,
			    "the innermost frame must be AT or HOST: nothing runs above a "
			    "CALL frame");
	if (i > 0 && f->kind != GATE_PFRAME_CALL)
		return fail(c, i, "only the innermost frame may be AT or HOST");
	if (f->kind == GATE_PFRAME_HOST) {
		const struct gate__functype *t;

		if (f->offset || f->nlocals)
			return fail(c, i, "a HOST frame has no offset or locals");
		if (is_host_op(f->func)) {
			if (i + 1 == c->st->nframes)
				return fail(c, i,
					    "an instruction has a caller: the outermost "
					    "frame must be a function");
			if (f->nstack != 3)
				return fail(c, i, "%u arguments, the instruction takes 3",
					    f->nstack);
		} else {
			if (f->func >= m->nfuncs)
				return fail(c, i, "unknown function");
			if (f->func >= m->nfunc_imports)
				return fail(c, i,
					    "a HOST frame must call an imported function "
					    "or a bulk instruction");
			t = gate__func_type(m, f->func);
			if (f->nstack != t->nparams)
				return fail(c, i, "%u arguments, the function takes %u", f->nstack,
					    t->nparams);
			for (uint32_t k = 0; k < f->nstack; k++)
				if (f->values[k].type != t->types[k])
					return fail(c, i,
						    "argument %u is %s, the function takes %s", k,
						    gate__stype_name(f->values[k].type),
						    gate__stype_name(t->types[k]));
		}
	} else if (f->func >= m->nfuncs) {
		return fail(c, i, "unknown function");
	} else if (f->func < m->nfunc_imports) {
		return fail(c, i, "an imported function has no wasm frame");
	}
	for (uint32_t k = 0; k < f->nlocals + f->nstack; k++) {
		ret = check_value(c, i, k, &f->values[k]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Phase 2: the visitor. */
static int on_begin(void *ctx, const struct gate__body *b, uint32_t func,
		    const struct gate__functype *type, uint32_t nruns,
		    const struct gate__local_run *runs)
{
	struct check *c = ctx;

	(void)func;
	(void)type;
	(void)nruns;
	(void)runs;
	for (uint32_t p = c->pos; p < c->end; p++) {
		uint32_t i = c->keys[p].frame;
		const struct gate_pframe *f = &c->st->frames[i];

		if (f->nlocals != b->nlocals)
			return fail(c, i, "%u locals, the function has %u", f->nlocals, b->nlocals);
		for (uint32_t j = 0; j < f->nlocals; j++) {
			uint8_t t = gate__body_local_type(b, j);

			if (f->values[j].type != t)
				return fail(c, i, "local %u is %s, the function's is %s", j,
					    gate__stype_name(f->values[j].type),
					    gate__stype_name(t));
		}
	}
	return 0;
}

static void op_text(char *out, size_t cap, uint32_t op)
{
	if (op >> 16)
		snprintf(out, cap, "opcode 0x%02x %u", op >> 16, op & 0xffff);
	else
		snprintf(out, cap, "opcode 0x%02x", op);
}

static int check_at(struct check *c, uint32_t i, const struct gate__body *b,
		    const struct gate__instr *in, uint32_t rel)
{
	const struct gate_pframe *f = &c->st->frames[i];
	uint32_t n;
	char op[32];

	op_text(op, sizeof(op), in->op);
	if (in->unreachable)
		return fail(c, i, "offset %u is in unreachable code", rel);
	if (f->kind == GATE_PFRAME_AT) {
		if (in->op != 0x03 && !c->first)
			return fail(c, i, "offset %u has %s, not a loop or the first instruction",
				    rel, op);
		/* before a loop its parameters are on the stack, as after it */
		n = c->first ? 0 : gate__body_height(b);
	} else {
		struct site *s = &c->sites[i];

		if (!is_call_op(in->op))
			return fail(c, i,
				    "offset %u has %s, not a call or an instruction the "
				    "host runs",
				    rel, op);
		/* below the instruction's inputs: its results are on top now */
		n = gate__body_height(b) - in->npush;
		s->op = in->op;
		s->a = in->op == 0x11 ? in->imm.pair.a : in->imm.index;
		for (uint32_t k = 0; k < 3 && k < in->npop; k++)
			s->pop[k] = in->pop[k];
	}
	if (f->nstack != n)
		return fail(c, i, "%u operands, the code has %u at offset %u", f->nstack, n, rel);
	for (uint32_t k = 0; k < n; k++) {
		uint8_t t = b->stack[k];

		if (f->values[f->nlocals + k].type != t)
			return fail(c, i, "operand %u is %s, the code has %s at offset %u", k,
				    gate__stype_name(f->values[f->nlocals + k].type),
				    gate__stype_name(t), rel);
	}
	return 0;
}

static int on_instr(void *ctx, const struct gate__body *b, const struct gate__instr *in)
{
	struct check *c = ctx;
	uint32_t rel = in->offset - c->code_off;
	int ret;

	for (; c->pos < c->end && c->keys[c->pos].offset <= rel; c->pos++) {
		uint32_t i = c->keys[c->pos].frame;

		if (c->keys[c->pos].offset < rel)
			return fail(c, i, "offset %u is not an instruction boundary",
				    c->keys[c->pos].offset);
		ret = check_at(c, i, b, in, rel);
		if (ret)
			return ret;
	}
	c->first = false;
	return c->pos == c->end ? DONE : 0;
}

/* Phase 3: each CALL frame's callee is the frame above it. */
static int check_callee(struct check *c, uint32_t i)
{
	const struct gate_module *m = c->m;
	const struct site *s = &c->sites[i];
	const struct gate_pframe *callee = &c->st->frames[i - 1];

	if (s->op == 0x10) {
		if (callee->func != s->a)
			return fail(c, i,
				    "calls function %u at offset %u, but frame %u is not "
				    "that function",
				    s->a, c->st->frames[i].offset, i - 1);
		return 0;
	}
	if (s->op == 0x11) {
		if (callee->func >= m->nfuncs ||
		    gate__func_type(m, callee->func)->canon != m->types[s->a].canon)
			return fail(c, i,
				    "calls indirectly with type %u at offset %u, but frame "
				    "%u is not a function of that type",
				    s->a, c->st->frames[i].offset, i - 1);
		return 0;
	}
	if (callee->kind != GATE_PFRAME_HOST || callee->func != (GATE_PHOST_OP | (s->op & 0xffff)))
		return fail(c, i, "waits in %s at offset %u, but frame %u is not its HOST frame",
			    host_op_name(GATE_PHOST_OP | (s->op & 0xffff)), c->st->frames[i].offset,
			    i - 1);
	for (uint32_t k = 0; k < 3; k++)
		if (callee->values[k].type != s->pop[k])
			return fail(c, i - 1, "argument %u is %s, the instruction takes %s", k,
				    gate__stype_name(callee->values[k].type),
				    gate__stype_name(s->pop[k]));
	return 0;
}

static int by_site(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->func != y->func)
		return x->func < y->func ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

int gate__sstack_check(struct gate_module *m, const struct gate_pstack *st, int status,
		       const char *verb, char *err, size_t err_len)
{
	struct check c = {m, st, status, verb, err, err_len, NULL, 0, 0, 0, false, NULL};
	const struct gate__visitor v = {&c, on_begin, on_instr, NULL};
	struct gate__ctx ctx = {.m = m, .lim = &m->limits, .func = GATE__NO_FUNC};
	struct gate__body b;
	char scratch[256];
	uint32_t nkeys = 0;
	int ret = 0;

	if (st->nframes && st->frames == NULL)
		return gate__errorf(err, err_len, status, "Cannot %s snapshot: no frames", verb);
	for (uint32_t i = 0; i < st->nframes; i++) {
		if (st->frames[i].values == NULL &&
		    st->frames[i].nlocals + (uint64_t)st->frames[i].nstack)
			return fail(&c, i, "no values");
		ret = check_shape(&c, i);
		if (ret)
			return ret;
	}
	if (st->nframes == 0)
		return 0;
	c.keys = malloc(st->nframes * sizeof(*c.keys));
	c.sites = calloc(st->nframes, sizeof(*c.sites));
	if (c.keys == NULL || c.sites == NULL) {
		ret = gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				   "Cannot %s snapshot: out of memory", verb);
		goto out_free;
	}
	for (uint32_t i = 0; i < st->nframes; i++)
		if (st->frames[i].kind != GATE_PFRAME_HOST)
			c.keys[nkeys++] = (struct key){st->frames[i].func, st->frames[i].offset, i};
	qsort(c.keys, nkeys, sizeof(*c.keys), by_site);

	/* The decoder's own messages (a body that does not validate, which
	 * only an unvalidated module can have) go to scratch first. */
	ctx.err = scratch;
	ctx.err_len = sizeof(scratch);
	gate__body_init(&b, &ctx);
	for (uint32_t p = 0; p < nkeys && !ret; p = c.end) {
		uint32_t func = c.keys[p].func;

		c.pos = p;
		for (c.end = p; c.end < nkeys && c.keys[c.end].func == func; c.end++)
			;
		c.code_off = m->code[func - m->nfunc_imports].off;
		c.first = true;
		scratch[0] = '\0';
		ret = gate__body_run(&b, func, &v);
		if (ret == DONE) {
			ret = 0;
		} else if (ret == 0 && c.pos < c.end) {
			ret =
			    fail(&c, c.keys[c.pos].frame,
				 "offset %u is not an instruction boundary", c.keys[c.pos].offset);
		} else if (ret && scratch[0]) {
			ret = gate__errorf(err, err_len, status, "Cannot %s snapshot: %s", verb,
					   scratch);
		}
	}
	gate__body_free(&b);
	for (uint32_t i = 1; i < st->nframes && !ret; i++)
		ret = check_callee(&c, i);
out_free:
	free(c.sites);
	free(c.keys);
	return ret;
}
