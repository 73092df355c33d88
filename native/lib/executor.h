/* Internals of the executor client (executor.c) for unit tests. */
#ifndef GATE_LIB_EXECUTOR_H
#define GATE_LIB_EXECUTOR_H

#include "../libgate.h"

/* The control channel's descriptor, so tests can send what libgate would
 * refuse to (malformed frames). */
int gate__executor_socket(const gate_executor *executor);

#endif
