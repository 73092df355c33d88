/*
 * Origin stream throughput, program side: writes BYTES bytes to stdout
 * (WASI fd 1, the origin stream) in fd_write calls of CHUNK bytes
 * (default 65536), straight from one static buffer, no stdio buffering.
 * Exits 1 if a write fails.
 *
 * Usage: write_stdout BYTES [CHUNK]
 */
#include <stdlib.h>
#include <wasi/api.h>

#define MAX_CHUNK (1 << 20)

static char data[MAX_CHUNK];

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	unsigned long long left = strtoull(argv[1], NULL, 10);
	unsigned long chunk = argc > 2 ? strtoul(argv[2], NULL, 10) : 65536;
	if (chunk == 0 || chunk > MAX_CHUNK)
		return 2;
	for (unsigned long i = 0; i < chunk; i++)
		data[i] = (char)('a' + i % 26);
	while (left > 0) {
		__wasi_ciovec_t iov = {(const uint8_t *)data, left < chunk ? left : chunk};
		__wasi_size_t n;

		if (__wasi_fd_write(1, &iov, 1, &n) != 0 || n == 0)
			return 1;
		left -= n;
	}
	return 0;
}
