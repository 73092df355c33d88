/*
 * The fd_* operations of the FS server (docs/protocol.md, ops 1-20), with
 * WASI preview1 semantics. Each checks the descriptor, then its rights
 * (ENOTCAPABLE), then calls the kernel and maps its errno.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../executor/protocol.h"
#include "fs.h"

static uint32_t werr(void)
{
	return gate__fs_errno(errno);
}

/* The open descriptor fd with all of rights, or an errno. */
static uint32_t file(struct gate_fs *fs, uint64_t fd, uint64_t rights, struct gate__fs_file **out)
{
	struct gate__fs_file *f = gate__fs_get(fs, fd);

	if (f == NULL)
		return W_EBADF;
	if ((f->rights & rights) != rights)
		return W_ENOTCAPABLE;
	*out = f;
	return 0;
}

static uint32_t fd_close(struct gate_fs *fs, const struct gate__fs_req *q, struct gate__fs_res *r)
{
	(void)r;
	return gate__fs_close(fs, q->in[0]);
}

/* Data ops act on files: a directory is EISDIR before its rights are asked. */
static uint32_t data_file(struct gate_fs *fs, uint64_t fd, uint64_t rights,
			  struct gate__fs_file **out)
{
	struct gate__fs_file *f = gate__fs_get(fs, fd);

	if (f && f->filetype == W_FT_DIRECTORY)
		return W_EISDIR;
	return file(fs, fd, rights, out);
}

static uint32_t fd_read(struct gate_fs *fs, const struct gate__fs_req *q, struct gate__fs_res *r)
{
	bool positioned = q->op == GATE_FS_FD_PREAD;
	struct gate__fs_file *f;
	uint32_t err = data_file(fs, q->in[0], W_R_FD_READ | (positioned ? W_R_FD_SEEK : 0), &f);
	ssize_t n;

	if (err)
		return err;
	if (q->in[1] > r->data_cap || (positioned && q->in[2] > INT64_MAX))
		return W_EINVAL;
	do {
		n = positioned ? pread(f->fd, r->data, q->in[1], (off_t)q->in[2])
			       : read(f->fd, r->data, q->in[1]);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return werr();
	r->data_len = (uint32_t)n;
	return 0;
}

static uint32_t fd_write(struct gate_fs *fs, const struct gate__fs_req *q, struct gate__fs_res *r)
{
	bool positioned = q->op == GATE_FS_FD_PWRITE;
	struct gate__fs_file *f;
	uint32_t err = data_file(fs, q->in[0], W_R_FD_WRITE | (positioned ? W_R_FD_SEEK : 0), &f);
	ssize_t n;

	if (err)
		return err;
	if (f->read_only)
		return W_ENOTCAPABLE;
	if (positioned && q->in[1] > INT64_MAX)
		return W_EINVAL;
	do {
		n = positioned ? pwrite(f->fd, q->buf[0], q->len[0], (off_t)q->in[1])
			       : write(f->fd, q->buf[0], q->len[0]);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return werr();
	r->out = (uint64_t)n;
	return 0;
}

static uint32_t fd_seek(struct gate_fs *fs, const struct gate__fs_req *q, struct gate__fs_res *r)
{
	static const int whences[] = { SEEK_SET, SEEK_CUR, SEEK_END };
	int64_t offset = (int64_t)q->in[1];
	/* WASI: a seek that only asks where it is needs fd_tell alone. */
	uint64_t right = offset == 0 && q->in[2] == 1 ? W_R_FD_TELL : W_R_FD_SEEK;
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], right, &f);
	off_t pos;

	if (err)
		return err;
	if (q->in[2] > 2)
		return W_EINVAL;
	pos = lseek(f->fd, (off_t)offset, whences[q->in[2]]);
	if (pos < 0)
		return werr();
	r->out = (uint64_t)pos;
	return 0;
}

static uint32_t fd_tell(struct gate_fs *fs, const struct gate__fs_req *q, struct gate__fs_res *r)
{
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], W_R_FD_TELL, &f);
	off_t pos;

	if (err)
		return err;
	pos = lseek(f->fd, 0, SEEK_CUR);
	if (pos < 0)
		return werr();
	r->out = (uint64_t)pos;
	return 0;
}

static uint32_t fd_fdstat_get(struct gate_fs *fs, const struct gate__fs_req *q,
			      struct gate__fs_res *r)
{
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], 0, &f);

	if (err)
		return err;
	gate__fs_put_fdstat(r->data, f->filetype, f->fdflags, f->rights, f->inheriting);
	r->data_len = 24;
	return 0;
}

/* APPEND is a host flag; NONBLOCK is remembered (descriptors other than
 * regular files and directories are always non-blocking on the host, so a
 * program never blocks the Deno process); the sync flags are ENOTSUP. */
static uint32_t fd_fdstat_set_flags(struct gate_fs *fs, const struct gate__fs_req *q,
				    struct gate__fs_res *r)
{
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], W_R_FD_FDSTAT_SET_FLAGS, &f);
	uint64_t flags = q->in[1];
	int fl;

	(void)r;
	if (err)
		return err;
	if (flags & ~(uint64_t)0x1f)
		return W_EINVAL;
	if (flags & (W_FDFLAG_DSYNC | W_FDFLAG_RSYNC | W_FDFLAG_SYNC))
		return W_ENOTSUP;
	if ((flags & W_FDFLAG_APPEND) != (f->fdflags & W_FDFLAG_APPEND)) {
		if (f->read_only)
			return W_ENOTCAPABLE;
		fl = fcntl(f->fd, F_GETFL);
		if (fl < 0)
			return werr();
		fl = flags & W_FDFLAG_APPEND ? fl | O_APPEND : fl & ~O_APPEND;
		if (fcntl(f->fd, F_SETFL, fl) < 0)
			return werr();
	}
	f->fdflags = (uint16_t)flags;
	return 0;
}

static uint64_t ns(struct timespec t)
{
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint32_t gate__fs_stat_fd(int fd, uint8_t *data)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return werr();
	gate__fs_put_filestat(data, st.st_dev, st.st_ino, gate__fs_filetype_mode(st.st_mode),
			      st.st_nlink, (uint64_t)st.st_size, ns(st.st_atim), ns(st.st_mtim),
			      ns(st.st_ctim));
	return 0;
}

static uint32_t fd_filestat_get(struct gate_fs *fs, const struct gate__fs_req *q,
				struct gate__fs_res *r)
{
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], W_R_FD_FILESTAT_GET, &f);

	if (err)
		return err;
	err = gate__fs_stat_fd(f->fd, r->data);
	r->data_len = 64;
	return err;
}

static uint32_t fd_filestat_set_size(struct gate_fs *fs, const struct gate__fs_req *q,
				     struct gate__fs_res *r)
{
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], W_R_FD_FILESTAT_SET_SIZE, &f);

	(void)r;
	if (err)
		return err;
	if (f->read_only)
		return W_ENOTCAPABLE;
	if (q->in[1] > INT64_MAX)
		return W_EFBIG;
	if (ftruncate(f->fd, (off_t)q->in[1]) != 0)
		return werr();
	return 0;
}

uint32_t gate__fs_times(uint64_t atim, uint64_t mtim, uint64_t fst, struct timespec ts[2])
{
	uint64_t t[2] = { atim, mtim };

	if (fst & ~(uint64_t)0xf)
		return W_EINVAL;
	for (int i = 0; i < 2; i++) {
		uint64_t set = fst >> (2 * i) & 1, now = fst >> (2 * i) & 2;

		if (set && now)
			return W_EINVAL;
		if (now)
			ts[i] = (struct timespec){ .tv_nsec = UTIME_NOW };
		else if (set)
			ts[i] = (struct timespec){ .tv_sec = (time_t)(t[i] / 1000000000u),
						   .tv_nsec = (long)(t[i] % 1000000000u) };
		else
			ts[i] = (struct timespec){ .tv_nsec = UTIME_OMIT };
	}
	return 0;
}

static uint32_t fd_filestat_set_times(struct gate_fs *fs, const struct gate__fs_req *q,
				      struct gate__fs_res *r)
{
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], W_R_FD_FILESTAT_SET_TIMES, &f);
	struct timespec ts[2];

	(void)r;
	if (err)
		return err;
	if (f->read_only)
		return W_ENOTCAPABLE;
	err = gate__fs_times(q->in[1], q->in[2], q->in[3], ts);
	if (err)
		return err;
	/* AT_EMPTY_PATH: works on O_PATH descriptors too, unlike futimens. */
	if (utimensat(f->fd, "", ts, AT_EMPTY_PATH) != 0)
		return werr();
	return 0;
}

static uint32_t fd_prestat_get(struct gate_fs *fs, const struct gate__fs_req *q,
			       struct gate__fs_res *r)
{
	struct gate__fs_file *f = gate__fs_get(fs, q->in[0]);

	if (f == NULL || f->preopen == NULL)
		return W_EBADF;
	memset(r->data, 0, 8); /* tag 0: a directory */
	gate__put32(r->data + 4, (uint32_t)strlen(f->preopen));
	r->data_len = 8;
	return 0;
}

static uint32_t fd_prestat_dir_name(struct gate_fs *fs, const struct gate__fs_req *q,
				    struct gate__fs_res *r)
{
	struct gate__fs_file *f = gate__fs_get(fs, q->in[0]);
	size_t n;

	if (f == NULL || f->preopen == NULL)
		return W_EBADF;
	if (q->in[1] > r->data_cap)
		return W_EINVAL;
	n = strlen(f->preopen);
	if (n > q->in[1])
		return W_ENAMETOOLONG;
	memcpy(r->data, f->preopen, n);
	r->data_len = (uint32_t)n;
	return 0;
}

/*
 * fd_readdir: cookies are positions (0 the first entry, d_next = position
 * + 1). The host descriptor's offset is kept at the entry of f->dir_cookie,
 * so reading on from where the last call stopped costs no rewind; another
 * cookie rewinds and skips. The last entry may be cut short to fill the
 * buffer, as WASI allows: the program then asks again from its cookie.
 */
static uint32_t fd_readdir(struct gate_fs *fs, const struct gate__fs_req *q,
			   struct gate__fs_res *r)
{
	struct gate__fs_file *f = gate__fs_get(fs, q->in[0]);
	uint32_t err = f && f->filetype != W_FT_DIRECTORY ? W_ENOTDIR
							: file(fs, q->in[0], W_R_FD_READDIR, &f);
	uint64_t max = q->in[1], cookie = q->in[2], pos;
	_Alignas(8) uint8_t buf[4096];
	uint32_t used = 0;
	off_t last_off;

	if (err)
		return err;
	if (max > r->data_cap)
		return W_EINVAL;
	if (cookie < f->dir_cookie) {
		if (lseek(f->fd, 0, SEEK_SET) < 0)
			return werr();
		f->dir_cookie = 0;
	}
	pos = f->dir_cookie;
	last_off = lseek(f->fd, 0, SEEK_CUR);
	if (last_off < 0)
		return werr();
	while (used < max) {
		ssize_t n = getdents64(f->fd, buf, sizeof(buf));

		if (n < 0) {
			f->dir_cookie = 0;
			lseek(f->fd, 0, SEEK_SET);
			return werr();
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			size_t namlen = strlen(d->d_name);
			uint8_t head[24], type = gate__fs_filetype_dtype(d->d_type);
			size_t room = max - used, take;

			off += d->d_reclen;
			if (pos < cookie) {
				pos++;
				last_off = d->d_off;
				continue;
			}
			if (d->d_type == DT_UNKNOWN) {
				struct stat st;

				if (fstatat(f->fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
					type = gate__fs_filetype_mode(st.st_mode);
			}
			gate__fs_put_dirent(head, pos + 1, d->d_ino, (uint32_t)namlen, type);
			take = room < 24 ? room : 24;
			memcpy(r->data + used, head, take);
			if (room > 24) {
				size_t k = room - 24 < namlen ? room - 24 : namlen;

				memcpy(r->data + used + 24, d->d_name, k);
			}
			if (24 + namlen > room) {
				/* Cut short: leave the host offset at this entry. */
				used = (uint32_t)max;
				break;
			}
			used += (uint32_t)(24 + namlen);
			pos++;
			last_off = d->d_off;
			if (used == max)
				break;
		}
		if (used == max) {
			/* Stopped inside the batch: back to the first entry not
			 * wholly sent. */
			if (lseek(f->fd, last_off, SEEK_SET) < 0) {
				f->dir_cookie = 0;
				lseek(f->fd, 0, SEEK_SET);
				return werr();
			}
			break;
		}
		last_off = lseek(f->fd, 0, SEEK_CUR);
	}
	f->dir_cookie = pos;
	r->data_len = used;
	return 0;
}

static uint32_t fd_sync(struct gate_fs *fs, const struct gate__fs_req *q, struct gate__fs_res *r)
{
	bool data = q->op == GATE_FS_FD_DATASYNC;
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], data ? W_R_FD_DATASYNC : W_R_FD_SYNC, &f);

	(void)r;
	if (err)
		return err;
	if ((data ? fdatasync(f->fd) : fsync(f->fd)) != 0)
		return werr();
	return 0;
}

static uint32_t fd_advise(struct gate_fs *fs, const struct gate__fs_req *q,
			  struct gate__fs_res *r)
{
	static const int advice[] = {
		POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
		POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE,
	};
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], W_R_FD_ADVISE, &f);
	int e;

	(void)r;
	if (err)
		return err;
	if (q->in[3] > 5 || q->in[1] > INT64_MAX || q->in[2] > INT64_MAX)
		return W_EINVAL;
	if (f->filetype == W_FT_DIRECTORY)
		return W_EBADF;
	e = posix_fadvise(f->fd, (off_t)q->in[1], (off_t)q->in[2], advice[q->in[3]]);
	return e ? gate__fs_errno(e) : 0;
}

static uint32_t fd_allocate(struct gate_fs *fs, const struct gate__fs_req *q,
			    struct gate__fs_res *r)
{
	struct gate__fs_file *f;
	uint32_t err = file(fs, q->in[0], W_R_FD_ALLOCATE, &f);

	(void)r;
	if (err)
		return err;
	if (f->read_only)
		return W_ENOTCAPABLE;
	if (q->in[1] > INT64_MAX || q->in[2] > INT64_MAX - q->in[1])
		return W_EFBIG;
	if (q->in[2] == 0)
		return W_EINVAL;
	/* fallocate, not posix_fallocate: glibc's fallback writes zeros,
	 * which could take long on a huge length. */
	if (fallocate(f->fd, 0, (off_t)q->in[1], (off_t)q->in[2]) != 0)
		return werr();
	return 0;
}

static uint32_t fd_renumber(struct gate_fs *fs, const struct gate__fs_req *q,
			    struct gate__fs_res *r)
{
	(void)r;
	return gate__fs_renumber(fs, q->in[0], q->in[1]);
}

gate__fs_op_fn gate__fs_fd_op(uint32_t op)
{
	static const gate__fs_op_fn ops[] = {
		[GATE_FS_FD_CLOSE] = fd_close,
		[GATE_FS_FD_READ] = fd_read,
		[GATE_FS_FD_PREAD] = fd_read,
		[GATE_FS_FD_WRITE] = fd_write,
		[GATE_FS_FD_PWRITE] = fd_write,
		[GATE_FS_FD_SEEK] = fd_seek,
		[GATE_FS_FD_TELL] = fd_tell,
		[GATE_FS_FD_FDSTAT_GET] = fd_fdstat_get,
		[GATE_FS_FD_FDSTAT_SET_FLAGS] = fd_fdstat_set_flags,
		[GATE_FS_FD_FILESTAT_GET] = fd_filestat_get,
		[GATE_FS_FD_FILESTAT_SET_SIZE] = fd_filestat_set_size,
		[GATE_FS_FD_FILESTAT_SET_TIMES] = fd_filestat_set_times,
		[GATE_FS_FD_PRESTAT_GET] = fd_prestat_get,
		[GATE_FS_FD_PRESTAT_DIR_NAME] = fd_prestat_dir_name,
		[GATE_FS_FD_READDIR] = fd_readdir,
		[GATE_FS_FD_SYNC] = fd_sync,
		[GATE_FS_FD_DATASYNC] = fd_sync,
		[GATE_FS_FD_ADVISE] = fd_advise,
		[GATE_FS_FD_ALLOCATE] = fd_allocate,
		[GATE_FS_FD_RENUMBER] = fd_renumber,
	};

	return op < sizeof(ops) / sizeof(ops[0]) ? ops[op] : NULL;
}
