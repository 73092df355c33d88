/* LEB128 and UTF-8 edge cases (native/wasm/leb128.h, utf8.c). */
#include "../wasm/leb128.h"
#include "../wasm/module.h"
#include "test.h"

static int u32_of(const uint8_t *b, size_t n, uint32_t *v, size_t *used)
{
	struct gate__reader r = { b, b + n, b };
	int e = gate__read_u32(&r, v);

	*used = gate__off(&r);
	return e;
}

static int s_of(unsigned bits, const uint8_t *b, size_t n, int64_t *v)
{
	struct gate__reader r = { b, b + n, b };
	int e = gate__leb_s(&r, bits, v);

	/* a failed read leaves the cursor at the start */
	if (e && r.p != b)
		return -1;
	return e;
}

TEST(leb128_u32_accepts_short_and_padded_forms)
{
	uint32_t v;
	size_t used;

	CHECK_EQ(u32_of((const uint8_t[]){ 0x00 }, 1, &v, &used), GATE__R_OK);
	CHECK_EQ(v, 0);
	CHECK_EQ(u32_of((const uint8_t[]){ 0xe5, 0x8e, 0x26 }, 3, &v, &used), GATE__R_OK);
	CHECK_EQ(v, 624485);
	CHECK_EQ(used, 3);
	/* over-long but within 5 bytes is fine */
	CHECK_EQ(u32_of((const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x00 }, 5, &v, &used), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(u32_of((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, &v, &used), 0);
	CHECK_EQ(v, 0xffffffffu);
}

TEST(leb128_u32_rejects_long_large_and_truncated)
{
	uint32_t v;
	size_t used;

	CHECK_EQ(u32_of((const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 6, &v, &used),
		 GATE__R_LONG);
	CHECK_EQ(used, 0);
	/* unused bits of the fifth byte must be zero */
	CHECK_EQ(u32_of((const uint8_t[]){ 0x82, 0x80, 0x80, 0x80, 0x70 }, 5, &v, &used),
		 GATE__R_LARGE);
	CHECK_EQ(u32_of((const uint8_t[]){ 0x82, 0x80, 0x80, 0x80, 0x10 }, 5, &v, &used),
		 GATE__R_LARGE);
	CHECK_EQ(u32_of((const uint8_t[]){ 0x80, 0x80 }, 2, &v, &used), GATE__R_END);
	CHECK_EQ(u32_of((const uint8_t[]){ 0x00 }, 0, &v, &used), GATE__R_END);
}

TEST(leb128_s32_sign_extends_and_checks_unused_bits)
{
	int64_t v;

	CHECK_EQ(s_of(32, (const uint8_t[]){ 0x7f }, 1, &v), 0);
	CHECK_EQ(v, -1);
	CHECK_EQ(s_of(32, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x7f }, 5, &v), 0);
	CHECK_EQ(v, -1);
	CHECK_EQ(s_of(32, (const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x78 }, 5, &v), 0);
	CHECK_EQ(v, INT32_MIN);
	CHECK_EQ(s_of(32, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x07 }, 5, &v), 0);
	CHECK_EQ(v, INT32_MAX);
	/* the spec's binary.wast cases */
	CHECK_EQ(s_of(32, (const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x70 }, 5, &v), GATE__R_LARGE);
	CHECK_EQ(s_of(32, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, &v), GATE__R_LARGE);
	CHECK_EQ(s_of(32, (const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x1f }, 5, &v), GATE__R_LARGE);
	CHECK_EQ(s_of(32, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x4f }, 5, &v), GATE__R_LARGE);
	CHECK_EQ(s_of(32, (const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 6, &v),
		 GATE__R_LONG);
}

TEST(leb128_s33_block_type_range)
{
	int64_t v;

	CHECK_EQ(s_of(33, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, &v), 0);
	CHECK_EQ(v, 0xffffffffLL);
	CHECK_EQ(s_of(33, (const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x70 }, 5, &v), 0);
	CHECK_EQ(v, -(1LL << 32));
	CHECK_EQ(s_of(33, (const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x20 }, 5, &v), GATE__R_LARGE);
}

TEST(leb128_s64_ten_byte_forms)
{
	const uint8_t m1[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	const uint8_t min[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f };
	const uint8_t bad1[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	const uint8_t bad2[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e };
	const uint8_t bad3[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 };
	const uint8_t bad4[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x41 };
	const uint8_t lng[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
	int64_t v;

	CHECK_EQ(s_of(64, m1, sizeof(m1), &v), 0);
	CHECK_EQ(v, -1);
	CHECK_EQ(s_of(64, min, sizeof(min), &v), 0);
	CHECK(v == INT64_MIN);
	CHECK_EQ(s_of(64, bad1, sizeof(bad1), &v), GATE__R_LARGE);
	CHECK_EQ(s_of(64, bad2, sizeof(bad2), &v), GATE__R_LARGE);
	CHECK_EQ(s_of(64, bad3, sizeof(bad3), &v), GATE__R_LARGE);
	CHECK_EQ(s_of(64, bad4, sizeof(bad4), &v), GATE__R_LARGE);
	CHECK_EQ(s_of(64, lng, sizeof(lng), &v), GATE__R_LONG);
}

TEST(leb128_u64_top_byte)
{
	const uint8_t max[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	const uint8_t big[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03 };
	struct gate__reader r = { max, max + sizeof(max), max };
	uint64_t v;

	CHECK_EQ(gate__leb_u(&r, 64, &v), 0);
	CHECK(v == UINT64_MAX);
	r = (struct gate__reader){ big, big + sizeof(big), big };
	CHECK_EQ(gate__leb_u(&r, 64, &v), GATE__R_LARGE);
}

TEST(leb128_next_u32_walks_validated_targets)
{
	const uint8_t b[] = { 0x05, 0xe5, 0x8e, 0x26, 0x80, 0x00 };
	const uint8_t *it = b;

	CHECK_EQ(gate__next_u32(&it), 5);
	CHECK_EQ(gate__next_u32(&it), 624485);
	CHECK_EQ(gate__next_u32(&it), 0);
	CHECK(it == b + sizeof(b));
}

TEST(utf8_valid_accepts_well_formed)
{
	CHECK(gate__utf8_valid((const uint8_t *)"", 0));
	CHECK(gate__utf8_valid((const uint8_t *)"main", 4));
	CHECK(gate__utf8_valid((const uint8_t *)"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	CHECK(gate__utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	CHECK(gate__utf8_valid((const uint8_t *)"\xed\x9f\xbf", 3));     /* U+D7FF */
}

TEST(utf8_valid_rejects_overlong_surrogates_and_truncation)
{
	CHECK(!gate__utf8_valid((const uint8_t *)"\xc0\x80", 2));
	CHECK(!gate__utf8_valid((const uint8_t *)"\xc1\xbf", 2));
	CHECK(!gate__utf8_valid((const uint8_t *)"\xe0\x9f\xbf", 3));
	CHECK(!gate__utf8_valid((const uint8_t *)"\xf0\x8f\xbf\xbf", 4));
	CHECK(!gate__utf8_valid((const uint8_t *)"\xed\xa0\x80", 3)); /* U+D800 */
	CHECK(!gate__utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4));
	CHECK(!gate__utf8_valid((const uint8_t *)"\xf5\x80\x80\x80", 4));
	CHECK(!gate__utf8_valid((const uint8_t *)"\x80", 1));
	CHECK(!gate__utf8_valid((const uint8_t *)"\xe2\x82", 2));
	CHECK(!gate__utf8_valid((const uint8_t *)"\xe2\x28\xa1", 3));
	CHECK(!gate__utf8_valid((const uint8_t *)"\xff", 1));
}
