/*
 * Native anchor for one kernel: calls run(n / 4) once to warm up (page in
 * the kernel's memory, train the branch predictors), then run(n) `runs`
 * times, timing each call in-process with CLOCK_MONOTONIC so process
 * start-up is not measured. Prints one JSON line:
 *   {"checksum":1234,"ms":[12.5,12.4]}
 * Exits 1 if two calls return different checksums.
 *
 * Usage: <kernel>.native N RUNS
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernel.h"

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s N RUNS\n", argv[0]);
		return 2;
	}
	u32 n = (u32)strtoul(argv[1], NULL, 10);
	int runs = atoi(argv[2]);
	if (runs < 1 || runs > 1000) {
		fprintf(stderr, "RUNS must be 1..1000, got \"%s\"\n", argv[2]);
		return 2;
	}
	(void)run(n >= 4 ? n / 4 : n);
	u32 checksum = 0;
	double ms[1000];
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();
		u32 c = run(n);
		ms[i] = now_ms() - t0;
		if (i == 0)
			checksum = c;
		else if (c != checksum) {
			fprintf(stderr, "checksum changed between runs: %u then %u\n", checksum, c);
			return 1;
		}
	}
	printf("{\"checksum\":%u,\"ms\":[", checksum);
	for (int i = 0; i < runs; i++)
		printf("%s%.4f", i ? "," : "", ms[i]);
	printf("]}\n");
	return 0;
}
