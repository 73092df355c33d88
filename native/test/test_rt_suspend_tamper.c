/*
 * gate__store_resume() checks a stack before it runs anything: every
 * change to a valid suspended stack that makes it inconsistent with the
 * module (offsets, kinds, types, counts, functions, callees, host frames)
 * is GATE_MALFORMED, and nothing ran: no safepoint, no host call, memory
 * unchanged.
 */
#include "test_rt_suspend_util.h"

static const char *chain_fmt =
	"(module %s (import \"host\" \"ask\" (func $ask)) (memory 16)"
	" (type $t (func (param i32) (result i32)))"
	" (table 2 funcref) (elem (i32.const 0) func $p $q)"
	" (func $p (type $t) (local $k i64)"
	"  (loop $l (local.set $k (i64.add (local.get $k) (i64.const 1)))"
	"   (br_if $l (i64.lt_u (local.get $k) (i64.const 3))))"
	"  (i32.add (local.get 0) (i32.const 1)))"
	" (func $q (type $t) (local $k i64)"
	"  (loop $l (local.set $k (i64.add (local.get $k) (i64.const 1)))"
	"   (br_if $l (i64.lt_u (local.get $k) (i64.const 3))))"
	"  (i32.add (local.get 0) (i32.const 1)))"
	" (func $mid (param $x i32) (result i32) (local $f funcref)"
	"  (local.set $f (ref.func $q))"
	"  (i32.const 5) (call $p (local.get $x)) i32.add"
	"  (call_indirect (type $t) (i32.const 1)))"
	" (func (export \"run\") (param i32) (result i32)"
	"  (i32.store (i32.const 8) (i32.const 77))"
	"  (i64.const 7) (call $mid (local.get 0)) (drop (call $mix (i32.const 1) (i64.const 2)"
	"   (f32.const 3) (f64.const 4) (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 8)"
	"   (i32.const 9) (f64.const 1) (f64.const 2) (f64.const 3) (f64.const 4) (f64.const 5)"
	"   (f64.const 6) (f64.const 7) (f64.const 8)))"
	"  drop drop drop drop drop"
	"  call $ask (memory.fill (i32.const 0) (i32.const 1) (i32.const 1000000))"
	"  i64.extend_i32_u i64.add i32.wrap_i64)"
	" (elem declare func $q))";

static struct img chain_img;

static const char *loops_small =
	"(module (func (export \"run\") (param i32) (result i32)"
	"  (loop $l (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br_if $l (local.get 0)))"
	"  (local.get 0)))";

static bool pstack_dup(const struct gate_pstack *a, struct gate_pstack *b, uint32_t extra)
{
	b->nframes = a->nframes;
	b->frames = calloc(a->nframes + 1, sizeof(*b->frames));
	if (b->frames == NULL)
		return false;
	for (uint32_t i = 0; i < a->nframes; i++) {
		const struct gate_pframe *f = &a->frames[i];
		size_t n = (size_t)f->nlocals + f->nstack;

		b->frames[i] = *f;
		b->frames[i].values = calloc(n + extra + 1, sizeof(*f->values));
		if (b->frames[i].values == NULL)
			return false;
		memcpy(b->frames[i].values, f->values, n * sizeof(*f->values));
	}
	return true;
}

/* A suspended stack of chain: at safepoint `at` (0: by host.mix's first
 * call, or the memory.fill when ask is set). */
static bool suspended(struct env *e, uint64_t at, bool mix, bool ask, struct gate_pstack *st)
{
	struct gate__value a[1] = { vi32(3) }, r[8];
	struct gate__trap t;

	if (chain_img.p == NULL) {
		char wat[4096];

		snprintf(wat, sizeof(wat), chain_fmt, mix_import);
		if (!img_new(&chain_img, wat, NULL))
			return false;
	}
	memset(&H, 0, sizeof(H));
	H.suspend_at = mix ? 1 : 0;
	H.ask_off = !ask;
	if (!env_open(e, &chain_img))
		return false;
	e->s->trace = true;
	e->at = at;
	if (call(e->s, e->inst, "run", a, 1, r, &t) != GATE_TRAP || t.kind != GATE_TRAP_SUSPENDED ||
	    gate__store_take_suspended(e->s, st) != GATE_OK) {
		fprintf(stderr, "  not suspended: trap %u\n", t.kind);
		env_close(e);
		return false;
	}
	e->s->trace = true;
	e->seen = 0;
	e->at = 0;
	return true;
}

/* Resumes a changed copy of st in e: must be GATE_MALFORMED with nothing
 * run. */
static bool rejected(struct env *e, const struct gate_pstack *st, void (*change)(struct gate_pstack *))
{
	struct gate_pstack x;
	struct gate__value r[8];
	struct gate__trap t;
	char err[256] = "";
	uint64_t hash = mem_hash(e), calls = H.calls;
	int ret;

	if (!pstack_dup(st, &x, 1))
		return false;
	change(&x);
	ret = gate__store_resume(e->s, e->inst, &x, r, 8, &t, err, sizeof(err));
	x.nframes = st->nframes;
	gate_pstack_clear(&x);
	if (ret != GATE_MALFORMED || strstr(err, "Cannot resume") == NULL) {
		fprintf(stderr, "  resume gave %d: %s\n", ret, err);
		return false;
	}
	return e->seen == 0 && mem_hash(e) == hash && H.calls == calls;
}

static void offset_plus_one(struct gate_pstack *x) { x->frames[0].offset++; }
static void caller_offset(struct gate_pstack *x) { x->frames[1].offset--; }
static void at_to_call(struct gate_pstack *x) { x->frames[0].kind = GATE_PFRAME_CALL; }
static void call_to_at(struct gate_pstack *x) { x->frames[1].kind = GATE_PFRAME_AT; }
static void at_to_host(struct gate_pstack *x) { x->frames[0].kind = GATE_PFRAME_HOST; }
static void bad_kind(struct gate_pstack *x) { x->frames[0].kind = 7; }
static void local_type(struct gate_pstack *x) { x->frames[0].values[1].type = 0x7f; }
static void param_type(struct gate_pstack *x) { x->frames[0].values[0].type = 0x7d; }
static void wide_i32(struct gate_pstack *x) { x->frames[0].values[0].bits |= 1ull << 40; }
static void operand_type(struct gate_pstack *x)
{
	struct gate_pframe *f = &x->frames[1];

	f->values[f->nlocals].type = 0x7e;
}
static void constant_changed(struct gate_pstack *x)
{
	struct gate_pframe *f = &x->frames[1];

	f->values[f->nlocals].bits = 6;
}
static void fewer_locals(struct gate_pstack *x) { x->frames[0].nlocals--; }
static void more_operands(struct gate_pstack *x) { x->frames[0].nstack++; }
static void fewer_operands(struct gate_pstack *x) { x->frames[1].nstack--; }
static void unknown_func(struct gate_pstack *x) { x->frames[0].func = 999; }
static void import_func(struct gate_pstack *x) { x->frames[1].func = 1; }
/* $q: the same body as $p, so the frame alone is valid; $mid calls $p */
static void other_callee(struct gate_pstack *x) { x->frames[0].func = 3; }
static void caller_of_other(struct gate_pstack *x) { x->frames[1].func = 5; }
static void no_frames(struct gate_pstack *x) { x->nframes = 0; }
static void no_innermost(struct gate_pstack *x)
{
	free(x->frames[0].values);
	memmove(x->frames, x->frames + 1, (x->nframes - 1) * sizeof(*x->frames));
	x->nframes--;
	x->frames[x->nframes].values = NULL; /* moved down */
}
static void no_values(struct gate_pstack *x)
{
	free(x->frames[1].values);
	x->frames[1].values = NULL;
}
static void funcref_range(struct gate_pstack *x)
{
	struct gate_pframe *f = &x->frames[1];

	/* $mid's local $f */
	f->values[1].bits = 1000;
}
static void externref_value(struct gate_pstack *x)
{
	struct gate_pframe *f = &x->frames[1];

	f->values[1].type = 0x6f;
}

TEST(rt_resume_rejects_inconsistent_stacks_and_runs_nothing)
{
	static const struct {
		const char *name;
		void (*change)(struct gate_pstack *);
	} cases[] = {
		{ "offset", offset_plus_one },	    { "caller offset", caller_offset },
		{ "AT as CALL", at_to_call },	    { "CALL as AT", call_to_at },
		{ "AT as HOST", at_to_host },	    { "unknown kind", bad_kind },
		{ "local type", local_type },	    { "param type", param_type },
		{ "i32 upper bits", wide_i32 },	    { "operand type", operand_type },
		{ "constant", constant_changed },   { "locals count", fewer_locals },
		{ "operand count +", more_operands }, { "operand count -", fewer_operands },
		{ "unknown function", unknown_func }, { "an import", import_func },
		{ "other callee", other_callee },   { "caller of another", caller_of_other },
		{ "no frames", no_frames },	    { "no innermost", no_innermost },
		{ "no values", no_values },	    { "funcref range", funcref_range },
		{ "externref", externref_value },
	};
	struct env e;
	struct gate_pstack st;

	/* entries of run, $mid, $p, then $p's loop */
	CHECK(suspended(&e, 4, false, false, &st));
	CHECK_EQ(st.nframes, 3);
	CHECK_EQ(st.frames[0].kind, GATE_PFRAME_AT);
	CHECK_EQ(st.frames[0].func, 2);
	CHECK_EQ(st.frames[1].func, 4);
	CHECK_EQ(st.frames[2].func, 5);
	CHECK_EQ(st.frames[1].nstack, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!rejected(&e, &st, cases[i].change)) {
			fprintf(stderr, "  case \"%s\" was not rejected cleanly\n", cases[i].name);
			CHECK(0);
		}
	}
	/* the stack itself resumes */
	{
		struct gate__value r[8];

		char err[128] = "";
		int ret = gate__store_resume(e.s, e.inst, &st, r, 8, NULL, err, sizeof(err));

		if (ret)
			fprintf(stderr, "  %s\n", err);
		CHECK_EQ(ret, GATE_OK);
		CHECK_EQ(r[0].of.i32, 7 + (5 + 3 + 1) + 1);
	}
	gate_pstack_clear(&st);
	env_close(&e);
}

static void host_args(struct gate_pstack *x) { x->frames[0].nstack--; }
static void host_arg_type(struct gate_pstack *x) { x->frames[0].values[3].type = 0x7d; }
static void host_not_import(struct gate_pstack *x) { x->frames[0].func = 2; }
static void host_other_import(struct gate_pstack *x)
{
	x->frames[0].func = 1;
	x->frames[0].nstack = 0;
}
static void host_unknown_op(struct gate_pstack *x) { x->frames[0].func = GATE_PHOST_OP | 9; }
static void host_as_fill(struct gate_pstack *x)
{
	x->frames[0].func = GATE_PHOST_MEMORY_FILL;
	x->frames[0].nstack = 3;
}
static void host_locals(struct gate_pstack *x) { x->frames[0].nlocals = 1; }
static void host_alone(struct gate_pstack *x) { x->nframes = 1; }
static void fill_as_copy(struct gate_pstack *x) { x->frames[0].func = GATE_PHOST_MEMORY_COPY; }
static void fill_as_import(struct gate_pstack *x)
{
	x->frames[0].func = 0;
	x->frames[0].nstack = 17;
}
static void fill_arg_type(struct gate_pstack *x) { x->frames[0].values[2].type = 0x7e; }

TEST(rt_resume_rejects_inconsistent_host_frames)
{
	struct env e;
	struct gate_pstack st;

	CHECK(suspended(&e, 0, true, false, &st));
	CHECK_EQ(st.frames[0].kind, GATE_PFRAME_HOST);
	CHECK_EQ(st.frames[0].func, 0);
	CHECK(rejected(&e, &st, host_args));
	CHECK(rejected(&e, &st, host_arg_type));
	CHECK(rejected(&e, &st, host_not_import));
	CHECK(rejected(&e, &st, host_other_import));
	CHECK(rejected(&e, &st, host_unknown_op));
	CHECK(rejected(&e, &st, host_as_fill));
	CHECK(rejected(&e, &st, host_locals));
	CHECK(rejected(&e, &st, host_alone));
	CHECK(rejected(&e, &st, offset_plus_one));
	gate_pstack_clear(&st);
	env_close(&e);

	CHECK(suspended(&e, 0, false, true, &st));
	CHECK_EQ(st.frames[0].func, GATE_PHOST_MEMORY_FILL);
	CHECK(rejected(&e, &st, fill_as_copy));
	CHECK(rejected(&e, &st, fill_as_import));
	CHECK(rejected(&e, &st, fill_arg_type));
	CHECK(rejected(&e, &st, wide_i32));
	CHECK(rejected(&e, &st, host_unknown_op));
	{
		struct gate__value r[8];

		H.ask_off = true;
		CHECK_EQ(gate__store_resume(e.s, e.inst, &st, r, 8, NULL, (char[128]){ 0 }, 128),
			 GATE_OK);
		CHECK_EQ(gate__store_memory(e.s, e.inst, 0)->base[999999], 1);
		CHECK_EQ(gate__store_memory(e.s, e.inst, 0)->base[1000000], 0);
	}
	gate_pstack_clear(&st);
	env_close(&e);
	free(chain_img.p);
	chain_img.p = NULL;
}

/* A resume needs the module: another module's instance rejects it. */
TEST(rt_resume_rejects_another_module)
{
	struct env e, other;
	struct gate_pstack st;
	struct img im;
	char err[200] = "";

	CHECK(suspended(&e, 4, false, false, &st));
	CHECK(img_new(&im, loops_small, NULL));
	CHECK(env_open(&other, &im));
	CHECK_EQ(gate__store_resume(other.s, other.inst, &st, (struct gate__value[8]){ 0 }, 8, NULL,
				    err, sizeof(err)),
		 GATE_MALFORMED);
	CHECK_EQ(other.seen, 0);
	CHECK_EQ(gate__store_resume(e.s, 99, &st, (struct gate__value[8]){ 0 }, 8, NULL, err,
				    sizeof(err)),
		 GATE_INVALID_ARGUMENT);
	gate_pstack_clear(&st);
	env_close(&other);
	env_close(&e);
	free(im.p);
}
