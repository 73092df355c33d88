/*
 * The instance process's sandbox (docs/sandbox.md): namespaces, an empty
 * read-only root, rlimits, no capabilities, no_new_privs, seccomp.
 *
 * The executor decides once, at start (gate__sandbox_init), what the host
 * offers; for each SPAWN it clones the instance process straight into its
 * new namespaces (gate__sandbox_clone: the instance is pid 1 of its own pid
 * namespace and still the executor's child, so reaping and SIGKILL work as
 * for any child), writes its uid/gid maps and cgroup membership
 * (gate__sandbox_parent), then releases it with one byte on its channel.
 * The instance builds the rest itself (gate__sandbox_enter) before it reads
 * any request.
 */
#ifndef GATE_EXECUTOR_SANDBOX_H
#define GATE_EXECUTOR_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Per instance: from the SPAWN payload (docs/protocol.md). */
struct gate__spawn_opts {
	uint64_t memory_bytes; /* linear memory of the whole store; 0: default */
	uint32_t cpu_seconds;  /* CPU time; 0: no limit */
	uint32_t flags;        /* GATE_SPAWN_* (protocol.h) */
};

#define GATE_DEFAULT_MEMORY_BYTES (8ull << 30) /* two maximal 32-bit memories */
#define GATE_MAX_MEMORY_BYTES (1ull << 40)
#define GATE_INSTANCE_MEMORIES 1024        /* linear memories per process */
#define GATE_INSTANCE_CODE (256u << 20)    /* machine code per process */
#define GATE_INSTANCE_HEAP (1ull << 30)    /* malloc heap per process (brk) */
#define GATE_INSTANCE_STACK (8u << 20)     /* RLIMIT_STACK */
#define GATE_INSTANCE_NOFILE 5             /* 0..2 free, 3 channel, 4 spare */
#define GATE_SANDBOX_ID 1                  /* uid and gid inside the namespace */
#define GATE_SANDBOX_OUTSIDE_ID 65534      /* ... outside, for a root executor */

/* What the host offers, decided by gate__sandbox_init(). */
struct gate__sandbox_host {
	bool namespaces;  /* false only with GATE_INSECURE_NO_USERNS=1 */
	bool cgroups;     /* per-instance cgroups (v1 or v2) */
	uid_t outside_uid; /* instances' ids seen from the host */
	gid_t outside_gid;
};

/* Probes the host. Returns 0, or -1 after saying why on stderr when a layer
 * is missing and no insecure option allows that. */
int gate__sandbox_init(struct gate__sandbox_host *host);

/* clone() with the namespace flags; returns like fork(). */
pid_t gate__sandbox_clone(const struct gate__sandbox_host *host);

/* In the executor after the clone: maps and cgroup for instance id. 0 or
 * -errno; the caller kills the child on failure. */
int gate__sandbox_parent(const struct gate__sandbox_host *host, pid_t pid, uint32_t id,
			 const struct gate__spawn_opts *opts);

/* In the executor after the instance was reaped: removes its cgroup. */
void gate__sandbox_reaped(const struct gate__sandbox_host *host, uint32_t id);

/* In the instance process, channel on GATE_INSTANCE_FD: waits for the
 * executor's go, then builds every layer; returns only inside the sandbox.
 * On failure it says why on stderr and exits GATE_INTERNAL. */
void gate__sandbox_enter(const struct gate__sandbox_host *host,
			 const struct gate__spawn_opts *opts);

/* cgroup.c */
int gate__cgroup_init(void); /* 1: per-instance cgroups usable, 0: not */
int gate__cgroup_add(pid_t pid, uint32_t id, const struct gate__spawn_opts *opts);
void gate__cgroup_remove(uint32_t id);
void gate__cgroup_fini(void); /* at exit, after every instance was reaped */

#ifdef GATE_PROBE
#include <stddef.h>
struct gate__rt_arenas;
/* probe.c, test builds only (docs/sandbox.md): facts gathered from inside
 * just before the filter, and the PROBE request that runs after it. */
void gate__probe_facts(const struct gate__rt_arenas *ar);
size_t gate__probe_run(const uint8_t *in, size_t len, uint8_t *out, size_t max);
#endif

/* Logs one line to the executor's stderr, prefixed "gate-executor: ". */
void gate__say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
