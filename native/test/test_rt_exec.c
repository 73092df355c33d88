/* Compiled code run in-process: every instruction group, through the real
 * path (WAT -> module -> image -> store -> invoke). */
#include <math.h>

#include "test.h"
#include "test_rt_util.h"

TEST(rt_exec_integer_arithmetic)
{
	struct gate__store *s = store();
	uint32_t i = wat_instance(
	    s,
	    "(module"
	    " (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)"
	    " (func (export \"sub_k\") (param i32) (result i32) local.get 0 i32.const 7 i32.sub)"
	    " (func (export \"mul\") (param i64 i64) (result i64) local.get 0 local.get 1 i64.mul)"
	    " (func (export \"divs\") (param i32 i32) (result i32) local.get 0 local.get 1 "
	    "i32.div_s)"
	    " (func (export \"remu\") (param i64 i64) (result i64) local.get 0 local.get 1 "
	    "i64.rem_u)"
	    " (func (export \"divu8\") (param i32) (result i32) local.get 0 i32.const 8 i32.div_u)"
	    " (func (export \"remu8\") (param i32) (result i32) local.get 0 i32.const 8 i32.rem_u)"
	    " (func (export \"shl\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.shl)"
	    " (func (export \"rotr\") (param i64 i64) (result i64) local.get 0 local.get 1 "
	    "i64.rotr)"
	    " (func (export \"clz\") (param i32) (result i32) local.get 0 i32.clz)"
	    " (func (export \"ctz\") (param i64) (result i64) local.get 0 i64.ctz)"
	    " (func (export \"popcnt\") (param i32) (result i32) local.get 0 i32.popcnt)"
	    " (func (export \"folded\") (result i32) i32.const 6 i32.const 7 i32.mul i32.const 1 "
	    "i32.add)"
	    " (func (export \"ext8\") (param i32) (result i32) local.get 0 i32.extend8_s)"
	    " (func (export \"ext32\") (param i64) (result i64) local.get 0 i64.extend32_s)"
	    " (func (export \"wrap\") (param i64) (result i32) local.get 0 i32.wrap_i64)"
	    " (func (export \"extu\") (param i32) (result i64) local.get 0 i64.extend_i32_u)"
	    " (func (export \"lt_s\") (param i32 i32) (result i32) local.get 0 local.get 1 "
	    "i32.lt_s)"
	    " (func (export \"ge_u\") (param i64 i64) (result i32) local.get 0 local.get 1 "
	    "i64.ge_u)"
	    " (func (export \"eqz\") (param i64) (result i32) local.get 0 i64.eqz))",
	    NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	CHECK_EQ(call_int(s, i, "add", 2, 40, 2), 42);
	CHECK_EQ(call_int(s, i, "add", 2, 0xffffffff, 2), 1);
	CHECK_EQ(call_int(s, i, "sub_k", 1, 5, 0), 0xfffffffe);
	CHECK_EQ(call_int(s, i, "mul", 2, 1ull << 40, 3), 3ull << 40);
	CHECK_EQ(call_int(s, i, "divs", 2, (uint32_t)-7, 2), (uint32_t)-3);
	CHECK_EQ(call_int(s, i, "remu", 2, 100, 7), 2);
	CHECK_EQ(call_int(s, i, "divu8", 1, 0xfffffff8, 0), 0x1fffffff);
	CHECK_EQ(call_int(s, i, "remu8", 1, 0xfffffff9, 0), 1);
	CHECK_EQ(call_int(s, i, "shl", 2, 1, 33), 2);
	CHECK_EQ(call_int(s, i, "rotr", 2, 1, 1), 1ull << 63);
	CHECK_EQ(call_int(s, i, "clz", 1, 0, 0), 32);
	CHECK_EQ(call_int(s, i, "clz", 1, 1, 0), 31);
	CHECK_EQ(call_int(s, i, "ctz", 1, 0, 0), 64);
	CHECK_EQ(call_int(s, i, "ctz", 1, 1ull << 40, 0), 40);
	CHECK_EQ(call_int(s, i, "popcnt", 1, 0xff00ff, 0), 16);
	CHECK_EQ(call_int(s, i, "folded", 0, 0, 0), 43);
	CHECK_EQ(call_int(s, i, "ext8", 1, 0x80, 0), 0xffffff80);
	CHECK_EQ(call_int(s, i, "ext32", 1, 0x80000000, 0), 0xffffffff80000000ull);
	CHECK_EQ(call_int(s, i, "wrap", 1, 0x123456789ull, 0), 0x23456789);
	CHECK_EQ(call_int(s, i, "extu", 1, 0x80000000, 0), 0x80000000);
	CHECK_EQ(call_int(s, i, "lt_s", 2, (uint32_t)-1, 0), 1);
	CHECK_EQ(call_int(s, i, "ge_u", 2, (uint64_t)-1, 0), 1);
	CHECK_EQ(call_int(s, i, "eqz", 1, 0, 0), 1);
	gate__store_free(s);
}

TEST(rt_exec_control_flow)
{
	struct gate__store *s = store();
	uint32_t i = wat_instance(
	    s,
	    "(module"
	    " (func (export \"sum\") (param i32) (result i32) (local i32)"
	    "  (block (loop"
	    "   (br_if 1 (i32.eqz (local.get 0)))"
	    "   (local.set 1 (i32.add (local.get 1) (local.get 0)))"
	    "   (local.set 0 (i32.sub (local.get 0) (i32.const 1)))"
	    "   (br 0)))"
	    "  local.get 1)"
	    " (func (export \"switch\") (param i32) (result i32)"
	    "  (block (block (block (block"
	    "   (br_table 0 1 2 3 (local.get 0)))"
	    "   (return (i32.const 10)))"
	    "   (return (i32.const 11)))"
	    "   (return (i32.const 12)))"
	    "  i32.const 13)"
	    " (func (export \"pick\") (param i32 i32 i32) (result i32)"
	    "  (select (local.get 0) (local.get 1) (i32.lt_u (local.get 2) (i32.const 5))))"
	    " (func (export \"ifelse\") (param i32) (result i32)"
	    "  (if (result i32) (i32.gt_s (local.get 0) (i32.const 0))"
	    "   (then (i32.const 1)) (else (i32.const -1))))"
	    " (func (export \"brval\") (param i32) (result i32)"
	    "  (block (result i32) (i32.const 5) (br_if 0 (local.get 0)) drop (i32.const 6)))"
	    " (func $fib (export \"fib\") (param i32) (result i32)"
	    "  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))"
	    "   (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))"
	    "                  (call $fib (i32.sub (local.get 0) (i32.const 2))))))))",
	    NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	CHECK_EQ(call_int(s, i, "sum", 1, 100, 0), 5050);
	CHECK_EQ(call_int(s, i, "switch", 1, 0, 0), 10);
	CHECK_EQ(call_int(s, i, "switch", 1, 2, 0), 12);
	CHECK_EQ(call_int(s, i, "switch", 1, 3, 0), 13);
	CHECK_EQ(call_int(s, i, "switch", 1, 1000000, 0), 13);
	{
		struct gate__value a[3] = {vi32(7), vi32(9), vi32(3)}, r[16];

		CHECK_EQ(call(s, i, "pick", a, 3, r, NULL), GATE_OK);
		CHECK_EQ(r[0].of.i32, 7);
		a[2] = vi32(5);
		CHECK_EQ(call(s, i, "pick", a, 3, r, NULL), GATE_OK);
		CHECK_EQ(r[0].of.i32, 9);
	}
	CHECK_EQ(call_int(s, i, "ifelse", 1, 5, 0), 1);
	CHECK_EQ(call_int(s, i, "ifelse", 1, (uint32_t)-5, 0), 0xffffffff);
	CHECK_EQ(call_int(s, i, "brval", 1, 1, 0), 5);
	CHECK_EQ(call_int(s, i, "brval", 1, 0, 0), 6);
	CHECK_EQ(call_int(s, i, "fib", 1, 20, 0), 6765);
	gate__store_free(s);
}

static double f64_of(const struct gate__value *v)
{
	double d;

	memcpy(&d, &v->of.f64, 8);
	return d;
}

static float f32_of(const struct gate__value *v)
{
	float f;

	memcpy(&f, &v->of.f32, 4);
	return f;
}

TEST(rt_exec_floats_exact_ieee)
{
	struct gate__store *s = store();
	struct gate__value a[2], r[16];
	uint32_t i = wat_instance(
	    s,
	    "(module"
	    " (func (export \"min\") (param f64 f64) (result f64) local.get 0 local.get 1 f64.min)"
	    " (func (export \"max\") (param f32 f32) (result f32) local.get 0 local.get 1 f32.max)"
	    " (func (export \"nearest\") (param f64) (result f64) local.get 0 f64.nearest)"
	    " (func (export \"copysign\") (param f64 f64) (result f64) local.get 0 local.get 1 "
	    "f64.copysign)"
	    " (func (export \"neg\") (param f32) (result f32) local.get 0 f32.neg)"
	    " (func (export \"sqrt\") (param f64) (result f64) local.get 0 f64.sqrt)"
	    " (func (export \"div\") (param f32 f32) (result f32) local.get 0 local.get 1 f32.div)"
	    " (func (export \"lt\") (param f64 f64) (result i32) local.get 0 local.get 1 f64.lt)"
	    " (func (export \"ne\") (param f64 f64) (result i32) local.get 0 local.get 1 f64.ne)"
	    " (func (export \"cvt_u64\") (param i64) (result f64) local.get 0 f64.convert_i64_u)"
	    " (func (export \"demote\") (param f64) (result f32) local.get 0 f32.demote_f64)"
	    " (func (export \"ne_arm\") (param f32 i32) (result i32)"
	    "  (if (result i32) (local.get 1) (then (i32.const 5)) (else (f32.ne (local.get 0) "
	    "(f32.const 1)))))"
	    " (func (export \"eq_arm\") (param f64 i32) (result i32)"
	    "  (if (result i32) (local.get 1) (then (i32.const 5)) (else (f64.eq (local.get 0) "
	    "(f64.const 1))))))",
	    NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	a[0] = vf64(-0.0);
	a[1] = vf64(0.0);
	CHECK_EQ(call(s, i, "min", a, 2, r, NULL), GATE_OK);
	CHECK(f64_of(&r[0]) == 0.0 && signbit(f64_of(&r[0])));
	a[0] = vf64(NAN);
	CHECK_EQ(call(s, i, "min", a, 2, r, NULL), GATE_OK);
	CHECK(isnan(f64_of(&r[0])));
	a[0] = vf32(-0.0f);
	a[1] = vf32(0.0f);
	CHECK_EQ(call(s, i, "max", a, 2, r, NULL), GATE_OK);
	CHECK(f32_of(&r[0]) == 0.0f && !signbit(f32_of(&r[0])));
	a[0] = vf64(2.5);
	CHECK_EQ(call(s, i, "nearest", a, 1, r, NULL), GATE_OK);
	CHECK(f64_of(&r[0]) == 2.0);
	a[0] = vf64(-3.5);
	CHECK_EQ(call(s, i, "nearest", a, 1, r, NULL), GATE_OK);
	CHECK(f64_of(&r[0]) == -4.0);
	a[0] = vf64(1.5);
	a[1] = vf64(-0.0);
	CHECK_EQ(call(s, i, "copysign", a, 2, r, NULL), GATE_OK);
	CHECK(f64_of(&r[0]) == -1.5);
	a[0] = vf32(3.0f);
	CHECK_EQ(call(s, i, "neg", a, 1, r, NULL), GATE_OK);
	CHECK(f32_of(&r[0]) == -3.0f);
	a[0] = vf64(2.0);
	CHECK_EQ(call(s, i, "sqrt", a, 1, r, NULL), GATE_OK);
	CHECK(f64_of(&r[0]) == sqrt(2.0));
	a[0] = vf32(1.0f);
	a[1] = vf32(0.0f);
	CHECK_EQ(call(s, i, "div", a, 2, r, NULL), GATE_OK);
	CHECK(isinf(f32_of(&r[0])));
	a[0] = vf64(NAN);
	a[1] = vf64(1.0);
	CHECK_EQ(call(s, i, "lt", a, 2, r, NULL), GATE_OK);
	CHECK_EQ(r[0].of.i32, 0);
	CHECK_EQ(call(s, i, "ne", a, 2, r, NULL), GATE_OK);
	CHECK_EQ(r[0].of.i32, 1);
	a[0] = vi64(0xffffffffffffffffull);
	CHECK_EQ(call(s, i, "cvt_u64", a, 1, r, NULL), GATE_OK);
	CHECK(f64_of(&r[0]) == 18446744073709551616.0);
	a[0] = vf64(1e300);
	CHECK_EQ(call(s, i, "demote", a, 1, r, NULL), GATE_OK);
	CHECK(isinf(f32_of(&r[0])));
	/* a two-flag float compare spilled at a merge point */
	{
		static const float fv[3] = {2.0f, 1.0f, NAN};
		static const uint32_t ne[3] = {1, 0, 1}, eq[3] = {0, 1, 0};

		for (int k = 0; k < 3; k++) {
			a[0] = vf32(fv[k]);
			a[1] = vi32(0);
			CHECK_EQ(call(s, i, "ne_arm", a, 2, r, NULL), GATE_OK);
			CHECK_EQ(r[0].of.i32, ne[k]);
			a[0] = vf64(fv[k]);
			CHECK_EQ(call(s, i, "eq_arm", a, 2, r, NULL), GATE_OK);
			CHECK_EQ(r[0].of.i32, eq[k]);
		}
	}
	gate__store_free(s);
}

TEST(rt_exec_conversions_trap_and_saturate)
{
	struct gate__store *s = store();
	struct gate__value a[1], r[16];
	struct gate__trap t;
	uint32_t i = wat_instance(
	    s,
	    "(module"
	    " (func (export \"t32s\") (param f32) (result i32) local.get 0 i32.trunc_f32_s)"
	    " (func (export \"t64u\") (param f64) (result i64) local.get 0 i64.trunc_f64_u)"
	    " (func (export \"s32u\") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_u)"
	    " (func (export \"s64s\") (param f32) (result i64) local.get 0 i64.trunc_sat_f32_s))",
	    NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	a[0] = vf32(-2147483648.0f);
	CHECK_EQ(call(s, i, "t32s", a, 1, r, &t), GATE_OK);
	CHECK_EQ(r[0].of.i32, 0x80000000u);
	a[0] = vf32(2147483648.0f);
	CHECK_EQ(call(s, i, "t32s", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_INTEGER_OVERFLOW);
	a[0] = vf32(NAN);
	CHECK_EQ(call(s, i, "t32s", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_INVALID_CONVERSION);
	a[0] = vf64(18446744073709549568.0);
	CHECK_EQ(call(s, i, "t64u", a, 1, r, &t), GATE_OK);
	CHECK_EQ(r[0].of.i64, 18446744073709549568ull);
	a[0] = vf64(-0.9);
	CHECK_EQ(call(s, i, "t64u", a, 1, r, &t), GATE_OK);
	CHECK_EQ(r[0].of.i64, 0);
	a[0] = vf64(-1.0);
	CHECK_EQ(call(s, i, "t64u", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_INTEGER_OVERFLOW);
	a[0] = vf64(1e20);
	CHECK_EQ(call(s, i, "s32u", a, 1, r, &t), GATE_OK);
	CHECK_EQ(r[0].of.i32, 0xffffffffu);
	a[0] = vf64(NAN);
	CHECK_EQ(call(s, i, "s32u", a, 1, r, &t), GATE_OK);
	CHECK_EQ(r[0].of.i32, 0);
	a[0] = vf32(-1e30f);
	CHECK_EQ(call(s, i, "s64s", a, 1, r, &t), GATE_OK);
	CHECK_EQ(r[0].of.i64, 0x8000000000000000ull);
	gate__store_free(s);
}

TEST(rt_exec_memory_globals_and_bulk)
{
	struct gate__store *s = store();
	struct gate__trap t;
	struct gate__value a[3], r[16];
	uint32_t i = wat_instance(
	    s,
	    "(module (memory 1 3) (data (i32.const 16) \"\\01\\02\\03\\04\")"
	    " (data $p \"xyz\")"
	    " (global $g (export \"g\") (mut i64) (i64.const 5))"
	    " (func (export \"load\") (param i32) (result i32) local.get 0 i32.load offset=16)"
	    " (func (export \"load8s\") (param i32) (result i64) local.get 0 i64.load8_s)"
	    " (func (export \"store\") (param i32 i64) local.get 0 local.get 1 i64.store)"
	    " (func (export \"grow\") (param i32) (result i32) local.get 0 memory.grow)"
	    " (func (export \"size\") (result i32) memory.size)"
	    " (func (export \"bump\") (result i64) (global.set $g (i64.add (global.get $g) "
	    "(i64.const 1))) global.get $g)"
	    " (func (export \"fill\") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) "
	    "(local.get 2)))"
	    " (func (export \"copy\") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) "
	    "(local.get 2)))"
	    " (func (export \"init\") (param i32) (memory.init $p (local.get 0) (i32.const 0) "
	    "(i32.const 3)) (data.drop $p)))",
	    NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	CHECK_EQ(call_int(s, i, "load", 1, 0, 0), 0x04030201);
	CHECK_EQ(call_int(s, i, "load8s", 1, 17, 0), 2);
	a[0] = vi32(65536 - 8);
	a[1] = vi64(0x8877665544332211ull);
	CHECK_EQ(call(s, i, "store", a, 2, r, &t), GATE_OK);
	CHECK_EQ(call_int(s, i, "load8s", 1, 65535, 0), 0xffffffffffffff88ull);
	/* one byte past the end: out of bounds, nothing written */
	a[0] = vi32(65536 - 7);
	CHECK_EQ(call(s, i, "store", a, 2, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	CHECK_EQ(call_int(s, i, "load8s", 1, 65529, 0), 0x22);
	a[0] = vi32(0xffffffff);
	CHECK_EQ(call(s, i, "load", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	CHECK_EQ(call_int(s, i, "grow", 1, 2, 0), 1);
	CHECK_EQ(call_int(s, i, "grow", 1, 1, 0), 0xffffffff);
	CHECK_EQ(call_int(s, i, "size", 0, 0, 0), 3);
	CHECK_EQ(call_int(s, i, "load8s", 1, 3 * 65536 - 1, 0), 0);
	CHECK_EQ(call_int(s, i, "bump", 0, 0, 0), 6);
	CHECK_EQ(call_int(s, i, "bump", 0, 0, 0), 7);
	{
		struct gate__value gv;

		CHECK_EQ(gate__store_global_get(s, export_addr(s, i, "g"), &gv), GATE_OK);
		CHECK_EQ(gv.of.i64, 7);
	}
	a[0] = vi32(100);
	a[1] = vi32(0xab);
	a[2] = vi32(4);
	CHECK_EQ(call(s, i, "fill", a, 3, r, &t), GATE_OK);
	CHECK_EQ(call_int(s, i, "load", 1, 84, 0), 0xabababab);
	a[0] = vi32(3 * 65536 - 2);
	CHECK_EQ(call(s, i, "fill", a, 3, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	a[0] = vi32(200);
	a[1] = vi32(16);
	a[2] = vi32(4);
	CHECK_EQ(call(s, i, "copy", a, 3, r, &t), GATE_OK);
	CHECK_EQ(call_int(s, i, "load", 1, 184, 0), 0x04030201);
	a[0] = vi32(300);
	CHECK_EQ(call(s, i, "init", a, 1, r, &t), GATE_OK);
	CHECK_EQ(call_int(s, i, "load", 1, 284, 0) & 0xffffff, 0x7a7978);
	CHECK_EQ(call(s, i, "init", a, 1, r, &t), GATE_TRAP); /* dropped */
	CHECK_EQ(t.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	gate__store_free(s);
}

/* More results and parameters than registers: stack-passed values. */
TEST(rt_exec_multi_value_and_many_params)
{
	struct gate__store *s = store();
	struct gate__value a[10], r[16];
	uint32_t i = wat_instance(
	    s,
	    "(module"
	    " (func $five (param i64 f64 i32 f32 i64) (result i64 f64 i32 f32 i64)"
	    "  local.get 4 local.get 1 local.get 2 local.get 3 local.get 0)"
	    " (func (export \"swap5\") (param i64 f64 i32 f32 i64) (result i64 f64 i32 f32 i64)"
	    "  local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 call $five)"
	    " (func $sum (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)"
	    "  local.get 0 local.get 1 i32.add local.get 2 i32.add local.get 3 i32.add"
	    "  local.get 4 i32.add local.get 5 i32.add local.get 6 i32.add local.get 7 i32.add"
	    "  local.get 8 i32.add local.get 9 i32.const 100 i32.mul i32.add)"
	    " (func (export \"sum10\") (result i32)"
	    "  i32.const 1 i32.const 2 i32.const 3 i32.const 4 i32.const 5"
	    "  i32.const 6 i32.const 7 i32.const 8 i32.const 9 i32.const 10 call $sum)"
	    " (func (export \"entry12\") (param i32 i64 i32 i64 i32 i64 i32 i64 f64 f64 f64 f64 "
	    "f64 f64 f64 f64 f64 f32)"
	    "  (result f64 f64 f64 i64 i64 i64 f32)"
	    "  (f64.add (local.get 16) (local.get 8)) (local.get 15) (f64.convert_i32_s (local.get "
	    "6))"
	    "  (i64.add (local.get 7) (local.get 1)) (local.get 5) (i64.extend_i32_u (local.get "
	    "4)) (local.get 17))"
	    " (func (export \"blockmv\") (param i32) (result i32 i32)"
	    "  local.get 0 (block (param i32) (result i32 i32) (i32.const 9) (br_if 0 (local.get "
	    "0)) drop (i32.const 8))))",
	    NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	a[0] = vi64(1);
	a[1] = vf64(2.5);
	a[2] = vi32(3);
	a[3] = vf32(4.5f);
	a[4] = vi64(5);
	CHECK_EQ(call(s, i, "swap5", a, 5, r, NULL), GATE_OK);
	CHECK_EQ(r[0].of.i64, 5);
	CHECK(f64_of(&r[1]) == 2.5);
	CHECK_EQ(r[2].of.i32, 3);
	CHECK(f32_of(&r[3]) == 4.5f);
	CHECK_EQ(r[4].of.i64, 1);
	CHECK_EQ(call_int(s, i, "sum10", 0, 0, 0), 1045);
	/* the host calls in with stack arguments and gets stack results */
	{
		struct gate__value p[18];

		for (int k = 0; k < 8; k++)
			p[k] = k & 1 ? vi64(100 + k) : vi32(100 + k);
		for (int k = 8; k < 17; k++)
			p[k] = vf64(k + 0.5);
		p[17] = vf32(-7.25f);
		CHECK_EQ(call(s, i, "entry12", p, 18, r, NULL), GATE_OK);
		CHECK(f64_of(&r[0]) == 16.5 + 8.5);
		CHECK(f64_of(&r[1]) == 15.5);
		CHECK(f64_of(&r[2]) == 106.0);
		CHECK_EQ(r[3].of.i64, 107 + 101);
		CHECK_EQ(r[4].of.i64, 105);
		CHECK_EQ(r[5].of.i64, 104);
		CHECK(f32_of(&r[6]) == -7.25f);
	}
	a[0] = vi32(1);
	CHECK_EQ(call(s, i, "blockmv", a, 1, r, NULL), GATE_OK);
	CHECK_EQ(r[0].of.i32, 1);
	CHECK_EQ(r[1].of.i32, 9);
	a[0] = vi32(0);
	CHECK_EQ(call(s, i, "blockmv", a, 1, r, NULL), GATE_OK);
	CHECK_EQ(r[0].of.i32, 0);
	CHECK_EQ(r[1].of.i32, 8);
	gate__store_free(s);
}

TEST(rt_exec_tables_and_references)
{
	struct gate__store *s = store();
	struct gate__trap t;
	struct gate__value a[2], r[16];
	uint32_t i = wat_instance(
	    s,
	    "(module (type $ii (func (param i32) (result i32)))"
	    " (table $t 4 10 funcref) (table $e 2 externref)"
	    " (elem (table $t) (i32.const 0) func $inc $dbl)"
	    " (func $inc (type $ii) local.get 0 i32.const 1 i32.add)"
	    " (func $dbl (type $ii) local.get 0 i32.const 2 i32.mul)"
	    " (func $nop)"
	    " (elem declare func $nop)"
	    " (func (export \"ind\") (param i32 i32) (result i32) local.get 1 local.get 0 "
	    "call_indirect $t (type $ii))"
	    " (func (export \"set_nop\") (param i32) (table.set $t (local.get 0) (ref.func $nop)))"
	    " (func (export \"grow\") (param i32) (result i32) (table.grow $t (ref.null func) "
	    "(local.get 0)))"
	    " (func (export \"size\") (result i32) table.size $t)"
	    " (func (export \"isnull\") (param i32) (result i32) (ref.is_null (table.get $t "
	    "(local.get 0))))"
	    " (func (export \"ext\") (param externref) (result externref) (table.set $e (i32.const "
	    "1) (local.get 0)) (table.get $e (i32.const 1))))",
	    NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	CHECK_EQ(call_int(s, i, "ind", 2, 0, 41), 42);
	CHECK_EQ(call_int(s, i, "ind", 2, 1, 21), 42);
	a[0] = vi32(2);
	a[1] = vi32(0);
	CHECK_EQ(call(s, i, "ind", a, 2, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_UNINITIALIZED_ELEMENT);
	a[0] = vi32(4);
	CHECK_EQ(call(s, i, "ind", a, 2, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_UNDEFINED_ELEMENT);
	a[0] = vi32(3);
	CHECK_EQ(call(s, i, "set_nop", a, 1, r, &t), GATE_OK);
	CHECK_EQ(call(s, i, "ind", a, 2, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
	CHECK_EQ(call_int(s, i, "isnull", 1, 2, 0), 1);
	CHECK_EQ(call_int(s, i, "isnull", 1, 3, 0), 0);
	a[0] = vi32(9);
	CHECK_EQ(call(s, i, "isnull", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_TABLE_OUT_OF_BOUNDS);
	CHECK_EQ(call_int(s, i, "grow", 1, 6, 0), 4);
	CHECK_EQ(call_int(s, i, "grow", 1, 1, 0), 0xffffffff);
	CHECK_EQ(call_int(s, i, "size", 0, 0, 0), 10);
	a[0] = (struct gate__value){.type = 0x6f, .of.ref = 77};
	CHECK_EQ(call(s, i, "ext", a, 1, r, &t), GATE_OK);
	CHECK_EQ(r[0].type, 0x6f);
	CHECK_EQ(r[0].of.ref, 77);
	gate__store_free(s);
}

/* Hot locals live in registers: every way of reading and writing them,
 * across calls (which clobber registers), indirect calls, br_table and
 * memory addressing, checked against the same code with cold locals. */
TEST(rt_exec_locals_in_registers)
{
	struct gate__store *s = store();
	uint32_t i = wat_instance(
	    s,
	    "(module (memory 1) (table 2 funcref) (elem (i32.const 0) $id $neg)"
	    " (type $t (func (param i32) (result i32)))"
	    " (func $id (type $t) local.get 0)"
	    " (func $neg (type $t) (i32.sub (i32.const 0) (local.get 0)))"
	    " (func $six (param i32 i32 i32 i32 i32 i32) (result i32)"
	    "  (i32.add (i32.add (i32.add (local.get 0) (local.get 1)) (i32.add (local.get 2) "
	    "(local.get 3)))"
	    "   (i32.mul (local.get 4) (local.get 5))))"
	    " (func (export \"mix\") (param $n i32) (result i64)"
	    "  (local $i i32) (local $a i32) (local $b i32) (local $acc i64) (local $x f64) (local "
	    "$y f64)"
	    "  (local.set $x (f64.const 1.5))"
	    "  (loop $l"
	    "   (local.set $a (i32.add (local.get $i) (local.get $i)))"
	    "   (local.set $b (local.tee $a (i32.xor (local.get $a) (i32.const 5))))"
	    "   (local.set $b (select (local.get $a) (local.get $b) (i32.and (local.get $i) "
	    "(i32.const 1))))"
	    "   (i32.store (i32.shl (i32.and (local.get $i) (i32.const 255)) (i32.const 2)) "
	    "(local.get $b))"
	    "   (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load (i32.shl "
	    "(i32.and (local.get $i) (i32.const 255)) (i32.const 2))))))"
	    "   (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s"
	    "    (call $six (local.get $i) (local.get $a) (local.get $b) (local.get $i) (local.get "
	    "$a) (local.get $b)))))"
	    "   (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s"
	    "    (call_indirect (type $t) (local.get $a) (i32.and (local.get $i) (i32.const 1))))))"
	    "   (block $d (block $c (block $z"
	    "    (br_table $z $c $d (i32.rem_u (local.get $i) (i32.const 3))))"
	    "    (local.set $x (f64.add (local.get $x) (local.get $y))) (br $d))"
	    "    (local.set $y (f64.sub (f64.const 1) (f64.mul (local.get $x) (f64.const 0.5)))))"
	    "   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	    "   (br_if $l (i32.lt_u (local.get $i) (local.get $n))))"
	    "  (i64.add (local.get $acc) (i64.trunc_f64_s (f64.add (local.get $x) (local.get "
	    "$y))))))",
	    NULL, 0, NULL);
	uint64_t acc = 0;
	int32_t a = 0, b = 0;
	double x = 1.5, y = 0;

	CHECK(i != UINT32_MAX);
	for (uint32_t k = 0; k < 1000; k++) {
		a = (int32_t)(k + k);
		a ^= 5;
		b = a;
		b = (k & 1) ? a : b;
		acc += (uint32_t)b;
		acc += (uint64_t)(int64_t)(int32_t)((uint32_t)k + (uint32_t)a + (uint32_t)b + k +
						    (uint32_t)a * (uint32_t)b);
		acc += (uint64_t)(int64_t)((k & 1) ? -a : a);
		if (k % 3 == 1)
			x = x + y;
		else if (k % 3 == 0)
			y = 1.0 - x * 0.5;
	}
	acc += (uint64_t)(int64_t)(x + y);
	CHECK_EQ(call_int(s, i, "mix", 1, 1000, 0), acc);
	gate__store_free(s);
}
