/* The instance process's request loop (instance.c). */
#ifndef GATE_EXECUTOR_INSTANCE_H
#define GATE_EXECUTOR_INSTANCE_H

/*
 * Serves requests on channel fd (docs/protocol.md) with a fresh runtime
 * store until the peer closes the channel. Returns the process's exit
 * status: GATE_OK after an orderly close, else a status from errors.def.
 * Runs only in a forked instance process: it may _exit() on channel errors.
 */
int gate__instance_main(int fd);

#endif
