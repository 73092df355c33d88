/* The body decoder's visitor interface (native/wasm/body.h). */
#include <string.h>

#include "../wasm/body.h"
#include "test.h"
#include "test_wasm_build.h"

struct rec {
	uint32_t ops[64];
	uint32_t offsets[64];
	uint32_t heights[64];
	uint8_t kinds[64];
	bool unreachable[64];
	union gate__imm imms[64];
	uint32_t n, begins, ends, func, nlocals, nruns, abort_at;
	struct gate__local_run runs[4];
	uint8_t add_pop[2], add_push;
	uint32_t targets[8], ntargets, default_depth;
};

static int on_begin(void *ctx, const struct gate__body *b, uint32_t func,
		    const struct gate__functype *type, uint32_t nruns,
		    const struct gate__local_run *runs)
{
	struct rec *r = ctx;

	(void)type;
	r->begins++;
	r->func = func;
	r->nlocals = b->nlocals;
	r->nruns = nruns;
	for (uint32_t i = 0; i < nruns && i < 4; i++)
		r->runs[i] = runs[i];
	return 0;
}

static int on_instr(void *ctx, const struct gate__body *b, const struct gate__instr *in)
{
	struct rec *r = ctx;

	if (r->n < 64) {
		r->ops[r->n] = in->op;
		r->offsets[r->n] = in->offset;
		r->heights[r->n] = gate__body_height(b);
		r->kinds[r->n] = in->frame->kind;
		r->unreachable[r->n] = in->unreachable;
		r->imms[r->n] = in->imm;
	}
	if (in->op == 0x6a && in->npop == 2 && in->npush == 1) {
		memcpy(r->add_pop, in->pop, 2);
		r->add_push = in->push[0];
	}
	if (in->op == 0x0e) {
		const uint8_t *it = in->imm.br_table.targets;

		r->ntargets = in->imm.br_table.count;
		for (uint32_t i = 0; i < r->ntargets && i < 8; i++)
			r->targets[i] = gate__br_table_next(&it);
		r->default_depth = in->imm.br_table.default_depth;
	}
	if (++r->n == r->abort_at)
		return gate__body_fail(b, GATE_OUT_OF_MEMORY, "visitor gave up");
	return 0;
}

static int on_end(void *ctx, const struct gate__body *b)
{
	struct rec *r = ctx;

	(void)b;
	r->ends++;
	return 0;
}

/* Decodes w, then runs every body through the recording visitor. */
static int visit(struct wb *w, struct rec *r, char *err, size_t len)
{
	const struct gate__visitor v = { r, on_begin, on_instr, on_end };
	struct gate__ctx c = { .err = err, .err_len = len, .func = GATE__NO_FUNC };
	struct gate__body b;
	gate_module *m;
	int st = gate_module_new(w->p, w->n, NULL, &m, err, len);

	wb_free(w);
	if (st)
		return st;
	c.m = m;
	c.lim = &m->limits;
	gate__body_init(&b, &c);
	for (uint32_t f = m->nfunc_imports; f < m->nfuncs && !st; f++)
		st = gate__body_run(&b, f, &v);
	gate__body_free(&b);
	gate_module_free(m);
	return st;
}

TEST(visitor_sees_each_instruction_with_types_and_offsets)
{
	struct wb w = wb_module();
	struct rec r = { 0 };
	char err[256];

	wb_section(&w, 1, B(0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f));
	wb_section(&w, 3, B(0x01, 0x00));
	wb_section(&w, 10, B(0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b));
	CHECK_EQ(visit(&w, &r, err, sizeof(err)), GATE_OK);
	CHECK_EQ(r.begins, 1);
	CHECK_EQ(r.ends, 1);
	CHECK_EQ(r.func, 0);
	CHECK_EQ(r.nlocals, 2);
	CHECK_EQ(r.n, 4);
	CHECK_EQ(r.ops[0], 0x20);
	CHECK_EQ(r.imms[1].index, 1);
	CHECK_EQ(r.ops[2], 0x6a);
	CHECK_EQ(r.ops[3], 0x0b);
	/* module offsets: header 8, type section 9, function section 4, code
	 * section header 2, count 1, body size 1, local declarations 1 */
	CHECK_EQ(r.offsets[0], 26);
	CHECK_EQ(r.offsets[2], 30);
	CHECK_EQ(r.heights[0], 1);
	CHECK_EQ(r.heights[1], 2);
	CHECK_EQ(r.heights[2], 1);
	CHECK_EQ(r.add_pop[0], GATE__I32);
	CHECK_EQ(r.add_pop[1], GATE__I32);
	CHECK_EQ(r.add_push, GATE__I32);
	CHECK_EQ(r.kinds[3], GATE__FRAME_FUNCTION);
}

TEST(visitor_gets_normalized_prefixed_opcodes_and_immediates)
{
	struct rec r = { 0 };
	char err[256];
	struct wb w = wb_func_module(B(0x00, 0xfd, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
				       14, 15, 16, 0xfd, 0x15, 0x03, 0x1a, 0x43, 0x00, 0x00, 0x80,
				       0x3f, 0xfc, 0x00, 0x1a, 0x42, 0x7f, 0x1a, 0x0b));

	CHECK_EQ(visit(&w, &r, err, sizeof(err)), GATE_OK);
	CHECK_EQ(r.ops[0], 0xfd000c);
	CHECK_EQ(r.imms[0].v128[15], 16);
	CHECK_EQ(r.ops[1], 0xfd0015);
	CHECK_EQ(r.imms[1].lane, 3);
	CHECK_EQ(r.ops[3], 0x43);
	CHECK_EQ(r.imms[3].f32, 0x3f800000);
	CHECK_EQ(r.ops[4], 0xfc0000);
	CHECK_EQ(r.ops[6], 0x42);
	CHECK_EQ(r.imms[6].i64, -1);
}

TEST(visitor_reports_frames_locals_and_br_table)
{
	struct rec r = { 0 };
	char err[256];
	/* locals 3 x i32, 0 x f32, 2 x i64; block; unreachable; br_table 0 1 0 */
	struct wb w = wb_func_module(B(0x03, 0x03, 0x7f, 0x00, 0x7d, 0x02, 0x7e, 0x02, 0x40, 0x00,
				       0x0e, 0x02, 0x00, 0x01, 0x00, 0x0b, 0x0b));

	CHECK_EQ(visit(&w, &r, err, sizeof(err)), GATE_OK);
	CHECK_EQ(r.nlocals, 5);
	CHECK_EQ(r.nruns, 2);
	CHECK_EQ(r.runs[0].first, 0);
	CHECK_EQ(r.runs[0].count, 3);
	CHECK_EQ(r.runs[1].first, 3);
	CHECK_EQ(r.runs[1].type, GATE__I64);
	CHECK_EQ(r.ops[0], 0x02);
	CHECK_EQ(r.kinds[0], GATE__FRAME_BLOCK);
	CHECK(!r.unreachable[1]);
	CHECK(r.unreachable[2]); /* br_table follows unreachable */
	CHECK_EQ(r.ntargets, 2);
	CHECK_EQ(r.targets[0], 0);
	CHECK_EQ(r.targets[1], 1);
	CHECK_EQ(r.default_depth, 0);
	CHECK_EQ(r.kinds[3], GATE__FRAME_BLOCK); /* end reports the closed frame */
}

TEST(visitor_can_abort)
{
	struct rec r = { .abort_at = 2 };
	char err[256];
	struct wb w = wb_func_module(B(0x00, 0x01, 0x01, 0x01, 0x0b));

	CHECK_EQ(visit(&w, &r, err, sizeof(err)), GATE_OUT_OF_MEMORY);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.ends, 0);
	CHECK(strstr(err, "Cannot decode function 0: visitor gave up at offset") != NULL);
}

TEST(visitor_local_types_beyond_expansion)
{
	/* 40,000 locals in an 8-byte body: most are found through the runs */
	struct rec r = { 0 };
	char err[256];
	struct wb w = wb_func_module(B(0x02, 0x01, 0x7d, 0xbf, 0xb8, 0x02, 0x7c, 0x0b));
	gate_module *m;
	struct gate__ctx c = { .err = err, .err_len = sizeof(err), .func = GATE__NO_FUNC };
	struct gate__body b;

	CHECK_EQ(gate_module_new(w.p, w.n, NULL, &m, err, sizeof(err)), GATE_OK);
	c.m = m;
	c.lim = &m->limits;
	gate__body_init(&b, &c);
	CHECK_EQ(gate__body_run(&b, 0, NULL), GATE_OK);
	CHECK_EQ(b.nlocals, 40000);
	CHECK(b.nexpanded < 200);
	CHECK_EQ(gate__body_local_type(&b, 0), GATE__F32);
	CHECK_EQ(gate__body_local_type(&b, 1), GATE__F64);
	CHECK_EQ(gate__body_local_type(&b, 39999), GATE__F64);
	CHECK_EQ(gate__body_local_type(&b, 40000), GATE__UNKNOWN);
	gate__body_free(&b);
	gate_module_free(m);
	wb_free(&w);
	(void)r;
}
