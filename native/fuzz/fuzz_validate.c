/*
 * libFuzzer target: decode + validate + describe arbitrary bytes.
 *
 * Built by `make fuzz` with clang, ASan and UBSan; seeded from the spec
 * testsuite's modules (tools/fuzz.sh). Any crash, leak or sanitizer report
 * is a finding; each one becomes a regression test in native/test/.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../libgate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gate_module *module = NULL;
	char err[256];
	uint8_t info[512];
	gate_limits limits;

	/* Tight limits so the fuzzer reaches the limit paths too. */
	gate_limits_default(&limits);
	limits.nesting = 64;
	limits.locals = 1000;
	limits.br_table = 1000;

	if (gate_module_new(data, size, &limits, &module, err, sizeof(err)) != GATE_OK)
		return 0;
	int64_t n = gate_module_info(module, info, sizeof(info));
	if (n > (int64_t)sizeof(info)) {
		uint8_t *big = malloc((size_t)n);
		if (big) {
			gate_module_info(module, big, (size_t)n);
			free(big);
		}
	}
	gate_module_free(module);
	return 0;
}
