/* Section decoding and module-level validation (native/wasm/decode.c etc.). */
#include <string.h>

#include "test.h"
#include "test_wasm_build.h"

#define TYPE_VOID B(0x01, 0x60, 0x00, 0x00) /* type 0 = [] -> [] */
#define ONE_FUNC B(0x01, 0x00)               /* one function of type 0 */
#define EMPTY_BODY B(0x01, 0x02, 0x00, 0x0b) /* code: one body, no locals, end */

TEST(decode_rejects_bad_preamble)
{
	struct wb w = { 0 };

	WB_EXPECT(w, GATE_MALFORMED, "magic header not detected at offset 0");
	wb_put(&w, B(0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "unknown binary version at offset 4");
	wb_put(&w, B(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "unknown binary version");
}

TEST(decode_accepts_empty_module)
{
	struct wb w = wb_module();

	WB_EXPECT(w, GATE_OK, NULL);
}

TEST(decode_rejects_bad_section_headers)
{
	struct wb w = wb_module();

	wb_section(&w, 13, B(0x00));
	WB_EXPECT(w, GATE_MALFORMED, "Cannot decode module: malformed section id 13 at offset 8");

	w = wb_module();
	wb_put(&w, B(0x01, 0x05, 0x01, 0x60, 0x00, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "length out of bounds");

	w = wb_module();
	wb_put(&w, B(0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "integer representation too long");

	w = wb_module();
	wb_section(&w, 1, B(0x01, 0x60, 0x00, 0x00, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "section size mismatch");

	w = wb_module();
	wb_section(&w, 1, B(0x01, 0x60, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "unexpected end");
}

TEST(decode_enforces_section_order)
{
	struct wb w = wb_module();

	wb_section(&w, 3, B(0x00));
	wb_section(&w, 1, B(0x00));
	WB_EXPECT(w, GATE_MALFORMED, "section 1 out of order");

	w = wb_module();
	wb_section(&w, 1, B(0x00));
	wb_section(&w, 1, B(0x00));
	WB_EXPECT(w, GATE_MALFORMED, "out of order");

	/* data count sits between element and code */
	w = wb_module();
	wb_section(&w, 10, B(0x00));
	wb_section(&w, 12, B(0x00));
	WB_EXPECT(w, GATE_MALFORMED, "section 12 out of order");

	/* custom sections go anywhere */
	w = wb_module();
	wb_section(&w, 0, B(0x01, 'a'));
	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 0, B(0x01, 'b', 0xff, 0xfe));
	wb_section(&w, 3, ONE_FUNC);
	wb_section(&w, 12, B(0x00));
	wb_section(&w, 10, EMPTY_BODY);
	wb_section(&w, 0, B(0x00));
	WB_EXPECT(w, GATE_OK, NULL);
}

TEST(decode_checks_function_and_data_counts)
{
	struct wb w = wb_module();

	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 3, ONE_FUNC);
	WB_EXPECT(w, GATE_MALFORMED, "function and code section have inconsistent lengths");

	w = wb_module();
	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 10, EMPTY_BODY);
	WB_EXPECT(w, GATE_MALFORMED, "function and code section have inconsistent lengths");

	w = wb_module();
	wb_section(&w, 12, B(0x01));
	WB_EXPECT(w, GATE_MALFORMED, "data count and data section have inconsistent lengths");

	w = wb_module();
	wb_section(&w, 12, B(0x01));
	wb_section(&w, 11, B(0x02, 0x01, 0x00, 0x01, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "data count and data section have inconsistent lengths");
}

TEST(decode_requires_data_count_for_memory_init)
{
	struct wb w = wb_module();

	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 3, ONE_FUNC);
	wb_section(&w, 5, B(0x01, 0x00, 0x01));
	wb_section(&w, 10, B(0x01, 0x0c, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08,
			     0x00, 0x00, 0x0b));
	wb_section(&w, 11, B(0x01, 0x01, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "data count section required");

	w = wb_module();
	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 3, ONE_FUNC);
	wb_section(&w, 5, B(0x01, 0x00, 0x01));
	wb_section(&w, 12, B(0x01));
	wb_section(&w, 10, B(0x01, 0x0c, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08,
			     0x00, 0x00, 0x0b));
	wb_section(&w, 11, B(0x01, 0x01, 0x00));
	WB_EXPECT(w, GATE_OK, NULL);
}

TEST(decode_rejects_malformed_type_encodings)
{
	struct wb w = wb_module();

	wb_section(&w, 1, B(0x01, 0x61, 0x00, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed function type");

	w = wb_module();
	wb_section(&w, 1, B(0x01, 0x60, 0x01, 0x40, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed value type 0x40");

	w = wb_module();
	wb_section(&w, 2, B(0x01, 0x01, 'm', 0x01, 'f', 0x04, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed import kind");

	w = wb_module();
	wb_section(&w, 6, B(0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b));
	WB_EXPECT(w, GATE_MALFORMED, "malformed mutability");

	w = wb_module();
	wb_section(&w, 5, B(0x01, 0x02, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed limits flags");

	w = wb_module();
	wb_section(&w, 5, B(0x01, 0x81, 0x00, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed limits flags");

	w = wb_module();
	wb_section(&w, 4, B(0x01, 0x7f, 0x00, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed reference type");

	w = wb_module();
	wb_section(&w, 7, B(0x01, 0x01, 'e', 0x04, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed export kind");
}

TEST(decode_rejects_too_many_locals)
{
	struct wb w = wb_func_module(B(0x02, 0x80, 0x80, 0x80, 0x80, 0x08, 0x7f, 0x80, 0x80, 0x80,
				       0x80, 0x08, 0x7e, 0x0b));

	WB_EXPECT(w, GATE_MALFORMED, "too many locals");

	w = wb_func_module(B(0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x7f, 0x0b));
	WB_EXPECT(w, GATE_MALFORMED, "integer too large");
}

TEST(decode_rejects_bad_names)
{
	struct wb w = wb_module();

	wb_section(&w, 2, B(0x01, 0x01, 0xff, 0x01, 'f', 0x00, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed UTF-8 encoding");

	w = wb_module();
	wb_section(&w, 0, B(0x02, 0xc0, 0x80));
	WB_EXPECT(w, GATE_MALFORMED, "malformed UTF-8 encoding");

	w = wb_module();
	wb_section(&w, 0, B(0x05, 'a'));
	WB_EXPECT(w, GATE_MALFORMED, "length out of bounds");
}

TEST(decode_validates_limits_and_memories)
{
	struct wb w = wb_module();

	wb_section(&w, 5, B(0x01, 0x00, 0x81, 0x80, 0x04));
	WB_EXPECT(w, GATE_INVALID, "memory size must be at most 65536 pages (4GiB)");

	w = wb_module();
	wb_section(&w, 5, B(0x01, 0x01, 0x00, 0x81, 0x80, 0x04));
	WB_EXPECT(w, GATE_INVALID, "memory size must be at most 65536 pages");

	w = wb_module();
	wb_section(&w, 5, B(0x01, 0x01, 0x02, 0x01));
	WB_EXPECT(w, GATE_INVALID, "size minimum must not be greater than maximum");

	w = wb_module();
	wb_section(&w, 4, B(0x01, 0x70, 0x01, 0x02, 0x01));
	WB_EXPECT(w, GATE_INVALID, "size minimum must not be greater than maximum");

	w = wb_module();
	wb_section(&w, 5, B(0x02, 0x00, 0x00, 0x00, 0x00));
	WB_EXPECT(w, GATE_INVALID, "multiple memories");

	w = wb_module();
	wb_section(&w, 2, B(0x01, 0x01, 'm', 0x01, 'm', 0x02, 0x00, 0x00));
	wb_section(&w, 5, B(0x01, 0x00, 0x00));
	WB_EXPECT(w, GATE_INVALID, "multiple memories");

	w = wb_module();
	wb_section(&w, 5, B(0x01, 0x01, 0x00, 0x80, 0x80, 0x04));
	wb_section(&w, 4, B(0x00));
	WB_EXPECT(w, GATE_MALFORMED, "out of order");

	/* several tables are fine in 2.0 */
	w = wb_module();
	wb_section(&w, 4, B(0x02, 0x70, 0x00, 0x00, 0x6f, 0x01, 0x00, 0x0a));
	wb_section(&w, 5, B(0x01, 0x01, 0x00, 0x80, 0x80, 0x04));
	WB_EXPECT(w, GATE_OK, NULL);
}

TEST(decode_validates_exports_and_start)
{
	struct wb w = wb_module();

	wb_section(&w, 5, B(0x01, 0x00, 0x00));
	wb_section(&w, 7, B(0x02, 0x01, 'a', 0x02, 0x00, 0x01, 'a', 0x02, 0x00));
	WB_EXPECT(w, GATE_INVALID, "duplicate export name \"a\"");

	w = wb_module();
	wb_section(&w, 7, B(0x01, 0x01, 'f', 0x00, 0x00));
	WB_EXPECT(w, GATE_INVALID, "unknown function 0");

	w = wb_module();
	wb_section(&w, 1, B(0x01, 0x60, 0x01, 0x7f, 0x00));
	wb_section(&w, 3, ONE_FUNC);
	wb_section(&w, 8, B(0x00));
	wb_section(&w, 10, EMPTY_BODY);
	WB_EXPECT(w, GATE_INVALID, "start function 0 must have type [] -> []");

	w = wb_module();
	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 3, ONE_FUNC);
	wb_section(&w, 8, B(0x01));
	wb_section(&w, 10, EMPTY_BODY);
	WB_EXPECT(w, GATE_INVALID, "unknown function 1");

	w = wb_module();
	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 3, B(0x01, 0x05));
	WB_EXPECT(w, GATE_INVALID, "unknown type 5");
}

TEST(decode_validates_constant_expressions)
{
	struct wb w = wb_module();

	wb_section(&w, 6, B(0x01, 0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x6a, 0x0b));
	WB_EXPECT(w, GATE_INVALID, "constant expression required");

	w = wb_module();
	wb_section(&w, 6, B(0x01, 0x7f, 0x00, 0x42, 0x00, 0x0b));
	WB_EXPECT(w, GATE_INVALID, "type mismatch: expected i32, found i64");

	w = wb_module();
	wb_section(&w, 6, B(0x01, 0x7f, 0x00, 0x0b));
	WB_EXPECT(w, GATE_INVALID, "type mismatch");

	w = wb_module();
	wb_section(&w, 6, B(0x01, 0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0b));
	WB_EXPECT(w, GATE_INVALID, "type mismatch");

	/* only imported immutable globals may be read */
	w = wb_module();
	wb_section(&w, 6, B(0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f, 0x00, 0x23, 0x00, 0x0b));
	WB_EXPECT(w, GATE_INVALID, "unknown global 0");

	w = wb_module();
	wb_section(&w, 2, B(0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x01));
	wb_section(&w, 6, B(0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b));
	WB_EXPECT(w, GATE_INVALID, "constant expression required");

	w = wb_module();
	wb_section(&w, 2, B(0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x00));
	wb_section(&w, 6, B(0x02, 0x7f, 0x01, 0x23, 0x00, 0x0b, 0x7b, 0x00, 0xfd, 0x0c, 1, 2, 3,
			    4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x0b));
	WB_EXPECT(w, GATE_OK, NULL);

	/* an unknown opcode is malformed, not merely non-constant */
	w = wb_module();
	wb_section(&w, 6, B(0x01, 0x7f, 0x00, 0xf3, 0x0b));
	WB_EXPECT(w, GATE_MALFORMED, "illegal opcode 0xf3");
}

TEST(decode_accepts_all_segment_encodings)
{
	struct wb w = wb_module(), elem = { 0 };

	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 3, ONE_FUNC);
	wb_section(&w, 4, B(0x01, 0x70, 0x00, 0x0a));
	wb_section(&w, 5, B(0x01, 0x00, 0x01));
	wb_byte(&elem, 8);
	wb_put(&elem, B(0x00, 0x41, 0x00, 0x0b, 0x01, 0x00));             /* active, table 0 */
	wb_put(&elem, B(0x01, 0x00, 0x01, 0x00));                         /* passive */
	wb_put(&elem, B(0x02, 0x00, 0x41, 0x00, 0x0b, 0x00, 0x01, 0x00)); /* active, table x */
	wb_put(&elem, B(0x03, 0x00, 0x01, 0x00));                         /* declarative */
	wb_put(&elem, B(0x04, 0x41, 0x00, 0x0b, 0x01, 0xd2, 0x00, 0x0b)); /* active, exprs */
	wb_put(&elem, B(0x05, 0x70, 0x01, 0xd0, 0x70, 0x0b));             /* passive, exprs */
	wb_put(&elem, B(0x06, 0x00, 0x41, 0x00, 0x0b, 0x70, 0x01, 0xd2, 0x00, 0x0b));
	wb_put(&elem, B(0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b)); /* declarative, exprs */
	wb_section_wb(&w, 9, &elem);
	wb_section(&w, 12, B(0x03));
	wb_section(&w, 10, EMPTY_BODY);
	wb_section(&w, 11, B(0x03, 0x00, 0x41, 0x00, 0x0b, 0x01, 'a', 0x01, 0x01, 'b', 0x02, 0x00,
			     0x41, 0x00, 0x0b, 0x01, 'c'));
	WB_EXPECT(w, GATE_OK, NULL);
}

TEST(decode_rejects_bad_segments)
{
	struct wb w = wb_module();

	wb_section(&w, 4, B(0x01, 0x70, 0x00, 0x00));
	wb_section(&w, 9, B(0x01, 0x08, 0x00, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed element segment flags 8");

	w = wb_module();
	wb_section(&w, 9, B(0x01, 0x01, 0x01, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed element kind 0x01");

	/* funcref items into an externref table */
	w = wb_module();
	wb_section(&w, 4, B(0x01, 0x6f, 0x00, 0x00));
	wb_section(&w, 9, B(0x01, 0x00, 0x41, 0x00, 0x0b, 0x00));
	WB_EXPECT(w, GATE_INVALID, "type mismatch");

	w = wb_module();
	wb_section(&w, 9, B(0x01, 0x00, 0x41, 0x00, 0x0b, 0x00));
	WB_EXPECT(w, GATE_INVALID, "unknown table 0");

	w = wb_module();
	wb_section(&w, 4, B(0x01, 0x70, 0x00, 0x00));
	wb_section(&w, 9, B(0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00));
	WB_EXPECT(w, GATE_INVALID, "unknown function 0");

	w = wb_module();
	wb_section(&w, 11, B(0x01, 0x00, 0x41, 0x00, 0x0b, 0x00));
	WB_EXPECT(w, GATE_INVALID, "unknown memory 0");

	w = wb_module();
	wb_section(&w, 11, B(0x01, 0x03, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "malformed data segment flags 3");

	w = wb_module();
	wb_section(&w, 5, B(0x01, 0x00, 0x00));
	wb_section(&w, 11, B(0x01, 0x01, 0x05, 'a'));
	WB_EXPECT(w, GATE_MALFORMED, "unexpected end of section or function");
}

TEST(decode_ignores_malformed_name_section)
{
	struct wb w = wb_module();
	gate_module *m = NULL;
	char err[256];
	uint8_t json[512];
	int64_t n;

	wb_section(&w, 1, TYPE_VOID);
	wb_section(&w, 3, ONE_FUNC);
	wb_section(&w, 10, EMPTY_BODY);
	/* function names subsection with an index out of range, then junk */
	wb_section(&w, 0, B(0x04, 'n', 'a', 'm', 'e', 0x01, 0x04, 0x01, 0x07, 0x01, 'x', 0xff));
	CHECK_EQ(gate_module_new(w.p, w.n, NULL, &m, err, sizeof(err)), GATE_OK);
	n = gate_module_info(m, json, sizeof(json));
	CHECK(n > 0 && n < (int64_t)sizeof(json));
	CHECK(memmem(json, (size_t)n, "\"functionNames\":[]", 18) != NULL);
	gate_module_free(m);
	wb_free(&w);
}
