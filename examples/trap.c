/*
 * trap: divides by zero three calls deep, so Gate's backtrace names the C
 * functions: ratio, average, report, then main's callers. noinline keeps the
 * frames at -O2; the volatile zero keeps the division until run time.
 */
#include <stdio.h>

static volatile int zero = 0;

__attribute__((noinline)) static int ratio(int a, int b)
{
	return a / b;
}

__attribute__((noinline)) static int average(int sum, int count)
{
	return ratio(sum, count);
}

__attribute__((noinline)) static void report(int sum)
{
	printf("average: %d\n", average(sum, zero));
}

int main(void)
{
	report(42);
	return 0;
}
