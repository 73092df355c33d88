/*
 * Signal delivery latency, two ways:
 *
 * - round trip between two processes: the parent kill()s SIGUSR1 to the
 *   child and waits in sigsuspend(); the child's handler runs, the child
 *   kill()s SIGUSR1 back, and the parent's handler runs. One round trip is
 *   two deliveries to a process asleep in sigsuspend() (two wake-ups, and
 *   on a multi-core machine usually two CPUs): the floor of any request and
 *   reply between two processes.
 * - self-signal: raise(SIGUSR1) with a handler installed, in one process
 *   (the kernel's signal entry and sigreturn, no wake-up).
 *
 * N rounds of BATCH each; every sample is the mean of one round, in
 * microseconds. Prints one JSON line: {"roundTripUs":[...],"selfUs":[...]}.
 *
 * Usage: signal_rtt N
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 2000

static volatile sig_atomic_t got;

static void on_signal(int sig) {
  (void)sig;
  got = 1;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Waits for SIGUSR1 (blocked outside sigsuspend) and clears the flag. */
static void await_signal(const sigset_t *open) {
  while (!got) sigsuspend(open);
  got = 0;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
  if (n <= 0) {
    fprintf(stderr, "signal_rtt: N must be positive\n");
    return 2;
  }
  double *rtt = malloc(sizeof(double) * (size_t)n), *self = malloc(sizeof(double) * (size_t)n);
  if (!rtt || !self) return 1;
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t usr1, open;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &open);
  sigdelset(&open, SIGUSR1);

  pid_t parent = getpid(), pid = fork();
  if (pid < 0) {
    perror("signal_rtt: fork");
    return 1;
  }
  if (pid == 0) {
    for (long i = 0; i < (n + 1) * BATCH; i++) {
      await_signal(&open);
      kill(parent, SIGUSR1);
    }
    _exit(0);
  }
  for (long i = -1; i < n; i++) { /* round -1 warms up */
    double t0 = now_us();
    for (int k = 0; k < BATCH; k++) {
      kill(pid, SIGUSR1);
      await_signal(&open);
    }
    if (i >= 0) rtt[i] = (now_us() - t0) / BATCH;
  }
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "signal_rtt: child did not exit 0\n");
    return 1;
  }

  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
  for (long i = -1; i < n; i++) {
    double t0 = now_us();
    for (int k = 0; k < BATCH; k++) {
      raise(SIGUSR1);
      if (!got) return 1;
      got = 0;
    }
    if (i >= 0) self[i] = (now_us() - t0) / BATCH;
  }
  printf("{\"roundTripUs\":[");
  for (long i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", rtt[i]);
  printf("],\"selfUs\":[");
  for (long i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", self[i]);
  printf("]}\n");
  free(rtt);
  free(self);
  return 0;
}
