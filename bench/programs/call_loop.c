/*
 * Service call round trips: discovers the service named by argv[1] and
 * makes WARMUP calls, then ROUNDS rounds of CALLS sequential calls, each
 * with 8 bytes of content and waiting for its reply (gate_call()). Writes
 * one line per round to stdout: the round's monotonic nanoseconds.
 * Exits 1 if the service is unavailable or a reply is not 8 bytes.
 *
 * Usage: call_loop SERVICE CALLS ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>

#include "gate.h"

#define WARMUP 100

static _Alignas(8) char buf[GATE_MAX_RECV_SIZE];

static int call(int16_t code, unsigned long i)
{
	char content[8];

	memcpy(content, &i, sizeof i < 8 ? sizeof i : 8);
	return gate_call(code, content, sizeof content, buf) == (long)sizeof content ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *names[1];
	int16_t code;
	uint8_t state;

	if (argc != 4) {
		fprintf(stderr, "usage: call_loop SERVICE CALLS ROUNDS\n");
		return 2;
	}
	names[0] = argv[1];
	long calls = atol(argv[2]), rounds = atol(argv[3]);
	if (gate_discover(names, 1, &code, &state, buf) != 0 ||
	    !(state & GATE_SERVICE_STATE_AVAIL)) {
		fprintf(stderr, "call_loop: service %s is not available\n", argv[1]);
		return 1;
	}
	for (unsigned long i = 0; i < WARMUP; i++)
		if (call(code, i) != 0)
			return 1;
	for (long r = 0; r < rounds; r++) {
		uint64_t t0 = gate_clock_monotonic();
		for (long i = 0; i < calls; i++)
			if (call(code, (unsigned long)i) != 0)
				return 1;
		printf("%llu\n", (unsigned long long)(gate_clock_monotonic() - t0));
	}
	return 0;
}
