/*
 * counter: prints "tick N" once per second (N from 1), forever, or COUNT
 * times when given an argument: `gate call --arg 3 counter.wasm`. A long
 * running program for suspend and resume demos; the ticks follow the
 * monotonic clock, which continues across a suspend, and it sleeps with
 * nanosleep (WASI poll_oneoff on a clock).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <gate.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SECOND 1000000000ull

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 0; /* 0: forever */
	uint64_t start = gate_clock_monotonic();

	for (unsigned long n = 1; count == 0 || n <= count; n++) {
		uint64_t now, due;

		printf("tick %lu\n", n);
		fflush(stdout);
		if (n == count)
			break;
		due = start + n * SECOND;
		while ((now = gate_clock_monotonic()) < due) {
			struct timespec ts = {(time_t)((due - now) / SECOND),
					      (long)((due - now) % SECOND)};
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
