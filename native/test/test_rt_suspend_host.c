/*
 * Suspensions that are not at a safepoint: an import whose host function
 * returns GATE_TRAP_SUSPENDED (a HOST frame, retried on resume), directly
 * and through call_indirect, and bulk memory and table instructions that
 * stop between pieces when a request arrives (a HOST frame with what is
 * left). test_rt_suspend_util.h has the helpers.
 */
#include "test_rt_suspend_util.h"

/* host.mix called directly and through a table, with values below. */
static const char *mixer_fmt =
	"(module %s (memory 1)"
	" (type $mt (func (param i32 i64 f32 f64 i32 i32 i32 i32 i32"
	"  f64 f64 f64 f64 f64 f64 f64 f64) (result i64 i32 i64 f64 f64 f32)))"
	" (table 2 funcref) (elem (i32.const 1) func $mix)"
	" (func (export \"run\") (param $n i32) (result i64 f64 f32)"
	"  (local $i i32) (local $s i64) (local $d f64) (local $f f32)"
	"  (loop $l"
	"   (f64.const 0.25) (i64.const 9)"
	"   (local.get $i) (i64.extend_i32_u (local.get $i)) (f32.const 1.5)"
	"   (f64.convert_i32_u (local.get $i)) (i32.const 4) (i32.const 5) (local.get $i)"
	"   (i32.const 7) (i32.const 8) (f64.const 1) (f64.const 2) (f64.const 3) (f64.const 4)"
	"   (f64.const 5) (f64.const 6) (f64.const 7) (f64.const 8)"
	"   (if (param i32 i64 f32 f64 i32 i32 i32 i32 i32 f64 f64 f64 f64 f64 f64 f64 f64)"
	"    (result i64 i32 i64 f64 f64 f32) (i32.and (local.get $i) (i32.const 1))"
	"    (then (call $mix))"
	"    (else (call_indirect (type $mt) (i32.const 1))))"
	"   (local.set $f (f32.add (local.get $f)))"
	"   (local.set $d (f64.add (local.get $d)))"
	"   (local.set $d (f64.sub (local.get $d)))"
	"   (local.set $s (i64.add (local.get $s)))"
	"   (i32.store (i32.shl (i32.and (local.get $i) (i32.const 255)) (i32.const 2)))"
	"   (local.set $s (i64.xor (local.get $s)))"
	"   (local.set $s (i64.add (local.get $s)))"
	"   (local.set $d (f64.add (local.get $d)))"
	"   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $l (i32.lt_u (local.get $i) (local.get $n))))"
	"  (local.get $s) (local.get $d) (local.get $f)))";

TEST(rt_suspend_import_returning_suspended_is_retried)
{
	char wat[4096];
	struct img im;
	struct gate__value a[1] = { vi32(24) };
	struct outcome ref, o;
	uint32_t calls;
	long total = 0;

	snprintf(wat, sizeof(wat), mixer_fmt, mix_import);
	CHECK(img_new(&im, wat, NULL));
	memset(&H, 0, sizeof(H));
	CHECK(run_chain(&im, &im, "run", a, 1, 0, 0, &ref));
	CHECK_EQ(ref.status, GATE_OK);
	CHECK_EQ(ref.suspensions, 0);
	calls = H.calls;
	CHECK_EQ(calls, 24);
	for (uint32_t j = 1; j <= calls; j++) {
		memset(&H, 0, sizeof(H));
		H.suspend_at = j;
		CHECK(run_chain(&im, &im, "run", a, 1, 0, 0, &o));
		CHECK(same(&ref, &o));
		CHECK_EQ(o.suspensions, 1);
		CHECK_EQ(H.calls, calls + 1); /* the suspended call, made again */
		total += o.suspensions;
		/* and a resumed run that suspends again at safepoints */
		memset(&H, 0, sizeof(H));
		H.suspend_at = j;
		CHECK(run_chain(&im, &im, "run", a, 1, 0, 3, &o));
		CHECK(same(&ref, &o));
		CHECK(o.suspensions >= 1 + (calls - j) / 4);
		total += o.suspensions;
	}
	/* every safepoint too */
	total += sweep(&im, &im, "run", a, 1, 1, 0);
	CHECK(total > 150);
	free(im.p);
}

/* The suspended stack names the import and its arguments. */
TEST(rt_suspend_host_frame_holds_the_import_and_arguments)
{
	char wat[4096];
	struct img im;
	struct env e;
	struct gate__value a[1] = { vi32(5) }, r[8];
	struct gate__trap t;
	struct gate_pstack st;
	const struct gate_pframe *h;

	snprintf(wat, sizeof(wat), mixer_fmt, mix_import);
	CHECK(img_new(&im, wat, NULL));
	memset(&H, 0, sizeof(H));
	H.suspend_at = 4; /* i = 3: the direct call */
	CHECK(env_open(&e, &im));
	CHECK_EQ(call(e.s, e.inst, "run", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_SUSPENDED);
	CHECK_EQ(gate__store_take_suspended(e.s, &st), GATE_OK);
	CHECK_EQ(gate__store_take_suspended(e.s, &st), GATE_INVALID_ARGUMENT);
	CHECK_EQ(st.nframes, 2);
	h = &st.frames[0];
	CHECK_EQ(h->kind, GATE_PFRAME_HOST);
	CHECK_EQ(h->func, 0);
	CHECK_EQ(h->nstack, 17);
	CHECK_EQ(h->values[0].type, 0x7f);
	CHECK_EQ(h->values[0].bits, 3);
	CHECK_EQ(h->values[1].type, 0x7e);
	CHECK_EQ(h->values[2].bits, f32bits(1.5f));
	CHECK_EQ(h->values[16].bits, f64bits(8));
	CHECK_EQ(st.frames[1].kind, GATE_PFRAME_CALL);
	CHECK_EQ(st.frames[1].func, 1);
	/* below the call: 0.25 and 9 */
	CHECK_EQ(st.frames[1].nstack, 2);
	CHECK_EQ(st.frames[1].values[st.frames[1].nlocals].bits, f64bits(0.25));
	CHECK_EQ(st.frames[1].values[st.frames[1].nlocals + 1].bits, 9);
	gate_pstack_clear(&st);
	env_close(&e);
	free(im.p);
}

/* A module whose bulk instructions each follow host.ask (a request that
 * arrives while C runs): each stops after its first piece. */
static char *bulk_wat(void)
{
	size_t cap = 2u << 20, n = 0;
	char *w = malloc(cap);

	if (w == NULL)
		return NULL;
	n += (size_t)snprintf(w + n, cap - n,
			      "(module (import \"host\" \"ask\" (func $ask)) (memory 64)"
			      " (table $t 70000 funcref) (table $u 70000 funcref)"
			      " (func $f0 (result i32) i32.const 10) (func $f1 (result i32) i32.const 11)"
			      " (type $r (func (result i32)))"
			      " (data $d \"");
	for (int i = 0; i < 600000; i++)
		w[n++] = (char)('a' + i % 23);
	n += (size_t)snprintf(w + n, cap - n, "\") (elem $e func");
	for (int i = 0; i < 40000; i++)
		n += (size_t)snprintf(w + n, cap - n, i % 3 ? " $f0" : " $f1");
	n += (size_t)snprintf(
		w + n, cap - n,
		")"
		" (func (export \"run\") (param $v i32) (result i32 i32 i32)"
		"  call $ask (memory.fill (i32.const 100) (local.get $v) (i32.const 3000000))"
		"  call $ask (memory.init $d (i32.const 7) (i32.const 1000) (i32.const 590000))"
		"  call $ask (memory.copy (i32.const 5) (i32.const 300000) (i32.const 2000000))"
		"  call $ask (memory.copy (i32.const 1000000) (i32.const 999) (i32.const 2500000))"
		"  call $ask (table.fill $t (i32.const 3) (ref.func $f0) (i32.const 69000))"
		"  call $ask (table.init $t $e (i32.const 100) (i32.const 7) (i32.const 39000))"
		"  call $ask (table.copy $t $t (i32.const 50) (i32.const 2000) (i32.const 60000))"
		"  call $ask (table.copy $t $t (i32.const 9000) (i32.const 10) (i32.const 60000))"
		"  call $ask (table.copy $u $t (i32.const 0) (i32.const 0) (i32.const 70000))"
		"  (call_indirect $u (type $r) (i32.const 60))"
		"  (call_indirect $u (type $r) (i32.const 30000))"
		"  (i32.add (i32.load (i32.const 2999000)) (i32.load8_u (i32.const 600100)))"
		"  data.drop $d elem.drop $e))");
	return w;
}

TEST(rt_suspend_bulk_instructions_stop_between_pieces)
{
	char *wat = bulk_wat();
	struct img im;
	struct gate__value a[1] = { vi32(0x5a) };
	struct outcome ref, o;
	long total = 0;

	CHECK(wat != NULL);
	CHECK(img_new(&im, wat, NULL));
	free(wat);
	memset(&H, 0, sizeof(H));
	H.ask_off = true;
	CHECK(run_chain(&im, &im, "run", a, 1, 0, 0, &ref));
	CHECK_EQ(ref.status, GATE_OK);
	CHECK_EQ(ref.nresults, 3);
	CHECK_EQ(ref.r[0].of.i32, 11);
	CHECK_EQ(ref.r[1].of.i32, 10);
	/* each instruction stops once, after its first piece */
	for (uint32_t k = 1; k <= 9; k++) {
		memset(&H, 0, sizeof(H));
		H.ask_at = k;
		CHECK(run_chain(&im, &im, "run", a, 1, 0, 0, &o));
		CHECK(same(&ref, &o));
		CHECK_EQ(o.suspensions, 1);
		total += o.suspensions;
	}
	/* and after every piece, resumed each time in another store */
	memset(&H, 0, sizeof(H));
	H.resume_asks = true;
	CHECK(run_chain(&im, &im, "run", a, 1, 0, 0, &o));
	CHECK(same(&ref, &o));
	CHECK(o.suspensions >= 35);
	total += o.suspensions;
	CHECK(total > 40);
	free(im.p);
}

/* The stack of a stopped memory.fill: what is left of it. */
TEST(rt_suspend_bulk_frame_holds_what_is_left)
{
	struct img im;
	struct env e;
	struct gate__value a[1] = { vi32(0x5a) }, r[8];
	struct gate__trap t;
	struct gate_pstack st;
	const struct gate_pframe *h;
	uint32_t piece = GATE__RT_BULK_BYTES;

	CHECK(img_new(&im,
		      "(module (import \"host\" \"ask\" (func $ask)) (memory 64)"
		      " (func (export \"run\") (param $v i32)"
		      "  i32.const 1 i64.const 2"
		      "  call $ask (memory.fill (i32.const 100) (local.get $v) (i32.const 3000000))"
		      "  call $ask (memory.copy (i32.const 1000) (i32.const 0) (i32.const 3000000))"
		      "  drop drop))",
		      NULL));
	memset(&H, 0, sizeof(H));
	CHECK(env_open(&e, &im));
	CHECK_EQ(call(e.s, e.inst, "run", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_SUSPENDED);
	CHECK_EQ(gate__store_take_suspended(e.s, &st), GATE_OK);
	CHECK_EQ(st.nframes, 2);
	h = &st.frames[0];
	CHECK_EQ(h->kind, GATE_PFRAME_HOST);
	CHECK_EQ(h->func, GATE_PHOST_MEMORY_FILL);
	CHECK_EQ(h->nstack, 3);
	CHECK_EQ(h->values[0].bits, 100 + piece);
	CHECK_EQ(h->values[1].bits, 0x5a);
	CHECK_EQ(h->values[2].bits, 3000000 - piece);
	CHECK_EQ(st.frames[1].kind, GATE_PFRAME_CALL);
	CHECK_EQ(st.frames[1].nstack, 2);
	CHECK_EQ(st.frames[1].values[1].bits, 1);
	CHECK_EQ(st.frames[1].values[2].bits, 2);
	/* the first piece is written, the rest is not */
	{
		struct gate__rt_memory *m = gate__store_memory(e.s, e.inst, 0);

		CHECK_EQ(m->base[100 + piece - 1], 0x5a);
		CHECK_EQ(m->base[100 + piece], 0);
	}
	/* resumed in the same store: the fill ends, the copy stops */
	CHECK_EQ(gate__store_resume(e.s, e.inst, &st, r, 8, &t, (char[64]){ 0 }, 64), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_SUSPENDED);
	gate_pstack_clear(&st);
	CHECK_EQ(gate__store_take_suspended(e.s, &st), GATE_OK);
	CHECK_EQ(st.frames[0].func, GATE_PHOST_MEMORY_COPY);
	/* backward: the destination and source stay, the length shrinks */
	CHECK_EQ(st.frames[0].values[0].bits, 1000);
	CHECK_EQ(st.frames[0].values[1].bits, 0);
	CHECK_EQ(st.frames[0].values[2].bits, 3000000 - piece);
	H.ask_off = true;
	CHECK_EQ(gate__store_resume(e.s, e.inst, &st, r, 8, &t, (char[64]){ 0 }, 64), GATE_OK);
	gate_pstack_clear(&st);
	env_close(&e);
	free(im.p);
}

/* Bounds are checked before the first piece: nothing is written. */
TEST(rt_suspend_bulk_out_of_bounds_writes_nothing)
{
	struct img im;
	struct env e;
	struct gate__value r[8];
	struct gate__trap t;

	CHECK(img_new(&im,
		      "(module (import \"host\" \"ask\" (func $ask)) (memory 64)"
		      " (func (export \"run\")"
		      "  call $ask (memory.fill (i32.const 100) (i32.const 1) (i32.const 4194300))))",
		      NULL));
	memset(&H, 0, sizeof(H));
	CHECK(env_open(&e, &im));
	CHECK_EQ(call(e.s, e.inst, "run", NULL, 0, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	CHECK_EQ(gate__store_memory(e.s, e.inst, 0)->base[100], 0);
	env_close(&e);
	free(im.p);
}
