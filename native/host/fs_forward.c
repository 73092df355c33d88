/*
 * fd_* and path_* calls on descriptors Deno's FS side owns, as FS frames
 * (docs/protocol.md, "FS" op table): u32 op, scalars as u64, buffers as
 * u32 len + bytes; FS_REPLY: u32 errno, then (on success) scalars and the
 * output buffer. One FS frame at a time; the instance waits for its reply
 * without giving way to a suspend request (docs/abi.md). Pointers are
 * checked before anything is sent.
 */
#include "../executor/protocol.h"
#include "host.h"

#define SCRATCH (GATE_FRAME_MAX - GATE_FRAME_HEADER)

uint32_t gate__host_fs(struct gate__host *h, uint32_t op, const uint64_t *in, uint32_t nin,
		       const struct gate__fs_buf *bufs, uint32_t nbufs, uint64_t *out, uint32_t nout,
		       uint8_t *dst, uint32_t dstmax, uint32_t *dstlen)
{
	uint8_t *q = h->tx + GATE_FRAME_HEADER;
	size_t len = 4 + 8ull * nin;
	struct gate__reader r;
	uint32_t err;

	for (uint32_t i = 0; i < nbufs; i++)
		len += 4ull + bufs[i].len;
	if (len > SCRATCH)
		return W_ENAMETOOLONG;
	gate__put32(q, op);
	q += 4;
	for (uint32_t i = 0; i < nin; i++, q += 8)
		put64(q, in[i]);
	for (uint32_t i = 0; i < nbufs; i++) {
		gate__put32(q, bufs[i].len);
		memcpy(q + 4, bufs[i].p, bufs[i].len);
		q += 4 + bufs[i].len;
	}
	h->fs_wait = true;
	gate__host_send(h, GATE_MSG_FS, len);
	while (h->fs_wait)
		gate__host_wait(h, UINT64_MAX, false);

	r = gate__reader(h->fs_reply, h->fs_reply_len);
	err = gate__read32(&r);
	if (err != 0)
		return err > 0xffff ? W_EIO : err; /* the rest is ignored */
	for (uint32_t i = 0; i < nout; i++) {
		const uint8_t *p = gate__read(&r, 8);

		out[i] = p ? le64(p) : 0;
	}
	if (dst) {
		uint32_t n = gate__read32(&r);
		const uint8_t *p = gate__read(&r, n);

		if (p && n <= dstmax) {
			memcpy(dst, p, n);
			*dstlen = n;
		} else {
			r.ok = false;
		}
	}
	if (!r.ok || r.left != 0)
		gate__host_fatal(h, GATE_PROTOCOL);
	return 0;
}

/* Calls with fd and up to 4 more scalars and nothing out. */
static uint32_t simple(struct gate__host *h, uint32_t op, const uint64_t *in, uint32_t nin)
{
	return gate__host_fs(h, op, in, nin, NULL, 0, NULL, 0, NULL, 0, NULL);
}

uint32_t gate__fs_fd_close(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0) };

	return simple(h, GATE_FS_FD_CLOSE, in, 1);
}

uint32_t gate__fs_fd_sync(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0) };

	return simple(h, GATE_FS_FD_SYNC, in, 1);
}

uint32_t gate__fs_fd_datasync(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0) };

	return simple(h, GATE_FS_FD_DATASYNC, in, 1);
}

uint32_t gate__fs_fd_fdstat_set_flags(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), slots[1] & 0xffff };

	return simple(h, GATE_FS_FD_FDSTAT_SET_FLAGS, in, 2);
}

uint32_t gate__fs_fd_filestat_set_size(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), slots[1] };

	return simple(h, GATE_FS_FD_FILESTAT_SET_SIZE, in, 2);
}

uint32_t gate__fs_fd_filestat_set_times(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), slots[1], slots[2], slots[3] & 0xffff };

	return simple(h, GATE_FS_FD_FILESTAT_SET_TIMES, in, 4);
}

uint32_t gate__fs_fd_advise(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), slots[1], slots[2], slots[3] & 0xff };

	return simple(h, GATE_FS_FD_ADVISE, in, 4);
}

uint32_t gate__fs_fd_allocate(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), slots[1], slots[2] };

	return simple(h, GATE_FS_FD_ALLOCATE, in, 3);
}

uint32_t gate__fs_fd_renumber(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), arg32(slots, 1) };

	if (!host_fs_fd(h, arg32(slots, 1)))
		return arg32(slots, 1) < 3 || arg32(slots, 1) == h->gate_fd ? W_ENOTSUP : W_EBADF;
	return simple(h, GATE_FS_FD_RENUMBER, in, 2);
}

/* A fixed-size structure out (fdstat, filestat, prestat) at ptr. */
static uint32_t get_struct(struct gate__host *h, uint32_t op, const uint64_t *in, uint32_t nin,
			   const struct gate__fs_buf *bufs, uint32_t nbufs, uint32_t ptr,
			   uint32_t size)
{
	uint8_t *dst = host_mem(h, ptr, size), tmp[64];
	uint32_t n = 0, err;

	if (dst == NULL)
		return W_EFAULT;
	err = gate__host_fs(h, op, in, nin, bufs, nbufs, NULL, 0, tmp, size, &n);
	if (err)
		return err;
	if (n != size)
		return W_EIO;
	memcpy(dst, tmp, size);
	return 0;
}

uint32_t gate__fs_fd_fdstat_get(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0) };

	return get_struct(h, GATE_FS_FD_FDSTAT_GET, in, 1, NULL, 0, arg32(slots, 1), 24);
}

uint32_t gate__fs_fd_filestat_get(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0) };

	return get_struct(h, GATE_FS_FD_FILESTAT_GET, in, 1, NULL, 0, arg32(slots, 1), 64);
}

uint32_t gate__fs_fd_prestat_get(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0) };

	return get_struct(h, GATE_FS_FD_PRESTAT_GET, in, 1, NULL, 0, arg32(slots, 1), 8);
}

/* A scalar out (u64 at ptr, or u32 when four). */
static uint32_t get_scalar(struct gate__host *h, uint32_t op, const uint64_t *in, uint32_t nin,
			   const struct gate__fs_buf *bufs, uint32_t nbufs, uint32_t ptr,
			   uint32_t size)
{
	uint8_t *dst = host_mem(h, ptr, size);
	uint64_t v = 0;
	uint32_t err;

	if (dst == NULL)
		return W_EFAULT;
	err = gate__host_fs(h, op, in, nin, bufs, nbufs, &v, 1, NULL, 0, NULL);
	if (err)
		return err;
	if (size == 4)
		gate__put32(dst, (uint32_t)v);
	else
		put64(dst, v);
	return 0;
}

uint32_t gate__fs_fd_seek(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), slots[1], slots[2] & 0xff };

	return get_scalar(h, GATE_FS_FD_SEEK, in, 3, NULL, 0, arg32(slots, 3), 8);
}

uint32_t gate__fs_fd_tell(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0) };

	return get_scalar(h, GATE_FS_FD_TELL, in, 1, NULL, 0, arg32(slots, 1), 8);
}

/* A buffer out of at most max bytes at ptr; its length to used (if not 0). */
static uint32_t get_buffer(struct gate__host *h, uint32_t op, uint64_t *in, uint32_t nin,
			   uint32_t max_index, const struct gate__fs_buf *bufs, uint32_t nbufs,
			   uint32_t ptr, uint32_t max, int64_t used_ptr)
{
	uint8_t *dst = host_mem(h, ptr, max), *used = NULL;
	uint32_t n = 0, err;

	if (dst == NULL || (used_ptr >= 0 && (used = host_mem(h, (uint64_t)used_ptr, 4)) == NULL))
		return W_EFAULT;
	if (max > GATE_HOST_FS_DATA)
		max = GATE_HOST_FS_DATA;
	in[max_index] = max;
	err = gate__host_fs(h, op, in, nin, bufs, nbufs, NULL, 0, dst, max, &n);
	if (err)
		return err;
	if (used)
		gate__put32(used, n);
	return 0;
}

uint32_t gate__fs_fd_prestat_dir_name(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), 0 };

	return get_buffer(h, GATE_FS_FD_PRESTAT_DIR_NAME, in, 2, 1, NULL, 0, arg32(slots, 1),
			  arg32(slots, 2), -1);
}

/* Reads into iovecs (pread when offset != NULL): FS reads of at most
 * GATE_HOST_FS_DATA until the vectors are full or a read comes up short. */
static uint32_t read_iov(struct gate__host *h, const uint64_t *slots, const uint64_t *offset,
			 uint32_t nread_ptr)
{
	struct gate__iov v;
	uint8_t *nread = host_mem(h, nread_ptr, 4);
	uint64_t done = 0;
	uint32_t err = 0;

	if (gate__host_iov(h, arg32(slots, 1), arg32(slots, 2), &v) || nread == NULL)
		return W_EFAULT;
	if (v.total > UINT32_MAX)
		v.total = UINT32_MAX; /* nread is a u32 */
	do {
		uint64_t want = v.total - done < GATE_HOST_FS_DATA ? v.total - done : GATE_HOST_FS_DATA;
		uint64_t in[] = { arg32(slots, 0), want, offset ? *offset + done : 0 };
		uint32_t n = 0;

		err = gate__host_fs(h, offset ? GATE_FS_FD_PREAD : GATE_FS_FD_READ, in, offset ? 3 : 2,
				    NULL, 0, NULL, 0, h->scratch, (uint32_t)want, &n);
		if (err)
			break;
		/* scatter after skipping what earlier rounds filled */
		{
			const uint8_t *a = host_mem(h, v.iovs, 8ull * v.n);
			uint64_t skip = done, k = 0;

			for (uint32_t i = 0; i < v.n && k < n; i++) {
				uint32_t l = gate__le32(a + 8 * i + 4), c;
				uint8_t *d = host_mem(h, gate__le32(a + 8 * i), l);

				if (skip >= l) {
					skip -= l;
					continue;
				}
				c = (uint32_t)(l - skip < n - k ? l - skip : n - k);
				memcpy(d + skip, h->scratch + k, c);
				k += c;
				skip = 0;
			}
		}
		done += n;
		if (n < want)
			break;
	} while (done < v.total);
	if (err && done == 0)
		return err;
	gate__put32(nread, (uint32_t)done);
	return 0;
}

uint32_t gate__fs_fd_read(struct gate__host *h, const uint64_t *slots)
{
	return read_iov(h, slots, NULL, arg32(slots, 3));
}

uint32_t gate__fs_fd_pread(struct gate__host *h, const uint64_t *slots)
{
	return read_iov(h, slots, &slots[3], arg32(slots, 4));
}

/* Writes iovecs in FS writes of at most GATE_HOST_FS_DATA. */
static uint32_t write_iov(struct gate__host *h, const uint64_t *slots, const uint64_t *offset,
			  uint32_t nwritten_ptr)
{
	struct gate__iov v;
	uint8_t *nwritten = host_mem(h, nwritten_ptr, 4);
	uint64_t done = 0;
	uint32_t err = 0;

	if (gate__host_iov(h, arg32(slots, 1), arg32(slots, 2), &v) || nwritten == NULL)
		return W_EFAULT;
	if (v.total > UINT32_MAX)
		v.total = UINT32_MAX;
	do {
		uint64_t want = v.total - done < GATE_HOST_FS_DATA ? v.total - done : GATE_HOST_FS_DATA;
		uint64_t in[] = { arg32(slots, 0), offset ? *offset + done : 0 }, n = 0;
		struct gate__fs_buf b = { h->scratch, 0 };

		b.len = (uint32_t)gate__host_gather(h, &v, done, h->scratch, want);
		err = gate__host_fs(h, offset ? GATE_FS_FD_PWRITE : GATE_FS_FD_WRITE, in,
				    offset ? 2 : 1, &b, 1, &n, 1, NULL, 0, NULL);
		if (err)
			break;
		if (n > want)
			n = want;
		done += n;
		if (n < want)
			break;
	} while (done < v.total);
	if (err && done == 0)
		return err;
	gate__put32(nwritten, (uint32_t)done);
	return 0;
}

uint32_t gate__fs_fd_write(struct gate__host *h, const uint64_t *slots)
{
	return write_iov(h, slots, NULL, arg32(slots, 3));
}

uint32_t gate__fs_fd_pwrite(struct gate__host *h, const uint64_t *slots)
{
	return write_iov(h, slots, &slots[3], arg32(slots, 4));
}

/*
 * fd_readdir(fd, buf, len, cookie, bufused): FS reads of at most
 * GATE_HOST_FS_DATA bytes; when a full one does not fill buf, the next
 * starts at the d_next of its last whole entry, so a full buffer still
 * means "more entries" as WASI wants.
 */
uint32_t gate__fs_fd_readdir(struct gate__host *h, const uint64_t *slots)
{
	uint32_t len = arg32(slots, 2), done = 0, err;
	uint8_t *buf = host_mem(h, arg32(slots, 1), len), *used = host_mem(h, arg32(slots, 4), 4);
	uint64_t cookie = slots[3];

	if (buf == NULL || used == NULL)
		return W_EFAULT;
	for (;;) {
		uint32_t want = len - done < GATE_HOST_FS_DATA ? len - done : GATE_HOST_FS_DATA, n = 0;
		uint64_t in[] = { arg32(slots, 0), want, cookie };
		uint32_t whole = 0;

		err = gate__host_fs(h, GATE_FS_FD_READDIR, in, 3, NULL, 0, NULL, 0, buf + done, want,
				    &n);
		if (err) {
			if (done == 0)
				return err;
			break;
		}
		if (n < want || done + n == len) {
			done += n;
			break;
		}
		/* full, and buf has room for more: cut after the last whole entry */
		for (uint32_t off = 0; off + 24 <= n;) {
			uint64_t size = 24ull + gate__le32(buf + done + off + 16);

			if (off + size > n)
				break;
			cookie = le64(buf + done + off);
			off += (uint32_t)size;
			whole = off;
		}
		if (whole == 0) {
			done += n;
			break;
		}
		done += whole;
	}
	gate__put32(used, done);
	return 0;
}

static bool path_arg(struct gate__host *h, uint32_t ptr, uint32_t len, struct gate__fs_buf *b)
{
	b->p = host_mem(h, ptr, len);
	b->len = len;
	return b->p != NULL;
}

uint32_t gate__fs_path_open(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), arg32(slots, 1), slots[4] & 0xffff, slots[5], slots[6],
			  slots[7] & 0xffff };
	uint8_t *fdp = host_mem(h, arg32(slots, 8), 4);
	struct gate__fs_buf b;
	uint64_t fd = 0;
	uint32_t err;

	if (!path_arg(h, arg32(slots, 2), arg32(slots, 3), &b) || fdp == NULL)
		return W_EFAULT;
	err = gate__host_fs(h, GATE_FS_PATH_OPEN, in, 6, &b, 1, &fd, 1, NULL, 0, NULL);
	if (err)
		return err;
	if (fd < 3 || fd == h->gate_fd || fd > INT32_MAX)
		return W_EIO; /* the FS side must not hand out these (docs/abi.md) */
	gate__put32(fdp, (uint32_t)fd);
	return 0;
}

uint32_t gate__fs_path_filestat_get(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), arg32(slots, 1) };
	struct gate__fs_buf b;

	if (!path_arg(h, arg32(slots, 2), arg32(slots, 3), &b))
		return W_EFAULT;
	return get_struct(h, GATE_FS_PATH_FILESTAT_GET, in, 2, &b, 1, arg32(slots, 4), 64);
}

uint32_t gate__fs_path_filestat_set_times(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), arg32(slots, 1), slots[4], slots[5], slots[6] & 0xffff };
	struct gate__fs_buf b;

	if (!path_arg(h, arg32(slots, 2), arg32(slots, 3), &b))
		return W_EFAULT;
	return gate__host_fs(h, GATE_FS_PATH_FILESTAT_SET_TIMES, in, 5, &b, 1, NULL, 0, NULL, 0,
			     NULL);
}

static uint32_t path_simple(struct gate__host *h, uint32_t op, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0) };
	struct gate__fs_buf b;

	if (!path_arg(h, arg32(slots, 1), arg32(slots, 2), &b))
		return W_EFAULT;
	return gate__host_fs(h, op, in, 1, &b, 1, NULL, 0, NULL, 0, NULL);
}

uint32_t gate__fs_path_create_directory(struct gate__host *h, const uint64_t *slots)
{
	return path_simple(h, GATE_FS_PATH_CREATE_DIRECTORY, slots);
}

uint32_t gate__fs_path_remove_directory(struct gate__host *h, const uint64_t *slots)
{
	return path_simple(h, GATE_FS_PATH_REMOVE_DIRECTORY, slots);
}

uint32_t gate__fs_path_unlink_file(struct gate__host *h, const uint64_t *slots)
{
	return path_simple(h, GATE_FS_PATH_UNLINK_FILE, slots);
}

uint32_t gate__fs_path_rename(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), arg32(slots, 3) };
	struct gate__fs_buf b[2];

	if (!path_arg(h, arg32(slots, 1), arg32(slots, 2), &b[0]) ||
	    !path_arg(h, arg32(slots, 4), arg32(slots, 5), &b[1]))
		return W_EFAULT;
	if (!host_fs_fd(h, arg32(slots, 3)))
		return W_EBADF;
	return gate__host_fs(h, GATE_FS_PATH_RENAME, in, 2, b, 2, NULL, 0, NULL, 0, NULL);
}

uint32_t gate__fs_path_readlink(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), 0 };
	struct gate__fs_buf b;

	if (!path_arg(h, arg32(slots, 1), arg32(slots, 2), &b))
		return W_EFAULT;
	return get_buffer(h, GATE_FS_PATH_READLINK, in, 2, 1, &b, 1, arg32(slots, 3),
			  arg32(slots, 4), arg32(slots, 5));
}

/* path_symlink(old_path, old_len, fd, new_path, new_len): fd is slot 2. */
uint32_t gate__fs_path_symlink(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 2) };
	struct gate__fs_buf b[2];

	if (!path_arg(h, arg32(slots, 0), arg32(slots, 1), &b[0]) ||
	    !path_arg(h, arg32(slots, 3), arg32(slots, 4), &b[1]))
		return W_EFAULT;
	return gate__host_fs(h, GATE_FS_PATH_SYMLINK, in, 1, b, 2, NULL, 0, NULL, 0, NULL);
}

uint32_t gate__fs_path_link(struct gate__host *h, const uint64_t *slots)
{
	uint64_t in[] = { arg32(slots, 0), arg32(slots, 1), arg32(slots, 4) };
	struct gate__fs_buf b[2];

	if (!path_arg(h, arg32(slots, 2), arg32(slots, 3), &b[0]) ||
	    !path_arg(h, arg32(slots, 5), arg32(slots, 6), &b[1]))
		return W_EFAULT;
	if (!host_fs_fd(h, arg32(slots, 4)))
		return W_EBADF;
	return gate__host_fs(h, GATE_FS_PATH_LINK, in, 3, b, 2, NULL, 0, NULL, 0, NULL);
}
