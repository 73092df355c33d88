/* Modules for the executor tests: see test_exec_mod.h. */
#include "test_exec_mod.h"

#include <stdio.h>

#include "test_rt_util.h"

uint8_t *gate_test_wasm(const char *wat, size_t *len)
{
	return wat2wasm(wat, len);
}

uint8_t *gate_test_image(const uint8_t *wasm, size_t len, size_t *out_len)
{
	char err[256] = "";
	gate_limits lim;
	gate_module *m = NULL;
	gate_image *img = NULL;
	const uint8_t *b;
	uint64_t l;
	uint8_t *out = NULL;
	int st;

	gate_limits_default(&lim);
	lim.module_size = UINT32_MAX; /* snapshots may hold big memories */
	st = gate_module_new(wasm, len, &lim, &m, err, sizeof err);
	if (!st)
		st = gate_image_new(m, &img, err, sizeof err);
	if (!st) {
		b = gate_image_bytes(img, &l);
		out = malloc(l);
		if (out) {
			memcpy(out, b, l);
			*out_len = l;
		}
	} else {
		fprintf(stderr, "  compile: %s\n", err);
	}
	gate_image_free(img);
	gate_module_free(m);
	return out;
}
