/*
 * Path resolution beneath a directory (docs/files.md). Every lookup of a
 * program's path is one openat2() with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS:
 * the kernel resolves "..", symlinks (relative and absolute) and mount points
 * itself and refuses, atomically, anything that would leave the directory,
 * including races with renames (it answers EAGAIN, and we retry). We never
 * resolve a path in user space and then act on it by name; operations that
 * act on a name (mkdirat, unlinkat, renameat) get an O_PATH descriptor of
 * the resolved parent and a last component without '/', which the kernel
 * does not follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

/* A rename during a lookup with ".." makes openat2 fail with EAGAIN; a few
 * retries ride out a race, and a program cannot make it last forever (it
 * would need a host process renaming in a loop). */
#define OPENAT2_TRIES 16

uint32_t gate__fs_path_copy(const uint8_t *p, uint32_t len, char out[GATE__FS_PATH_MAX + 1])
{
	if (len == 0)
		return W_ENOENT; /* as POSIX for "" */
	if (len > GATE__FS_PATH_MAX)
		return W_ENAMETOOLONG;
	if (memchr(p, 0, len) != NULL)
		return W_EINVAL;
	/* Absolute paths name the host's root: never beneath a preopen.
	 * openat2 refuses them too (EXDEV); this says it without a syscall. */
	if (p[0] == '/')
		return W_ENOTCAPABLE;
	memcpy(out, p, len);
	out[len] = 0;
	return 0;
}

uint32_t gate__fs_path_split(const uint8_t *p, uint32_t len, struct gate__fs_path *out)
{
	uint32_t err = gate__fs_path_copy(p, len, out->last);
	size_t n, slash;

	if (err)
		return err;
	n = strlen(out->last);
	out->trailing_slash = false;
	while (n > 1 && out->last[n - 1] == '/') {
		out->last[--n] = 0;
		out->trailing_slash = true;
	}
	for (slash = n; slash > 0 && out->last[slash - 1] != '/'; slash--)
		;
	if (slash == 0) {
		strcpy(out->parent, ".");
		return 0;
	}
	/* parent: everything before the last '/', which is not the first
	 * character (no absolute paths), so the parent is never empty. */
	memcpy(out->parent, out->last, slash - 1);
	out->parent[slash - 1] = 0;
	memmove(out->last, out->last + slash, n - slash + 1);
	return 0;
}

static int openat2_raw(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .mode = mode, .resolve = resolve };
	int fd;

	for (int i = 0;; i++) {
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || !(errno == EINTR || (errno == EAGAIN && i < OPENAT2_TRIES)))
			return fd;
	}
}

int gate__fs_open_beneath(int dirfd, const char *path, uint64_t flags, uint64_t mode)
{
	int fd = openat2_raw(dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	int e;

	if (fd >= 0)
		return fd;
	e = errno;
	if (e == ELOOP) {
		/*
		 * ELOOP is a symlink loop, a final symlink under O_NOFOLLOW, or a
		 * magic link (/proc/self/root, /proc/self/fd/N) refused by
		 * RESOLVE_NO_MAGICLINKS. Only the last is an escape attempt: ask
		 * again with O_PATH and RESOLVE_BENEATH alone, under which the
		 * kernel refuses magic links with EXDEV (scoped lookups never
		 * follow them) and opens a final symlink under O_NOFOLLOW. The
		 * descriptor is closed unused.
		 */
		int probe = openat2_raw(dirfd, path, O_PATH | (flags & O_NOFOLLOW), 0,
					RESOLVE_BENEATH);

		if (probe >= 0)
			close(probe);
		else if (errno == EXDEV)
			e = EXDEV;
	}
	return -(int)gate__fs_errno(e);
}

int gate__fs_open_parent(int dirfd, const struct gate__fs_path *p)
{
	int fd = gate__fs_open_beneath(dirfd, p->parent, O_PATH | O_DIRECTORY, 0);

	if (fd < 0)
		return fd;
	if (strcmp(p->last, "..") == 0) {
		/* The op acts on the parent's parent, which must be beneath the
		 * directory the program named too ("a/.." is, ".." is not). */
		char full[GATE__FS_PATH_MAX + 4];
		int check;

		snprintf(full, sizeof(full), "%s/..", p->parent);
		check = gate__fs_open_beneath(dirfd, full, O_PATH | O_DIRECTORY, 0);
		if (check < 0) {
			close(fd);
			return check;
		}
		close(check);
	}
	return fd;
}
