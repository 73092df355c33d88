/* Runs the registered unit tests; see test.h. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

struct entry {
	const char *name;
	gate_test_fn fn;
};

static struct entry *tests;
static size_t ntests, cap;
static int current_failed;

void gate_test_register(const char *name, gate_test_fn fn)
{
	if (ntests == cap) {
		cap = cap ? cap * 2 : 64;
		tests = realloc(tests, cap * sizeof(*tests));
		if (tests == NULL) {
			perror("realloc");
			exit(2);
		}
	}
	tests[ntests++] = (struct entry){ name, fn };
}

void gate_test_failed(const char *file, int line, const char *what)
{
	fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, what);
	current_failed = 1;
}

int gate_test_current_failed(void)
{
	return current_failed;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned passed = 0, failed = 0;

	qsort(tests, ntests, sizeof(*tests), by_name);
	for (size_t i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		current_failed = 0;
		tests[i].fn();
		printf("%s %s\n", current_failed ? "FAIL" : "ok  ", tests[i].name);
		fflush(stdout);
		if (current_failed)
			failed++;
		else
			passed++;
	}
	free(tests);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
