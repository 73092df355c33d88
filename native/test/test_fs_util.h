/*
 * Helpers of the FS server tests: a scratch tree under /tmp, request
 * builders and a reply reader. A fixture has
 *
 *   <tmp>/root     preopen fd 3 "/work" (read-write), file a.txt "hello", dir d/
 *   <tmp>/ro       preopen fd 4 "/ro" (read-only), file r.txt "read me"
 *   <tmp>/outside  not preopened: secret.txt "secret"
 *
 * so the Gate fd is 5 and opened files start at 6.
 */
#ifndef GATE_TEST_FS_UTIL_H
#define GATE_TEST_FS_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../executor/protocol.h"
#include "../lib/fs.h"
#include "../libgate.h"

struct fx {
	char tmp[64];
	struct gate_fs *fs;
	/* the last reply */
	uint8_t reply[GATE_FS_REPLY_MAX];
	int64_t len;
	uint32_t err;
	uint64_t out;
	const uint8_t *data;
	uint32_t data_len;
	/* the request being built */
	uint8_t req[70000];
	size_t n;
};

static inline void fx_write(const char *tmp, const char *rel, const char *text)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		close(fd);
	}
}

static inline void fx_mkdir(const char *tmp, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	mkdir(p, 0755);
}

static inline void fx_symlink(const char *tmp, const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	if (symlink(target, p) != 0)
		perror("symlink");
}

static inline int fx_exists(const char *tmp, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	return lstat(p, &st) == 0;
}

static inline struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[512], err[256];

	strcpy(f->tmp, "/tmp/gate-fs-test-XXXXXX");
	if (mkdtemp(f->tmp) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	fx_mkdir(f->tmp, "root");
	fx_mkdir(f->tmp, "root/d");
	fx_mkdir(f->tmp, "ro");
	fx_mkdir(f->tmp, "outside");
	fx_write(f->tmp, "root/a.txt", "hello");
	fx_write(f->tmp, "ro/r.txt", "read me");
	fx_write(f->tmp, "outside/secret.txt", "secret");
	if (gate_fs_new(&f->fs, err, sizeof(err)) != GATE_OK)
		exit(2);
	snprintf(p, sizeof(p), "%s/root", f->tmp);
	if (gate_fs_preopen(f->fs, p, "/work", 0, err, sizeof(err)) != GATE_OK) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	snprintf(p, sizeof(p), "%s/ro", f->tmp);
	if (gate_fs_preopen(f->fs, p, "/ro", GATE_FS_READ_ONLY, err, sizeof(err)) != GATE_OK) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	return f;
}

static inline void fx_free(struct fx *f)
{
	char cmd[256];

	gate_fs_free(f->fs);
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s 2>/dev/null; rm -rf %s", f->tmp, f->tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->tmp);
	free(f);
}

static inline void q_op(struct fx *f, uint32_t op)
{
	gate__put32(f->req, op);
	f->n = 4;
}

static inline void q_u64(struct fx *f, uint64_t v)
{
	memcpy(f->req + f->n, &v, 8);
	f->n += 8;
}

static inline void q_buf(struct fx *f, const void *p, uint32_t len)
{
	gate__put32(f->req + f->n, len);
	memcpy(f->req + f->n + 4, p, len);
	f->n += 4 + len;
}

static inline void q_str(struct fx *f, const char *s)
{
	q_buf(f, s, (uint32_t)strlen(s));
}

/* Sends the request built so far; parses the reply by the op's shape.
 * Returns the WASI errno. */
static inline uint32_t fx_send(struct fx *f)
{
	const struct gate__fs_shape *s = gate__fs_shape(gate__le32(f->req));
	size_t at = 4;

	f->len = gate_fs_call(f->fs, f->req, f->n, f->reply, sizeof(f->reply));
	f->err = f->len >= 4 ? gate__le32(f->reply) : 0xffffffff;
	f->out = 0;
	f->data = NULL;
	f->data_len = 0;
	if (f->err != 0 || s == NULL)
		return f->err;
	if (s->nout) {
		memcpy(&f->out, f->reply + at, 8);
		at += 8;
	}
	if (s->data) {
		f->data_len = gate__le32(f->reply + at);
		f->data = f->reply + at + 4;
		at += 4 + f->data_len;
	}
	if ((int64_t)at != f->len)
		f->err = 0xfffffffe; /* reply shape wrong */
	return f->err;
}

/* Convenience calls. */
static inline uint32_t fx_open(struct fx *f, uint32_t dirfd, const char *path, uint64_t oflags,
			       uint64_t rights, uint64_t fdflags)
{
	q_op(f, GATE_FS_PATH_OPEN);
	q_u64(f, dirfd);
	q_u64(f, W_LOOKUP_SYMLINK_FOLLOW);
	q_u64(f, oflags);
	q_u64(f, rights);
	q_u64(f, rights);
	q_u64(f, fdflags);
	q_str(f, path);
	return fx_send(f);
}

static inline uint32_t fx_open_nofollow(struct fx *f, uint32_t dirfd, const char *path)
{
	q_op(f, GATE_FS_PATH_OPEN);
	q_u64(f, dirfd);
	q_u64(f, 0);
	q_u64(f, 0);
	q_u64(f, W_R_FD_READ);
	q_u64(f, 0);
	q_u64(f, 0);
	q_str(f, path);
	return fx_send(f);
}

static inline uint32_t fx_read(struct fx *f, uint64_t fd, uint64_t max)
{
	q_op(f, GATE_FS_FD_READ);
	q_u64(f, fd);
	q_u64(f, max);
	return fx_send(f);
}

static inline uint32_t fx_write_fd(struct fx *f, uint64_t fd, const char *s)
{
	q_op(f, GATE_FS_FD_WRITE);
	q_u64(f, fd);
	q_str(f, s);
	return fx_send(f);
}

static inline uint32_t fx_close(struct fx *f, uint64_t fd)
{
	q_op(f, GATE_FS_FD_CLOSE);
	q_u64(f, fd);
	return fx_send(f);
}

/* One path op with dirfd and one path (create/remove dir, unlink). */
static inline uint32_t fx_path1(struct fx *f, uint32_t op, uint64_t dirfd, const char *path)
{
	q_op(f, op);
	q_u64(f, dirfd);
	q_str(f, path);
	return fx_send(f);
}

static inline uint32_t fx_stat(struct fx *f, uint64_t dirfd, uint64_t flags, const char *path)
{
	q_op(f, GATE_FS_PATH_FILESTAT_GET);
	q_u64(f, dirfd);
	q_u64(f, flags);
	q_str(f, path);
	return fx_send(f);
}

static inline uint32_t fx_rename(struct fx *f, uint64_t from, const char *a, uint64_t to,
				 const char *b)
{
	q_op(f, GATE_FS_PATH_RENAME);
	q_u64(f, from);
	q_u64(f, to);
	q_str(f, a);
	q_str(f, b);
	return fx_send(f);
}

#define R_READ (W_R_FD_READ | W_R_FD_SEEK | W_R_FD_TELL | W_R_FD_FILESTAT_GET | W_R_FD_READDIR)
#define R_RW (R_READ | W_R_FD_WRITE | W_R_FD_FILESTAT_SET_SIZE | W_R_FD_ALLOCATE | \
	      W_R_FD_FILESTAT_SET_TIMES | W_R_FD_FDSTAT_SET_FLAGS | W_R_FD_DATASYNC | W_R_FD_SYNC | \
	      W_R_FD_ADVISE)

#endif
