/*
 * Memory bandwidth: memcpy() between two buffers much larger than the
 * caches. Both buffers are touched first and one copy warms up; then each
 * of N rounds copies the buffer COPIES times and reports the rate of that
 * round in GB/s (10^9 bytes copied per second; each byte copied is read
 * once and written once). Prints one JSON line: {"gbps":[...]}.
 *
 * Usage: memcpy_bw N [MIB]   (MIB per buffer, default 128)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COPIES 4

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
  long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 128;
  if (n <= 0 || mib <= 0) {
    fprintf(stderr, "memcpy_bw: N and MIB must be positive\n");
    return 2;
  }
  size_t size = (size_t)mib << 20;
  unsigned char *a = malloc(size), *b = malloc(size);
  double *gbps = malloc(sizeof(double) * (size_t)n);
  if (!a || !b || !gbps) {
    fprintf(stderr, "memcpy_bw: out of memory\n");
    return 1;
  }
  memset(a, 1, size);
  memset(b, 2, size);
  memcpy(b, a, size); /* warm-up */
  unsigned sum = 0;
  for (long i = 0; i < n; i++) {
    double t0 = now_s();
    for (int c = 0; c < COPIES; c++) {
      /* Alternate direction so no copy can be elided as redundant. */
      if (c & 1) memcpy(a, b, size);
      else memcpy(b, a, size);
      a[(size_t)c * 4096 % size] ^= 1;
    }
    double t1 = now_s();
    sum += b[(size_t)i % size];
    gbps[i] = (double)size * COPIES / (t1 - t0) / 1e9;
  }
  printf("{\"gbps\":[");
  for (long i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", gbps[i]);
  printf("],\"check\":%u}\n", sum);
  free(a);
  free(b);
  free(gbps);
  return 0;
}
