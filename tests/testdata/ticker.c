/*
 * ticker: examples/counter.c at a fast pace, for suspend and resume tests
 * (tests/snapshot_test.ts): prints "tick N" for N = 1..COUNT, sleeping
 * PAUSE microseconds (nanosleep: WASI poll_oneoff) after each against the
 * monotonic clock, then exits with COUNT % 100. Usage: ticker COUNT PAUSE.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	unsigned long pause = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;

	for (unsigned long n = 1; n <= count; n++) {
		struct timespec ts = {(time_t)(pause / 1000000), (long)(pause % 1000000) * 1000};

		printf("tick %lu\n", n);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	return (int)(count % 100);
}
