/*
 * Per-instance cgroups (docs/sandbox.md, "Resource control").
 *
 * Where the host offers cgroups the executor can write to, each instance
 * gets its own: memory (hard limit: linear memory + heap + code, no swap),
 * pids (1: itself; no forks) and cpu (at most one CPU). They live under the
 * executor's own cgroup, in gate-<executor pid>/<instance id>, so whatever
 * limits the executor's cgroup has still hold.
 *
 *   v1 (separate hierarchies, this machine): memory/, pids/, cpu/
 *   v2 (unified): one directory; controllers enabled in subtree_control
 *
 * Anything missing or not writable (an unprivileged executor, a v2 parent
 * with processes in it): no cgroups, said once at start. Rlimits and the
 * runtime's limits (sandbox.c) hold either way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "sandbox.h"

#define ROOT "/sys/fs/cgroup"
#define NCTRL 3

static const char *const v1_ctrl[NCTRL] = { "memory", "pids", "cpu" };
static bool v2;
#define BASE_MAX 1024
static char base[NCTRL][BASE_MAX]; /* per controller (v2: [0] only) */

static int put(const char *dir, uint32_t id, const char *file, const char *text)
{
	char path[BASE_MAX + 64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof path, "%.1000s/%u/%.40s", dir, id, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* The executor's own cgroup in hierarchy ctrl (v2: ctrl ""), from
 * /proc/self/cgroup ("N:memory:/path" or "0::/path"). */
static bool own_path(const char *ctrl, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[512];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof line, f)) {
		char *ctrls = strchr(line, ':');
		char *path = ctrls ? strchr(ctrls + 1, ':') : NULL;

		if (path == NULL)
			continue;
		*ctrls++ = 0;
		*path++ = 0;
		path[strcspn(path, "\n")] = 0;
		if (ctrl[0] == 0) {
			found = ctrls[0] == 0;
		} else {
			/* a comma list: "cpu,cpuacct" */
			for (char *tok = strtok(ctrls, ","); tok && !found; tok = strtok(NULL, ","))
				found = strcmp(tok, ctrl) == 0;
		}
		if (found)
			snprintf(out, len, "%s", strcmp(path, "/") == 0 ? "" : path);
	}
	fclose(f);
	return found;
}

/* Removes what executors that were killed left: gate-<pid> directories of
 * processes that no longer exist, with their (empty) instance cgroups. */
static void sweep_stale(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char dir[BASE_MAX + 300], sub[BASE_MAX + 600];
		int pid;

		if (sscanf(e->d_name, "gate-%d", &pid) != 1 || pid <= 0 ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(dir, sizeof dir, "%.1000s/%.255s", parent, e->d_name);
		DIR *inner = opendir(dir);
		for (struct dirent *i; inner && (i = readdir(inner));) {
			if (i->d_type != DT_DIR || i->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof sub, "%s/%.255s", dir, i->d_name);
			rmdir(sub);
		}
		if (inner)
			closedir(inner);
		rmdir(dir);
	}
	closedir(d);
}

static int make_base(char *out, const char *hier, const char *own)
/* own is at most BASE_MAX / 2 */
{
	char parent[BASE_MAX];

	snprintf(parent, sizeof parent, "%s%s%s", ROOT, hier, own);
	sweep_stale(parent);
	snprintf(out, BASE_MAX, "%s%s%s/gate-%d", ROOT, hier, own, (int)getpid());
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int gate__cgroup_init(void)
{
	struct statfs fs;
	char own[BASE_MAX / 2];
	int r;

	if (statfs(ROOT, &fs) != 0)
		goto out_none;
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		v2 = true;
		if (!own_path("", own, sizeof own) || make_base(base[0], "", own) != 0)
			goto out_none;
		char ctl[BASE_MAX + 32];
		snprintf(ctl, sizeof ctl, "%s/cgroup.subtree_control", base[0]);
		int fd = open(ctl, O_WRONLY | O_CLOEXEC);
		r = fd < 0 ? -1 : (int)write(fd, "+memory +pids +cpu", 18);
		if (fd >= 0)
			close(fd);
		if (r != 18)
			goto out_remove;
		return 1;
	}
	for (int i = 0; i < NCTRL; i++) {
		char hier[32];

		snprintf(hier, sizeof hier, "/%s", v1_ctrl[i]);
		if (!own_path(v1_ctrl[i], own, sizeof own) || make_base(base[i], hier, own) != 0)
			goto out_remove;
	}
	return 1;
out_remove:
	for (int i = 0; i < NCTRL; i++)
		if (base[i][0])
			rmdir(base[i]);
out_none:
	memset(base, 0, sizeof base);
	fprintf(stderr, "gate-executor: no writable cgroups (%s): instances are limited by "
			"rlimits and the runtime only (docs/sandbox.md)\n",
		strerror(errno));
	return 0;
}

int gate__cgroup_add(pid_t pid, uint32_t id, const struct gate__spawn_opts *opts)
{
	uint64_t mem = (opts->memory_bytes ? opts->memory_bytes : GATE_DEFAULT_MEMORY_BYTES) +
		       GATE_INSTANCE_HEAP + GATE_INSTANCE_CODE + (64u << 20);
	char num[32], dir[BASE_MAX + 16];
	int r = 0;

	snprintf(num, sizeof num, "%llu", (unsigned long long)mem);
	for (int i = 0; i < (v2 ? 1 : NCTRL); i++) {
		snprintf(dir, sizeof dir, "%.1000s/%u", base[i], id);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -errno;
	}
	if (v2) {
		if ((r = put(base[0], id, "memory.max", num)) != 0 ||
		    (r = put(base[0], id, "pids.max", "1")) != 0 ||
		    (r = put(base[0], id, "cpu.max", "100000 100000")) != 0)
			return r;
		put(base[0], id, "memory.swap.max", "0"); /* absent without swap */
	} else {
		if ((r = put(base[0], id, "memory.limit_in_bytes", num)) != 0 ||
		    (r = put(base[1], id, "pids.max", "1")) != 0 ||
		    (r = put(base[2], id, "cpu.cfs_period_us", "100000")) != 0 ||
		    (r = put(base[2], id, "cpu.cfs_quota_us", "100000")) != 0)
			return r;
		put(base[0], id, "memory.memsw.limit_in_bytes", num); /* absent without swap accounting */
	}
	snprintf(num, sizeof num, "%d", (int)pid);
	for (int i = 0; i < (v2 ? 1 : NCTRL); i++)
		if ((r = put(base[i], id, "cgroup.procs", num)) != 0)
			return r;
	return 0;
}

void gate__cgroup_remove(uint32_t id)
{
	char dir[BASE_MAX + 16];

	for (int i = 0; i < (v2 ? 1 : NCTRL); i++) {
		if (!base[i][0])
			continue;
		snprintf(dir, sizeof dir, "%.1000s/%u", base[i], id);
		rmdir(dir);
	}
}

void gate__cgroup_fini(void)
{
	for (int i = 0; i < NCTRL; i++)
		if (base[i][0])
			rmdir(base[i]);
}
