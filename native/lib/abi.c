/* ABI version, struct sizes and the seam self-tests (see libgate.h). */
#include <time.h>

#include "../libgate.h"
#include "error.h"

/* Mirror: ffi/_structs.ts LIMITS_LAYOUT; checked by tests/ffi_seam_test.ts. */
_Static_assert(sizeof(gate_limits) == 88, "gate_limits crosses the FFI seam");

GATE_API uint32_t gate_abi_version(void)
{
	return GATE_ABI_VERSION;
}

GATE_API size_t gate_struct_size(uint32_t id)
{
	switch (id) {
	case GATE_STRUCT_LIMITS:
		return sizeof(gate_limits);
	}
	return 0;
}

GATE_API uint64_t gate_selftest_hash(const uint8_t *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < len; i++) {
		h ^= buf[i];
		h *= 0x100000001b3u;
	}
	return h;
}

GATE_API int gate_selftest_fail(int status, const char *detail, char *err, size_t err_len)
{
	return gate__errorf(err, err_len, status, "Self-test failure: %s", detail ? detail : "");
}

GATE_API uint32_t gate_selftest_sleep(uint32_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
	return ms + 1;
}
