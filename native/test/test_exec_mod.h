/* Modules for the executor tests (test_exec_mod.c): WAT to wasm, wasm to an
 * image. A separate file because the module decoder's headers and the
 * protocol's both define a struct gate__reader. */
#ifndef GATE_TEST_EXEC_MOD_H
#define GATE_TEST_EXEC_MOD_H

#include <stddef.h>
#include <stdint.h>

/* wat2wasm; the binary (malloc) or NULL. */
uint8_t *gate_test_wasm(const char *wat, size_t *len);
/* Compiles a module (a snapshot too: limits as for snapshots) to an image
 * (malloc) or NULL, saying why on stderr. */
uint8_t *gate_test_image(const uint8_t *wasm, size_t len, size_t *out_len);

#endif
