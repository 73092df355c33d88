/* gate_image_new() and the image format: what compiles, what is refused,
 * and that the runtime rejects damaged images. */
#include <string.h>
#include "../compile/compile.h"
#include "../compile/image.h"
#include "test.h"
#include "test_rt_util.h"
#include "test_wasm_build.h"

static const char *small = "(module (func (export \"add\") (param i32 i32) (result i32)"
			   "  local.get 0 local.get 1 i32.add)"
			   " (memory 1) (data (i32.const 8) \"hi\"))";

TEST(compile_image_has_header_and_version)
{
	char err[256];
	size_t len = 0;
	int st;
	uint8_t *img = wat_image(small, &len, &st, err, sizeof(err));
	uint32_t v;

	CHECK(img != NULL);
	CHECK(len > GATE__IMAGE_HEADER);
	CHECK(memcmp(img, GATE__IMAGE_MAGIC, 8) == 0);
	memcpy(&v, img + 8, 4);
	CHECK_EQ(v, gate_compiler_version());
	CHECK_EQ(gate_compiler_version(), GATE__COMPILER_VERSION);
	free(img);
}

TEST(compile_image_rejects_simd_cleanly)
{
	char err[256] = "";
	size_t len = 0;
	int st;
	uint8_t *img = wat_image("(module (func (result v128) v128.const i32x4 1 2 3 4))", &len,
				 &st, err, sizeof(err));

	CHECK(img == NULL);
	CHECK_EQ(st, GATE_UNSUPPORTED);
	CHECK(strstr(err, "SIMD code generation not implemented") != NULL);
}

TEST(compile_image_null_arguments)
{
	char err[128];
	gate_image *img = NULL;
	uint64_t len = 1;

	CHECK_EQ(gate_image_new(NULL, &img, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	CHECK(gate_image_bytes(NULL, &len) == NULL);
	CHECK_EQ(len, 0);
	gate_image_free(NULL);
}

/* Every single-byte change and every truncation is refused, never run. */
TEST(rt_load_rejects_damaged_images)
{
	char err[256];
	size_t len = 0;
	int st;
	uint8_t *img = wat_image(small, &len, &st, err, sizeof(err));
	struct gate__store *s;
	uint32_t idx;
	unsigned rejected = 0, tried = 0;

	CHECK(img != NULL);
	CHECK_EQ(gate__store_new(&s, err, sizeof(err)), GATE_OK);
	CHECK_EQ(gate__store_load(s, img, len, &idx, err, sizeof(err)), GATE_OK);
	for (size_t i = 0; i < len; i += 1 + i / 64) {
		img[i] ^= 0x5a;
		tried++;
		rejected += gate__store_load(s, img, len, &idx, err, sizeof(err)) == GATE_MALFORMED;
		img[i] ^= 0x5a;
	}
	for (size_t n = 0; n < len; n += 7) {
		tried++;
		rejected += gate__store_load(s, img, n, &idx, err, sizeof(err)) == GATE_MALFORMED;
	}
	CHECK_EQ(rejected, tried);
	CHECK(strstr(err, "Cannot load image") != NULL);
	gate__store_free(s);
	free(img);
}

/* Structurally equal types share entry stubs; every type has one. */
TEST(compile_entry_stubs_shared_by_equal_types)
{
	size_t n;
	uint8_t *w = wat2wasm("(module (type (func (param i32))) (type (func (param i32)))"
			      " (type (func (param f64) (result i64)))"
			      " (func (type 0)) (func (type 1)) (func (type 2) i64.const 0))",
			      &n);
	gate_module *m;
	struct gate__compiled c;
	char err[128];

	CHECK(w != NULL);
	CHECK_EQ(gate_module_new(w, n, NULL, &m, err, sizeof(err)), GATE_OK);
	free(w);
	CHECK_EQ(gate__compile_module(m, &c, err, sizeof(err)), GATE_OK);
	CHECK_EQ(c.entry_stub[0], c.entry_stub[1]);
	CHECK(c.entry_stub[2] != c.entry_stub[0]);
	CHECK(c.func_off[0] < c.code_len && c.func_off[2] < c.code_len);
	CHECK(c.sites.ncalls > 0);
	gate__compiled_free(&c);
	gate_module_free(m);
}

TEST(module_decode_defers_bodies_to_the_compiler)
{
	/* () -> (): i32.const 1 leaves a value behind: a type error in the body. */
	static const uint8_t body[] = { 0x00, 0x41, 0x01, 0x0b };
	struct wb w = wb_func_module(body, sizeof(body));
	gate_module *m = NULL;
	gate_image *image = NULL;
	char err[256] = "";

	CHECK_EQ(gate_module_new(w.p, w.n, NULL, &m, err, sizeof(err)), GATE_INVALID);
	CHECK_EQ(gate_module_decode(w.p, w.n, NULL, &m, err, sizeof(err)), GATE_OK);
	CHECK_EQ(gate_image_new(m, &image, err, sizeof(err)), GATE_INVALID);
	CHECK(image == NULL);
	CHECK(strstr(err, "offset") != NULL);
	gate_module_free(m);
	wb_free(&w);
}
