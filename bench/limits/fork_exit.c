/*
 * The bare cost of starting and ending a process on this machine: fork(),
 * the child calls _exit(0) at once, the parent waitpid()s for it. Times
 * WARMUP + N rounds with CLOCK_MONOTONIC and prints the last N in
 * microseconds as one JSON line: {"us":[...]}.
 *
 * Usage: fork_exit N
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 20

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
  if (n <= 0) {
    fprintf(stderr, "fork_exit: N must be positive\n");
    return 2;
  }
  double *us = malloc(sizeof(double) * (size_t)n);
  if (!us) return 1;
  for (long i = 0; i < WARMUP + n; i++) {
    double t0 = now_us();
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork_exit: fork");
      return 1;
    }
    if (pid == 0) _exit(0);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "fork_exit: child did not exit 0\n");
      return 1;
    }
    double t1 = now_us();
    if (i >= WARMUP) us[i - WARMUP] = t1 - t0;
  }
  printf("{\"us\":[");
  for (long i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", us[i]);
  printf("]}\n");
  free(us);
  return 0;
}
