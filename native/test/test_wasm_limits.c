/*
 * Resource bounds and hostile modules: every count read from a module is
 * checked against the bytes left and against gate_limits before it drives an
 * allocation, and huge inputs are rejected quickly with GATE_LIMIT or
 * GATE_MALFORMED rather than a crash or a giant allocation.
 */
#include <string.h>

#include "test.h"
#include "test_wasm_build.h"

/* One function whose body (without its size) is in b. */
static struct wb body_module(struct wb *b)
{
	struct wb m = wb_module(), code = { 0 };

	wb_section(&m, 1, B(0x01, 0x60, 0x00, 0x00));
	wb_section(&m, 3, B(0x01, 0x00));
	wb_byte(&code, 1);
	wb_u32(&code, (uint32_t)b->n);
	wb_put(&code, b->p, b->n);
	wb_section_wb(&m, 10, &code);
	wb_free(b);
	return m;
}

TEST(limits_default_values)
{
	gate_limits l;

	gate_limits_default(&l);
	CHECK(l.module_size == 64u << 20);
	CHECK_EQ(l.functions, 1000000);
	CHECK_EQ(l.locals, 50000);
	CHECK_EQ(l.body_size, 7654321);
	CHECK_EQ(l.br_table, 65520);
	CHECK_EQ(l.memories, 1);
	gate_limits_default(NULL);
}

TEST(limits_br_table_with_2_pow_32_targets)
{
	struct wb w = wb_func_module(
		B(0x00, 0x41, 0x00, 0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x0b));

	WB_EXPECT(w, GATE_MALFORMED, "br_table of 4294967295 targets");
}

TEST(limits_br_table_target_count)
{
	struct wb b = { 0 }, w;
	gate_limits l;

	wb_put(&b, B(0x00, 0x02, 0x40, 0x41, 0x00, 0x0e));
	wb_u32(&b, 65520);
	wb_fill(&b, 0x00, 65520 + 1);
	wb_put(&b, B(0x0b, 0x0b));
	w = body_module(&b);
	WB_EXPECT(w, GATE_OK, NULL);

	wb_put(&b, B(0x00, 0x02, 0x40, 0x41, 0x00, 0x0e));
	wb_u32(&b, 65521);
	wb_fill(&b, 0x00, 65521 + 1);
	wb_put(&b, B(0x0b, 0x0b));
	w = body_module(&b);
	WB_EXPECT(w, GATE_LIMIT, "br_table of 65521 targets exceeds the limit of 65520");

	/* a raised limit admits it */
	gate_limits_default(&l);
	l.br_table = 100000;
	wb_put(&b, B(0x00, 0x02, 0x40, 0x41, 0x00, 0x0e));
	wb_u32(&b, 65521);
	wb_fill(&b, 0x00, 65521 + 1);
	wb_put(&b, B(0x0b, 0x0b));
	w = body_module(&b);
	WB_EXPECT_LIM(w, &l, GATE_OK, NULL);
}

TEST(limits_locals)
{
	struct wb w = wb_func_module(B(0x01, 0xa0, 0x8d, 0x06, 0x7f, 0x0b)); /* 100,000 */

	WB_EXPECT(w, GATE_LIMIT, "100000 locals exceed the limit of 50000");
	w = wb_func_module(B(0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b));
	WB_EXPECT(w, GATE_LIMIT, "locals exceed the limit");
	/* exactly the limit, and the last local is addressable */
	w = wb_func_module(
		B(0x01, 0xd0, 0x86, 0x03, 0x7e, 0x20, 0xcf, 0x86, 0x03, 0x50, 0x1a, 0x0b));
	WB_EXPECT(w, GATE_OK, NULL);
	w = wb_func_module(B(0x01, 0xd0, 0x86, 0x03, 0x7e, 0x20, 0xd0, 0x86, 0x03, 0x1a, 0x0b));
	WB_EXPECT(w, GATE_INVALID, "unknown local 50000");
}

TEST(limits_many_functions_with_many_locals_stay_linear)
{
	/* 20,000 eight-byte bodies declaring 49,744 locals each: only the first
	 * 64 + 8 * size locals of each are expanded */
	struct wb m = wb_module(), s = { 0 };
	const uint32_t n = 20000;

	wb_section(&m, 1, B(0x01, 0x60, 0x00, 0x00));
	wb_u32(&s, n);
	wb_fill(&s, 0x00, n);
	wb_section_wb(&m, 3, &s);
	wb_u32(&s, n);
	for (uint32_t i = 0; i < n; i++)
		wb_put(&s, B(0x08, 0x02, 0xc0, 0x84, 0x03, 0x7f, 0x10, 0x7e, 0x0b));
	wb_section_wb(&m, 10, &s);
	WB_EXPECT(m, GATE_OK, NULL);
}

TEST(limits_nesting_of_100k_blocks)
{
	struct wb b = { 0 }, w;
	gate_limits l;

	for (int k = 0; k < 2; k++) {
		wb_byte(&b, 0x00);
		for (int i = 0; i < 100000; i++)
			wb_put(&b, B(0x02, 0x40));
		wb_fill(&b, 0x0b, 100001);
		w = body_module(&b);
		if (k == 0) {
			WB_EXPECT(w, GATE_LIMIT, "blocks nested deeper than the limit of 65536");
		} else {
			gate_limits_default(&l);
			l.nesting = 200000;
			WB_EXPECT_LIM(w, &l, GATE_OK, NULL);
		}
	}
}

TEST(limits_operand_stack)
{
	struct wb b = { 0 }, w;

	wb_byte(&b, 0x00);
	for (int i = 0; i < 70000; i++)
		wb_put(&b, B(0x41, 0x00));
	wb_fill(&b, 0x1a, 70000);
	wb_byte(&b, 0x0b);
	w = body_module(&b);
	WB_EXPECT(w, GATE_LIMIT, "operand stack of 65537 values exceeds the limit of 65536");
}

TEST(limits_huge_counts_are_checked_against_bytes_left)
{
	struct wb w = wb_module();

	wb_section(&w, 1, B(0xff, 0xff, 0xff, 0xff, 0x0f, 0x60));
	WB_EXPECT(w, GATE_MALFORMED, "4294967295 types cannot fit");
	w = wb_module();
	wb_section(&w, 3, B(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "4294967295 functions cannot fit");
	w = wb_module();
	wb_section(&w, 2, B(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "cannot fit");
	w = wb_module();
	wb_section(&w, 7, B(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "cannot fit");
	w = wb_module();
	wb_section(&w, 9, B(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "4294967295 element segments cannot fit");
	w = wb_module();
	wb_section(&w, 9, B(0x01, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "4294967295 element segment items cannot fit");
	w = wb_module();
	wb_section(&w, 11, B(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "cannot fit");
	w = wb_module();
	wb_section(&w, 10, B(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00));
	WB_EXPECT(w, GATE_MALFORMED, "cannot fit");
	w = wb_func_module(B(0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b));
	WB_EXPECT(w, GATE_MALFORMED, "4294967295 local declarations");
	w = wb_module();
	wb_section(&w, 1, B(0x01, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f));
	WB_EXPECT(w, GATE_MALFORMED, "4294967295 parameters cannot fit");
}

TEST(limits_counts_over_custom_limits)
{
	struct wb w = wb_module();
	gate_limits l;

	gate_limits_default(&l);
	l.types = 1;
	l.params = 2;
	l.body_size = 3;
	l.table_size = 10;
	wb_section(&w, 1, B(0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00));
	WB_EXPECT_LIM(w, &l, GATE_LIMIT, "too many types: 2 exceeds the limit of 1");

	w = wb_module();
	wb_section(&w, 1, B(0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00));
	WB_EXPECT_LIM(w, &l, GATE_LIMIT, "too many parameters: 3 exceeds the limit of 2");

	w = wb_func_module(B(0x00, 0x01, 0x01, 0x0b));
	WB_EXPECT_LIM(w, &l, GATE_LIMIT, "function body of 4 bytes exceeds the limit of 3");

	w = wb_module();
	wb_section(&w, 4, B(0x01, 0x70, 0x00, 0x0b));
	WB_EXPECT_LIM(w, &l, GATE_LIMIT, "table of 11 elements exceeds the limit of 10");

	w = wb_module();
	l.module_size = 8;
	wb_section(&w, 0, B(0x00));
	WB_EXPECT_LIM(w, &l, GATE_LIMIT, "size 11 bytes exceeds the limit of 8");
}

TEST(limits_64_mib_module)
{
	const size_t size = 64u << 20;
	struct wb w = wb_module(), d = { 0 };
	size_t payload;

	/* memory, then one data segment that fills the module to exactly 64 MiB */
	wb_section(&w, 5, B(0x01, 0x00, 0x01));
	payload = size - w.n - 5 /* section header */ - 5 /* count, segment header */ -
		  4 /* length */;
	wb_put(&d, B(0x01, 0x00, 0x41, 0x00, 0x0b));
	wb_u32(&d, (uint32_t)payload);
	wb_fill(&d, 0xab, payload);
	wb_section_wb(&w, 11, &d);
	CHECK_EQ(w.n, size);
	{
		char err[256];
		CHECK_EQ(wb_check(&w, NULL, err, sizeof(err)), GATE_OK);
		wb_byte(&w, 0x00);
		CHECK_EQ(wb_check(&w, NULL, err, sizeof(err)), GATE_LIMIT);
	}
	wb_free(&w);
}

TEST(limits_large_code_section)
{
	/* eight bodies of 6 MiB each: nop, i32.const/drop pairs */
	struct wb m = wb_module(), s = { 0 };
	const uint32_t body = 6u << 20;

	wb_section(&m, 1, B(0x01, 0x60, 0x00, 0x00));
	wb_section(&m, 3, B(0x08, 0, 0, 0, 0, 0, 0, 0, 0));
	wb_u32(&s, 8);
	for (int f = 0; f < 8; f++) {
		wb_u32(&s, body);
		wb_byte(&s, 0x00);
		for (uint32_t i = 0; i < (body - 2) / 3; i++)
			wb_put(&s, B(0x41, 0x07, 0x1a));
		wb_fill(&s, 0x01, body - 2 - (body - 2) / 3 * 3);
		wb_byte(&s, 0x0b);
	}
	wb_section_wb(&m, 10, &s);
	WB_EXPECT(m, GATE_OK, NULL);
}
