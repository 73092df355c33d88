/* The instance process's seccomp filter (seccomp_table.h, docs/sandbox.md). */
#ifndef GATE_EXECUTOR_SECCOMP_H
#define GATE_EXECUTOR_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* Room for the program of seccomp_table.h. */
#define GATE_SECCOMP_MAX 96

/* Address ranges the filter allows mprotect in: 4 GiB aligned, as
 * struct gate__rt_arenas gives them. */
struct gate__seccomp_ranges {
	uint64_t code_lo, code_hi; /* PROT_READ|PROT_EXEC */
	uint64_t mem_lo, mem_hi;   /* PROT_READ|PROT_WRITE */
};

/*
 * Builds the classic-BPF program into out (room for max instructions).
 * Returns its length, or 0 if max is too small or a range is not 4 GiB
 * aligned. Pure: the unit tests run the result as data.
 */
size_t gate__seccomp_build(const struct gate__seccomp_ranges *r, struct sock_filter *out,
			   size_t max);

/* The allowlist's numbers, in table order; returns how many (at most max). */
size_t gate__seccomp_allowed(int *nrs, size_t max);

/* Installs the program (after PR_SET_NO_NEW_PRIVS). Returns 0 or -errno. */
int gate__seccomp_install(const struct sock_filter *prog, size_t len);

#endif
