/*
 * A waiting instance, for density: blocks in one fd_read(0) (the origin
 * stream) until input or end of input arrives, then exits. No libc stdio,
 * so its linear memory holds little beyond wasi-libc's start-up.
 */
#include <wasi/api.h>

int main(void)
{
	uint8_t c;
	__wasi_iovec_t iov = {&c, 1};
	__wasi_size_t n;

	return __wasi_fd_read(0, &iov, 1, &n) == 0 ? 0 : 1;
}
