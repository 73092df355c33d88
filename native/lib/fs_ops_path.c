/*
 * The path_* operations of the FS server (docs/protocol.md, ops 21-30).
 * Paths are resolved only by gate__fs_open_beneath() (fs_path.c): ops that
 * follow a path open it beneath the directory; ops that act on a name open
 * its parent beneath the directory and pass the kernel the last component.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../executor/protocol.h"
#include "fs.h"

/* Rights that make a descriptor writable on the host. */
#define WRITE_RIGHTS (W_R_FD_WRITE | W_R_FD_DATASYNC | W_R_FD_ALLOCATE | W_R_FD_FILESTAT_SET_SIZE)

static uint32_t werr(void)
{
	return gate__fs_errno(errno);
}

/* The directory descriptor dirfd with all of rights, or an errno. */
static uint32_t dir(struct gate_fs *fs, uint64_t dirfd, uint64_t rights, struct gate__fs_file **out)
{
	struct gate__fs_file *d = gate__fs_get(fs, dirfd);

	if (d == NULL)
		return W_EBADF;
	if (d->filetype != W_FT_DIRECTORY)
		return W_ENOTDIR;
	if ((d->rights & rights) != rights)
		return W_ENOTCAPABLE;
	*out = d;
	return 0;
}

static uint32_t path_open(struct gate_fs *fs, const struct gate__fs_req *q, struct gate__fs_res *r)
{
	uint64_t dirflags = q->in[1], oflags = q->in[2], fdflags = q->in[5];
	uint64_t need = W_R_PATH_OPEN, flags, rights, inheriting;
	char path[GATE__FS_PATH_MAX + 1];
	struct gate__fs_file *d, *f;
	struct stat st;
	bool rd, wr;
	int64_t n;
	uint32_t err;
	int fd;

	if (oflags & W_OFLAG_CREAT)
		need |= W_R_PATH_CREATE_FILE;
	if (oflags & W_OFLAG_TRUNC)
		need |= W_R_PATH_FILESTAT_SET_SIZE;
	err = dir(fs, q->in[0], need, &d);
	if (err)
		return err;
	if ((dirflags & ~(uint64_t)W_LOOKUP_SYMLINK_FOLLOW) || (oflags & ~(uint64_t)0xf) ||
	    (fdflags & ~(uint64_t)0x1f))
		return W_EINVAL;
	/* The sync flags would make every write wait for the disk, in the Deno
	 * process: not offered. */
	if (fdflags & (W_FDFLAG_DSYNC | W_FDFLAG_RSYNC | W_FDFLAG_SYNC))
		return W_ENOTSUP;
	err = gate__fs_path_copy(q->buf[0], q->len[0], path);
	if (err)
		return err;
	/* Rights the directory cannot pass on are dropped, as wasi-libc
	 * expects (it asks for a broad mask), except the ones that write:
	 * asking for them where they are not granted is refused. */
	if (q->in[3] & WRITE_RIGHTS & ~d->inheriting)
		return W_ENOTCAPABLE;
	if (d->read_only && (oflags & (W_OFLAG_CREAT | W_OFLAG_TRUNC) || fdflags & W_FDFLAG_APPEND))
		return W_ENOTCAPABLE;
	rights = q->in[3] & d->inheriting;
	inheriting = q->in[4] & d->inheriting;
	rd = rights & (W_R_FD_READ | W_R_FD_READDIR);
	wr = (rights & WRITE_RIGHTS) || (oflags & W_OFLAG_TRUNC) || (fdflags & W_FDFLAG_APPEND);
	/* A directory is never opened for writing on the host (EISDIR): its
	 * write rights are about the files in it. */
	if ((oflags & W_OFLAG_DIRECTORY) && !(oflags & W_OFLAG_TRUNC) &&
	    !(fdflags & W_FDFLAG_APPEND)) {
		rd = true;
		wr = false;
	}
	if (fs->open >= GATE__FS_MAX_FILES)
		return W_EMFILE;

	flags = dirflags & W_LOOKUP_SYMLINK_FOLLOW ? 0 : O_NOFOLLOW;
	if (oflags & W_OFLAG_DIRECTORY)
		flags |= O_DIRECTORY;
	if (!rd && !wr && !(oflags & W_OFLAG_CREAT)) {
		/* Neither read nor write: a handle for stat, times and paths. */
		flags |= O_PATH;
	} else {
		/* O_NONBLOCK: opening a FIFO or a device must not wait, nor must
		 * reading it later (docs/files.md). */
		flags |= (rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_NOCTTY;
		if (oflags & W_OFLAG_CREAT)
			flags |= O_CREAT;
		if (oflags & W_OFLAG_EXCL)
			flags |= O_EXCL;
		if (oflags & W_OFLAG_TRUNC)
			flags |= O_TRUNC;
		if (fdflags & W_FDFLAG_APPEND)
			flags |= O_APPEND;
	}
	fd = gate__fs_open_beneath(d->fd, path, flags, oflags & W_OFLAG_CREAT ? 0666 : 0);
	if (fd == -W_EISDIR && wr && !(oflags & (W_OFLAG_CREAT | W_OFLAG_TRUNC)) &&
	    !(fdflags & W_FDFLAG_APPEND)) {
		/* Asked for write rights, found a directory: as above. */
		flags = (flags & ~(uint64_t)O_ACCMODE) | O_RDONLY;
		rd = true;
		wr = false;
		fd = gate__fs_open_beneath(d->fd, path, flags, 0);
	}
	if (fd < 0)
		return (uint32_t)-fd;
	if (fstat(fd, &st) != 0) {
		err = werr();
		goto out_close;
	}
	if (S_ISLNK(st.st_mode)) {
		err = W_ELOOP; /* O_PATH | O_NOFOLLOW opened the link itself */
		goto out_close;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		err = W_ENOMEM;
		goto out_close;
	}
	f->fd = fd;
	f->filetype = gate__fs_filetype_mode(st.st_mode);
	f->read_only = d->read_only;
	f->fdflags = (uint16_t)fdflags;
	if (S_ISDIR(st.st_mode)) {
		f->rights = rights & W_R_DIR;
		f->inheriting = inheriting;
	} else {
		f->rights = rights & W_R_FILE;
		f->inheriting = 0;
	}
	if (!rd)
		f->rights &= ~(uint64_t)(W_R_FD_READ | W_R_FD_READDIR);
	if (!wr)
		f->rights &= ~(uint64_t)(W_R_FD_WRITE | W_R_FD_ALLOCATE);
	n = gate__fs_add(fs, f);
	if (n < 0) {
		free(f);
		err = (uint32_t)-n;
		goto out_close;
	}
	r->out = (uint64_t)n;
	return 0;

out_close:
	close(fd);
	return err;
}

/* Opens path beneath dirfd as O_PATH, following a final symlink only with
 * SYMLINK_FOLLOW in lookup. Returns a descriptor or a negated errno. */
static int lookup(struct gate__fs_file *d, const struct gate__fs_req *q, uint64_t lookupflags)
{
	char path[GATE__FS_PATH_MAX + 1];
	uint32_t err;

	if (lookupflags & ~(uint64_t)W_LOOKUP_SYMLINK_FOLLOW)
		return -W_EINVAL;
	err = gate__fs_path_copy(q->buf[0], q->len[0], path);
	if (err)
		return -(int)err;
	return gate__fs_open_beneath(
		d->fd, path, O_PATH | (lookupflags & W_LOOKUP_SYMLINK_FOLLOW ? 0 : O_NOFOLLOW), 0);
}

static uint32_t path_filestat_get(struct gate_fs *fs, const struct gate__fs_req *q,
				  struct gate__fs_res *r)
{
	struct gate__fs_file *d;
	uint32_t err = dir(fs, q->in[0], W_R_PATH_FILESTAT_GET, &d);
	int fd;

	if (err)
		return err;
	fd = lookup(d, q, q->in[1]);
	if (fd < 0)
		return (uint32_t)-fd;
	err = gate__fs_stat_fd(fd, r->data);
	r->data_len = 64;
	close(fd);
	return err;
}

static uint32_t path_filestat_set_times(struct gate_fs *fs, const struct gate__fs_req *q,
					struct gate__fs_res *r)
{
	struct gate__fs_file *d;
	uint32_t err = dir(fs, q->in[0], W_R_PATH_FILESTAT_SET_TIMES, &d);
	struct timespec ts[2];
	int fd;

	(void)r;
	if (err)
		return err;
	if (d->read_only)
		return W_ENOTCAPABLE;
	err = gate__fs_times(q->in[2], q->in[3], q->in[4], ts);
	if (err)
		return err;
	fd = lookup(d, q, q->in[1]);
	if (fd < 0)
		return (uint32_t)-fd;
	if (utimensat(fd, "", ts, AT_EMPTY_PATH) != 0)
		err = werr();
	close(fd);
	return err;
}

/* The parent of buffer i beneath the directory of scalar dirfd, for an op
 * that acts on the last component. Returns a descriptor or a negated errno. */
static int parent(struct gate_fs *fs, uint64_t dirfd, uint64_t rights, const struct gate__fs_req *q,
		  int i, struct gate__fs_path *p)
{
	struct gate__fs_file *d;
	uint32_t err = dir(fs, dirfd, rights, &d);

	if (err == 0 && d->read_only)
		err = W_ENOTCAPABLE;
	if (err == 0)
		err = gate__fs_path_split(q->buf[i], q->len[i], p);
	if (err)
		return -(int)err;
	return gate__fs_open_parent(d->fd, p);
}

static uint32_t path_create_directory(struct gate_fs *fs, const struct gate__fs_req *q,
				      struct gate__fs_res *r)
{
	struct gate__fs_path p;
	int fd = parent(fs, q->in[0], W_R_PATH_CREATE_DIRECTORY, q, 0, &p);
	uint32_t err = 0;

	(void)r;
	if (fd < 0)
		return (uint32_t)-fd;
	if (mkdirat(fd, p.last, 0777) != 0)
		err = werr();
	close(fd);
	return err;
}

/* "name/" names a directory: unlink_file refuses it (EISDIR if it is one,
 * else ENOTDIR), rename wants the source to be one. */
static uint32_t check_dir_slash(int fd, const struct gate__fs_path *p, bool unlink)
{
	struct stat st;

	if (!p->trailing_slash)
		return 0;
	if (fstatat(fd, p->last, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return werr();
	if (S_ISDIR(st.st_mode))
		return unlink ? W_EISDIR : 0;
	return W_ENOTDIR;
}

static uint32_t path_remove(struct gate_fs *fs, const struct gate__fs_req *q,
			    struct gate__fs_res *r)
{
	bool rmdir = q->op == GATE_FS_PATH_REMOVE_DIRECTORY;
	struct gate__fs_path p;
	int fd = parent(fs, q->in[0], rmdir ? W_R_PATH_REMOVE_DIRECTORY : W_R_PATH_UNLINK_FILE, q,
			0, &p);
	uint32_t err;

	(void)r;
	if (fd < 0)
		return (uint32_t)-fd;
	err = rmdir ? 0 : check_dir_slash(fd, &p, true);
	if (err == 0 && unlinkat(fd, p.last, rmdir ? AT_REMOVEDIR : 0) != 0)
		err = werr();
	close(fd);
	return err;
}

static uint32_t path_rename(struct gate_fs *fs, const struct gate__fs_req *q,
			    struct gate__fs_res *r)
{
	struct gate__fs_path *p = malloc(2 * sizeof(*p));
	int from, to;
	uint32_t err = 0;

	(void)r;
	if (p == NULL)
		return W_ENOMEM;
	from = parent(fs, q->in[0], W_R_PATH_RENAME_SOURCE, q, 0, &p[0]);
	if (from < 0) {
		err = (uint32_t)-from;
		goto out_free;
	}
	to = parent(fs, q->in[1], W_R_PATH_RENAME_TARGET, q, 1, &p[1]);
	if (to < 0) {
		err = (uint32_t)-to;
		goto out_close_from;
	}
	if (p[1].trailing_slash && !p[0].trailing_slash)
		p[0].trailing_slash = true;
	err = check_dir_slash(from, &p[0], false);
	if (err == 0 && renameat(from, p[0].last, to, p[1].last) != 0)
		err = werr();
	close(to);
out_close_from:
	close(from);
out_free:
	free(p);
	return err;
}

static uint32_t path_readlink(struct gate_fs *fs, const struct gate__fs_req *q,
			      struct gate__fs_res *r)
{
	struct gate__fs_file *d;
	uint32_t err = dir(fs, q->in[0], W_R_PATH_READLINK, &d);
	ssize_t n;
	int fd;

	if (err)
		return err;
	if (q->in[1] > r->data_cap)
		return W_EINVAL;
	fd = lookup(d, q, 0);
	if (fd < 0)
		return (uint32_t)-fd;
	/* The link's own descriptor (O_PATH | O_NOFOLLOW) and an empty path:
	 * no second lookup by name. Not a link: ENOENT from the kernel, EINVAL
	 * in POSIX. A target longer than max comes back cut, as WASI allows. */
	n = readlinkat(fd, "", (char *)r->data, q->in[1]);
	if (n < 0)
		err = errno == ENOENT ? W_EINVAL : werr();
	else
		r->data_len = (uint32_t)n;
	close(fd);
	return err;
}

/* A program may not create links: a hard link to a file it can reach only
 * through a read-only preopen would make it writable through a writable
 * one, and a symlink is a name other host programs may follow out of the
 * directory (docs/files.md). */
static uint32_t path_link(struct gate_fs *fs, const struct gate__fs_req *q,
			  struct gate__fs_res *r)
{
	(void)fs;
	(void)q;
	(void)r;
	return W_EPERM;
}

gate__fs_op_fn gate__fs_path_op(uint32_t op)
{
	switch (op) {
	case GATE_FS_PATH_OPEN:
		return path_open;
	case GATE_FS_PATH_FILESTAT_GET:
		return path_filestat_get;
	case GATE_FS_PATH_FILESTAT_SET_TIMES:
		return path_filestat_set_times;
	case GATE_FS_PATH_CREATE_DIRECTORY:
		return path_create_directory;
	case GATE_FS_PATH_REMOVE_DIRECTORY:
	case GATE_FS_PATH_UNLINK_FILE:
		return path_remove;
	case GATE_FS_PATH_RENAME:
		return path_rename;
	case GATE_FS_PATH_READLINK:
		return path_readlink;
	case GATE_FS_PATH_SYMLINK:
	case GATE_FS_PATH_LINK:
		return path_link;
	}
	return NULL;
}
