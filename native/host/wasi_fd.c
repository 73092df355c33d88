/*
 * WASI descriptor calls. 0 stdin (PULL/INPUT on stream 1), 1 stdout (OUTPUT
 * stream 1), 2 stderr (OUTPUT stream 2 with DEBUG, else dropped), the Gate fd
 * (packets, stream 0) are served here; fd >= 3 other than the Gate fd go to
 * fs_forward.c when the FS flag is set, else EBADF. docs/abi.md has the table.
 */
#include "../executor/protocol.h"
#include "host.h"

enum kind { K_STDIN, K_STDOUT, K_STDERR, K_GATE, K_FS, K_BAD };

#define FILETYPE_CHARACTER_DEVICE 2
#define FILETYPE_SOCKET_STREAM 6
#define RIGHT_FD_READ (1ull << 1)
#define RIGHT_FD_WRITE (1ull << 6)
#define RIGHT_FD_FILESTAT_GET (1ull << 21)
#define RIGHT_POLL_FD_READWRITE (1ull << 27)

static enum kind kind_of(const struct gate__host *h, uint32_t fd)
{
	if (fd <= 2)
		return (enum kind)fd;
	if (fd == h->gate_fd)
		return K_GATE;
	return host_fs_fd(h, fd) ? K_FS : K_BAD;
}

/*
 * The filetype of stdio and the Gate fd. wasi-libc's isatty() holds for a
 * character device without seek rights, so stdio is one only when Deno says
 * it is a terminal (PROGRAM flags); otherwise, and for the Gate fd, it is a
 * socket stream, which is what node:wasi reports for a pipe.
 */
static uint8_t filetype(const struct gate__host *h, enum kind k)
{
	static const uint32_t tty[] = {
		[K_STDIN] = GATE_PROGRAM_STDIN_TTY,
		[K_STDOUT] = GATE_PROGRAM_STDOUT_TTY,
		[K_STDERR] = GATE_PROGRAM_STDERR_TTY,
	};

	return k <= K_STDERR && (h->flags & tty[k]) ? FILETYPE_CHARACTER_DEVICE
						    : FILETYPE_SOCKET_STREAM;
}

/* Forwarded or refused: the calls without a stdio/Gate fd meaning. */
#define FORWARD(name, fdslot, special)                                          \
	uint32_t gate__wasi_##name(struct gate__hostfunc *hf, uint64_t *slots)  \
	{                                                                        \
		struct gate__host *h = host_of(hf);                              \
		enum kind k = kind_of(h, arg32(slots, fdslot));                  \
                                                                                 \
		slots[0] = k == K_FS ? gate__fs_##name(h, slots) : k == K_BAD ? W_EBADF \
										: (special); \
		return 0;                                                        \
	}

FORWARD(fd_advise, 0, W_ENOTSUP)
FORWARD(fd_allocate, 0, W_ENOTSUP)
FORWARD(fd_close, 0, W_ENOTSUP)
FORWARD(fd_datasync, 0, W_ENOTSUP)
FORWARD(fd_fdstat_set_flags, 0, W_ENOTSUP)
FORWARD(fd_filestat_set_size, 0, W_ENOTSUP)
FORWARD(fd_filestat_set_times, 0, W_ENOTSUP)
FORWARD(fd_pread, 0, W_ESPIPE)
FORWARD(fd_prestat_get, 0, W_EBADF)
FORWARD(fd_prestat_dir_name, 0, W_EBADF)
FORWARD(fd_pwrite, 0, W_ESPIPE)
FORWARD(fd_readdir, 0, W_ENOTDIR)
FORWARD(fd_renumber, 0, W_ENOTSUP)
FORWARD(fd_seek, 0, W_ESPIPE)
FORWARD(fd_sync, 0, W_ENOTSUP)
FORWARD(fd_tell, 0, W_ESPIPE)
FORWARD(path_create_directory, 0, W_ENOTDIR)
FORWARD(path_filestat_get, 0, W_ENOTDIR)
FORWARD(path_filestat_set_times, 0, W_ENOTDIR)
FORWARD(path_link, 0, W_ENOTDIR)
FORWARD(path_open, 0, W_ENOTDIR)
FORWARD(path_readlink, 0, W_ENOTDIR)
FORWARD(path_remove_directory, 0, W_ENOTDIR)
FORWARD(path_rename, 0, W_ENOTDIR)
FORWARD(path_symlink, 2, W_ENOTDIR)
FORWARD(path_unlink_file, 0, W_ENOTDIR)

/* fd_fdstat_set_rights: no FS op; rights never widen, so it is refused. */
uint32_t gate__wasi_fd_fdstat_set_rights(struct gate__hostfunc *hf, uint64_t *slots)
{
	slots[0] = kind_of(host_of(hf), arg32(slots, 0)) == K_BAD ? W_EBADF : W_ENOTSUP;
	return 0;
}

uint32_t gate__wasi_fd_fdstat_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	static const uint64_t rights[] = {
		[K_STDIN] = RIGHT_FD_READ,
		[K_STDOUT] = RIGHT_FD_WRITE,
		[K_STDERR] = RIGHT_FD_WRITE,
		[K_GATE] = RIGHT_FD_READ | RIGHT_FD_WRITE,
	};
	struct gate__host *h = host_of(hf);
	enum kind k = kind_of(h, arg32(slots, 0));
	uint8_t *p;

	if (k == K_FS || k == K_BAD) {
		slots[0] = k == K_FS ? gate__fs_fd_fdstat_get(h, slots) : W_EBADF;
		return 0;
	}
	p = host_mem(h, arg32(slots, 1), 24);
	if (p == NULL) {
		slots[0] = W_EFAULT;
		return 0;
	}
	memset(p, 0, 24);
	p[0] = filetype(h, k);
	put64(p + 8, rights[k] | RIGHT_FD_FILESTAT_GET | RIGHT_POLL_FD_READWRITE);
	slots[0] = 0;
	return 0;
}

uint32_t gate__wasi_fd_filestat_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);
	enum kind k = kind_of(h, arg32(slots, 0));
	uint8_t *p;

	if (k == K_FS || k == K_BAD) {
		slots[0] = k == K_FS ? gate__fs_fd_filestat_get(h, slots) : W_EBADF;
		return 0;
	}
	p = host_mem(h, arg32(slots, 1), 64);
	if (p == NULL) {
		slots[0] = W_EFAULT;
		return 0;
	}
	memset(p, 0, 64);
	p[16] = filetype(h, k);
	put64(p + 24, 1); /* nlink */
	slots[0] = 0;
	return 0;
}

/*
 * stdout, stderr with DEBUG: waits for credit, then sends what fits and
 * returns that count. It never waits once it has sent anything: a write
 * larger than the credit is a short write (POSIX allows it; wasi-libc and
 * the usual write loops call again with the rest), so a suspension, which
 * can only end a wait, retries a call that sent nothing and no byte goes
 * out twice.
 */
static uint32_t write_stream(struct gate__host *h, uint8_t stream, const struct gate__iov *v,
			     uint64_t *n)
{
	uint64_t want = v->total > UINT32_MAX ? UINT32_MAX : v->total;
	uint32_t trap;

	*n = 0;
	if (want == 0)
		return 0;
	gate__host_pump(h);
	while (gate__host_credit(h) == 0) {
		trap = gate__host_wait(h, UINT64_MAX, true);
		if (trap)
			return trap;
	}
	if (want > gate__host_credit(h))
		want = gate__host_credit(h);
	*n = gate__host_output_iov(h, stream, v, want);
	return 0;
}

uint32_t gate__wasi_fd_write(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);
	enum kind k = kind_of(h, arg32(slots, 0));
	struct gate__iov v;
	uint8_t *nw;
	uint64_t n = 0;
	uint32_t trap = 0;

	if (k == K_FS || k == K_BAD || k == K_STDIN) {
		slots[0] = k == K_FS ? gate__fs_fd_write(h, slots) : W_EBADF;
		return 0;
	}
	nw = host_mem(h, arg32(slots, 3), 4);
	if (gate__host_iov(h, arg32(slots, 1), arg32(slots, 2), &v) || nw == NULL) {
		slots[0] = W_EFAULT;
		return 0;
	}
	switch (k) {
	case K_STDOUT:
		trap = write_stream(h, GATE_STREAM_STDIO, &v, &n);
		break;
	case K_STDERR:
		if (h->flags & GATE_PROGRAM_DEBUG)
			trap = write_stream(h, GATE_STREAM_DEBUG, &v, &n);
		else
			n = v.total > UINT32_MAX ? UINT32_MAX : v.total;
		break;
	default:
		n = gate__host_packets_send(h, &v, &trap);
		if (!trap && n == 0 && v.total > 0) {
			slots[0] = W_EAGAIN;
			return 0;
		}
	}
	if (trap)
		return trap;
	gate__put32(nw, (uint32_t)n);
	slots[0] = 0;
	return 0;
}

uint32_t gate__wasi_fd_read(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);
	enum kind k = kind_of(h, arg32(slots, 0));
	struct gate__inbuf *b = &h->in[GATE_STREAM_STDIO];
	struct gate__iov v;
	uint8_t *nr;
	uint64_t n = 0;

	if (k == K_FS || k == K_BAD || k == K_STDOUT || k == K_STDERR) {
		slots[0] = k == K_FS ? gate__fs_fd_read(h, slots) : W_EBADF;
		return 0;
	}
	nr = host_mem(h, arg32(slots, 3), 4);
	if (gate__host_iov(h, arg32(slots, 1), arg32(slots, 2), &v) || nr == NULL) {
		slots[0] = W_EFAULT;
		return 0;
	}
	if (k == K_GATE) {
		n = gate__host_packets_recv(h, &v);
		if (n == 0 && v.total > 0) {
			slots[0] = W_EAGAIN;
			return 0;
		}
	} else if (v.total > 0) {
		gate__host_pump(h);
		while (b->head == b->len && !b->eof) {
			uint32_t trap;

			gate__host_pull(h, GATE_STREAM_STDIO);
			trap = gate__host_wait(h, UINT64_MAX, true);
			if (trap)
				return trap;
		}
		n = gate__host_scatter(h, &v, b->data + b->head, b->len - b->head);
		b->head += (uint32_t)n;
	}
	gate__put32(nr, (uint32_t)n);
	slots[0] = 0;
	return 0;
}
