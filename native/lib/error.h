/* Error reporting inside libgate: a status plus a message in a caller buffer. */
#ifndef GATE_LIB_ERROR_H
#define GATE_LIB_ERROR_H

#include <stddef.h>

#include "../libgate.h"

/*
 * Formats a message into err (at most err_len bytes, always NUL-terminated
 * when err_len > 0) and returns status, so callers can write
 * `return gate__errorf(err, err_len, GATE_INVALID, "...", ...);`.
 */
int gate__errorf(char *err, size_t err_len, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
