/*
 * catalog: discovers the "catalog" service, asks it for the list of services
 * ("json") and prints the reply to standard output; then discovers a name that
 * no service has and prints its availability.
 */
#include <gate.h>
#include <stdio.h>

#define UNKNOWN "example.invalid/no-such-service"

static char buf[GATE_MAX_RECV_SIZE] __attribute__((aligned(8)));

int main(void)
{
	static const char *const names[] = {"catalog"};
	static const char *const unknown[] = {UNKNOWN};
	int16_t code;
	uint8_t state;
	long n;
	int err;

	if ((err = gate_discover(names, 1, &code, &state, buf)) != 0) {
		fprintf(stderr, "catalog: discovery failed: %d\n", err);
		return 1;
	}
	if (!(state & GATE_SERVICE_STATE_AVAIL)) {
		fprintf(stderr, "catalog: the catalog service is not available\n");
		return 1;
	}
	if ((n = gate_call(code, "json", 4, buf)) < 0) {
		fprintf(stderr, "catalog: call failed: %ld\n", n);
		return 1;
	}
	fwrite(buf + sizeof(struct gate_packet), 1, (size_t)n, stdout);

	if ((err = gate_discover(unknown, 1, &code, &state, buf)) != 0) {
		fprintf(stderr, "catalog: discovery failed: %d\n", err);
		return 1;
	}
	printf("%s: %s\n", UNKNOWN, (state & GATE_SERVICE_STATE_AVAIL) ? "available" : "unavailable");
	return 0;
}
