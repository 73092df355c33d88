/*
 * gate.h: the C API for programs that run under Gate.
 *
 * Header-only (every function is static inline), so a program needs no
 * library: include this file and build with
 *
 *     clang --target=wasm32-wasi -O2 -Iinclude prog.c -o prog.wasm
 *
 * It is a thin layer over the Gate ABI (module "gate") and WASI preview1,
 * modelled on the original Gate's include/gate.h (reference b.4, b.5):
 *
 * - gate_io(), gate_recv(), gate_send(): packet I/O on the Gate stream
 *   (import gate.io_65536);
 * - gate_exit(), gate_clock_realtime(), gate_clock_monotonic(): WASI;
 * - gate_debug_*(): the debug log (WASI fd 2, shown by `gate call --debug`);
 * - packet layouts (struct gate_packet and friends) and small blocking
 *   helpers: gate_send_packet(), gate_recv_packet(), gate_discover(),
 *   gate_call(), and a stream API for the "origin" service (the caller's
 *   bytes: stdin/stdout of `gate call`).
 *
 * Packets (reference b.5): an 8-byte little-endian header (u32 size including
 * the header, i16 code, u8 domain, u8 index), then the content, then zero
 * padding up to a multiple of GATE_PACKET_ALIGNMENT. Code -1 is service
 * discovery; code N >= 0 is the Nth service discovered. At most
 * GATE_MAX_RECV_SIZE bytes per packet in either direction.
 *
 * The blocking helpers are for simple, single-threaded programs: while one of
 * them waits for a particular packet it drops the packets it is not waiting
 * for (a program with several services in flight uses gate_recv_packet() and
 * dispatches itself). They return a negative value on failure and never
 * allocate; buffers are the caller's.
 */
#ifndef GATE_H
#define GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __wasi__
#include <wasi/api.h>
#else
#error "gate.h is for programs built with --target=wasm32-wasi"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Constants (reference b.4, b.5, b.12) */

#define GATE_API_VERSION 0 /* environment GATE_ABI_VERSION=0 */

#define GATE_PACKET_ALIGNMENT 8 /* packets are padded to this on the wire */

/* Largest packet in either direction: the runtime's buffer; also the N in
 * the import names gate.io_N and gate.fd_N (environment GATE_MAX_SEND_SIZE). */
#define GATE_MAX_RECV_SIZE 65536
#define GATE_MAX_SEND_SIZE 65536

#define GATE_PACKET_CODE_SERVICES -1 /* service discovery; >= 0: a service */

enum {
	GATE_PACKET_DOMAIN_CALL = 0, /* request; exactly one reply per request */
	GATE_PACKET_DOMAIN_INFO = 1, /* asynchronous notification */
	GATE_PACKET_DOMAIN_FLOW = 2, /* stream receive-capacity grants */
	GATE_PACKET_DOMAIN_DATA = 3, /* stream bytes */
};

#define GATE_SERVICE_STATE_AVAIL 0x1 /* a bit of a discovery reply's state */

#define GATE_MAX_SERVICE_NAME 127 /* service names are 1..127 bytes */

/* Timeouts of gate_io() in nanoseconds; below 1000 means "do not wait". */
#define GATE_IO_WAIT_FOREVER ((int64_t)-1)
#define GATE_IO_NO_WAIT ((int64_t)0)

/* gate_io()'s flags: set once after each start or resume, cleared when read. */
#define GATE_IO_FLAG_STARTED 0x1

/* Rounds a packet size up to the wire size. */
#define GATE_ALIGN_PACKET(size) \
	(((size) + (size_t)(GATE_PACKET_ALIGNMENT - 1)) & ~(size_t)(GATE_PACKET_ALIGNMENT - 1))

/* Packet layouts; all little-endian, as is wasm32. */

struct gate_packet {
	uint32_t size; /* header + content, without padding: 8 .. 65536 */
	int16_t code;  /* GATE_PACKET_CODE_SERVICES or a service's index */
	uint8_t domain; /* GATE_PACKET_DOMAIN_*; high 4 bits 0 when sending */
	uint8_t index;  /* 0 when sending; out-of-order reply position */
} __attribute__((packed));

/* Discovery request (code -1, domain CALL): count x (u8 len, name bytes). */
struct gate_service_name_packet {
	struct gate_packet header;
	uint16_t count;
	char names[]; /* count x (u8 length + name) */
} __attribute__((packed));

/* Discovery reply (code -1, CALL; INFO at a resume): every service so far. */
struct gate_service_state_packet {
	struct gate_packet header;
	uint16_t count; /* all services discovered so far, in discovery order */
	uint8_t states[]; /* GATE_SERVICE_STATE_* per service code */
} __attribute__((packed));

/* value > 0: more receive capacity; 0: end of stream; < 0: a note. */
struct gate_flow {
	int32_t id;
	int32_t value;
} __attribute__((packed));

struct gate_flow_packet {
	struct gate_packet header;
	struct gate_flow flows[];
} __attribute__((packed));

/* Stream bytes; no data means end of that direction. */
struct gate_data_packet {
	struct gate_packet header;
	int32_t id;
	int32_t note;
	char data[];
} __attribute__((packed));

/* Largest data content of one data packet. */
#define GATE_MAX_DATA_SIZE (GATE_MAX_SEND_SIZE - sizeof(struct gate_data_packet))

/* One I/O vector: {u32 pointer, u32 length} in wasm32 memory. */
struct gate_iovec {
	void *iov_base;
	size_t iov_len;
};

_Static_assert(sizeof(struct gate_packet) == 8, "packet header is 8 bytes (reference b.5)");
_Static_assert(sizeof(struct gate_service_name_packet) == 10, "header + u16 count");
_Static_assert(sizeof(struct gate_flow) == 8, "flow entry is i32 id + i32 value");
_Static_assert(sizeof(struct gate_data_packet) == 16, "header + i32 id + i32 note");
_Static_assert(sizeof(struct gate_iovec) == 8, "iovec is {u32 ptr, u32 len} on wasm32");

/* Imports (the Gate ABI); internal: use the gate_* functions below. */

__attribute__((import_module("gate"), import_name("io_65536"))) void
gate__io(const struct gate_iovec *recv, size_t recvcnt, size_t *nrecv,
	 const struct gate_iovec *send, size_t sendcnt, size_t *nsent, int64_t timeout,
	 uint32_t *flags);

__attribute__((import_module("gate"), import_name("fd_65536"))) int32_t gate__fd(void);

/* Raw I/O */

/*
 * Sends from the send vectors and receives into the receive vectors, waiting
 * up to timeout ns (GATE_IO_WAIT_FOREVER: no limit) until one side can make
 * progress. Either side may transfer less than asked (partial packets too) or
 * nothing (the wait ended, or the program is being suspended). Out pointers
 * may be NULL. *flags gets GATE_IO_FLAG_STARTED after each (re)start.
 */
static inline void gate_io(const struct gate_iovec *recv, size_t recvcnt, size_t *nrecv,
			   const struct gate_iovec *send, size_t sendcnt, size_t *nsent,
			   int64_t timeout, uint32_t *flags)
{
	gate__io(recv, recvcnt, nrecv, send, sendcnt, nsent, timeout, flags);
}

/* Receives up to size bytes of the packet stream; returns how many (maybe 0). */
static inline size_t gate_recv(void *buf, size_t size, int64_t timeout)
{
	const struct gate_iovec iov = {buf, size};
	size_t n = 0;

	gate__io(&iov, 1, &n, NULL, 0, NULL, timeout, NULL);
	return n;
}

/* Sends up to size bytes of the packet stream; returns how many (maybe 0). */
static inline size_t gate_send(const void *data, size_t size, int64_t timeout)
{
	const struct gate_iovec iov = {(void *)data, size};
	size_t n = 0;

	gate__io(NULL, 0, NULL, &iov, 1, &n, timeout, NULL);
	return n;
}

/* The Gate fd (fd_read/fd_write on it are packet I/O too; see GATE_FD). */
static inline int gate_fd(void)
{
	return gate__fd();
}

/* WASI */

/* Ends the program: `gate call` exits with status. */
__attribute__((noreturn)) static inline void gate_exit(int status)
{
	__wasi_proc_exit((__wasi_exitcode_t)status);
}

/* Nanoseconds since the Unix epoch (0 if the clock fails). */
static inline uint64_t gate_clock_realtime(void)
{
	uint64_t t = 0;

	(void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t);
	return t;
}

/* Nanoseconds of a clock that continues across suspend and resume. */
static inline uint64_t gate_clock_monotonic(void)
{
	uint64_t t = 0;

	(void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
	return t;
}

/* The debug log: stderr (fd 2); compiled out with NDEBUG. */

static inline void gate_debug_data(const char *data, size_t size)
{
#ifdef NDEBUG
	(void)data;
	(void)size;
#else
	__wasi_ciovec_t iov = {(const uint8_t *)data, size};
	__wasi_size_t written;

	(void)__wasi_fd_write(2, &iov, 1, &written); /* the debug log always succeeds */
#endif
}

static inline void gate_debug_str(const char *s)
{
	gate_debug_data(s, strlen(s));
}

static inline void gate_debug_uint(uint64_t n)
{
	char buf[20];
	size_t i = sizeof buf;

	do {
		buf[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	gate_debug_data(buf + i, sizeof buf - i);
}

static inline void gate_debug_int(int64_t n)
{
	if (n < 0) {
		gate_debug_data("-", 1);
		gate_debug_uint(~(uint64_t)n + 1);
	} else {
		gate_debug_uint((uint64_t)n);
	}
}

static inline void gate_debug_hex(uint64_t n)
{
	char buf[16];
	size_t i = sizeof buf;

	do {
		buf[--i] = "0123456789abcdef"[n & 15];
		n >>= 4;
	} while (n);
	gate_debug_data(buf + i, sizeof buf - i);
}

static inline void gate_debug_ptr(const void *ptr)
{
	gate_debug_data("0x", 2);
	gate_debug_hex((uintptr_t)ptr);
}

/* gate_debug(x): prints an integer, string or pointer by its type. */
#define gate_debug(x) \
	_Generic((x), /* clang-format off */ \
		_Bool: gate_debug_uint, \
		signed char: gate_debug_int, short: gate_debug_int, int: gate_debug_int, \
		long: gate_debug_int, long long: gate_debug_int, \
		unsigned char: gate_debug_uint, unsigned short: gate_debug_uint, \
		unsigned: gate_debug_uint, unsigned long: gate_debug_uint, \
		unsigned long long: gate_debug_uint, \
		char *: gate_debug_str, const char *: gate_debug_str, \
		void *: gate_debug_ptr, const void *: gate_debug_ptr /* clang-format on */)(x)

/* Whole packets (blocking) */

/* Sends n bytes, waiting as long as it takes. */
static inline void gate_send_all(const void *data, size_t n)
{
	const char *p = (const char *)data;

	while (n > 0) {
		size_t k = gate_send(p, n, GATE_IO_WAIT_FOREVER);
		p += k;
		n -= k;
	}
}

/* Receives exactly n bytes, waiting as long as it takes. */
static inline void gate_recv_all(void *buf, size_t n)
{
	char *p = (char *)buf;

	while (n > 0) {
		size_t k = gate_recv(p, n, GATE_IO_WAIT_FOREVER);
		p += k;
		n -= k;
	}
}

/* Fills in a header for sending: size, code, domain; index 0. */
static inline void gate_packet_init(struct gate_packet *p, size_t size, int16_t code,
				    uint8_t domain)
{
	p->size = (uint32_t)size;
	p->code = code;
	p->domain = domain;
	p->index = 0;
}

/*
 * Sends the packet at p (p->size bytes) and its zero padding. Returns 0, or -1
 * if p->size is out of 8 .. GATE_MAX_SEND_SIZE (nothing is sent).
 */
static inline int gate_send_packet(const struct gate_packet *p)
{
	static const char zeros[GATE_PACKET_ALIGNMENT];

	if (p->size < sizeof *p || p->size > GATE_MAX_SEND_SIZE)
		return -1;
	gate_send_all(p, p->size);
	gate_send_all(zeros, GATE_ALIGN_PACKET(p->size) - p->size);
	return 0;
}

/*
 * Receives one whole packet into buf, which must hold GATE_MAX_RECV_SIZE bytes
 * (and be 4-aligned to read the fields in place). Padding is consumed, not
 * stored. Returns the packet, or NULL if the runtime sent a bad size.
 */
static inline struct gate_packet *gate_recv_packet(void *buf)
{
	struct gate_packet *p = (struct gate_packet *)buf;
	char pad[GATE_PACKET_ALIGNMENT];

	gate_recv_all(p, sizeof *p);
	if (p->size < sizeof *p || p->size > GATE_MAX_RECV_SIZE)
		return NULL;
	gate_recv_all((char *)buf + sizeof *p, p->size - sizeof *p);
	gate_recv_all(pad, GATE_ALIGN_PACKET(p->size) - p->size);
	p->domain &= 0xf; /* high bits are ignored when receiving */
	return p;
}

/* Service discovery */

/*
 * Builds a discovery request for count names into buf (bufsize bytes).
 * Returns the packet size, or 0 if a name is empty or longer than
 * GATE_MAX_SERVICE_NAME, or the packet would not fit.
 */
static inline size_t gate_service_name_packet_init(void *buf, size_t bufsize,
						   const char *const names[], unsigned count)
{
	struct gate_service_name_packet *p = (struct gate_service_name_packet *)buf;
	size_t size = sizeof *p;

	if (bufsize < size || count > UINT16_MAX)
		return 0;
	for (unsigned i = 0; i < count; i++) {
		size_t len = strlen(names[i]);

		if (len == 0 || len > GATE_MAX_SERVICE_NAME || size + 1 + len > bufsize ||
		    size + 1 + len > GATE_MAX_SEND_SIZE)
			return 0;
		((char *)buf)[size] = (char)len;
		memcpy((char *)buf + size + 1, names[i], len);
		size += 1 + len;
	}
	gate_packet_init(&p->header, size, GATE_PACKET_CODE_SERVICES, GATE_PACKET_DOMAIN_CALL);
	p->count = (uint16_t)count;
	return size;
}

/*
 * Discovers count services by name (blocking): codes[i] gets the code of
 * names[i] and states[i] its GATE_SERVICE_STATE_* bits (either may be NULL).
 * buf holds GATE_MAX_RECV_SIZE bytes. Returns 0; -1 for a bad name; -2 if the
 * service limit (256) was reached; -3 on a bad packet from the runtime.
 */
static inline int gate_discover(const char *const names[], unsigned count, int16_t codes[],
				uint8_t states[], void *buf)
{
	struct gate_service_state_packet *r;
	struct gate_packet *p;

	if (gate_service_name_packet_init(buf, GATE_MAX_SEND_SIZE, names, count) == 0)
		return -1;
	gate_send_packet((struct gate_packet *)buf);
	for (;;) {
		if ((p = gate_recv_packet(buf)) == NULL)
			return -3;
		if (p->code == GATE_PACKET_CODE_SERVICES && p->domain == GATE_PACKET_DOMAIN_CALL)
			break;
	}
	r = (struct gate_service_state_packet *)p;
	if (p->size < sizeof *r || p->size < sizeof *r + r->count)
		return -3;
	if (r->count < count)
		return -2;
	/* The reply lists every service so far; ours are the last count. */
	for (unsigned i = 0; i < count; i++) {
		unsigned code = r->count - count + i;

		if (codes)
			codes[i] = (int16_t)code;
		if (states)
			states[i] = r->states[code];
	}
	return 0;
}

/*
 * Calls service code with content (blocking): sends a CALL packet and waits
 * for its reply, which is left in buf (GATE_MAX_RECV_SIZE bytes; the content
 * follows the header). Returns the reply's content size, -1 if content is too
 * large, or -3 on a bad packet from the runtime.
 */
static inline long gate_call(int16_t code, const void *content, size_t size, void *buf)
{
	struct gate_packet *p = (struct gate_packet *)buf;

	if (size > GATE_MAX_SEND_SIZE - sizeof *p)
		return -1;
	if (size > 0)
		memmove((char *)buf + sizeof *p, content, size);
	gate_packet_init(p, sizeof *p + size, code, GATE_PACKET_DOMAIN_CALL);
	gate_send_packet(p);
	for (;;) {
		if ((p = gate_recv_packet(buf)) == NULL)
			return -3;
		if (p->code == code && p->domain == GATE_PACKET_DOMAIN_CALL)
			return (long)(p->size - sizeof *p);
	}
}

/* Streams of the origin service: the caller's bytes */

/* A stream: its service code, id and the program's send credit. */
struct gate_stream {
	int16_t code;
	int32_t id;
	int64_t credit;   /* bytes the program may still send (the peer's grants) */
	bool input_ended; /* the peer sent end of data */
	bool peer_closed; /* the peer granted 0: it reads no more */
};

enum gate_stream_event {
	GATE_STREAM_DATA = 1,   /* data arrived: *data, return value = its size */
	GATE_STREAM_EOF = 2,    /* the peer's data ended */
	GATE_STREAM_CREDIT = 3, /* the send credit grew */
	GATE_STREAM_CLOSED = 4, /* the peer reads no more (a flow of 0) */
	GATE_STREAM_NOTE = 5,   /* a negative flow value: *note */
	GATE_STREAM_OTHER = 6,  /* a packet of something else, left in buf */
};

/*
 * Discovers "origin" and accepts its connection (blocking until a caller
 * is connected). buf holds GATE_MAX_RECV_SIZE bytes. Returns 0; -1 if the
 * service is not available; the service's error code (> 0) if the accept
 * failed; or a negative error of gate_discover() or gate_call().
 */
static inline int gate_origin_accept(struct gate_stream *s, void *buf)
{
	static const char *const names[] = {"origin"};
	int16_t code;
	uint8_t state;
	int16_t error;
	long n;
	int err;

	if ((err = gate_discover(names, 1, &code, &state, buf)) < 0)
		return err;
	if (!(state & GATE_SERVICE_STATE_AVAIL))
		return -1;
	if ((n = gate_call(code, NULL, 0, buf)) < 0)
		return (int)n;
	if (n < 6)
		return -3;
	memcpy(&error, (char *)buf + sizeof(struct gate_packet) + 4, sizeof error);
	if (error != 0)
		return error;
	memset(s, 0, sizeof *s);
	s->code = code;
	memcpy(&s->id, (char *)buf + sizeof(struct gate_packet), sizeof s->id);
	return 0;
}

/* Grants the peer n (1 .. 2^31-1) more bytes of data to send us; 0 = no more. */
static inline void gate_stream_grant(const struct gate_stream *s, int32_t n)
{
	struct {
		struct gate_packet header;
		struct gate_flow flow;
	} __attribute__((packed)) p;

	gate_packet_init(&p.header, sizeof p, s->code, GATE_PACKET_DOMAIN_FLOW);
	p.flow.id = s->id;
	p.flow.value = n;
	gate_send_packet(&p.header);
}

/*
 * Sends up to n bytes within the send credit; returns how many were sent
 * (0 if there is no credit: wait for GATE_STREAM_CREDIT). n == 0 sends the
 * end of our data. buf holds GATE_MAX_SEND_SIZE bytes.
 */
static inline size_t gate_stream_write(struct gate_stream *s, const void *data, size_t n,
				       void *buf)
{
	struct gate_data_packet *p = (struct gate_data_packet *)buf;
	size_t done = 0;

	if (n == 0) {
		gate_packet_init(&p->header, sizeof *p, s->code, GATE_PACKET_DOMAIN_DATA);
		p->id = s->id;
		p->note = 0;
		gate_send_packet(&p->header);
		return 0;
	}
	while (done < n && s->credit > 0) {
		size_t k = n - done;

		if (k > GATE_MAX_DATA_SIZE)
			k = GATE_MAX_DATA_SIZE;
		if ((int64_t)k > s->credit)
			k = (size_t)s->credit;
		gate_packet_init(&p->header, sizeof *p + k, s->code, GATE_PACKET_DOMAIN_DATA);
		p->id = s->id;
		p->note = 0;
		memmove(p->data, (const char *)data + done, k);
		gate_send_packet(&p->header);
		s->credit -= (int64_t)k;
		done += k;
	}
	return done;
}

/*
 * Waits for the next packet and reports what it meant for stream s
 * (enum gate_stream_event), or -3 on a bad packet from the runtime. For
 * GATE_STREAM_DATA, *data points into buf (GATE_MAX_RECV_SIZE bytes) and
 * *size is the data size; for GATE_STREAM_NOTE *note gets the value.
 */
static inline int gate_stream_next(struct gate_stream *s, void *buf, const char **data,
				   size_t *size, int32_t *note)
{
	struct gate_packet *p = gate_recv_packet(buf);
	int event = GATE_STREAM_OTHER;

	if (p == NULL)
		return -3;
	if (p->code != s->code)
		return GATE_STREAM_OTHER;
	if (p->domain == GATE_PACKET_DOMAIN_DATA && p->size >= sizeof(struct gate_data_packet)) {
		struct gate_data_packet *d = (struct gate_data_packet *)p;

		if (d->id != s->id)
			return GATE_STREAM_OTHER;
		if (d->header.size == sizeof *d) {
			s->input_ended = true;
			return GATE_STREAM_EOF;
		}
		*data = d->data;
		*size = d->header.size - sizeof *d;
		return GATE_STREAM_DATA;
	}
	if (p->domain == GATE_PACKET_DOMAIN_FLOW) {
		struct gate_flow_packet *f = (struct gate_flow_packet *)p;
		size_t count = (p->size - sizeof *p) / sizeof(struct gate_flow);

		for (size_t i = 0; i < count; i++) {
			if (f->flows[i].id != s->id)
				continue;
			if (f->flows[i].value > 0) {
				s->credit += f->flows[i].value;
				if (event == GATE_STREAM_OTHER)
					event = GATE_STREAM_CREDIT;
			} else if (f->flows[i].value == 0) {
				s->peer_closed = true;
				event = GATE_STREAM_CLOSED;
			} else if (note) {
				*note = f->flows[i].value;
				event = GATE_STREAM_NOTE;
			}
		}
	}
	return event;
}

#ifdef __cplusplus
}
#endif

#endif /* GATE_H */
