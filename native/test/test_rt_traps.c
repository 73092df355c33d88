/* Traps with backtraces, stack exhaustion, and safepoints with their stack
 * maps: the frame walker is tested through both. */
#include "../compile/compile.h"
#include "../rt/rt_internal.h"
#include "test.h"
#include "test_rt_util.h"

static bool named(struct gate__store *s, const struct gate__trap_frame *f, const char *want)
{
	size_t len;
	const char *n = gate__store_func_name(s, f->module, f->func, &len);

	return n && len == strlen(want) && memcmp(n, want, len) == 0;
}

static const char *chain =
	"(module (memory 1)"
	" (func $inner (param i32) (result i32)"
	"  (if (i32.eqz (local.get 0)) (then unreachable))"
	"  (i32.load (i32.const 70000)))"
	" (func $middle (param i32) (result i32) (i32.add (i32.const 1) (call $inner (local.get 0))))"
	" (func $outer (export \"outer\") (param i32) (result i32) (call $middle (local.get 0))))";

TEST(rt_trap_backtrace_has_names_and_offsets)
{
	struct gate__store *s = store();
	struct gate__trap t;
	struct gate__value a[1] = { vi32(0) }, r[16];
	uint32_t i = wat_instance(s, chain, NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	CHECK_EQ(call(s, i, "outer", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_UNREACHABLE);
	CHECK_EQ(t.nframes, 3);
	CHECK(named(s, &t.frames[0], "inner"));
	CHECK(named(s, &t.frames[1], "middle"));
	CHECK(named(s, &t.frames[2], "outer"));
	CHECK_EQ(t.frames[0].func, 0);
	CHECK_EQ(t.frames[2].func, 2);
	/* offsets are module offsets, inside the bodies, in order of the code */
	CHECK(t.frames[0].offset > 0 && t.frames[0].offset < t.frames[1].offset);
	CHECK(t.frames[1].offset < t.frames[2].offset);
	CHECK_EQ(strcmp(gate__trap_message(t.kind), "unreachable"), 0);

	/* the same chain through a guard-page fault */
	a[0] = vi32(1);
	CHECK_EQ(call(s, i, "outer", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	CHECK_EQ(t.nframes, 3);
	CHECK(named(s, &t.frames[0], "inner"));
	CHECK(named(s, &t.frames[2], "outer"));
	CHECK_EQ(strcmp(gate__trap_message(t.kind), "out of bounds memory access"), 0);

	/* the store runs again after a trap */
	CHECK_EQ(call(s, i, "outer", a, 1, r, &t), GATE_TRAP);
	gate__store_free(s);
}

TEST(rt_trap_integer_division)
{
	struct gate__store *s = store();
	struct gate__trap t;
	struct gate__value a[2], r[16];
	uint32_t i = wat_instance(s,
		"(module (func (export \"div\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)"
		" (func (export \"rem\") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_s))",
		NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	a[0] = vi32(1);
	a[1] = vi32(0);
	CHECK_EQ(call(s, i, "div", a, 2, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_INTEGER_DIVIDE_BY_ZERO);
	a[0] = vi32(0x80000000);
	a[1] = vi32(0xffffffff);
	CHECK_EQ(call(s, i, "div", a, 2, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_INTEGER_OVERFLOW);
	a[0] = vi64(0x8000000000000000ull);
	a[1] = vi64(~0ull);
	CHECK_EQ(call(s, i, "rem", a, 2, r, &t), GATE_OK);
	CHECK_EQ(r[0].of.i64, 0);
	gate__store_free(s);
}

TEST(rt_trap_call_stack_exhausted)
{
	struct gate__store *s = store();
	struct gate__trap t;
	struct gate__value r[16];
	uint32_t i = wat_instance(s,
		"(module (func $f (export \"f\") (result i32) (i32.add (call $f) (i32.const 1)))"
		" (func (export \"big\") (param i32) (result i32) (local f64 f64 f64 f64 f64 f64 f64 f64)"
		"  (if (result i32) (local.get 0) (then (call 1 (i32.add (local.get 0) (i32.const 1)))) (else (i32.const 0)))))",
		NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	CHECK_EQ(call(s, i, "f", NULL, 0, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_CALL_STACK_EXHAUSTED);
	CHECK_EQ(t.nframes, GATE__TRAP_FRAMES);
	CHECK_EQ(t.frames[0].func, 0);
	CHECK_EQ(t.frames[63].func, 0);
	/* and again: the stack is usable after unwinding */
	CHECK_EQ(call(s, i, "f", NULL, 0, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_CALL_STACK_EXHAUSTED);
	{
		struct gate__value a[1] = { vi32(1) };

		CHECK_EQ(call(s, i, "big", a, 1, r, &t), GATE_TRAP);
		CHECK_EQ(t.kind, GATE_TRAP_CALL_STACK_EXHAUSTED);
	}
	gate__store_free(s);
}

/* What the safepoint callback saw, decoded through the stack maps. */
struct seen {
	uint32_t n;
	uint32_t func[16], offset[16], nframes[16], nstack[16];
	uint32_t local1[16], operand0[16];
	uint32_t rearm;
};

static void on_safepoint(struct gate__store *s, uintptr_t pc, uintptr_t fp, void *ctx)
{
	struct seen *w = ctx;
	struct gate__rt_frame f[8];
	uint32_t n = gate__rt_walk(s, pc, fp, f, 8);

	if (w->n < 16 && n) {
		const uint8_t *map = f[0].map;

		w->func[w->n] = f[0].func;
		w->offset[w->n] = f[0].offset;
		w->nframes[w->n] = n;
		w->nstack[w->n] = f[0].nstack;
		/* locals and operands live in their canonical slots */
		memcpy(&w->local1[w->n], (uint8_t *)f[0].fp + gate__slot_disp(1), 4);
		if (f[0].nstack && map[4] == 0x7f && map[5] == GATE__MAP_SLOT)
			memcpy(&w->operand0[w->n], (uint8_t *)f[0].fp + gate__slot_disp(2), 4);
		w->n++;
	}
	/* the slow path while rearm lasts */
	if (w->rearm)
		w->rearm--;
	else
		s->trace = false;
}

TEST(rt_safepoints_record_stack_maps)
{
	struct gate__store *s = store();
	struct seen w = { .rearm = 3 };
	struct gate__value a[1] = { vi32(10) }, r[16];
	uint32_t i = wat_instance(s,
		"(module (func $count (export \"count\") (param i32) (result i32) (local i32)"
		"  (i32.const 7)"
		"  (loop (param i32) (result i32)"
		"   (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
		"   (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))"
		"  (i32.add (local.get 1))))",
		NULL, 0, NULL);

	CHECK(i != UINT32_MAX);
	s->on_safepoint = on_safepoint;
	s->on_safepoint_ctx = &w;
	s->trace = true;
	CHECK_EQ(call(s, i, "count", a, 1, r, NULL), GATE_OK);
	CHECK_EQ(r[0].of.i32, 17);
	/* function entry, then the loop head three times */
	CHECK_EQ(w.n, 4);
	CHECK_EQ(s->safepoints, 4);
	for (uint32_t k = 0; k < 4; k++) {
		CHECK_EQ(w.func[k], 0);
		CHECK_EQ(w.nframes[k], 1);
	}
	CHECK_EQ(w.nstack[0], 0);
	CHECK(w.offset[1] > w.offset[0]);
	for (uint32_t k = 1; k < 4; k++) {
		CHECK_EQ(w.offset[k], w.offset[1]);
		CHECK_EQ(w.nstack[k], 1);
		CHECK_EQ(w.operand0[k], 7);
		CHECK_EQ(w.local1[k], k - 1);
	}
	/* without a request, no slow path */
	CHECK_EQ(call(s, i, "count", a, 1, r, NULL), GATE_OK);
	CHECK_EQ(s->safepoints, 4);
	gate__store_free(s);
}

/* The acceptance check: a trap in a C program built by clang shows
 * a backtrace with the C function names (wasm-ld writes the name section). */
TEST(rt_trap_backtrace_of_a_c_program)
{
	static const char *src =
		"__attribute__((noinline)) static int parse(const char *s, int n) {\n"
		"	int v = 0;\n"
		"	for (int i = 0; i < n; i++)\n"
		"		v = v * 10 + (s[i] - '0');\n"
		"	return v;\n"
		"}\n"
		"__attribute__((noinline)) int checked_div(int a, int b) {\n"
		"	if (b == 0) __builtin_trap();\n"
		"	return a / b;\n"
		"}\n"
		"int run(int n) {\n"
		"	return checked_div(parse(\"12345\", 5), n) + parse((const char *)0x7ffffff0, n);\n"
		"}\n";
	size_t len = 0;
	uint8_t *w = clang_wasm(src, &len);
	gate_module *m;
	gate_image *img;
	struct gate__store *s = store();
	char err[256];
	uint64_t il;
	const uint8_t *ib;
	uint32_t idx, inst;
	struct gate__trap t;
	struct gate__value a[1] = { vi32(0) }, r[16];

	CHECK(w != NULL);
	CHECK_EQ(gate_module_new(w, len, NULL, &m, err, sizeof(err)), GATE_OK);
	free(w);
	CHECK_EQ(gate_image_new(m, &img, err, sizeof(err)), GATE_OK);
	gate_module_free(m);
	ib = gate_image_bytes(img, &il);
	CHECK_EQ(gate__store_load(s, ib, il, &idx, err, sizeof(err)), GATE_OK);
	gate_image_free(img);
	CHECK_EQ(gate__store_instantiate(s, idx, NULL, 0, &inst, &t, err, sizeof(err)), GATE_OK);

	/* division by zero in C is __builtin_trap: unreachable, two frames */
	CHECK_EQ(call(s, inst, "run", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_UNREACHABLE);
	CHECK_EQ(t.nframes, 2);
	CHECK(named(s, &t.frames[0], "checked_div"));
	CHECK(named(s, &t.frames[1], "run"));

	/* a wild pointer: the fault inside parse */
	a[0] = vi32(1);
	CHECK_EQ(call(s, inst, "run", a, 1, r, &t), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	CHECK_EQ(t.nframes, 2);
	CHECK(named(s, &t.frames[0], "parse"));
	CHECK(named(s, &t.frames[1], "run"));
	gate__store_free(s);
}
