/* The instance process's request loop (instance.c). */
#ifndef GATE_EXECUTOR_INSTANCE_H
#define GATE_EXECUTOR_INSTANCE_H

#include <signal.h>

/*
 * Serves requests on channel fd (docs/protocol.md) with a fresh runtime
 * store until the peer closes the channel. Returns the process's exit
 * status: GATE_OK after an orderly close, else a status from errors.def.
 * Runs only in a forked instance process: it may _exit() on channel errors.
 */
int gate__instance_main(int fd);

/*
 * The handler of SIGUSR1 (SUSPEND) and, with GATE_SPAWN_CPU_SUSPEND, of
 * SIGXCPU (SA_SIGINFO | SA_ONSTACK; sandbox.c installs it): asks the
 * runtime to suspend the program that runs, or the next one to run
 * (gate__rt_request_suspend), and ends a host wait that is about to block.
 * Async-signal-safe.
 */
void gate__instance_signal(int sig, siginfo_t *info, void *ucontext);

#endif
