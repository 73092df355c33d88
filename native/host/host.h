/*
 * The host modules of a program: `gate` and `wasi_snapshot_preview1`
 * (docs/abi.md), bound by name when the instance process serves PROGRAM
 * (docs/protocol.md, "Programs (protocol 3)").
 *
 *   program.c     PROGRAM: host config, import resolution, instantiation
 *   channel.c     frames to and from Deno while a program runs, waits, credit
 *   gate_abi.c    gate.io_N, gate.fd_N, packet I/O on the Gate fd
 *   wasi_env.c    args, environ, clocks, random, proc_exit, sched_yield
 *   wasi_fd.c     fd_* on stdio and the Gate fd, and dispatch of the rest
 *   wasi_poll.c   poll_oneoff
 *   fs_forward.c  fd_* and path_* on other descriptors as FS frames
 *   chacha20.c    random_get's stream (RFC 8439)
 *
 * Everything runs on the instance process's one thread, inside host
 * functions called from wasm (or, for late INPUT and ACK frames, from the
 * request loop between invokes). Host functions return a trap kind (0: none)
 * and their results in slots[0].
 *
 * A host function that waits (gate__host_wait, interruptible) returns
 * GATE_TRAP_SUSPENDED when a suspend request ends the wait, and the import
 * is called again from the start when the program resumes, with the
 * arguments the runtime reads back from slots (native/rt/suspend.c). So
 * before its last interruptible wait it must change nothing the program
 * can see: not slots (slots[0] is the first argument until it returns),
 * not linear memory, not the bytes a stream has taken (a write that has
 * sent anything returns its short count instead of waiting again). It may
 * send PULL (a request for input the next call finds buffered).
 */
#ifndef GATE_HOST_HOST_H
#define GATE_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../compile/vmctx.h"
#include "../executor/protocol.h"
#include "../rt/rt_internal.h"
#include "../snapshot/host_state.h"

/* WASI errno values (preview1). */
enum {
	W_ESUCCESS = 0,
	W_EAGAIN = 6,
	W_EBADF = 8,
	W_EFAULT = 21,
	W_EINVAL = 28,
	W_EIO = 29,
	W_ENAMETOOLONG = 37,
	W_ENOSYS = 52,
	W_ENOTDIR = 54,
	W_ENOTSUP = 58,
	W_ESPIPE = 70,
};

#define GATE_HOST_MAX_PACKET 65536u /* GATE_MAX_SEND_SIZE, GATE_MAX_RECV_SIZE */
#define GATE_HOST_FS_DATA 60000u    /* FS data buffers (docs/protocol.md) */

/* ChaCha20 (RFC 8439): a keystream of 64-byte blocks. */
struct gate__chacha20 {
	uint32_t key[8], nonce[3], counter;
	uint8_t block[64];
	uint32_t used; /* bytes of block already served; 64: none left */
};

void gate__chacha20_init(struct gate__chacha20 *c, const uint8_t key[32], const uint8_t nonce[12],
			 uint32_t counter);
/* One block of the keystream for (key, counter, nonce) into out. */
void gate__chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
			  uint8_t out[64]);
/* The next n bytes of the stream. */
void gate__chacha20_stream(struct gate__chacha20 *c, uint8_t *out, size_t n);

/* Received stream data (INPUT), read by the program in order. */
struct gate__inbuf {
	uint8_t *data; /* GATE_STREAM_CHUNK bytes */
	uint32_t head, len;
	bool pulled; /* a PULL is outstanding */
	bool eof;    /* stdio: a 0-byte INPUT came (sticky) */
};

/* The outgoing packet stream's boundaries, checked as bytes pass. */
struct gate__packets {
	uint32_t skip; /* bytes left of the current packet (padding included) */
	uint32_t have; /* header bytes collected */
	uint8_t hdr[8];
};

struct gate__host {
	struct gate__store *store;
	uint32_t instance; /* the program's instance (store index) */
	struct gate__rt_memory *mem;

	/* config */
	uint32_t flags, npreopens, gate_fd;
	uint64_t resolution, monotonic;
	uint64_t start_ns; /* host CLOCK_MONOTONIC at PROGRAM */
	uint32_t nargs, nenv;
	const char **args, **env; /* NUL-terminated, in strings */
	uint32_t args_size, env_size; /* bytes with NULs */
	char *strings;

	bool started; /* flags bit 0 pending for gate.io (after PROGRAM: a start or a resume) */
	bool resumed; /* PROGRAM flag RESUMED: the image is a snapshot */
	struct gate__chacha20 random;
	struct gate__packets packets;
	/* A suspension interrupted this import's timed wait (enum
	 * gate_host_wait), which began at wait_start on the program's clock:
	 * the retry keeps its deadline (suspend_state.c). */
	uint8_t wait_call;
	uint64_t wait_start;

	/* the channel */
	int fd;
	uint32_t chan_instance, seq; /* of the request being served */
	uint32_t unacked;            /* OUTPUT bytes not yet ACKed */
	struct gate__inbuf in[2];    /* GATE_STREAM_PACKETS, GATE_STREAM_STDIO */
	bool fs_wait;                /* an FS frame waits for its FS_REPLY */
	uint32_t fs_reply_len;
	uint8_t *fs_reply; /* FS_REPLY payload */
	uint8_t *rx, *tx;  /* one frame each */
	uint8_t *scratch;  /* a frame's worth, for gathering */
	void (*fatal)(int status); /* default _exit; tests replace it */
	uint32_t host_funcs[64];   /* store addresses by table index, 0: not made */
};

/* program.c */
/*
 * Serves PROGRAM: parses the host config (payload after the u32 image),
 * resolves the image's imports, instantiates (GATE_TRAP with trap filled
 * when the start function trapped). Once instantiation was attempted *out is
 * set, whatever the status: the store holds host functions bound to it, so
 * the caller keeps it as long as the store and frees it after the store
 * (gate__host_free). Before that (config or import errors) *out is NULL.
 */
int gate__host_program(struct gate__store *store, int fd, uint32_t chan_instance, uint32_t seq,
		       uint32_t image, const uint8_t *config, size_t len, struct gate__host **out,
		       uint32_t *instance, struct gate__trap *trap, char *err, size_t err_len);
void gate__host_free(struct gate__host *h);

/* The import table: name (module-qualified, after aliasing), type, C call. */
struct gate__host_import {
	const char *module, *name;
	const char *params; /* 'i' i32, 'I' i64 */
	char result;        /* 'i' or 0 */
	gate__host_call call;
};

/* channel.c */
/* Before an invoke: replies and unsolicited frames carry this seq. */
void gate__host_serving(struct gate__host *h, uint32_t instance, uint32_t seq);
/* A frame received by the request loop: INPUT, ACK and FS_REPLY are taken
 * (true); anything else is the loop's (false). Malformed: h->fatal. */
bool gate__host_frame(struct gate__host *h, const uint8_t *frame, size_t len, int fd);
/* Ends the process (h->fatal first, for tests). */
void gate__host_fatal(struct gate__host *h, int status) __attribute__((noreturn));
/* Host monotonic nanoseconds. */
uint64_t gate__host_now(void);
/* Waits for the channel until a frame was handled or deadline (host
 * monotonic ns, UINT64_MAX: none) passed; handles all frames that are ready.
 * Returns a trap kind: GATE_TRAP_SUSPENDED when a signal ended the wait and
 * the store's suspend flag is set (if interruptible). */
uint32_t gate__host_wait(struct gate__host *h, uint64_t deadline, bool interruptible);
/* Makes a wait that is about to block return at once (its ppoll timeout
 * becomes zero), so that it sees a suspend request set just before.
 * Async-signal-safe: for the instance's signal handler. */
void gate__host_interrupt_wait(void);
/* The program's monotonic clock now, in ns, before rounding: the config's
 * monotonic plus the host time since PROGRAM. */
uint64_t gate__host_monotonic(const struct gate__host *h);
/* Handles the frames already queued, without waiting. */
void gate__host_pump(struct gate__host *h);
/* OUTPUT credit left. */
uint32_t gate__host_credit(const struct gate__host *h);
/* Sends a PULL on stream (0 or 1) unless one is outstanding or data waits. */
void gate__host_pull(struct gate__host *h, uint8_t stream);
/* Sends a frame of payload tx[16..16+len) with type. */
void gate__host_send(struct gate__host *h, uint16_t type, size_t len);

/* suspend_state.c: what a suspended program's host keeps (host_state.h) */
/* The host state to save; input points into h's buffer. */
void gate__host_save(const struct gate__host *h, struct gate_host_state *out);
/* Restores a saved state before the program resumes; NULL, or what is wrong. */
const char *gate__host_load(struct gate__host *h, const struct gate_host_state *s);
/* The start (host monotonic ns) of a call of import `call` (enum
 * gate_host_wait) that may wait with a deadline: now, or for the retry of a
 * call a suspension interrupted, the interrupted call's start. */
uint64_t gate__host_call_start(struct gate__host *h, uint8_t call);
/* A suspension ended the wait of a call that began at start: remembered for
 * its retry. */
void gate__host_call_interrupted(struct gate__host *h, uint8_t call, uint64_t start);

/* gate_abi.c */
uint32_t gate__host_gate_io(struct gate__hostfunc *hf, uint64_t *slots);
uint32_t gate__host_gate_fd(struct gate__hostfunc *hf, uint64_t *slots);
/* Checks the outgoing packet stream's next n bytes; true if they are
 * well-formed; commits the new state only if commit. */
bool gate__host_packets_check(struct gate__packets *pk, const uint8_t *p, size_t n, bool commit);

/* Scatter/gather over program iovecs ({u32 ptr, u32 len}). */
struct gate__iov {
	uint32_t iovs, n; /* the array */
	uint64_t total;   /* sum of lengths */
};
/* Checks the array and every buffer; W_EFAULT or 0. */
uint32_t gate__host_iov(struct gate__host *h, uint32_t iovs, uint32_t n, struct gate__iov *out);
/* Copies from the iovecs (gather) into dst, up to n bytes; returns bytes. */
size_t gate__host_gather(struct gate__host *h, const struct gate__iov *v, uint64_t skip,
			 uint8_t *dst, size_t n);
/* Copies src into the iovecs (scatter); returns bytes. */
size_t gate__host_scatter(struct gate__host *h, const struct gate__iov *v, const uint8_t *src,
			  size_t n);
/* Packet I/O for fd_read/fd_write on the Gate fd and gate.io: moves data
 * without waiting; returns bytes, or a trap kind in *trap. */
uint64_t gate__host_packets_send(struct gate__host *h, const struct gate__iov *v, uint32_t *trap);
uint64_t gate__host_packets_recv(struct gate__host *h, const struct gate__iov *v);

/* Sends up to n bytes gathered from v (after skip) as OUTPUT on stream;
 * n <= credit. Returns bytes sent. */
uint64_t gate__host_output_iov(struct gate__host *h, uint8_t stream, const struct gate__iov *v,
			       uint64_t n);

/* wasi_env.c: clock id -> ns rounded down to the resolution; false for an
 * unknown id. */
bool gate__host_clock(struct gate__host *h, uint32_t id, uint64_t *out);

/* fs_forward.c: FS frames (docs/protocol.md, the op table). Each returns a
 * WASI errno; FS waits are not interrupted by a suspend request. */
struct gate__fs_buf {
	const uint8_t *p;
	uint32_t len;
};
uint32_t gate__host_fs(struct gate__host *h, uint32_t op, const uint64_t *in, uint32_t nin,
		       const struct gate__fs_buf *bufs, uint32_t nbufs, uint64_t *out, uint32_t nout,
		       uint8_t *dst, uint32_t dstmax, uint32_t *dstlen);
#define GATE__FS_FUNCS(X)                                                                   \
	X(fd_advise) X(fd_allocate) X(fd_close) X(fd_datasync) X(fd_fdstat_get)            \
	X(fd_fdstat_set_flags) X(fd_filestat_get) X(fd_filestat_set_size)                   \
	X(fd_filestat_set_times) X(fd_pread) X(fd_prestat_get) X(fd_prestat_dir_name)       \
	X(fd_pwrite) X(fd_read) X(fd_readdir) X(fd_renumber) X(fd_seek) X(fd_sync) X(fd_tell) \
	X(fd_write) X(path_create_directory) X(path_filestat_get) X(path_filestat_set_times) \
	X(path_link) X(path_open) X(path_readlink) X(path_remove_directory) X(path_rename)    \
	X(path_symlink) X(path_unlink_file)
#define GATE__FS_DECL(name) uint32_t gate__fs_##name(struct gate__host *h, const uint64_t *slots);
GATE__FS_FUNCS(GATE__FS_DECL)
#undef GATE__FS_DECL
/* Whether fd is forwarded (FS flag, fd >= 3, not the Gate fd). */
static inline bool host_fs_fd(const struct gate__host *h, uint32_t fd)
{
	return (h->flags & 0x2) && fd >= 3 && fd != h->gate_fd;
}

/* wasi_*.c: the WASI functions, in the import table (program.c). */
#define GATE__WASI_FUNCS(X)                                                           \
	X(args_get, "ii", 'i') X(args_sizes_get, "ii", 'i') X(environ_get, "ii", 'i')   \
	X(environ_sizes_get, "ii", 'i') X(clock_res_get, "ii", 'i')                     \
	X(clock_time_get, "iIi", 'i') X(fd_advise, "iIIi", 'i') X(fd_allocate, "iII", 'i') \
	X(fd_close, "i", 'i') X(fd_datasync, "i", 'i') X(fd_fdstat_get, "ii", 'i')       \
	X(fd_fdstat_set_flags, "ii", 'i') X(fd_fdstat_set_rights, "iII", 'i')           \
	X(fd_filestat_get, "ii", 'i') X(fd_filestat_set_size, "iI", 'i')                \
	X(fd_filestat_set_times, "iIIi", 'i') X(fd_pread, "iiiIi", 'i')                 \
	X(fd_prestat_get, "ii", 'i') X(fd_prestat_dir_name, "iii", 'i')                 \
	X(fd_pwrite, "iiiIi", 'i') X(fd_read, "iiii", 'i') X(fd_readdir, "iiiIi", 'i')  \
	X(fd_renumber, "ii", 'i') X(fd_seek, "iIii", 'i') X(fd_sync, "i", 'i')          \
	X(fd_tell, "ii", 'i') X(fd_write, "iiii", 'i')                                   \
	X(path_create_directory, "iii", 'i') X(path_filestat_get, "iiiii", 'i')         \
	X(path_filestat_set_times, "iiiiIIi", 'i') X(path_link, "iiiiiii", 'i')         \
	X(path_open, "iiiiiIIii", 'i') X(path_readlink, "iiiiii", 'i')                  \
	X(path_remove_directory, "iii", 'i') X(path_rename, "iiiiii", 'i')              \
	X(path_symlink, "iiiii", 'i') X(path_unlink_file, "iii", 'i')                   \
	X(poll_oneoff, "iiii", 'i') X(proc_exit, "i", 0) X(proc_raise, "i", 'i')        \
	X(sched_yield, "", 'i') X(random_get, "ii", 'i') X(sock_accept, "iii", 'i')     \
	X(sock_recv, "iiiiii", 'i') X(sock_send, "iiiii", 'i') X(sock_shutdown, "ii", 'i')

#define GATE__WASI_DECL(name, params, result) \
	uint32_t gate__wasi_##name(struct gate__hostfunc *hf, uint64_t *slots);
GATE__WASI_FUNCS(GATE__WASI_DECL)
#undef GATE__WASI_DECL

/* Pointers into linear memory. */
static inline struct gate__host *host_of(struct gate__hostfunc *hf)
{
	return hf->ctx;
}

static inline uint64_t host_mem_size(struct gate__host *h)
{
	if (h->mem == NULL)
		h->mem = gate__store_memory(h->store, h->instance, 0);
	return h->mem ? (uint64_t)h->mem->pages * GATE__PAGE_SIZE : 0;
}

/* [ptr, ptr + len) inside memory 0, or NULL (ptr and len: 32 or 64 bits,
 * the sum computed without overflow). A zero-length range at the end is
 * valid. */
static inline uint8_t *host_mem(struct gate__host *h, uint64_t ptr, uint64_t len)
{
	uint64_t size = host_mem_size(h);

	if (h->mem == NULL || ptr > size || len > size - ptr)
		return NULL;
	return h->mem->base + ptr;
}

static inline uint32_t arg32(const uint64_t *slots, int i)
{
	return (uint32_t)slots[i];
}

static inline void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

#endif
