/*
 * The function-body decoder and validator (see body.h, docs/validator.md).
 *
 * One pass per body implements the spec's appendix "Validation Algorithm":
 * vals is an operand stack of types in which GATE__UNKNOWN stands for the
 * bottom type of unreachable code, ctrls a stack of frames each with its
 * label types, height and unreachable flag. The main loop is instantiated
 * twice from an always-inline function: with a NULL visitor (plain
 * validation, no indirect calls, the instr records are dead code) and with a
 * visitor (the compiler).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "opcodes.h"
#include "stack.h"

#define TRY GATE__TRY

#define COLD __attribute__((cold, noinline))

int gate__body_fail(const struct gate__body *b, int status, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return gate__fail(b->c, status, b->instr_off, "%s", detail);
}

static COLD int fail_read(const struct gate__body *b, const struct gate__reader *r, int e)
{
	return gate__fail_read(b->c, e, gate__off(r));
}

#define READ_U32(r, x)                                     \
	do {                                               \
		int e_ = gate__read_u32(r, &(x));          \
		if (e_)                                    \
			return fail_read(b, r, e_);        \
	} while (0)

#define READ_BYTES(r, x, n)                                \
	do {                                               \
		int e_ = gate__read_bytes(r, x, n);        \
		if (e_)                                    \
			return fail_read(b, r, e_);        \
	} while (0)

/* ---- control ---- */

/* Checks the frame's results and leaves its height; does not pop it. */
static int end_results(struct gate__body *b)
{
	struct gate__frame *f = gate__top(b);

	TRY(gate__pop_vals(b, f->type.results, f->type.nresults));
	if (b->sp != f->height)
		return gate__body_fail(b, GATE_INVALID,
				       "type mismatch: %u extra values at the end of the block",
				       b->sp - f->height);
	return 0;
}

static int label(struct gate__body *b, uint32_t depth, const struct gate__frame **out)
{
	if (depth >= b->nframes)
		return gate__body_fail(b, GATE_INVALID, "unknown label %u", depth);
	*out = gate__body_frame(b, depth);
	return 0;
}

/* ---- immediates ---- */

static int read_blocktype(struct gate__body *b, struct gate__reader *r,
			  struct gate__blocktype *bt)
{
	const struct gate__functype *t;
	int64_t x;
	int e;

	if (r->p >= r->end)
		return fail_read(b, r, GATE__R_END);
	if (*r->p == 0x40) {
		r->p++;
		*bt = (struct gate__blocktype){ 0, 0, NULL, NULL };
		return 0;
	}
	if (gate__is_valtype(*r->p)) {
		/* the type byte in the module's copy serves as the result list */
		*bt = (struct gate__blocktype){ 0, 1, NULL, r->p };
		r->p++;
		return 0;
	}
	e = gate__leb_s(r, 33, &x);
	if (e)
		return fail_read(b, r, e);
	if (x < 0)
		return gate__body_fail(b, GATE_MALFORMED, "malformed block type");
	if ((uint64_t)x >= b->m->ntypes)
		return gate__body_fail(b, GATE_INVALID, "unknown type %lld", (long long)x);
	t = &b->m->types[x];
	*bt = (struct gate__blocktype){ t->nparams, t->nresults, t->types, gate__results(t) };
	return 0;
}

static int read_memarg(struct gate__body *b, struct gate__reader *r,
		       const struct gate__opinfo *info, struct gate__memarg *ma)
{
	uint32_t off;

	READ_U32(r, ma->align);
	READ_U32(r, off);
	ma->offset = off;
	ma->memory = 0;
	if (b->m->nmems == 0)
		return gate__body_fail(b, GATE_INVALID, "unknown memory 0");
	if (ma->align > info->align)
		return gate__body_fail(b, GATE_INVALID,
				       "alignment must not be larger than natural: 2^%u > %u bytes",
				       ma->align, 1u << info->align);
	return 0;
}

/* Reads the reserved memory index byte of memory.size/grow/copy/fill/init. */
static int read_zero(struct gate__body *b, struct gate__reader *r)
{
	uint8_t z;
	int e = gate__read_u8(r, &z);

	if (e)
		return fail_read(b, r, e);
	if (z != 0)
		return gate__body_fail(b, GATE_MALFORMED, "zero byte expected");
	if (b->m->nmems == 0)
		return gate__body_fail(b, GATE_INVALID, "unknown memory 0");
	return 0;
}

static int read_lane(struct gate__body *b, struct gate__reader *r, uint8_t lanes,
		     uint8_t *lane)
{
	int e = gate__read_u8(r, lane);

	if (e)
		return fail_read(b, r, e);
	if (*lane >= lanes)
		return gate__body_fail(b, GATE_INVALID, "invalid lane index %u", *lane);
	return 0;
}

static int table_index(struct gate__body *b, struct gate__reader *r, uint32_t *x)
{
	READ_U32(r, *x);
	if (*x >= b->m->ntables)
		return gate__body_fail(b, GATE_INVALID, "unknown table %u", *x);
	return 0;
}

static int elem_index(struct gate__body *b, struct gate__reader *r, uint32_t *x)
{
	READ_U32(r, *x);
	if (*x >= b->m->nelems)
		return gate__body_fail(b, GATE_INVALID, "unknown elem segment %u", *x);
	return 0;
}

static int data_index(struct gate__body *b, struct gate__reader *r, uint32_t *x)
{
	READ_U32(r, *x);
	if (!b->m->has_datacount)
		return gate__body_fail(b, GATE_MALFORMED, "data count section required");
	if (*x >= b->m->datacount)
		return gate__body_fail(b, GATE_INVALID, "unknown data segment %u", *x);
	return 0;
}

/* ---- the main loop ---- */

static const uint8_t i32x3[3] = { GATE__I32, GATE__I32, GATE__I32 };

/* Reports the instruction to the visitor; dead code when V is NULL. */
#define EMIT()                                                   \
	do {                                                     \
		if (V != NULL && V->instr != NULL) {             \
			in.op = op;                              \
			in.offset = start;                       \
			TRY(V->instr(V->ctx, b, &in));           \
		}                                                \
	} while (0)

#define SIG(np, pp, nq, qq)          \
	do {                         \
		in.npop = (np);      \
		in.pop = (pp);       \
		in.npush = (nq);     \
		in.push = (qq);      \
	} while (0)

GATE__INLINE int run_simple(struct gate__body *b, const struct gate__opinfo *info)
{
	for (uint32_t i = info->npop; i-- > 0;)
		TRY(gate__pop_expect(b, info->pop[i]));
	if (info->push)
		TRY(gate__push(b, info->push));
	return 0;
}

static int run_br_table(struct gate__body *b, struct gate__reader *r, struct gate__br_table *bt)
{
	const struct gate__frame *f = NULL;
	const uint8_t *want, *last = NULL, *it;
	uint32_t arity, n, lastn = 0;

	READ_U32(r, bt->count);
	if (bt->count > gate__left(r))
		return gate__body_fail(b, GATE_MALFORMED,
				       "unexpected end: br_table of %u targets in %zu bytes",
				       bt->count, gate__left(r));
	if (bt->count > b->c->lim->br_table)
		return gate__body_fail(b, GATE_LIMIT,
				       "br_table of %u targets exceeds the limit of %u", bt->count,
				       b->c->lim->br_table);
	bt->targets = r->p;
	/* first pass: decode and bound the depths, to reach the default */
	for (uint32_t i = 0; i < bt->count; i++) {
		uint32_t d;

		READ_U32(r, d);
		TRY(label(b, d, &f));
	}
	READ_U32(r, bt->default_depth);
	TRY(label(b, bt->default_depth, &f));
	TRY(gate__pop_expect(b, GATE__I32));
	arity = gate__label_types(f, &want);
	/* second pass: every target carries the default's arity and types */
	it = bt->targets;
	for (uint32_t i = 0; i < bt->count; i++) {
		const uint8_t *t;

		f = gate__body_frame(b, gate__next_u32(&it));
		n = gate__label_types(f, &t);
		if (n != arity)
			return gate__body_fail(b, GATE_INVALID,
					       "type mismatch: br_table target %u carries %u "
					       "values, the default %u",
					       i, n, arity);
		if (t == last && n == lastn)
			continue;
		TRY(gate__check_vals(b, t, n));
		last = t;
		lastn = n;
	}
	TRY(gate__pop_vals(b, want, arity));
	gate__set_unreachable(b);
	return 0;
}

static int run_select(struct gate__body *b, struct gate__reader *r, uint8_t op, uint8_t *types)
{
	uint8_t t1, t2;

	if (op == 0x1c) {
		uint32_t n;
		int e;

		READ_U32(r, n);
		if (n != 1)
			return gate__body_fail(b, GATE_INVALID,
					       "invalid result arity: select with %u types", n);
		e = gate__read_u8(r, &types[3]);
		if (e)
			return fail_read(b, r, e);
		if (!gate__is_valtype(types[3]))
			return gate__body_fail(b, GATE_MALFORMED, "malformed value type 0x%02x",
					       types[3]);
		TRY(gate__pop_expect(b, GATE__I32));
		TRY(gate__pop_expect(b, types[3]));
		TRY(gate__pop_expect(b, types[3]));
		types[0] = types[1] = types[3];
		types[2] = GATE__I32;
		return gate__push(b, types[3]);
	}
	TRY(gate__pop_expect(b, GATE__I32));
	TRY(gate__pop_any(b, &t1));
	TRY(gate__pop_any(b, &t2));
	/* untyped select takes numbers or vectors only (spec 3.3.4) */
	if (gate__is_reftype(t1) || gate__is_reftype(t2))
		return gate__body_fail(b, GATE_INVALID,
				       "type mismatch: select without a type operates on %s",
				       gate__valtype_name(gate__is_reftype(t1) ? t1 : t2));
	if (t1 != t2 && t1 != GATE__UNKNOWN && t2 != GATE__UNKNOWN)
		return gate__body_fail(b, GATE_INVALID,
				       "type mismatch: select operands %s and %s differ",
				       gate__valtype_name(t2), gate__valtype_name(t1));
	types[0] = t2;
	types[1] = t1;
	types[2] = GATE__I32;
	types[3] = t1 == GATE__UNKNOWN ? t2 : t1;
	return gate__push(b, types[3]);
}

/* 0xfc: saturating truncation, bulk memory, table instructions. */
GATE__INLINE int run_fc(struct gate__body *b, struct gate__reader *r, uint32_t sub,
				struct gate__instr *in)
{
	const struct gate_module *m = b->m;
	uint32_t x, y;

	switch (sub) {
	case 8: /* memory.init data 0x00 */
		TRY(data_index(b, r, &x));
		TRY(read_zero(b, r));
		in->imm.pair.a = x;
		in->imm.pair.b = 0;
		return gate__pop_vals(b, i32x3, 3);
	case 9: /* data.drop data */
		TRY(data_index(b, r, &in->imm.index));
		return 0;
	case 10: /* memory.copy 0x00 0x00 */
		TRY(read_zero(b, r));
		TRY(read_zero(b, r));
		in->imm.pair.a = in->imm.pair.b = 0;
		return gate__pop_vals(b, i32x3, 3);
	case 11: /* memory.fill 0x00 */
		TRY(read_zero(b, r));
		in->imm.index = 0;
		return gate__pop_vals(b, i32x3, 3);
	case 12: /* table.init elem table */
		TRY(elem_index(b, r, &y));
		TRY(table_index(b, r, &x));
		if (m->elems[y].type != m->tables[x].elem)
			return gate__body_fail(b, GATE_INVALID,
					       "type mismatch: table.init of %s segment %u into "
					       "table %u of %s",
					       gate__valtype_name(m->elems[y].type), y, x,
					       gate__valtype_name(m->tables[x].elem));
		in->imm.pair.a = y;
		in->imm.pair.b = x;
		return gate__pop_vals(b, i32x3, 3);
	case 13: /* elem.drop elem */
		return elem_index(b, r, &in->imm.index);
	case 14: /* table.copy dst src */
		TRY(table_index(b, r, &x));
		TRY(table_index(b, r, &y));
		if (m->tables[x].elem != m->tables[y].elem)
			return gate__body_fail(b, GATE_INVALID,
					       "type mismatch: table.copy from %s table %u to %s "
					       "table %u",
					       gate__valtype_name(m->tables[y].elem), y,
					       gate__valtype_name(m->tables[x].elem), x);
		in->imm.pair.a = x;
		in->imm.pair.b = y;
		return gate__pop_vals(b, i32x3, 3);
	case 15: /* table.grow table: [t i32] -> [i32] */
		TRY(table_index(b, r, &x));
		in->imm.index = x;
		b->scratch[0] = m->tables[x].elem;
		b->scratch[1] = GATE__I32;
		b->scratch[2] = GATE__I32;
		in->npop = 2;
		in->pop = b->scratch;
		in->npush = 1;
		in->push = &b->scratch[2];
		TRY(gate__pop_vals(b, b->scratch, 2));
		return gate__push(b, GATE__I32);
	case 16: /* table.size table */
		TRY(table_index(b, r, &in->imm.index));
		return gate__push(b, GATE__I32);
	case 17: /* table.fill table: [i32 t i32] -> [] */
		TRY(table_index(b, r, &x));
		in->imm.index = x;
		b->scratch[0] = GATE__I32;
		b->scratch[1] = m->tables[x].elem;
		b->scratch[2] = GATE__I32;
		in->npop = 3;
		in->pop = b->scratch;
		return gate__pop_vals(b, b->scratch, 3);
	}
	return gate__body_fail(b, GATE_MALFORMED, "illegal opcode 0xfc %u", sub);
}

/* 0xfd: SIMD. */
GATE__INLINE int run_fd(struct gate__body *b, struct gate__reader *r,
				const struct gate__opinfo *info, uint32_t sub,
				struct gate__instr *in)
{
	switch (info->cls) {
	case GATE__OPC_SIMPLE:
		return run_simple(b, info);
	case GATE__OPC_MEM:
		TRY(read_memarg(b, r, info, &in->imm.mem));
		return run_simple(b, info);
	case GATE__OPC_LANE:
		TRY(read_lane(b, r, info->lanes, &in->imm.lane));
		return run_simple(b, info);
	case GATE__OPC_MEM_LANE:
		TRY(read_memarg(b, r, info, &in->imm.mem_lane.mem));
		TRY(read_lane(b, r, info->lanes, &in->imm.mem_lane.lane));
		return run_simple(b, info);
	case GATE__OPC_SPECIAL:
		if (sub == 0x0c) { /* v128.const */
			READ_BYTES(r, in->imm.v128, 16);
			return gate__push(b, GATE__V128);
		}
		/* i8x16.shuffle: 16 lane indices into the 32 lanes of two vectors */
		READ_BYTES(r, in->imm.shuffle, 16);
		for (int i = 0; i < 16; i++) {
			if (in->imm.shuffle[i] >= 32)
				return gate__body_fail(b, GATE_INVALID, "invalid lane index %u",
						       in->imm.shuffle[i]);
		}
		return run_simple(b, info);
	}
	return gate__body_fail(b, GATE_MALFORMED, "illegal opcode 0xfd %u", sub);
}

GATE__INLINE int run(struct gate__body *b, struct gate__reader *r,
			     const struct gate__visitor *V)
{
	const struct gate_module *m = b->m;
	struct gate__instr in = { 0 };

	for (;;) {
		const struct gate__opinfo *info;
		struct gate__frame *f = gate__top(b);
		uint32_t start = (uint32_t)gate__off(r), x, y, op;
		uint8_t t;

		b->instr_off = start;
		if (r->p >= r->end)
			return gate__body_fail(
				b, GATE_MALFORMED,
				"END opcode expected: unexpected end of function body");
		op = *r->p++;
		info = &gate__ops[op];
		if (V != NULL) {
			in.unreachable = f->unreachable;
			in.frame = f;
			SIG(info->npop, info->pop, info->push != 0, &info->push);
		}
		switch (op) {
		case 0x00: /* unreachable */
			gate__set_unreachable(b);
			break;
		case 0x01: /* nop */
			break;
		case 0x02: /* block bt */
		case 0x03: /* loop bt */
		case 0x04: /* if bt */
			TRY(read_blocktype(b, r, &in.imm.block));
			if (op == 0x04)
				TRY(gate__pop_expect(b, GATE__I32));
			TRY(gate__pop_vals(b, in.imm.block.params, in.imm.block.nparams));
			TRY(gate__push_frame(b, op == 0x02 ? GATE__FRAME_BLOCK
					  : op == 0x03 ? GATE__FRAME_LOOP
						       : GATE__FRAME_IF,
				       &in.imm.block, start));
			SIG(in.imm.block.nparams, in.imm.block.params, in.imm.block.nparams,
			    in.imm.block.params);
			in.frame = gate__top(b);
			break;
		case 0x05: /* else */
			if (f->kind != GATE__FRAME_IF)
				return gate__body_fail(b, GATE_MALFORMED, "else without if");
			TRY(end_results(b));
			f->kind = GATE__FRAME_ELSE;
			f->unreachable = false;
			TRY(gate__push_vals(b, f->type.params, f->type.nparams));
			SIG(f->type.nresults, f->type.results, f->type.nparams, f->type.params);
			break;
		case 0x0b: /* end */
			TRY(end_results(b));
			/* an if without else has an empty else: params must be results */
			if (f->kind == GATE__FRAME_IF &&
			    (f->type.nparams != f->type.nresults ||
			     (f->type.nparams &&
			      memcmp(f->type.params, f->type.results, f->type.nparams))))
				return gate__body_fail(b, GATE_INVALID,
						       "type mismatch: if without else must "
						       "produce its parameters");
			b->closed = *f;
			b->nframes--;
			TRY(gate__push_vals(b, b->closed.type.results, b->closed.type.nresults));
			SIG(b->closed.type.nresults, b->closed.type.results,
			    b->closed.type.nresults, b->closed.type.results);
			in.frame = &b->closed;
			if (b->nframes == 0) {
				EMIT();
				return 0;
			}
			break;
		case 0x0c: /* br l */
		case 0x0d: /* br_if l */ {
			const struct gate__frame *lf = NULL;
			const uint8_t *lt;
			uint32_t n;

			READ_U32(r, in.imm.index);
			TRY(label(b, in.imm.index, &lf));
			n = gate__label_types(lf, &lt);
			if (op == 0x0c) {
				TRY(gate__pop_vals(b, lt, n));
				gate__set_unreachable(b);
				SIG(n, lt, 0, NULL);
			} else {
				TRY(gate__pop_expect(b, GATE__I32));
				TRY(gate__pop_vals(b, lt, n));
				TRY(gate__push_vals(b, lt, n));
				SIG(n, lt, n, lt);
			}
			break;
		}
		case 0x0e: /* br_table l* l */ {
			const uint8_t *lt;

			TRY(run_br_table(b, r, &in.imm.br_table));
			x = gate__label_types(gate__body_frame(b, in.imm.br_table.default_depth),
					      &lt);
			SIG(x, lt, 0, NULL);
			break;
		}
		case 0x0f: /* return */
			TRY(gate__pop_vals(b, gate__results(b->type), b->type->nresults));
			gate__set_unreachable(b);
			SIG(b->type->nresults, gate__results(b->type), 0, NULL);
			break;
		case 0x10: /* call f */ {
			const struct gate__functype *ft;

			READ_U32(r, in.imm.index);
			if (in.imm.index >= m->nfuncs)
				return gate__body_fail(b, GATE_INVALID, "unknown function %u",
						       in.imm.index);
			ft = gate__func_type(m, in.imm.index);
			TRY(gate__pop_vals(b, ft->types, ft->nparams));
			TRY(gate__push_vals(b, gate__results(ft), ft->nresults));
			SIG(ft->nparams, ft->types, ft->nresults, gate__results(ft));
			break;
		}
		case 0x11: /* call_indirect type table */ {
			const struct gate__functype *ft;

			READ_U32(r, y);
			TRY(table_index(b, r, &x));
			if (m->tables[x].elem != GATE__FUNCREF)
				return gate__body_fail(b, GATE_INVALID,
						       "type mismatch: call_indirect through "
						       "table %u of %s",
						       x, gate__valtype_name(m->tables[x].elem));
			if (y >= m->ntypes)
				return gate__body_fail(b, GATE_INVALID, "unknown type %u", y);
			ft = &m->types[y];
			TRY(gate__pop_expect(b, GATE__I32));
			TRY(gate__pop_vals(b, ft->types, ft->nparams));
			TRY(gate__push_vals(b, gate__results(ft), ft->nresults));
			in.imm.pair.a = y;
			in.imm.pair.b = x;
			SIG(ft->nparams, ft->types, ft->nresults, gate__results(ft));
			break;
		}
		case 0x1a: /* drop */
			TRY(gate__pop_any(b, &b->scratch[0]));
			SIG(1, b->scratch, 0, NULL);
			break;
		case 0x1b: /* select */
		case 0x1c: /* select t* */
			TRY(run_select(b, r, (uint8_t)op, b->scratch));
			in.imm.type = b->scratch[3];
			SIG(3, b->scratch, 1, &b->scratch[3]);
			break;
		case 0x20: /* local.get x */
		case 0x21: /* local.set x */
		case 0x22: /* local.tee x */
			READ_U32(r, x);
			if (x >= b->nlocals)
				return gate__body_fail(b, GATE_INVALID, "unknown local %u", x);
			t = x < b->nexpanded ? b->ltypes[x] : gate__body_local_type(b, x);
			if (op != 0x20)
				TRY(gate__pop_expect(b, t));
			if (op != 0x21)
				TRY(gate__push(b, t));
			in.imm.index = x;
			b->scratch[0] = t;
			SIG(op != 0x20, b->scratch, op != 0x21, b->scratch);
			break;
		case 0x23: /* global.get x */
		case 0x24: /* global.set x */
			READ_U32(r, x);
			if (x >= m->nglobals)
				return gate__body_fail(b, GATE_INVALID, "unknown global %u", x);
			if (op == 0x23) {
				TRY(gate__push(b, m->globals[x].type));
				SIG(0, NULL, 1, &m->globals[x].type);
			} else {
				if (!m->globals[x].mut)
					return gate__body_fail(b, GATE_INVALID,
							       "global is immutable: global %u", x);
				TRY(gate__pop_expect(b, m->globals[x].type));
				SIG(1, &m->globals[x].type, 0, NULL);
			}
			in.imm.index = x;
			break;
		case 0x25: /* table.get x */
			TRY(table_index(b, r, &x));
			TRY(gate__pop_expect(b, GATE__I32));
			TRY(gate__push(b, m->tables[x].elem));
			in.imm.index = x;
			SIG(1, info->pop, 1, &m->tables[x].elem);
			break;
		case 0x26: /* table.set x */
			TRY(table_index(b, r, &x));
			TRY(gate__pop_expect(b, m->tables[x].elem));
			TRY(gate__pop_expect(b, GATE__I32));
			in.imm.index = x;
			b->scratch[0] = GATE__I32;
			b->scratch[1] = m->tables[x].elem;
			SIG(2, b->scratch, 0, NULL);
			break;
		case 0x3f: /* memory.size 0x00 */
		case 0x40: /* memory.grow 0x00 */
			TRY(read_zero(b, r));
			in.imm.index = 0;
			TRY(run_simple(b, info));
			break;
		case 0x41: { /* i32.const */
			int64_t v;
			int e = gate__leb_s(r, 32, &v);

			if (e)
				return fail_read(b, r, e);
			in.imm.i32 = (int32_t)v;
			TRY(gate__push(b, GATE__I32));
			break;
		}
		case 0x42: { /* i64.const */
			int e = gate__leb_s(r, 64, &in.imm.i64);

			if (e)
				return fail_read(b, r, e);
			TRY(gate__push(b, GATE__I64));
			break;
		}
		case 0x43: /* f32.const */
			READ_BYTES(r, &in.imm.f32, 4);
			TRY(gate__push(b, GATE__F32));
			break;
		case 0x44: /* f64.const */
			READ_BYTES(r, &in.imm.f64, 8);
			TRY(gate__push(b, GATE__F64));
			break;
		case 0xd0: { /* ref.null t */
			int e = gate__read_u8(r, &t);

			if (e)
				return fail_read(b, r, e);
			if (!gate__is_reftype(t))
				return gate__body_fail(b, GATE_MALFORMED,
						       "malformed reference type 0x%02x", t);
			in.imm.type = t;
			b->scratch[3] = t;
			TRY(gate__push(b, t));
			SIG(0, NULL, 1, &b->scratch[3]);
			break;
		}
		case 0xd1: /* ref.is_null */
			TRY(gate__pop_any(b, &b->scratch[0]));
			if (b->scratch[0] != GATE__UNKNOWN && !gate__is_reftype(b->scratch[0]))
				return gate__body_fail(b, GATE_INVALID,
						       "type mismatch: expected a reference, "
						       "found %s",
						       gate__valtype_name(b->scratch[0]));
			TRY(gate__push(b, GATE__I32));
			b->scratch[3] = GATE__I32;
			SIG(1, b->scratch, 1, &b->scratch[3]);
			break;
		case 0xd2: /* ref.func x */
			READ_U32(r, x);
			if (x >= m->nfuncs)
				return gate__body_fail(b, GATE_INVALID, "unknown function %u", x);
			if (!gate__is_declared(m, x))
				return gate__body_fail(b, GATE_INVALID,
						       "undeclared function reference %u", x);
			in.imm.index = x;
			TRY(gate__push(b, GATE__FUNCREF));
			break;
		case 0xfc:
			READ_U32(r, x);
			op = GATE__OP_FC(x);
			info = x < GATE__FC_COUNT ? &gate__ops_fc[x] : &gate__ops[0x06];
			if (V != NULL)
				SIG(info->npop, info->pop, info->push != 0, &info->push);
			if (x < 8)
				TRY(run_simple(b, info));
			else
				TRY(run_fc(b, r, x, &in));
			break;
		case 0xfd:
			READ_U32(r, x);
			op = GATE__OP_FD(x);
			info = x < 256 ? &gate__ops_fd[x] : &gate__ops[0x06];
			if (V != NULL)
				SIG(info->npop, info->pop, info->push != 0, &info->push);
			TRY(run_fd(b, r, info, x, &in));
			break;
		default:
			switch (info->cls) {
			case GATE__OPC_SIMPLE:
				TRY(run_simple(b, info));
				break;
			case GATE__OPC_MEM:
				TRY(read_memarg(b, r, info, &in.imm.mem));
				TRY(run_simple(b, info));
				break;
			default:
				return gate__body_fail(b, GATE_MALFORMED, "illegal opcode 0x%02x",
						       op);
			}
		}
		EMIT();
	}
}

static int run_plain(struct gate__body *b, struct gate__reader *r)
{
	return run(b, r, NULL);
}

static int run_visited(struct gate__body *b, struct gate__reader *r,
		       const struct gate__visitor *v)
{
	return run(b, r, v);
}

void gate__body_init(struct gate__body *b, struct gate__ctx *c)
{
	memset(b, 0, sizeof(*b));
	b->c = c;
	b->m = c->m;
}

void gate__body_free(struct gate__body *b)
{
	free(b->stack);
	free(b->frames);
	free(b->ltypes);
	free(b->runs);
	memset(b, 0, sizeof(*b));
}

int gate__body_run(struct gate__body *b, uint32_t func, const struct gate__visitor *v)
{
	const struct gate__code *code;
	struct gate__reader r;
	struct gate__blocktype bt;
	int ret;

	if (func < b->m->nfunc_imports || func >= b->m->nfuncs)
		return gate__fail(b->c, GATE_INTERNAL, 0, "function %u has no body", func);
	code = &b->m->code[func - b->m->nfunc_imports];
	r = (struct gate__reader){ b->m->bytes + code->off, b->m->bytes + code->off + code->size,
				   b->m->bytes };

	b->c->func = func;
	b->func = func;
	b->type = gate__func_type(b->m, func);
	b->instr_off = code->off;
	b->sp = 0;
	b->nframes = 0;
	ret = gate__body_read_locals(b, &r, code->size);
	if (ret)
		goto out;
	bt = (struct gate__blocktype){ 0, b->type->nresults, NULL, gate__results(b->type) };
	ret = gate__push_frame(b, GATE__FRAME_FUNCTION, &bt, code->off);
	if (ret)
		goto out;
	if (v != NULL && v->begin_function != NULL) {
		ret = v->begin_function(v->ctx, b, func, b->type, b->nruns, b->runs);
		if (ret)
			goto out;
	}
	ret = v != NULL ? run_visited(b, &r, v) : run_plain(b, &r);
	if (ret)
		goto out;
	if (r.p != r.end) {
		b->instr_off = (uint32_t)gate__off(&r);
		ret = gate__body_fail(b, GATE_MALFORMED,
				      "section size mismatch: %zu bytes after the end of the "
				      "function",
				      gate__left(&r));
		goto out;
	}
	if (v != NULL && v->end_function != NULL)
		ret = v->end_function(v->ctx, b);
out:
	b->c->func = GATE__NO_FUNC;
	return ret;
}

int gate__validate_code(struct gate__ctx *c)
{
	struct gate__body b;
	int ret = 0;

	gate__body_init(&b, c);
	for (uint32_t i = c->m->nfunc_imports; i < c->m->nfuncs && !ret; i++)
		ret = gate__body_run(&b, i, NULL);
	gate__body_free(&b);
	return ret;
}
