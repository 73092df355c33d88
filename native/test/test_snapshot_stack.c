/* gate.stack: stacks with frames of every kind round trip, and the stack
 * rules reject frames the code could not have, in the encoder (the caller's
 * bug: GATE_INVALID_ARGUMENT) and in the decoder (an untrusted snapshot:
 * GATE_MALFORMED), with a message naming the frame. */
#include "../wasm/body.h"
#include "test.h"
#include "test_snapshot_util.h"

/* Functions: 0 $h (imported), 1 $leaf, 2 $mid, 3 $main, 4 $other,
 * 5 $unreach, 6 $hidden (exported only: a stack moves the exports into
 * gate.export, so a declaration segment must keep ref.func $hidden valid). */
static const char *const stack_wat =
    "(module\n"
    " (type $t (func (param i32) (result i32)))\n"
    " (import \"env\" \"host\" (func $h (param i32 i64) (result i32)))\n"
    " (memory 1)\n"
    " (table $tab 4 funcref)\n"
    " (elem (i32.const 0) $leaf)\n"
    " (elem $e func $leaf)\n"
    " (data $d \"xyz\")\n"
    " (func $leaf (type $t) (local i64)\n"
    "  i32.const 5\n"
    "  loop (param i32) (result i32)\n"
    "   local.get 0\n"
    "   br_if 0\n"
    "  end\n"
    "  drop\n"
    "  local.get 0)\n"
    " (func $mid (param i32) (result i32) (local f32)\n"
    "  ref.null func\n"
    "  local.get 0\n"
    "  call $leaf\n"
    "  drop\n"
    "  drop\n"
    "  local.get 0)\n"
    " (func $main (export \"main\") (param i32) (result i32) (local i64 f64)\n"
    "  i64.const 7\n"
    "  f32.const 1\n"
    "  local.get 0\n"
    "  call $mid\n"
    "  drop drop drop\n"
    "  f64.const 2\n"
    "  i32.const 0 i32.const 1 i32.const 10\n"
    "  memory.fill\n"
    "  drop\n"
    "  i32.const 9\n"
    "  local.get 0\n"
    "  i32.const 0\n"
    "  call_indirect (type $t)\n"
    "  drop drop\n"
    "  local.get 0\n"
    "  i64.const 3\n"
    "  call $h\n"
    "  drop\n"
    "  i32.const 0 ref.null func i32.const 1\n"
    "  table.fill $tab\n"
    "  i32.const 0 i32.const 0 i32.const 1\n"
    "  memory.init $d\n"
    "  i32.const 0 i32.const 0 i32.const 1\n"
    "  table.init $tab $e\n"
    "  i32.const 0 i32.const 0 i32.const 1\n"
    "  memory.copy\n"
    "  i32.const 0 i32.const 0 i32.const 1\n"
    "  table.copy $tab $tab\n"
    "  ref.func $hidden\n"
    "  drop\n"
    "  local.get 0)\n"
    " (func $other (param i64) (result i32) i32.const 0)\n"
    " (func $unreach (result i32) unreachable i32.const 1 call $leaf)\n"
    " (func $hidden (export \"hidden\")))\n";

enum { F_H, F_LEAF, F_MID, F_MAIN, F_OTHER, F_UNREACH };

/* Body-relative offsets of the instructions the frames stop at. */
struct offs {
	uint32_t leaf_first, leaf_loop, leaf_drop, mid_call, mid_first, mid_local;
	uint32_t main_first, main_call_mid, main_fill, main_indirect, main_call_h, main_tfill;
	uint32_t main_minit, main_tinit, main_mcopy, main_tcopy, main_i64;
	uint32_t unreach_call, other_first;
};

struct find {
	const gate_module *m;
	struct offs *o;
	uint32_t body, n, ncalls;
};

static int on_begin(void *ctx, const struct gate__body *b, uint32_t func,
		    const struct gate__functype *type, uint32_t nruns,
		    const struct gate__local_run *runs)
{
	struct find *f = ctx;

	(void)b;
	(void)type;
	(void)nruns;
	(void)runs;
	f->body = f->m->code[func - f->m->nfunc_imports].off;
	f->n = 0;
	f->ncalls = 0;
	return 0;
}

static int on_instr(void *ctx, const struct gate__body *b, const struct gate__instr *in)
{
	struct find *f = ctx;
	struct offs *o = f->o;
	uint32_t at = in->offset - f->body;

	switch (b->func) {
	case F_LEAF:
		if (f->n == 0)
			o->leaf_first = at;
		if (in->op == 0x03)
			o->leaf_loop = at;
		if (in->op == 0x1a)
			o->leaf_drop = at;
		break;
	case F_MID:
		if (f->n == 0)
			o->mid_first = at;
		if (f->n == 1)
			o->mid_local = at;
		if (in->op == 0x10)
			o->mid_call = at;
		break;
	case F_MAIN:
		if (f->n == 0) {
			o->main_first = at;
			o->main_i64 = at;
		}
		if (in->op == 0x10 && f->ncalls++ == 0)
			o->main_call_mid = at;
		else if (in->op == 0x10)
			o->main_call_h = at;
		if (in->op == 0x11)
			o->main_indirect = at;
		if (in->op == GATE__OP_FC(11))
			o->main_fill = at;
		if (in->op == GATE__OP_FC(17))
			o->main_tfill = at;
		if (in->op == GATE__OP_FC(8))
			o->main_minit = at;
		if (in->op == GATE__OP_FC(12))
			o->main_tinit = at;
		if (in->op == GATE__OP_FC(10))
			o->main_mcopy = at;
		if (in->op == GATE__OP_FC(14))
			o->main_tcopy = at;
		break;
	case F_OTHER:
		if (f->n == 0)
			o->other_first = at;
		break;
	case F_UNREACH:
		if (in->op == 0x10)
			o->unreach_call = at;
		break;
	}
	f->n++;
	return 0;
}

static int find_offsets(const uint8_t *w, size_t n, struct offs *o)
{
	gate_module *m;
	char err[256];
	struct find f = {.o = o};
	const struct gate__visitor v = {&f, on_begin, on_instr, NULL};
	struct gate__ctx c = {.err = err, .err_len = sizeof(err), .func = GATE__NO_FUNC};
	struct gate__body b;
	int ret = gate_module_new(w, n, NULL, &m, err, sizeof(err));

	if (ret)
		return ret;
	f.m = m;
	c.m = m;
	c.lim = &m->limits;
	gate__body_init(&b, &c);
	for (uint32_t i = m->nfunc_imports; i < m->nfuncs && !ret; i++)
		ret = gate__body_run(&b, i, &v);
	gate__body_free(&b);
	gate_module_free(m);
	return ret;
}

/* ---- building stacks ---- */

#define I32(x) {GATE__I32, (uint32_t)(x)}
#define I64(x) {GATE__I64, (uint64_t)(x)}
#define F32(x) {GATE__F32, (x)}
#define F64(x) {GATE__F64, (x)}
#define FREF(x) {GATE__FUNCREF, (x)}

struct fspec {
	uint8_t kind;
	uint32_t func, offset, nlocals, nstack;
	struct gate_pvalue v[8];
};

/* A stack (owned: gate_pstack_clear) from specs, innermost first. */
static struct gate_pstack make(const struct fspec *s, uint32_t n)
{
	struct gate_pstack st = {n, calloc(n + 1, sizeof(struct gate_pframe))};

	for (uint32_t i = 0; i < n; i++) {
		uint32_t nv = s[i].nlocals + s[i].nstack;

		st.frames[i] = (struct gate_pframe){
		    s[i].kind,	  s[i].func,   s[i].offset,
		    s[i].nlocals, s[i].nstack, malloc((nv + 1) * sizeof(struct gate_pvalue))};
		memcpy(st.frames[i].values, s[i].v, nv * sizeof(struct gate_pvalue));
	}
	return st;
}

#define MAKE(...)                                                                                  \
	make((const struct fspec[]){__VA_ARGS__},                                                  \
	     sizeof((const struct fspec[]){__VA_ARGS__}) / sizeof(struct fspec))

static bool same_stack(const struct gate_pstack *a, const struct gate_pstack *b)
{
	if (a->nframes != b->nframes)
		return false;
	for (uint32_t i = 0; i < a->nframes; i++) {
		const struct gate_pframe *x = &a->frames[i], *y = &b->frames[i];

		if (x->kind != y->kind || x->func != y->func || x->offset != y->offset ||
		    x->nlocals != y->nlocals || x->nstack != y->nstack)
			return false;
		for (uint32_t k = 0; k < x->nlocals + x->nstack; k++)
			if (x->values[k].type != y->values[k].type ||
			    x->values[k].bits != y->values[k].bits)
				return false;
	}
	return true;
}

struct fixture {
	uint8_t *w;
	size_t wlen;
	struct offs o;
	uint8_t *mem;
	uint64_t tab[4];
	uint64_t *tabs[1];
	uint32_t tlen[1];
	uint8_t ddrop[1], edrop[2];
};

static bool setup(struct fixture *x)
{
	memset(x, 0, sizeof(*x));
	x->w = wat2wasm(stack_wat, &x->wlen);
	x->mem = calloc(1, 65536);
	if (x->w == NULL || x->mem == NULL || find_offsets(x->w, x->wlen, &x->o))
		return false;
	x->tab[0] = F_LEAF;
	x->tab[1] = x->tab[2] = x->tab[3] = GATE_PNULL;
	x->tabs[0] = x->tab;
	x->tlen[0] = 4;
	x->edrop[0] = 1;
	return true;
}

static void teardown(struct fixture *x)
{
	free(x->w);
	free(x->mem);
}

static struct gate_snapshot state(struct fixture *x, const struct gate_pstack *stack)
{
	struct gate_snapshot st = {0};

	st.trap = GATE_TRAP_SUSPENDED;
	st.memory = x->mem;
	st.memory_len = 65536;
	st.ntables = 1;
	st.table_len = x->tlen;
	st.tables = x->tabs;
	st.ndata = 1;
	st.data_dropped = x->ddrop;
	st.nelem = 2;
	st.elem_dropped = x->edrop;
	st.stack = *stack;
	return st;
}

/* The common tail: $mid waiting in call $leaf, $main waiting in call $mid. */
#define MID_MAIN(o)                                                                                \
	{GATE_PFRAME_CALL, F_MID, (o).mid_call, 2, 1, {I32(3), F32(0), FREF(GATE_PNULL)}},         \
	{                                                                                          \
		GATE_PFRAME_CALL, F_MAIN, (o).main_call_mid, 3, 2,                                 \
		{                                                                                  \
			I32(3), I64(0), F64(0), I64(7), F32(0x3f800000)                            \
		}                                                                                  \
	}

/* Encodes stack, decodes the snapshot and checks the stack came back. */
static bool round_trip(struct fixture *x, const struct gate_pstack *stack)
{
	struct gate_snapshot st = state(x, stack), dec;
	size_t len = 0;
	uint8_t *snap = snap_encode(x->w, x->wlen, &st, &len);
	char err[512] = "";
	bool ok;

	if (snap == NULL)
		return false;
	ok = snap_wabt_valid(snap, len);
	if (gate_snapshot_decode(snap, len, &dec, err, sizeof(err))) {
		fprintf(stderr, "  decode: %s\n", err);
		free(snap);
		return false;
	}
	ok = ok && same_stack(stack, &dec.stack);
	gate_snapshot_free(&dec);
	free(snap);
	return ok;
}

TEST(snapshot_stack_round_trips_frames_of_every_kind)
{
	struct fixture x;
	struct gate_pstack st;

	CHECK(setup(&x));
	struct offs o = x.o;

	/* AT a loop, with the loop's parameter on the stack */
	st = MAKE({GATE_PFRAME_AT, F_LEAF, o.leaf_loop, 2, 1, {I32(3), I64(-1), I32(5)}},
		  MID_MAIN(o));
	CHECK(round_trip(&x, &st));
	gate_pstack_clear(&st);
	/* AT a function's first instruction (just called) */
	st = MAKE({GATE_PFRAME_AT, F_LEAF, o.leaf_first, 2, 0, {I32(-7), I64(0)}}, MID_MAIN(o));
	CHECK(round_trip(&x, &st));
	gate_pstack_clear(&st);
	/* AT the entry: nothing ran yet */
	st = MAKE({GATE_PFRAME_AT, F_MAIN, o.main_first, 3, 0, {I32(1), I64(0), F64(0)}});
	CHECK(round_trip(&x, &st));
	gate_pstack_clear(&st);
	/* call_indirect into a function of its type, funcref values */
	st = MAKE({GATE_PFRAME_AT, F_LEAF, o.leaf_loop, 2, 1, {I32(3), I64(1), I32(5)}},
		  {GATE_PFRAME_CALL,
		   F_MAIN,
		   o.main_indirect,
		   3,
		   1,
		   {I32(3), I64(0x8000000000000000ull), F64(0x7ff8000000000001ull), I32(9)}});
	CHECK(round_trip(&x, &st));
	gate_pstack_clear(&st);
	/* an imported function that did not finish */
	st = MAKE({GATE_PFRAME_HOST, F_H, 0, 0, 2, {I32(3), I64(3)}},
		  {GATE_PFRAME_CALL, F_MAIN, o.main_call_h, 3, 0, {I32(3), I64(0), F64(0)}});
	CHECK(round_trip(&x, &st));
	gate_pstack_clear(&st);
	/* only an imported function (invoked directly) */
	st = MAKE({GATE_PFRAME_HOST, F_H, 0, 0, 2, {I32(0), I64(0)}});
	CHECK(round_trip(&x, &st));
	gate_pstack_clear(&st);
	/* bulk instructions the host runs in pieces: what is left of each */
	st = MAKE({GATE_PFRAME_HOST, GATE_PHOST_MEMORY_FILL, 0, 0, 3, {I32(5), I32(1), I32(5)}},
		  {GATE_PFRAME_CALL,
		   F_MAIN,
		   o.main_fill,
		   3,
		   1,
		   {I32(3), I64(0), F64(0), F64(0x4000000000000000ull)}});
	CHECK(round_trip(&x, &st));
	gate_pstack_clear(&st);
	st =
	    MAKE({GATE_PFRAME_HOST, GATE_PHOST_TABLE_FILL, 0, 0, 3, {I32(0), FREF(F_LEAF), I32(1)}},
		 {GATE_PFRAME_CALL, F_MAIN, o.main_tfill, 3, 0, {I32(3), I64(0), F64(0)}});
	CHECK(round_trip(&x, &st));
	gate_pstack_clear(&st);
	{
		static const uint32_t ops[4] = {GATE_PHOST_MEMORY_INIT, GATE_PHOST_TABLE_INIT,
						GATE_PHOST_MEMORY_COPY, GATE_PHOST_TABLE_COPY};
		uint32_t at[4] = {o.main_minit, o.main_tinit, o.main_mcopy, o.main_tcopy};

		for (int k = 0; k < 4; k++) {
			st =
			    MAKE({GATE_PFRAME_HOST, ops[k], 0, 0, 3, {I32(1), I32(0), I32(0)}},
				 {GATE_PFRAME_CALL, F_MAIN, at[k], 3, 0, {I32(3), I64(0), F64(0)}});
			CHECK(round_trip(&x, &st));
			gate_pstack_clear(&st);
		}
	}
	teardown(&x);
}

/* With a stack the exports move into gate.export, and $hidden, declared
 * only by its export, gets a declaration segment: the snapshot is valid. */
TEST(snapshot_stack_hides_exports_and_keeps_declarations)
{
	struct fixture x;
	struct gate_pstack st;
	struct gate_snapshot s;
	size_t len = 0, len2 = 0;
	uint8_t *snap, *again;
	gate_module *m;
	char err[256];

	CHECK(setup(&x));
	st = MAKE({GATE_PFRAME_AT, F_MAIN, x.o.main_first, 3, 0, {I32(1), I64(0), F64(0)}});
	s = state(&x, &st);
	snap = snap_encode(x.w, x.wlen, &s, &len);
	CHECK(snap != NULL);
	/* no entry for an engine that ignores gate.stack, yet ref.func
	 * $hidden stays valid */
	CHECK_EQ(gate_module_new(snap, len, NULL, &m, err, sizeof(err)), GATE_OK);
	CHECK_EQ(m->nexports, 0);
	CHECK(gate__is_declared(m, 6));
	gate_module_free(m);
	/* resumed and suspended again at the same place: the same bytes */
	again = snap_encode(snap, len, &s, &len2);
	CHECK(again != NULL);
	CHECK_EQ(len2, len);
	CHECK(!memcmp(snap, again, len));
	free(again);
	/* finished: the exports come back from gate.export */
	s.stack = (struct gate_pstack){0};
	again = snap_encode(snap, len, &s, &len2);
	CHECK(again != NULL);
	CHECK_EQ(gate_module_new(again, len2, NULL, &m, err, sizeof(err)), GATE_OK);
	CHECK_EQ(m->nexports, 2);
	gate_module_free(m);
	free(again);
	free(snap);
	gate_pstack_clear(&st);
	teardown(&x);
}

TEST(snapshot_describe_names_frames)
{
	struct fixture x;
	struct gate_pstack st;
	struct gate_snapshot s;
	size_t len = 0;
	uint8_t *snap;
	char json[2048], err[256];
	int64_t n;

	CHECK(setup(&x));
	st = MAKE({GATE_PFRAME_HOST, GATE_PHOST_MEMORY_FILL, 0, 0, 3, {I32(5), I32(1), I32(5)}},
		  {GATE_PFRAME_CALL,
		   F_MAIN,
		   x.o.main_fill,
		   3,
		   1,
		   {I32(-3), I64(0), F64(0), F64(0x4000000000000000ull)}});
	s = state(&x, &st);
	snap = snap_encode(x.w, x.wlen, &s, &len);
	CHECK(snap != NULL);
	n = gate_snapshot_describe(snap, len, json, sizeof(json), err, sizeof(err));
	CHECK(n > 0 && n < (int64_t)sizeof(json));
	json[n] = '\0';
	CHECK(strstr(json, "{\"kind\":\"host\",\"instruction\":\"memory.fill\","
			   "\"args\":[\"i32:5\",\"i32:1\",\"i32:5\"]}") != NULL);
	CHECK(strstr(json, "\"kind\":\"call\",\"function\":3,\"name\":\"main\"") != NULL);
	CHECK(strstr(json, "\"locals\":[\"i32:-3\",\"i64:0\",\"f64:0\"],\"stack\":[\"f64:2\"]") !=
	      NULL);
	/* a short buffer gets the length */
	CHECK_EQ(gate_snapshot_describe(snap, len, json, 10, err, sizeof(err)), n);
	free(snap);
	gate_pstack_clear(&st);
	teardown(&x);
}

/* ---- rejections ---- */

/* Replaces the gate.stack payload of a valid snapshot with bad's encoding
 * (which the encoder would refuse). */
static uint8_t *with_stack(const uint8_t *snap, size_t len, const struct gate_pstack *bad,
			   size_t *out_len)
{
	struct snap_sec v[32];
	size_t n = snap_split(snap, len, v, 32);
	struct gate__sbuf p = {0};
	struct snap_sec repl;
	uint8_t *out;

	gate__sstack_put(&p, bad);
	repl = snap_custom("gate.stack", p.p, p.n);
	gate__sbuf_free(&p);
	for (size_t i = 0; i < n; i++)
		if (v[i].gate == GATE__S_STACK)
			v[i] = repl;
	out = snap_join(v, n, out_len);
	free((void *)repl.p);
	return out;
}

/* The bad stack: the encoder refuses it, and a snapshot that carries it is
 * malformed; both messages contain needle. */
static bool rejected(struct fixture *x, const struct gate_pstack *bad, const char *needle)
{
	struct fixture y = *x;
	struct gate_pstack good =
	    MAKE({GATE_PFRAME_AT, F_MAIN, x->o.main_first, 3, 0, {I32(1), I64(0), F64(0)}});
	struct gate_snapshot st = state(&y, bad), dec;
	uint8_t *snap = NULL, *crafted;
	size_t len = 0, clen = 0;
	char err[512] = "";
	int ret = gate_snapshot_encode(x->w, x->wlen, &st, &snap, &len, err, sizeof(err));
	bool ok = ret == GATE_INVALID_ARGUMENT && strstr(err, needle) != NULL;

	if (!ok)
		fprintf(stderr, "  encode: %s: %s\n", gate_status_name(ret), err);
	free(snap);
	st = state(&y, &good);
	snap = snap_encode(x->w, x->wlen, &st, &len);
	gate_pstack_clear(&good);
	if (snap == NULL)
		return false;
	crafted = with_stack(snap, len, bad, &clen);
	free(snap);
	if (crafted == NULL)
		return false;
	err[0] = '\0';
	ret = gate_snapshot_decode(crafted, clen, &dec, err, sizeof(err));
	if (ret == GATE_OK)
		gate_snapshot_free(&dec);
	if (ret != GATE_MALFORMED || strstr(err, needle) == NULL) {
		fprintf(stderr, "  decode: %s: %s\n", gate_status_name(ret), err);
		ok = false;
	}
	free(crafted);
	return ok;
}

#define REJECTED(needle, ...)                                                                      \
	do {                                                                                       \
		struct gate_pstack bad_ = MAKE(__VA_ARGS__);                                       \
		bool r_ = rejected(&x, &bad_, needle);                                             \
		gate_pstack_clear(&bad_);                                                          \
		CHECK(r_);                                                                         \
	} while (0)

TEST(snapshot_stack_rejects_wrong_offsets)
{
	struct fixture x;

	CHECK(setup(&x));
	struct offs o = x.o;

	REJECTED("frame 0 (AT function 1 \"leaf\"): offset",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_loop + 1, 2, 1, {I32(3), I64(0), I32(5)}},
		 MID_MAIN(o));
	REJECTED("is not an instruction boundary",
		 {GATE_PFRAME_AT, F_LEAF, 1000, 2, 1, {I32(3), I64(0), I32(5)}}, MID_MAIN(o));
	REJECTED("is not an instruction boundary",
		 {GATE_PFRAME_AT, F_LEAF, 0, 2, 0, {I32(3), I64(0)}}, MID_MAIN(o));
	REJECTED("not a loop or the first instruction",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_drop, 2, 1, {I32(3), I64(0), I32(5)}},
		 MID_MAIN(o));
	REJECTED("frame 1 (CALL function 2 \"mid\"): offset",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_first, 2, 0, {I32(3), I64(0)}},
		 {GATE_PFRAME_CALL, F_MID, o.mid_local, 2, 1, {I32(3), F32(0), FREF(GATE_PNULL)}},
		 {GATE_PFRAME_CALL,
		  F_MAIN,
		  o.main_call_mid,
		  3,
		  2,
		  {I32(3), I64(0), F64(0), I64(7), F32(0)}});
	REJECTED("not a call", {GATE_PFRAME_AT, F_LEAF, o.leaf_first, 2, 0, {I32(3), I64(0)}},
		 {GATE_PFRAME_CALL, F_MAIN, o.main_i64, 3, 0, {I32(3), I64(0), F64(0)}});
	REJECTED("in unreachable code",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_first, 2, 0, {I32(3), I64(0)}},
		 {GATE_PFRAME_CALL, F_UNREACH, o.unreach_call, 0, 0, {{0, 0}}});
	teardown(&x);
}

TEST(snapshot_stack_rejects_wrong_types_and_counts)
{
	struct fixture x;

	CHECK(setup(&x));
	struct offs o = x.o;

	REJECTED("operand 0 is i64, the code has i32",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_loop, 2, 1, {I32(3), I64(0), I64(5)}},
		 MID_MAIN(o));
	REJECTED("local 1 is f64, the function's is i64",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_loop, 2, 1, {I32(3), F64(0), I32(5)}},
		 MID_MAIN(o));
	REJECTED("1 locals, the function has 2",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_loop, 1, 1, {I32(3), I32(5)}}, MID_MAIN(o));
	REJECTED("2 operands, the code has 1",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_loop, 2, 2, {I32(3), I64(0), I32(5), I32(5)}},
		 MID_MAIN(o));
	REJECTED("0 operands, the code has 2",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_first, 2, 0, {I32(3), I64(0)}},
		 {GATE_PFRAME_CALL, F_MID, o.mid_call, 2, 1, {I32(3), F32(0), FREF(GATE_PNULL)}},
		 {GATE_PFRAME_CALL, F_MAIN, o.main_call_mid, 3, 0, {I32(3), I64(0), F64(0)}});
	REJECTED("argument 1 is i32, the function takes i64",
		 {GATE_PFRAME_HOST, F_H, 0, 0, 2, {I32(3), I32(3)}},
		 {GATE_PFRAME_CALL, F_MAIN, o.main_call_h, 3, 0, {I32(3), I64(0), F64(0)}});
	REJECTED("argument 1 is i32, the instruction takes funcref",
		 {GATE_PFRAME_HOST, GATE_PHOST_TABLE_FILL, 0, 0, 3, {I32(0), I32(0), I32(1)}},
		 {GATE_PFRAME_CALL, F_MAIN, o.main_tfill, 3, 0, {I32(3), I64(0), F64(0)}});
	REJECTED("2 arguments, the instruction takes 3",
		 {GATE_PFRAME_HOST, GATE_PHOST_MEMORY_FILL, 0, 0, 2, {I32(0), I32(0)}},
		 {GATE_PFRAME_CALL, F_MAIN, o.main_fill, 3, 1, {I32(3), I64(0), F64(0), F64(0)}});
	teardown(&x);
}

TEST(snapshot_stack_rejects_unknown_functions_and_inconsistent_callees)
{
	struct fixture x;

	CHECK(setup(&x));
	struct offs o = x.o;

	REJECTED("frame 0 (AT function 99): unknown function",
		 {GATE_PFRAME_AT, 99, 0, 0, 0, {{0, 0}}});
	REJECTED("an imported function has no wasm frame",
		 {GATE_PFRAME_AT, F_H, 0, 0, 0, {{0, 0}}});
	REJECTED("a HOST frame must call an imported function",
		 {GATE_PFRAME_HOST, F_LEAF, 0, 0, 1, {I32(1)}});
	{
		/* not expressible in gate.stack: the encoder's check only */
		struct gate_pstack bad = MAKE({GATE_PFRAME_HOST, F_H, 4, 0, 2, {I32(3), I64(3)}});
		struct gate_snapshot st = state(&x, &bad);
		uint8_t *out = NULL;
		size_t len;
		char err[256];

		CHECK_EQ(gate_snapshot_encode(x.w, x.wlen, &st, &out, &len, err, sizeof(err)),
			 GATE_INVALID_ARGUMENT);
		CHECK(strstr(err, "a HOST frame has no offset") != NULL);
		gate_pstack_clear(&bad);
	}
	REJECTED("an instruction has a caller",
		 {GATE_PFRAME_HOST, GATE_PHOST_MEMORY_FILL, 0, 0, 3, {I32(0), I32(0), I32(0)}});
	REJECTED("value 2: unknown function 77",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_first, 2, 0, {I32(3), I64(0)}},
		 {GATE_PFRAME_CALL, F_MID, o.mid_call, 2, 1, {I32(3), F32(0), FREF(77)}},
		 {GATE_PFRAME_CALL,
		  F_MAIN,
		  o.main_call_mid,
		  3,
		  2,
		  {I32(3), I64(0), F64(0), I64(7), F32(0)}});
	/* call $leaf, but the frame above is $main */
	REJECTED("frame 1 (CALL function 2 \"mid\"): calls function 1",
		 {GATE_PFRAME_AT, F_MAIN, o.main_first, 3, 0, {I32(1), I64(0), F64(0)}},
		 MID_MAIN(o));
	/* call_indirect (type $t), but $other takes an i64 */
	REJECTED(
	    "calls indirectly with type", {GATE_PFRAME_AT, F_OTHER, o.other_first, 1, 0, {I64(0)}},
	    {GATE_PFRAME_CALL, F_MAIN, o.main_indirect, 3, 1, {I32(3), I64(0), F64(0), I32(9)}});
	/* memory.fill, but the host frame is table.fill's */
	REJECTED(
	    "waits in memory.fill",
	    {GATE_PFRAME_HOST, GATE_PHOST_TABLE_FILL, 0, 0, 3, {I32(0), FREF(GATE_PNULL), I32(1)}},
	    {GATE_PFRAME_CALL, F_MAIN, o.main_fill, 3, 1, {I32(3), I64(0), F64(0), F64(0)}});
	/* call $h, but the frame above is a wasm frame */
	REJECTED("calls function 0", {GATE_PFRAME_AT, F_LEAF, o.leaf_first, 2, 0, {I32(3), I64(0)}},
		 {GATE_PFRAME_CALL, F_MAIN, o.main_call_h, 3, 0, {I32(3), I64(0), F64(0)}});
	teardown(&x);
}

TEST(snapshot_stack_rejects_frames_out_of_place)
{
	struct fixture x;

	CHECK(setup(&x));
	struct offs o = x.o;

	/* an AT frame below another frame */
	REJECTED("frame 1 (AT function 2 \"mid\"): only the innermost frame may be AT or HOST",
		 {GATE_PFRAME_AT, F_LEAF, o.leaf_first, 2, 0, {I32(3), I64(0)}},
		 {GATE_PFRAME_AT, F_MID, o.mid_first, 2, 0, {I32(3), F32(0)}});
	REJECTED("only the innermost frame may be AT or HOST",
		 {GATE_PFRAME_HOST, F_H, 0, 0, 2, {I32(3), I64(3)}},
		 {GATE_PFRAME_HOST, F_H, 0, 0, 2, {I32(3), I64(3)}});
	/* nothing above a CALL frame */
	REJECTED("the innermost frame must be AT or HOST",
		 {GATE_PFRAME_CALL,
		  F_MAIN,
		  o.main_call_mid,
		  3,
		  2,
		  {I32(3), I64(0), F64(0), I64(7), F32(0)}});
	teardown(&x);
}

/* Every bit of gate.stack and gate.snapshot flipped: the decoder either
 * rejects the snapshot as malformed or reads a state that the encoder
 * accepts again (a different value, a different valid trap kind...). */
TEST(snapshot_stack_flipped_bytes_are_rejected_or_consistent)
{
	struct fixture x;
	struct gate_pstack st;
	struct gate_snapshot s;
	struct snap_sec v[32];
	size_t len = 0, n;
	uint8_t *snap;
	uint32_t rejected_n = 0, total = 0;

	CHECK(setup(&x));
	st = MAKE({GATE_PFRAME_AT, F_LEAF, x.o.leaf_loop, 2, 1, {I32(3), I64(-1), I32(5)}},
		  MID_MAIN(x.o));
	s = state(&x, &st);
	snap = snap_encode(x.w, x.wlen, &s, &len);
	CHECK(snap != NULL);
	n = snap_split(snap, len, v, 32);
	for (size_t i = 0; i < n; i++) {
		size_t start = (size_t)(v[i].p - snap), end = start + v[i].n;

		if (v[i].gate != GATE__S_STACK && v[i].gate != GATE__S_SNAPSHOT)
			continue;
		for (size_t at = start; at < end; at++) {
			for (int bit = 0; bit < 8; bit++) {
				struct gate_snapshot dec;
				char err[512];
				int ret;

				snap[at] ^= (uint8_t)(1u << bit);
				ret = gate_snapshot_decode(snap, len, &dec, err, sizeof(err));
				total++;
				if (ret == GATE_OK) {
					uint8_t *again;
					size_t alen;

					/* accepted: the state must be one the encoder takes */
					CHECK_EQ(gate_snapshot_encode(x.w, x.wlen, &dec, &again,
								      &alen, err, sizeof(err)),
						 GATE_OK);
					free(again);
					gate_snapshot_free(&dec);
				} else {
					CHECK_EQ(ret, GATE_MALFORMED);
					rejected_n++;
				}
				snap[at] ^= (uint8_t)(1u << bit);
			}
		}
	}
	CHECK(total > 300);
	CHECK(rejected_n > total / 3);
	free(snap);
	gate_pstack_clear(&st);
	teardown(&x);
}
