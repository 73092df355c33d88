#include <string.h>

#include "../libgate.h"
#include "test.h"

TEST(abi_version_matches_header)
{
	CHECK_EQ(gate_abi_version(), GATE_ABI_VERSION);
}

TEST(status_name_covers_table)
{
	CHECK(strcmp(gate_status_name(GATE_OK), "GATE_OK") == 0);
	CHECK(strcmp(gate_status_name(GATE_MALFORMED), "GATE_MALFORMED") == 0);
	CHECK(gate_status_name(-1) == NULL);
}

TEST(selftest_fail_truncates_message)
{
	char err[8];

	CHECK_EQ(gate_selftest_fail(GATE_INVALID, "long detail", err, sizeof(err)), GATE_INVALID);
	CHECK(strcmp(err, "Self-te") == 0);
	CHECK_EQ(gate_selftest_fail(GATE_LIMIT, "x", NULL, 0), GATE_LIMIT);
}

TEST(selftest_hash_is_fnv1a)
{
	/* Known FNV-1a 64 values. */
	CHECK(gate_selftest_hash((const uint8_t *)"", 0) == 0xcbf29ce484222325u);
	CHECK(gate_selftest_hash((const uint8_t *)"a", 1) == 0xaf63dc4c8601ec8cu);
}

TEST(struct_size_known_and_unknown)
{
	CHECK_EQ(gate_struct_size(GATE_STRUCT_LIMITS), sizeof(gate_limits));
	CHECK_EQ(gate_struct_size(0), 0);
}
