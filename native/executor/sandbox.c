/*
 * The instance process's sandbox: see sandbox.h and docs/sandbox.md.
 *
 * Order in the instance (gate__sandbox_enter), each step needing the one
 * before or the privileges the later ones drop:
 *
 *   descriptors: only the channel                      close_range
 *   wait for the executor's go (maps written)          recv 1 byte
 *   oom_score_adj 1000                                  /proc, own file
 *   runtime arenas, handlers, stack bounds              /proc/self/maps
 *   measure the address space for RLIMIT_AS/DATA        /proc/self/statm
 *   mounts private; tmpfs (read-only, empty) at /tmp;
 *   pivot_root(".", "."), old root detached             CAP_SYS_ADMIN in the ns
 *   hostname                                            CAP_SYS_ADMIN in the ns
 *   uid and gid GATE_SANDBOX_ID (unprivileged outside)  CAP_SETUID in the ns
 *   rlimits                                             (lowering needs nothing)
 *   capabilities: bounding, ambient, then all sets 0
 *   no_new_privs, not dumpable, parent-death signal
 *     + the race check (the channel must not be hung up)
 *   seccomp (seccomp.c)                                 needs no_new_privs
 *
 * Failure anywhere says which step on stderr, then exits GATE_INTERNAL: a
 * half-built sandbox never runs a request.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <malloc.h>
#include <poll.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../libgate.h"
#include "../rt/rt.h"
#include "instance.h"
#include "protocol.h"
#include "seccomp.h"

#define NS_FLAGS \
	(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | \
	 CLONE_NEWUTS | CLONE_NEWCGROUP)

/* Where the empty root is mounted before pivot_root: a directory every
 * Linux host has. The mount is in the instance's own mount namespace. */
#define NEW_ROOT "/tmp"

/* The instance dies on any failure (allowed only in the child). */
static void die(const char *step) __attribute__((noreturn));

static void die(const char *step)
{
	char msg[160];
	int n = snprintf(msg, sizeof msg, "gate-executor: instance sandbox: %s: %s\n", step,
			 strerror(errno));

	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;
	_exit(GATE_INTERNAL);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	if (n != (ssize_t)strlen(text))
		return n < 0 ? -saved : -EIO;
	return 0;
}

pid_t gate__sandbox_clone(const struct gate__sandbox_host *host)
{
	unsigned long flags = SIGCHLD | (host->namespaces ? NS_FLAGS : 0);

	/* fork() semantics: no new stack, the child returns 0. The executor
	 * is single-threaded, so the child's copy of libc is consistent. */
	return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
}

int gate__sandbox_init(struct gate__sandbox_host *host)
{
	const char *insecure = getenv("GATE_INSECURE_NO_USERNS");
	bool allow_insecure = insecure && strcmp(insecure, "1") == 0;
	struct gate__sandbox_host probe = { .namespaces = true };
	int status;
	pid_t pid;

	memset(host, 0, sizeof *host);
	if (geteuid() == 0) {
		/* Instances inherit no supplementary groups, and run as nobody. */
		if (setgroups(0, NULL) != 0) {
			gate__say("cannot drop supplementary groups: %s", strerror(errno));
			return -1;
		}
		host->outside_uid = GATE_SANDBOX_OUTSIDE_ID;
		host->outside_gid = GATE_SANDBOX_OUTSIDE_ID;
	} else {
		host->outside_uid = geteuid();
		host->outside_gid = getegid();
	}
	/* Can we create every namespace? A throwaway child tells. */
	pid = gate__sandbox_clone(&probe);
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		host->namespaces = true;
	} else if (allow_insecure) {
		gate__say("WARNING: SANDBOX WEAKENED: cannot create namespaces (%s); "
		    "GATE_INSECURE_NO_USERNS=1 runs instances WITHOUT user, pid, net, mount, ipc, "
		    "uts and cgroup namespaces and WITHOUT an empty root",
		    strerror(errno));
	} else {
		gate__say("cannot create user/pid/net/mount/ipc/uts/cgroup namespaces for instances: %s. "
		    "Enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
		    "or user.max_user_namespaces > 0), or set GATE_INSECURE_NO_USERNS=1 to run "
		    "without them (NOT for untrusted code)",
		    strerror(errno));
		return -1;
	}
	if (host->namespaces && allow_insecure)
		gate__say("GATE_INSECURE_NO_USERNS=1 is set but not needed: namespaces are available and used");
	host->cgroups = gate__cgroup_init() == 1;
	return 0;
}

int gate__sandbox_parent(const struct gate__sandbox_host *host, pid_t pid, uint32_t id,
			 const struct gate__spawn_opts *opts)
{
	char path[64], map[64];
	int r;

	if (host->namespaces) {
		/* The instance's only uid and gid, GATE_SANDBOX_ID, is an
		 * unprivileged id outside (nobody, or the executor's own). */
		snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
		if ((r = write_file(path, "deny")) != 0)
			return r;
		snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
		snprintf(map, sizeof map, "%d %u 1", GATE_SANDBOX_ID, (unsigned)host->outside_uid);
		if ((r = write_file(path, map)) != 0)
			return r;
		snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
		snprintf(map, sizeof map, "%d %u 1", GATE_SANDBOX_ID, (unsigned)host->outside_gid);
		if ((r = write_file(path, map)) != 0)
			return r;
	}
	if (host->cgroups && (r = gate__cgroup_add(pid, id, opts)) != 0)
		return r;
	return 0;
}

void gate__sandbox_reaped(const struct gate__sandbox_host *host, uint32_t id)
{
	if (host->cgroups)
		gate__cgroup_remove(id);
}

/* Sizes in bytes from /proc/self/statm: total and data+stack. */
static void statm(uint64_t *vm, uint64_t *data)
{
	char buf[128] = { 0 };
	unsigned long f[7] = { 0 };
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		die("open /proc/self/statm");
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || sscanf(buf, "%lu %lu %lu %lu %lu %lu %lu", &f[0], &f[1], &f[2], &f[3], &f[4],
			     &f[5], &f[6]) != 7)
		die("read /proc/self/statm");
	*vm = (uint64_t)f[0] * 4096;
	*data = (uint64_t)f[5] * 4096;
}

static void limit(int resource, uint64_t soft, uint64_t hard, const char *what)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };

	if (setrlimit(resource, &rl) != 0)
		die(what);
}

static void empty_root(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		die("make mounts private");
	/* Read-only and empty from the start: nothing is ever written. */
	if (mount("gate", NEW_ROOT, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=1,mode=0555") != 0)
		die("mount tmpfs");
	if (chdir(NEW_ROOT) != 0)
		die("chdir to the new root");
	/* new_root == put_old: the old root ends up stacked on the new one... */
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		die("pivot_root");
	/* ...and is detached with everything mounted under it. */
	if (umount2(".", MNT_DETACH) != 0)
		die("detach the old root");
	if (chdir("/") != 0)
		die("chdir /");
}

static void drop_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
			die("drop bounding capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		die("clear ambient capabilities");
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d) != 0)
		die("capset");
}

static void on_cpu_limit(int sig)
{
	(void)sig;
	/* exit_group: allowed by the filter; the status says why */
	_exit(GATE_CPU_LIMIT);
}

void gate__sandbox_enter(const struct gate__sandbox_host *host,
			 const struct gate__spawn_opts *opts)
{
	struct gate__rt_limits lim;
	struct gate__rt_arenas ar;
	struct gate__seccomp_ranges ranges;
	struct sock_filter prog[GATE_SECCOMP_MAX];
	uint64_t mem = opts->memory_bytes ? opts->memory_bytes : GATE_DEFAULT_MEMORY_BYTES;
	uint64_t vm, data;
	char err[256];
	char go;
	size_t len;
	ssize_t n;

	/* The executor's go: uid/gid maps and cgroup are in place. If it
	 * died first, this is the end of the channel. */
	do
		n = recv(GATE_INSTANCE_FD, &go, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(GATE_IO);
	if (write_file("/proc/self/oom_score_adj", "1000") != 0)
		die("oom_score_adj");

	/* malloc takes only brk from now on: mmap is not in the allowlist. */
	mallopt(M_MMAP_MAX, 0);
	mallopt(M_ARENA_MAX, 1);
	lim.max_memories = GATE_INSTANCE_MEMORIES;
	lim.code_bytes = GATE_INSTANCE_CODE;
	lim.memory_pages = mem / 65536;
	if (gate__rt_sandbox_prepare(&lim, &ar, err, sizeof err) != GATE_OK) {
		errno = ENOMEM;
		die(err);
	}
	statm(&vm, &data);

	if (host->namespaces) {
		empty_root();
		if (sethostname("gate", 4) != 0 || setdomainname("", 0) != 0)
			die("hostname");
		if (setresgid(GATE_SANDBOX_ID, GATE_SANDBOX_ID, GATE_SANDBOX_ID) != 0)
			die("setresgid");
		if (setresuid(GATE_SANDBOX_ID, GATE_SANDBOX_ID, GATE_SANDBOX_ID) != 0)
			die("setresuid");
	} else if (geteuid() == 0) {
		if (setresgid(host->outside_gid, host->outside_gid, host->outside_gid) != 0)
			die("setresgid");
		if (setresuid(host->outside_uid, host->outside_uid, host->outside_uid) != 0)
			die("setresuid");
	}

	/* rlimits. AS: what is mapped now (arenas included) plus the heap and
	 * the stack still to grow. DATA (private writable memory, which the
	 * kernel also checks on mprotect to RW): what is writable now plus
	 * linear memory, heap and stack. */
	limit(RLIMIT_AS, vm + GATE_INSTANCE_HEAP + GATE_INSTANCE_STACK,
	      vm + GATE_INSTANCE_HEAP + GATE_INSTANCE_STACK, "RLIMIT_AS");
	limit(RLIMIT_DATA, data + mem + GATE_INSTANCE_HEAP + GATE_INSTANCE_STACK,
	      data + mem + GATE_INSTANCE_HEAP + GATE_INSTANCE_STACK, "RLIMIT_DATA");
	limit(RLIMIT_STACK, GATE_INSTANCE_STACK, GATE_INSTANCE_STACK, "RLIMIT_STACK");
	limit(RLIMIT_NOFILE, GATE_INSTANCE_NOFILE, GATE_INSTANCE_NOFILE, "RLIMIT_NOFILE");
	limit(RLIMIT_NPROC, 0, 0, "RLIMIT_NPROC");
	/* FSIZE: the only file the instance can write is the memfd of a
	 * STATE request (docs/protocol.md): linear memory plus what a heap
	 * holds (globals, tables, stack, unread input). */
	limit(RLIMIT_FSIZE, mem + GATE_INSTANCE_HEAP, mem + GATE_INSTANCE_HEAP, "RLIMIT_FSIZE");
	limit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE");
	limit(RLIMIT_MEMLOCK, 0, 0, "RLIMIT_MEMLOCK");
	limit(RLIMIT_MSGQUEUE, 0, 0, "RLIMIT_MSGQUEUE");
	limit(RLIMIT_LOCKS, 0, 0, "RLIMIT_LOCKS");
	limit(RLIMIT_RTPRIO, 0, 0, "RLIMIT_RTPRIO");
	if (opts->cpu_seconds) {
		/* SIGXCPU at the soft limit ends the instance with
		 * GATE_CPU_LIMIT, or with CPU_SUSPEND suspends the program
		 * like SUSPEND; SIGKILL one second later if it could not stop
		 * (or is still serving STATE). As pid 1 of its namespace the
		 * instance ignores a SIGXCPU it has no handler for, so the
		 * handler is not optional. */
		struct sigaction sa = { .sa_handler = on_cpu_limit, .sa_flags = SA_ONSTACK };

		if (opts->flags & GATE_SPAWN_CPU_SUSPEND) {
			sa.sa_handler = NULL;
			sa.sa_sigaction = gate__instance_signal;
			sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		}
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGXCPU, &sa, NULL) != 0)
			die("SIGXCPU handler");
		limit(RLIMIT_CPU, opts->cpu_seconds, (uint64_t)opts->cpu_seconds + 1, "RLIMIT_CPU");
	}

	drop_capabilities();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die("no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		die("not dumpable");
	/* Dies with the executor. getppid() is 0 in a new pid namespace, so
	 * the race check is the channel: if the executor ended before the
	 * signal was armed, its end of the channel is closed. (Set after the
	 * uid change, which clears it.) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		die("parent-death signal");
	{
		struct pollfd p = { .fd = GATE_INSTANCE_FD, .events = POLLRDHUP };

		if (poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			_exit(GATE_IO);
	}
	/* Only the channel from here on: stdin, stdout and stderr go too. */
	if (close_range(0, GATE_INSTANCE_FD - 1, 0) != 0)
		die("close descriptors");
#ifdef GATE_PROBE
	gate__probe_facts(&ar);
#endif
	ranges = (struct gate__seccomp_ranges){ ar.code_lo, ar.code_hi, ar.mem_lo, ar.mem_hi };
	len = gate__seccomp_build(&ranges, prog, GATE_SECCOMP_MAX);
	if (len == 0 || gate__seccomp_install(prog, len) != 0)
		_exit(GATE_INTERNAL);
}
