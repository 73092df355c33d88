/*
 * clock: prints how much the monotonic clock (WASI clock_time_get) advanced
 * across each of COUNT sleeps of PAUSE microseconds, in microseconds, one per
 * line. tests/snapshot_test.ts checks that the clock continues across a
 * suspend: no step back, and no jump by the time the program spent
 * suspended. Usage: clock COUNT PAUSE.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 10;
	unsigned long pause = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	long long before = now_ns();

	for (unsigned long n = 0; n < count; n++) {
		struct timespec ts = {(time_t)(pause / 1000000), (long)(pause % 1000000) * 1000};
		long long after;

		nanosleep(&ts, NULL);
		after = now_ns();
		printf("%lld\n", (after - before) / 1000);
		fflush(stdout);
		before = after;
	}
	return 0;
}
