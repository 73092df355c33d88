/*
 * Suspend anywhere and resume from portable frames: programs suspended at
 * every Nth safepoint (and again after resuming), their state moved into a
 * fresh store as a snapshot would, must end exactly as an uninterrupted
 * run: same results, same memory. The helpers are in test_rt_suspend_util.h.
 */
#include "test_rt_suspend_util.h"

/* Nested loops with hot locals in registers, i64, f64 and f32, a global,
 * memory stores, and operands below a loop with parameters. */
static const char *loops =
	"(module (memory 1) (global $g (mut i64) (i64.const 7))"
	" (func (export \"run\") (param $n i32) (result i64 f64 i64)"
	"  (local $i i32) (local $j i32) (local $acc i64) (local $x f64) (local $y f32)"
	"  (local.set $x (f64.const 0.5))"
	"  (loop $outer"
	"   (local.set $j (i32.const 0))"
	"   (loop $inner"
	"    (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31))"
	"     (i64.extend_i32_u (i32.xor (local.get $i) (local.get $j)))))"
	"    (local.set $x (f64.add (f64.mul (local.get $x) (f64.const 1.0001))"
	"     (f64.convert_i32_u (local.get $j))))"
	"    (local.set $y (f32.add (local.get $y) (f32.const 0.25)))"
	"    (i32.store8 (i32.and (i32.add (i32.mul (local.get $i) (i32.const 17)) (local.get $j))"
	"     (i32.const 0xffff)) (local.get $j))"
	"    (local.set $j (i32.add (local.get $j) (i32.const 1)))"
	"    (br_if $inner (i32.lt_u (local.get $j) (i32.const 13))))"
	"   (global.set $g (i64.add (global.get $g) (local.get $acc)))"
	"   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))"
	"  (local.get $acc) (f64.add (local.get $x) (f64.promote_f32 (local.get $y)))"
	"  i64.const 1000 i64.const 1"
	"  (loop $l (param i64) (result i64)"
	"   i64.const 3 i64.mul i64.const 1000003 i64.rem_u"
	"   (local.set $i (i32.sub (local.get $i) (i32.const 1)))"
	"   (br_if $l (local.get $i)))"
	"  i64.add (global.get $g) i64.xor))";

TEST(rt_suspend_loops_resume_anywhere)
{
	struct img im;
	struct gate__value a[1] = { vi32(20) };
	long n;

	CHECK(img_new(&im, loops, NULL));
	n = sweep(&im, &im, "run", a, 1, 1, 0);
	CHECK(n >= 250);
	/* and suspending again every 7 safepoints of each resumed run */
	CHECK(sweep(&im, &im, "run", a, 1, 9, 7) > 250);
	free(im.p);
}

/* Recursion with a loop in every frame: suspensions at every depth, with
 * a pending call result below the second call. */
static const char *recursion =
	"(module"
	" (func $fib (param $n i32) (result i64) (local $k i32)"
	"  (loop $w (local.set $k (i32.add (local.get $k) (i32.const 1)))"
	"   (br_if $w (i32.lt_u (local.get $k) (i32.const 2))))"
	"  (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))"
	"   (then (i64.extend_i32_u (local.get $n)))"
	"   (else (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1)))"
	"    (i64.mul (i64.const 1) (call $fib (i32.sub (local.get $n) (i32.const 2))))))))"
	" (func (export \"run\") (param i32) (result i64)"
	"  (i64.add (i64.const 100) (call $fib (local.get 0)))))";

TEST(rt_suspend_recursion_resume_anywhere)
{
	struct img im;
	struct gate__value a[1] = { vi32(9) };

	CHECK(img_new(&im, recursion, NULL));
	CHECK(sweep(&im, &im, "run", a, 1, 3, 0) >= 100);
	CHECK(sweep(&im, &im, "run", a, 1, 37, 5) >= 100);
	free(im.p);
}

/* Calls with more arguments and results of each class than registers
 * (the caller's outgoing area), and values below the calls. */
static const char *many =
	"(module (memory 1)"
	" (func $many (param $a i32) (param $b i64) (param i32 i64 i32 i64 i32 i64)"
	"  (param $x f64) (param f32 f64 f32 f64 f32 f64 f32 f64 f64)"
	"  (result i64 i64 i64 f64 f64 f64 i32 f32)"
	"  (local $i i32)"
	"  (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $l (i32.lt_u (local.get $i) (i32.and (local.get $a) (i32.const 3)))))"
	"  (i64.add (local.get $b) (local.get 7))"
	"  (i64.mul (local.get 3) (i64.extend_i32_u (local.get 6)))"
	"  (i64.sub (local.get 5) (i64.extend_i32_u (local.get 4)))"
	"  (f64.add (local.get $x) (local.get 17))"
	"  (f64.mul (local.get 10) (local.get 12))"
	"  (f64.sub (local.get 14) (local.get 16))"
	"  (i32.add (local.get $a) (local.get 2))"
	"  (f32.add (local.get 9) (f32.add (local.get 11) (f32.add (local.get 13) (local.get 15)))))"
	" (func (export \"run\") (param $n i32) (result i64 f64 i32 f32)"
	"  (local $i i32) (local $s i64) (local $d f64) (local $w i32) (local $f f32)"
	"  (loop $l"
	"   (i64.const 11)"
	"   (call $many (local.get $i) (i64.extend_i32_u (local.get $i)) (i32.const 2) (i64.const 3)"
	"    (i32.const 4) (i64.const 5) (local.get $i) (i64.const 7)"
	"    (f64.convert_i32_u (local.get $i)) (f32.const 1.5) (f64.const 2.5) (f32.const 3.5)"
	"    (f64.const 4.5) (f32.const 5.5) (f64.const 6.5) (f32.const 7.5) (f64.const 8.5)"
	"    (f64.const 9.5))"
	"   (local.set $f) (local.set $w)"
	"   (local.set $d (f64.add (local.get $d)))"
	"   (local.set $d (f64.add (local.get $d)))"
	"   (local.set $d (f64.add (local.get $d)))"
	"   (local.set $s (i64.add (local.get $s)))"
	"   (local.set $s (i64.xor (local.get $s)))"
	"   (local.set $s (i64.add (local.get $s)))"
	"   (local.set $s (i64.add (local.get $s)))"
	"   (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $w))"
	"   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $l (i32.lt_u (local.get $i) (local.get $n))))"
	"  (local.get $s) (local.get $d) (local.get $w) (local.get $f)))";

TEST(rt_suspend_stack_arguments_and_results)
{
	struct img im;
	struct gate__value a[1] = { vi32(40) };

	CHECK(img_new(&im, many, NULL));
	CHECK(sweep(&im, &im, "run", a, 1, 1, 0) >= 100);
	CHECK(sweep(&im, &im, "run", a, 1, 5, 3) >= 50);
	free(im.p);
}

/* call_indirect through a table that changes while it runs, funcrefs in
 * a local, a global and the table. */
static const char *indirect =
	"(module (type $t (func (param i64) (result i64)))"
	" (table $tab 4 funcref) (elem (table $tab) (i32.const 0) func $a $b $a)"
	" (global $gf (mut funcref) (ref.null func))"
	" (func $a (type $t) (i64.add (local.get 0) (i64.const 3)))"
	" (func $b (type $t) (local $i i32)"
	"  (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $l (i32.lt_u (local.get $i) (i32.const 2))))"
	"  (i64.mul (local.get 0) (i64.const 5)))"
	" (func $c (type $t) (i64.xor (local.get 0) (i64.const 0x55)))"
	" (elem declare func $c)"
	" (func (export \"run\") (param $n i32) (result i64 i32)"
	"  (local $i i32) (local $acc i64) (local $f funcref)"
	"  (local.set $f (ref.func $c))"
	"  (loop $l"
	"   (local.set $acc (call_indirect $tab (type $t) (local.get $acc)"
	"    (i32.rem_u (local.get $i) (i32.const 4))))"
	"   (if (i32.eq (local.get $i) (i32.const 7))"
	"    (then (table.set $tab (i32.const 2) (local.get $f)) (global.set $gf (local.get $f))))"
	"   (if (i32.eq (local.get $i) (i32.const 13))"
	"    (then (local.set $f (table.get $tab (i32.const 1)))))"
	"   (table.set $tab (i32.const 3) (local.get $f))"
	"   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $l (i32.lt_u (local.get $i) (local.get $n))))"
	"  (local.get $acc) (ref.is_null (global.get $gf))))";

TEST(rt_suspend_call_indirect_and_funcrefs)
{
	struct img im;
	struct gate__value a[1] = { vi32(60) };

	CHECK(img_new(&im, indirect, NULL));
	CHECK(sweep(&im, &im, "run", a, 1, 1, 0) >= 100);
	CHECK(sweep(&im, &im, "run", a, 1, 4, 6) >= 30);
	free(im.p);
}

/* A program compiled with locals in registers resumes compiled without,
 * and the other way: portable frames do not depend on code generation. */
TEST(rt_suspend_resumes_in_code_compiled_otherwise)
{
	struct gate__compile_opts nopins = { .no_pins = true };
	struct img a, b;
	struct gate__value x[1] = { vi32(12) };

	CHECK(img_new(&a, loops, NULL));
	CHECK(img_new(&b, loops, &nopins));
	CHECK(a.len != b.len || memcmp(a.p, b.p, a.len) != 0);
	CHECK(sweep(&a, &b, "run", x, 1, 3, 0) >= 50);
	CHECK(sweep(&b, &a, "run", x, 1, 3, 4) >= 50);
	free(a.p);
	free(b.p);
	CHECK(img_new(&a, many, NULL));
	CHECK(img_new(&b, many, &nopins));
	x[0] = vi32(10);
	CHECK(sweep(&a, &b, "run", x, 1, 2, 3) >= 20);
	free(a.p);
	free(b.p);
}

/* Without loop checks a loop is not a safepoint: a stack captured there
 * does not resume in such code (it is rejected, not run wrongly). */
TEST(rt_suspend_without_loop_checks_has_fewer_safepoints)
{
	struct gate__compile_opts nochecks = { .no_loop_checks = true };
	struct img a, b;
	struct gate__value x[1] = { vi32(12) };
	struct env e;
	uint64_t with, without;

	CHECK(img_new(&a, loops, NULL));
	CHECK(img_new(&b, loops, &nochecks));
	CHECK(env_open(&e, &a));
	e.s->trace = true;
	CHECK_EQ(call(e.s, e.inst, "run", x, 1, (struct gate__value[8]){ 0 }, NULL), GATE_OK);
	with = e.seen;
	env_close(&e);
	CHECK(env_open(&e, &b));
	e.s->trace = true;
	CHECK_EQ(call(e.s, e.inst, "run", x, 1, (struct gate__value[8]){ 0 }, NULL), GATE_OK);
	without = e.seen;
	env_close(&e);
	CHECK_EQ(without, 1); /* the function entry only */
	CHECK(with > 100);
	{
		struct outcome o;

		memset(&H, 0, sizeof(H));
		CHECK(run_chain(&a, &b, "run", x, 1, 5, 0, &o));
		CHECK_EQ(o.status, GATE_MALFORMED);
	}
	free(a.p);
	free(b.p);
}
