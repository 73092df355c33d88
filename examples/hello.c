/* hello: prints "hello, world" to standard output with WASI's printf. */
#include <stdio.h>

int main(void)
{
	printf("hello, world\n");
	return 0;
}
