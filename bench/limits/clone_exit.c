/*
 * The bare cost of a process that shares its parent's memory: clone() with
 * CLONE_VM | CLONE_VFORK (what posix_spawn uses), the child calls _exit(0)
 * at once on its own small stack, the parent (resumed when the child
 * exits) waitpid()s for it. With "ns", a fork-style clone() into new user,
 * pid, net, mount, ipc, uts and cgroup namespaces instead: the namespaces
 * every Gate instance process gets (native/executor/sandbox.c), so this is
 * the floor of an instance's start without any of Gate's own work. Times
 * WARMUP + N rounds with CLOCK_MONOTONIC and prints the last N in
 * microseconds as one JSON line: {"us":[...]}.
 *
 * Usage: clone_exit N [vfork|ns]
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 20
#define STACK (64 * 1024)

#define NS_FLAGS                                                                       \
  (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | \
   CLONE_NEWCGROUP)

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int child(void *arg) {
  (void)arg;
  _exit(0);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
  int ns = argc > 2 && strcmp(argv[2], "ns") == 0;
  if (n <= 0 || (argc > 2 && !ns && strcmp(argv[2], "vfork") != 0)) {
    fprintf(stderr, "usage: clone_exit N [vfork|ns]\n");
    return 2;
  }
  double *us = malloc(sizeof(double) * (size_t)n);
  char *stack = malloc(STACK);
  if (!us || !stack) return 1;
  for (long i = 0; i < WARMUP + n; i++) {
    double t0 = now_us();
    pid_t pid = ns ? (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL, 0)
                   : clone(child, stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    if (pid < 0) {
      perror("clone_exit: clone");
      return 1;
    }
    if (pid == 0) _exit(0); /* ns mode only: fork semantics */
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "clone_exit: child did not exit 0\n");
      return 1;
    }
    double t1 = now_us();
    if (i >= WARMUP) us[i - WARMUP] = t1 - t0;
  }
  printf("{\"us\":[");
  for (long i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", us[i]);
  printf("]}\n");
  free(stack);
  free(us);
  return 0;
}
