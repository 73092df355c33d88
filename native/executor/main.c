/*
 * gate-executor: the process spawner and sandbox (docs/sandbox.md).
 *
 * Today it only answers --version with the ABI version it was built against,
 * so the Deno side can check that it matches libgate. Instance creation,
 * namespaces and seccomp arrive with the sandbox issue.
 */
#include <stdio.h>
#include <string.h>

#include "../libgate.h"

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("gate-executor abi %d\n", GATE_ABI_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: gate-executor --version\n");
	return 2;
}
