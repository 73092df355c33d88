/* Linking: the spectest host module, two instances sharing functions,
 * memory, tables and globals, link errors and the start function. */
#include "test.h"
#include "test_rt_util.h"

static struct gate__extern ext(struct gate__store *s, uint32_t inst, const char *name)
{
	struct gate__extern e = {0, UINT32_MAX};
	char err[128];

	gate__store_export(s, inst, name, strlen(name), &e, err, sizeof(err));
	return e;
}

TEST(rt_link_spectest_imports)
{
	struct gate__store *s = store();
	char err[128];
	uint32_t st, i;
	struct gate__extern im[5];

	CHECK_EQ(gate__store_add_spectest(s, &st, err, sizeof(err)), GATE_OK);
	im[0] = ext(s, st, "print_i32");
	im[1] = ext(s, st, "global_i32");
	im[2] = ext(s, st, "global_f64");
	im[3] = ext(s, st, "table");
	im[4] = ext(s, st, "memory");
	i = wat_instance(s,
			 "(module (import \"spectest\" \"print_i32\" (func $p (param i32)))"
			 " (import \"spectest\" \"global_i32\" (global $g i32))"
			 " (import \"spectest\" \"global_f64\" (global $d f64))"
			 " (import \"spectest\" \"table\" (table 10 funcref))"
			 " (import \"spectest\" \"memory\" (memory 1))"
			 " (func (export \"run\") (result i32) (call $p (i32.const 1))"
			 "  (i32.store (i32.const 0) (global.get $g)) (i32.load (i32.const 0)))"
			 " (func (export \"d\") (result f64) global.get $d)"
			 " (func (export \"pages\") (result i32) memory.size))",
			 im, 5, NULL);
	CHECK(i != UINT32_MAX);
	CHECK_EQ(call_int(s, i, "run", 0, 0, 0), 666);
	CHECK_EQ(call_int(s, i, "pages", 0, 0, 0), 1);
	{
		struct gate__value r[16];
		double d;

		CHECK_EQ(call(s, i, "d", NULL, 0, r, NULL), GATE_OK);
		memcpy(&d, &r[0].of.f64, 8);
		CHECK(d == 666.6);
	}
	/* host functions can be invoked directly too */
	{
		struct gate__value a[1] = {vi32(5)}, r[16];
		struct gate__trap t;

		CHECK_EQ(gate__store_invoke(s, im[0].addr, a, 1, r, 16, &t, err, sizeof(err)),
			 GATE_OK);
	}
	gate__store_free(s);
}

TEST(rt_link_two_instances_share_everything)
{
	struct gate__store *s = store();
	struct gate__extern im[5];
	uint32_t a, b;

	a = wat_instance(
	    s,
	    "(module (memory (export \"mem\") 1) (table (export \"tab\") 2 funcref)"
	    " (global (export \"cnt\") (mut i32) (i32.const 0))"
	    " (func $sq (export \"sq\") (param i32) (result i32) (i32.mul (local.get 0) (local.get "
	    "0)))"
	    " (elem (i32.const 0) $sq)"
	    " (func (export \"peek\") (param i32) (result i32) (i32.load (local.get 0))))",
	    NULL, 0, NULL);
	CHECK(a != UINT32_MAX);
	im[0] = ext(s, a, "sq");
	im[1] = ext(s, a, "mem");
	im[2] = ext(s, a, "tab");
	im[3] = ext(s, a, "cnt");
	b = wat_instance(
	    s,
	    "(module (type $t (func (param i32) (result i32)))"
	    " (import \"a\" \"sq\" (func $sq (type $t)))"
	    " (import \"a\" \"mem\" (memory 1))"
	    " (import \"a\" \"tab\" (table 2 funcref))"
	    " (import \"a\" \"cnt\" (global $c (mut i32)))"
	    " (func $cube (param i32) (result i32) (i32.mul (local.get 0) (call $sq (local.get "
	    "0))))"
	    " (elem (i32.const 1) $cube)"
	    " (func (export \"go\") (param i32) (result i32)"
	    "  (global.set $c (i32.add (global.get $c) (i32.const 1)))"
	    "  (i32.store (i32.const 64) (call_indirect (type $t) (local.get 0) (i32.const 1)))"
	    "  (call_indirect (type $t) (local.get 0) (i32.const 0))))",
	    im, 4, NULL);
	CHECK(b != UINT32_MAX);
	CHECK_EQ(call_int(s, b, "go", 1, 3, 0), 9);
	CHECK_EQ(call_int(s, a, "peek", 1, 64, 0), 27);
	{
		struct gate__value g;

		CHECK_EQ(gate__store_global_get(s, im[3].addr, &g), GATE_OK);
		CHECK_EQ(g.of.i32, 1);
	}
	gate__store_free(s);
}

TEST(rt_link_rejects_incompatible_imports)
{
	struct gate__store *s = store();
	struct gate__extern im[1];
	int st;
	uint32_t a = wat_instance(
	    s,
	    "(module (memory (export \"mem\") 1 2) (global (export \"g\") i32 (i32.const 1))"
	    " (func (export \"f\") (param i32)))",
	    NULL, 0, NULL);

	CHECK(a != UINT32_MAX);
	im[0] = ext(s, a, "f");
	wat_instance(s, "(module (import \"a\" \"f\" (func (param i64))))", im, 1, &st);
	CHECK_EQ(st, GATE_LINK);
	im[0] = ext(s, a, "mem");
	wat_instance(s, "(module (import \"a\" \"mem\" (memory 2)))", im, 1, &st);
	CHECK_EQ(st, GATE_LINK);
	wat_instance(s, "(module (import \"a\" \"mem\" (memory 1 1)))", im, 1, &st);
	CHECK_EQ(st, GATE_LINK);
	wat_instance(s, "(module (import \"a\" \"mem\" (memory 1 3)))", im, 1, &st);
	CHECK_EQ(st, GATE_OK);
	im[0] = ext(s, a, "g");
	wat_instance(s, "(module (import \"a\" \"g\" (global (mut i32))))", im, 1, &st);
	CHECK_EQ(st, GATE_LINK);
	im[0] = ext(s, a, "f");
	wat_instance(s, "(module (import \"a\" \"f\" (memory 1)))", im, 1, &st);
	CHECK_EQ(st, GATE_LINK);
	wat_instance(s, "(module (import \"a\" \"f\" (func (param i32))))", NULL, 0, &st);
	CHECK_EQ(st, GATE_LINK);
	gate__store_free(s);
}

TEST(rt_link_start_function_and_segment_order)
{
	struct gate__store *s = store();
	struct gate__extern im[1];
	int st;
	uint32_t a = wat_instance(
	    s,
	    "(module (memory (export \"mem\") 1)"
	    " (func (export \"peek\") (param i32) (result i32) (i32.load8_u (local.get 0))))",
	    NULL, 0, NULL);
	uint32_t b;

	CHECK(a != UINT32_MAX);
	im[0] = ext(s, a, "mem");
	b = wat_instance(
	    s,
	    "(module (import \"a\" \"mem\" (memory 1)) (global $g (mut i32) (i32.const 0))"
	    " (data (i32.const 10) \"\\05\")"
	    " (func $start (i32.store8 (i32.const 11) (i32.add (i32.load8_u (i32.const 10)) "
	    "(i32.const 1))))"
	    " (start $start))",
	    im, 1, NULL);
	CHECK(b != UINT32_MAX);
	CHECK_EQ(call_int(s, a, "peek", 1, 11, 0), 6);
	/* a trapping start: the data written before it stays (spec 4.5.4) */
	wat_instance(s,
		     "(module (import \"a\" \"mem\" (memory 1)) (data (i32.const 20) \"\\07\")"
		     " (func $start unreachable) (start $start))",
		     im, 1, &st);
	CHECK_EQ(st, GATE_TRAP);
	CHECK_EQ(call_int(s, a, "peek", 1, 20, 0), 7);
	/* an out-of-bounds segment traps at instantiation */
	wat_instance(s,
		     "(module (import \"a\" \"mem\" (memory 1)) (data (i32.const 65535) \"ab\"))",
		     im, 1, &st);
	CHECK_EQ(st, GATE_TRAP);
	gate__store_free(s);
}
