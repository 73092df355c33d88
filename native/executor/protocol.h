/*
 * The executor protocol: frames between the Deno side (libgate), the
 * executor and instance processes. docs/protocol.md describes it; the TS
 * mirror is ffi/_protocol.ts. Change all three together and bump
 * GATE_PROTOCOL_VERSION.
 *
 * Every channel is an AF_UNIX SOCK_SEQPACKET socket, so one datagram is one
 * frame and a file descriptor (SCM_RIGHTS) travels with exactly one frame.
 * A frame is a 16-byte header followed by a payload; all integers are
 * little-endian. Everything read from a channel is bounds-checked: the
 * readers below never read past the end of a frame.
 */
#ifndef GATE_EXECUTOR_PROTOCOL_H
#define GATE_EXECUTOR_PROTOCOL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GATE_PROTOCOL_VERSION 4

/* The largest frame, header included: fits a default AF_UNIX send buffer
 * (about 208 KiB) with room to spare, and far more than any request needs
 * (an invoke with 1,000 arguments is 17 KiB). */
#define GATE_FRAME_MAX 65536
#define GATE_FRAME_HEADER 16

/* The instance channel is this descriptor in an instance process. */
#define GATE_INSTANCE_FD 3
/* The control channel is this descriptor in the executor. */
#define GATE_CONTROL_FD 3

/* Frame header flags. */
/* A LOAD's memfd must be sealed like this (checked by the executor), so its
 * size and contents cannot change while the instance copies it. */
#define GATE_IMAGE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

#define GATE_FRAME_FD 0x0001 /* a descriptor travels with this frame */

/*
 * Frame types. 0x00xx: between the Deno side and the executor. 0x01xx:
 * requests to an instance process, which the executor forwards unchanged;
 * 0x018x: replies of an instance process.
 */
enum gate_msg {
	GATE_MSG_HELLO = 0x0001,   /* E->D: u32 version, u32 abi, i32 pid */
	GATE_MSG_SPAWN = 0x0002,   /* D->E: start instance process `instance` */
	GATE_MSG_SPAWNED = 0x0003, /* E->D: i32 pid */
	GATE_MSG_KILL = 0x0004,    /* D->E: SIGKILL to the instance process; EXIT follows */
	GATE_MSG_CLOSE = 0x0005,   /* D->E: close its channel; it exits; EXIT follows */
	GATE_MSG_EXIT = 0x0006,    /* E->D: u32 how (enum gate_exit), i32 code or signal */
	GATE_MSG_ERROR = 0x0007,   /* E|I->D: i32 status (errors.def), UTF-8 message */
	GATE_MSG_SUSPEND = 0x0008, /* D->E: SIGUSR1 to the instance process; no reply */

	GATE_MSG_LOAD = 0x0101,        /* fd: sealed memfd of an image -> OK u32 image */
	GATE_MSG_INSTANTIATE = 0x0102, /* u32 image, u32 n, n x extern -> OK u32 instance | TRAP */
	GATE_MSG_SPECTEST = 0x0103,    /* -> OK u32 instance */
	GATE_MSG_EXPORT = 0x0104,      /* u32 instance, name -> OK extern [, functype] */
	GATE_MSG_INVOKE = 0x0105,      /* u32 func, u32 n, n x value -> OK u32 n, values | TRAP */
	GATE_MSG_GLOBAL_GET = 0x0106,  /* u32 global -> OK value */
	GATE_MSG_PROGRAM = 0x0107,     /* u32 image, host config -> OK u32 instance | TRAP */
	GATE_MSG_INPUT = 0x0108,       /* answers a PULL: u8 stream, 3 zero, bytes */
	GATE_MSG_ACK = 0x0109,         /* u32 bytes of OUTPUT data consumed (credit back) */
	GATE_MSG_FS_REPLY = 0x010a,    /* answers FS: u32 errno, results */
	GATE_MSG_STATE = 0x010b,       /* -> STATE_DATA*, OK u64 bytes (state wire) */
	GATE_MSG_RESUME = 0x010c,      /* fd: sealed memfd of a gate.stack payload -> as INVOKE */
	GATE_MSG_RESTORE = 0x010d,     /* fd: sealed memfd of memory runs -> OK */
	GATE_MSG_PROBE = 0x017f,       /* test builds only (docs/sandbox.md) */

	GATE_MSG_OK = 0x0180,   /* I->D: reply payload as above */
	GATE_MSG_TRAP = 0x0181, /* I->D: u32 kind, u32 n, n x frame (u32 func, offset, module), u32 code */
	/* Unsolicited, while a program runs (seq: the request being served). */
	GATE_MSG_OUTPUT = 0x0182, /* I->D: u8 stream, 3 zero, bytes; credit-limited */
	GATE_MSG_PULL = 0x0183,   /* I->D: u8 stream, 3 zero, u32 max: asks for one INPUT */
	GATE_MSG_FS = 0x0184,     /* I->D: u32 op, args (docs/protocol.md) -> FS_REPLY */
	/* Unsolicited, while a STATE is served (seq: the STATE's). */
	GATE_MSG_STATE_DATA = 0x0185, /* I->D: 1..GATE_STATE_CHUNK bytes of the state wire */
};

#define GATE_MSG_INSTANCE_FIRST 0x0100 /* forwarded request types */
#define GATE_MSG_INSTANCE_LAST 0x017f
#define GATE_MSG_REPLY_FIRST 0x0180 /* replies an instance may send (and ERROR) */
#define GATE_MSG_REPLY_LAST 0x0185

/* Streams of OUTPUT, PULL and INPUT frames. */
enum gate_stream {
	GATE_STREAM_PACKETS = 0, /* the Gate packet stream (gate.io, the Gate fd) */
	GATE_STREAM_STDIO = 1,   /* WASI stdin (INPUT, PULL) and stdout (OUTPUT) */
	GATE_STREAM_DEBUG = 2,   /* WASI stderr: the debug log (OUTPUT only) */
};

/* OUTPUT data an instance may have sent and not yet had ACKed, all streams
 * together; a writing import waits for ACK beyond it. */
#define GATE_OUTPUT_WINDOW (256u * 1024)
/* The most data one OUTPUT, INPUT or PULL frame carries or asks for. */
#define GATE_STREAM_CHUNK (GATE_FRAME_MAX - GATE_FRAME_HEADER - 4)

/* PROGRAM flags. */
#define GATE_PROGRAM_DEBUG 0x1 /* send stderr as OUTPUT on GATE_STREAM_DEBUG; else drop it */
#define GATE_PROGRAM_FS 0x2    /* forward fd >= 3 (but the Gate fd) calls as FS frames */
/* fd 0, 1, 2 is a terminal: fdstat says character device without seek rights
 * (isatty() holds); without the bit, a socket stream, as node:wasi says of a pipe */
#define GATE_PROGRAM_STDIN_TTY 0x4
#define GATE_PROGRAM_STDOUT_TTY 0x8
#define GATE_PROGRAM_STDERR_TTY 0x10
/* The image is a snapshot being resumed: gate.io_N reports the resumed flag
 * once, RESUME is allowed, and the config's monotonic is the snapshot's. */
#define GATE_PROGRAM_RESUMED 0x20

/* SPAWN limits flags (the u32 after the CPU seconds). */
/* At the CPU-time soft limit the instance suspends (TRAP SUSPENDED) instead
 * of exiting with GATE_CPU_LIMIT; the hard limit (soft + 1 s) still kills. */
#define GATE_SPAWN_CPU_SUSPEND 0x1
#define GATE_SPAWN_FLAGS GATE_SPAWN_CPU_SUSPEND

/* The most bytes of the state wire one STATE_DATA frame carries. */
#define GATE_STATE_CHUNK (GATE_FRAME_MAX - GATE_FRAME_HEADER)
/* A RESUME's gate.stack payload beyond this is refused: far above any real
 * stack (64 MiB), and it bounds what one request can make the process read. */
#define GATE_RESUME_STACK_MAX (64u << 20)

/* FS operations (docs/protocol.md has the argument table). */
enum gate_fs_op {
	GATE_FS_FD_CLOSE = 1,
	GATE_FS_FD_READ = 2,
	GATE_FS_FD_PREAD = 3,
	GATE_FS_FD_WRITE = 4,
	GATE_FS_FD_PWRITE = 5,
	GATE_FS_FD_SEEK = 6,
	GATE_FS_FD_TELL = 7,
	GATE_FS_FD_FDSTAT_GET = 8,
	GATE_FS_FD_FDSTAT_SET_FLAGS = 9,
	GATE_FS_FD_FILESTAT_GET = 10,
	GATE_FS_FD_FILESTAT_SET_SIZE = 11,
	GATE_FS_FD_FILESTAT_SET_TIMES = 12,
	GATE_FS_FD_PRESTAT_GET = 13,
	GATE_FS_FD_PRESTAT_DIR_NAME = 14,
	GATE_FS_FD_READDIR = 15,
	GATE_FS_FD_SYNC = 16,
	GATE_FS_FD_DATASYNC = 17,
	GATE_FS_FD_ADVISE = 18,
	GATE_FS_FD_ALLOCATE = 19,
	GATE_FS_FD_RENUMBER = 20,
	GATE_FS_PATH_OPEN = 21,
	GATE_FS_PATH_FILESTAT_GET = 22,
	GATE_FS_PATH_FILESTAT_SET_TIMES = 23,
	GATE_FS_PATH_CREATE_DIRECTORY = 24,
	GATE_FS_PATH_REMOVE_DIRECTORY = 25,
	GATE_FS_PATH_UNLINK_FILE = 26,
	GATE_FS_PATH_RENAME = 27,
	GATE_FS_PATH_READLINK = 28,
	GATE_FS_PATH_SYMLINK = 29,
	GATE_FS_PATH_LINK = 30,
	GATE_FS_OP_COUNT,
};

/* How an instance process ended (GATE_MSG_EXIT). */
enum gate_exit {
	GATE_EXIT_CODE = 1,   /* exited with a code (value) */
	GATE_EXIT_SIGNAL = 2, /* killed by a signal (value) */
};

/* Extern kinds, as in the binary format's export descriptors. */
enum gate_extern_kind {
	GATE_EXTERN_FUNC = 0,
	GATE_EXTERN_TABLE = 1,
	GATE_EXTERN_MEMORY = 2,
	GATE_EXTERN_GLOBAL = 3,
};

/* Value types, as in the binary format. */
enum gate_valtype {
	GATE_I32 = 0x7f,
	GATE_I64 = 0x7e,
	GATE_F32 = 0x7d,
	GATE_F64 = 0x7c,
	GATE_V128 = 0x7b,
	GATE_FUNCREF = 0x70,
	GATE_EXTERNREF = 0x6f,
};

/* Payload bytes of a value of type t after its type byte, 0 if t is unknown. */
static inline size_t gate__value_size(uint8_t t)
{
	switch (t) {
	case GATE_I32:
	case GATE_F32:
		return 4;
	case GATE_I64:
	case GATE_F64:
	case GATE_FUNCREF:
	case GATE_EXTERNREF:
		return 8;
	case GATE_V128:
		return 16;
	}
	return 0;
}

struct gate__frame_header {
	uint32_t size;     /* bytes of the frame, header included */
	uint16_t type;     /* enum gate_msg */
	uint16_t flags;    /* GATE_FRAME_* */
	uint32_t instance; /* instance id chosen by the Deno side; 0 is the executor */
	uint32_t seq;      /* request number chosen by the Deno side, echoed by replies */
};

/* Little-endian loads and stores; x86-64 and arm64 are little-endian, but
 * memcpy keeps unaligned access defined. */
static inline uint32_t gate__le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t gate__le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void gate__put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void gate__put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Reads the header of a received datagram of len bytes. Returns false unless
 * the datagram holds a whole header whose size field equals len. */
static inline bool gate__frame_parse(const uint8_t *buf, size_t len, struct gate__frame_header *h)
{
	if (len < GATE_FRAME_HEADER || len > GATE_FRAME_MAX)
		return false;
	h->size = gate__le32(buf);
	h->type = gate__le16(buf + 4);
	h->flags = gate__le16(buf + 6);
	h->instance = gate__le32(buf + 8);
	h->seq = gate__le32(buf + 12);
	return h->size == len;
}

/* Writes a header; size is the whole frame. */
static inline void gate__frame_put(uint8_t *buf, uint32_t size, uint16_t type, uint16_t flags,
				   uint32_t instance, uint32_t seq)
{
	gate__put32(buf, size);
	gate__put16(buf + 4, type);
	gate__put16(buf + 6, flags);
	gate__put32(buf + 8, instance);
	gate__put32(buf + 12, seq);
}

/*
 * A bounds-checked reader over a payload. Every read checks the remaining
 * length first; after a failed read `ok` is false and later reads return
 * zeros, so a decoder reads everything and checks `ok` once.
 */
struct gate__reader {
	const uint8_t *p;
	size_t left;
	bool ok;
};

static inline struct gate__reader gate__reader(const uint8_t *p, size_t len)
{
	return (struct gate__reader){ .p = p, .left = len, .ok = true };
}

static inline const uint8_t *gate__read(struct gate__reader *r, size_t n)
{
	const uint8_t *p;

	if (!r->ok || n > r->left) {
		r->ok = false;
		r->left = 0;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static inline uint32_t gate__read32(struct gate__reader *r)
{
	const uint8_t *p = gate__read(r, 4);

	return p ? gate__le32(p) : 0;
}

static inline uint8_t gate__read8(struct gate__reader *r)
{
	const uint8_t *p = gate__read(r, 1);

	return p ? *p : 0;
}

#endif
