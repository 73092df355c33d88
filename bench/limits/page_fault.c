/*
 * First-touch page fault cost: each of N rounds maps MIB of anonymous
 * memory (MAP_PRIVATE | MAP_ANONYMOUS, transparent huge pages disabled for
 * the range with MADV_NOHUGEPAGE so that every 4 KiB page faults), writes
 * one byte to each page, and unmaps it. The time of the touches, divided by
 * the number of pages, is the round's cost per page in nanoseconds (the
 * kernel zeroes each page: that is part of the cost). mmap and munmap are
 * not timed. One round warms up. Prints one JSON line: {"ns":[...]}.
 *
 * Usage: page_fault N [MIB]   (default 64)
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
  long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 64;
  if (n <= 0 || mib <= 0) {
    fprintf(stderr, "page_fault: N and MIB must be positive\n");
    return 2;
  }
  size_t size = (size_t)mib << 20, pages = size / PAGE;
  double *ns = malloc(sizeof(double) * (size_t)n);
  if (!ns) return 1;
  for (long i = -1; i < n; i++) {
    volatile unsigned char *p =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("page_fault: mmap");
      return 1;
    }
    (void)madvise((void *)p, size, MADV_NOHUGEPAGE);
    double t0 = now_ns();
    for (size_t k = 0; k < pages; k++) p[k * PAGE] = 1;
    double t1 = now_ns();
    munmap((void *)p, size);
    if (i >= 0) ns[i] = (t1 - t0) / (double)pages;
  }
  printf("{\"ns\":[");
  for (long i = 0; i < n; i++) printf("%s%.1f", i ? "," : "", ns[i]);
  printf("]}\n");
  free(ns);
  return 0;
}
