/* gate_image_new_flags(): every code generation option compiles code that
 * computes what the default code computes; unknown flags are refused. */
#include <string.h>

#include "../compile/compile.h"
#include "test.h"
#include "test_rt_util.h"

/* Loops with locals live across them (pinned by default), a call in a loop
 * and memory: the code the two options change. */
static const char *looping =
	"(module (memory 1)"
	" (func $sq (param i32) (result i32) local.get 0 local.get 0 i32.mul)"
	" (func (export \"run\") (param $n i32) (result i32)"
	"  (local $i i32) (local $acc i32) (local $j i32)"
	"  (loop $outer"
	"   (local.set $j (i32.const 0))"
	"   (loop $inner"
	"    (i32.store (i32.and (i32.shl (local.get $j) (i32.const 2)) (i32.const 1023))"
	"     (i32.add (local.get $acc) (local.get $j)))"
	"    (local.set $j (i32.add (local.get $j) (i32.const 1)))"
	"    (br_if $inner (i32.lt_u (local.get $j) (i32.const 7))))"
	"   (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31))"
	"    (i32.add (call $sq (local.get $i)) (i32.load (i32.const 12)))))"
	"   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))"
	"  local.get $acc))";

/* The same computation in C, for the expected result. */
static uint32_t expected(uint32_t n)
{
	uint32_t mem[256] = { 0 }, i = 0, acc = 0, j;

	do {
		j = 0;
		do {
			mem[(j << 2 & 1023) / 4] = acc + j;
			j++;
		} while (j < 7);
		acc = acc * 31 + (i * i + mem[3]);
		i++;
	} while (i < n);
	return acc;
}

/* Compiles wasm[0..len) with flags; the image's bytes (malloc) or NULL. */
static uint8_t *image_with(const uint8_t *wasm, size_t len, uint32_t flags, size_t *out_len)
{
	char err[256] = "";
	gate_module *m;
	gate_image *img;
	const uint8_t *b;
	uint64_t l;
	uint8_t *out = NULL;

	if (gate_module_new(wasm, len, NULL, &m, err, sizeof(err)))
		return NULL;
	if (gate_image_new_flags(m, flags, &img, err, sizeof(err))) {
		fprintf(stderr, "  flags 0x%x: %s\n", flags, err);
		gate_module_free(m);
		return NULL;
	}
	gate_module_free(m);
	b = gate_image_bytes(img, &l);
	out = malloc(l);
	if (out) {
		memcpy(out, b, l);
		*out_len = l;
	}
	gate_image_free(img);
	return out;
}

/* Loads img and calls run(n); 0xdeadbeef on any failure. */
static uint64_t run_image(const uint8_t *img, size_t len, uint32_t n)
{
	char err[256];
	struct gate__store *s = store();
	struct gate__trap trap;
	uint32_t idx, inst;
	uint64_t r = 0xdeadbeef;

	if (s == NULL)
		return r;
	if (gate__store_load(s, img, len, &idx, err, sizeof(err)) == GATE_OK &&
	    gate__store_instantiate(s, idx, NULL, 0, &inst, &trap, err, sizeof(err)) == GATE_OK)
		r = call_int(s, inst, "run", 1, n, 0);
	gate__store_free(s);
	return r;
}

TEST(compile_flags_each_option_computes_the_same)
{
	static const uint32_t flags[] = {
		0,
		GATE_COMPILE_NO_LOOP_CHECKS,
		GATE_COMPILE_NO_PINS,
		GATE_COMPILE_NO_LOOP_CHECKS | GATE_COMPILE_NO_PINS,
	};
	size_t wasm_len, len[4];
	uint8_t *wasm = wat2wasm(looping, &wasm_len), *img[4] = { NULL };

	CHECK(wasm != NULL);
	for (int i = 0; i < 4; i++) {
		img[i] = image_with(wasm, wasm_len, flags[i], &len[i]);
		CHECK(img[i] != NULL);
		CHECK_EQ(run_image(img[i], len[i], 1), expected(1));
		CHECK_EQ(run_image(img[i], len[i], 1000), expected(1000));
	}
	/* Each option changed the code: no loop checks is less code, and
	 * unpinned locals are another allocation. */
	CHECK(len[1] < len[0]);
	CHECK(len[2] != len[0] || memcmp(img[2], img[0], len[0]) != 0);
	CHECK(len[3] != len[1] || memcmp(img[3], img[1], len[1]) != 0);
	for (int i = 0; i < 4; i++)
		free(img[i]);
	free(wasm);
}

TEST(compile_flags_zero_is_gate_image_new)
{
	size_t wasm_len, len0 = 0, len1 = 0;
	uint8_t *wasm = wat2wasm(looping, &wasm_len), *a, *b;
	char err[256];
	int st;

	CHECK(wasm != NULL);
	a = image_with(wasm, wasm_len, 0, &len0);
	b = wat_image(looping, &len1, &st, err, sizeof(err));
	CHECK(a != NULL && b != NULL);
	CHECK_EQ(len0, len1);
	CHECK(memcmp(a, b, len0) == 0);
	free(a);
	free(b);
	free(wasm);
}

TEST(compile_flags_rejects_unknown_flags)
{
	char err[256] = "";
	size_t wasm_len;
	uint8_t *wasm = wat2wasm(looping, &wasm_len);
	gate_module *m;
	gate_image *img = (gate_image *)&img; /* untouched on failure */

	CHECK(wasm != NULL);
	CHECK_EQ(gate_module_new(wasm, wasm_len, NULL, &m, err, sizeof(err)), GATE_OK);
	free(wasm);
	CHECK_EQ(gate_image_new_flags(m, 0x4, &img, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	CHECK(strstr(err, "unknown code generation flags 0x4") != NULL);
	CHECK(img == (gate_image *)&img);
	CHECK_EQ(gate_image_new_flags(m, GATE_COMPILE_NO_PINS | 0x80000000u, &img, err,
				      sizeof(err)),
		 GATE_INVALID_ARGUMENT);
	CHECK(strstr(err, "0x80000000") != NULL);
	CHECK_EQ(gate_image_new_flags(NULL, 0, &img, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	CHECK_EQ(gate_image_new_flags(m, 0, NULL, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	gate_module_free(m);
}
