/*
 * cat: copies WASI stdin to stdout in pieces of at most 100 bytes, for
 * suspend and resume tests (tests/snapshot_test.ts): a program suspended
 * while it waits for input.
 */
#include <unistd.h>

int main(void)
{
	char buf[100];
	ssize_t n;

	while ((n = read(0, buf, sizeof buf)) > 0) {
		for (ssize_t at = 0; at < n;) {
			ssize_t w = write(1, buf + at, (size_t)(n - at));

			if (w <= 0)
				return 1;
			at += w;
		}
	}
	return n < 0 ? 2 : 0;
}
