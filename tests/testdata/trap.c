/* A C program that traps three calls deep: run(0) -> middle -> divide. */
__attribute__((noinline)) static int divide(int a, int b)
{
	return a / b;
}

__attribute__((noinline)) static int middle(int x)
{
	return divide(100, x) + 1;
}

__attribute__((export_name("run"))) int run(int x)
{
	return middle(x) * 2;
}
