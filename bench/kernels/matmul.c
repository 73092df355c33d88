/*
 * matmul: naive i-k-j double-precision matrix multiply of 192x192 matrices
 * (three 288 KiB arrays: larger than L1, so loads and stores dominate).
 */
#include "kernel.h"

#define DIM 192

static double a[DIM][DIM], b[DIM][DIM], c[DIM][DIM];

static void multiply(void) {
	for (int i = 0; i < DIM; i++) {
		for (int j = 0; j < DIM; j++)
			c[i][j] = 0;
		for (int k = 0; k < DIM; k++) {
			double aik = a[i][k];
			for (int j = 0; j < DIM; j++)
				c[i][j] += aik * b[k][j];
		}
	}
}

u32 run(u32 n) {
	u32 state = 0x2545f491u;
	for (int i = 0; i < DIM; i++) {
		for (int j = 0; j < DIM; j++) {
			a[i][j] = (double)(xorshift32(&state) & 0xffff) / 65536.0;
			b[i][j] = (double)(xorshift32(&state) & 0xffff) / 65536.0 - 0.5;
		}
	}
	u32 h = 2166136261u;
	for (u32 r = 0; r < n; r++) {
		multiply();
		/* Feed the result back so every round depends on the last. */
		a[r % DIM][(r * 7) % DIM] = c[(r * 3) % DIM][r % DIM];
		h = mix32(h, (u32)(i32)(c[r % DIM][(r * 5) % DIM] * 1000.0));
	}
	return h;
}
