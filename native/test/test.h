/*
 * A minimal unit-test harness for native code.
 *
 *	TEST(leb128_rejects_overlong) { CHECK(...); CHECK_EQ(a, b); }
 *
 * Tests register themselves at load time; test_main.c runs them all (or those
 * whose name contains argv[1]) and ends with the line "N passed, N failed".
 */
#ifndef GATE_TEST_H
#define GATE_TEST_H

#include <stdint.h>
#include <stdio.h>

typedef void (*gate_test_fn)(void);

void gate_test_register(const char *name, gate_test_fn fn);
void gate_test_failed(const char *file, int line, const char *what);
int gate_test_current_failed(void);

#define TEST(name)                                                            \
	static void test_##name(void);                                        \
	__attribute__((constructor)) static void register_##name(void)        \
	{                                                                     \
		gate_test_register(#name, test_##name);                       \
	}                                                                     \
	static void test_##name(void)

#define CHECK(cond)                                                    \
	do {                                                           \
		if (!(cond)) {                                         \
			gate_test_failed(__FILE__, __LINE__, #cond);   \
			return;                                        \
		}                                                      \
	} while (0)

#define CHECK_EQ(a, b)                                                             \
	do {                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                \
		if (_a != _b) {                                                    \
			char _m[256];                                              \
			snprintf(_m, sizeof(_m), "%s == %s (%lld != %lld)", #a, #b, \
				 _a, _b);                                          \
			gate_test_failed(__FILE__, __LINE__, _m);                  \
			return;                                                    \
		}                                                                  \
	} while (0)

#endif
