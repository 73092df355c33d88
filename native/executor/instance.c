/*
 * The instance process: serves requests on its channel with the runtime.
 *
 * One store per process (native/rt/rt.h): images are loaded from sealed
 * memfds, instantiated with imports bound to earlier instances of the same
 * store, and their exports invoked. Requests are served one at a time in
 * order; replies carry the request's seq. The channel is the only way in,
 * and every request is bounds-checked before use (docs/protocol.md).
 *
 * It runs under the seccomp filter (seccomp_table.h): the only system calls
 * here are recvmsg and sendmsg on the channel, pread64 and close for a
 * LOAD's memfd, and what the runtime does (brk, mprotect); a program's host
 * functions (native/host) add ppoll on the channel and clock_gettime. No
 * stdio.
 */
#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../host/host.h"
#include "../rt/rt.h"
#include "protocol.h"
#include "sandbox.h"
#include "state.h"

/* Images beyond this are refused: far above any real program's code, and it
 * bounds what one request can make the process map. */
#define MAX_IMAGE_SIZE (1ull << 32)

struct server {
	int fd;
	struct gate__store *store;
	struct gate__host *host; /* the program, once PROGRAM ran (at most one) */
	/* The last INVOKE or RESUME of the program, for STATE. */
	bool ran;		     /* there was one */
	bool lost;		     /* it failed outside the program (a suspension that
				      * could not be captured): no state to give */
	struct gate__outcome outcome;
	uint8_t in[GATE_FRAME_MAX];
	uint8_t out[GATE_FRAME_MAX];
	char err[512];
};

/* The store the signal handler asks to suspend, once there is one; a
 * request before that waits in early_suspend (sticky, as for the store). */
static struct gate__store *volatile signal_store;
static volatile sig_atomic_t early_suspend;

void gate__instance_signal(int sig, siginfo_t *info, void *ucontext)
{
	struct gate__store *s = signal_store;

	(void)sig;
	(void)info;
	if (s == NULL) {
		early_suspend = 1;
		return;
	}
	gate__rt_request_suspend(s, ucontext);
	gate__host_interrupt_wait();
}

struct request {
	struct gate__frame_header h;
	struct gate__reader payload;
	int fd; /* received descriptor or -1 */
};

/* Sends one frame; the peer (the executor) never blocks us for long, and a
 * failure means the channel is gone, so the process ends. */
static void send_frame(struct server *s, size_t len)
{
	struct iovec iov = { .iov_base = s->out, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	/* sendmsg with exactly these flags: the filter checks them */
	do
		n = sendmsg(s->fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		_exit(GATE_IO);
}

static void reply_ok(struct server *s, const struct request *rq, size_t payload_len)
{
	gate__frame_put(s->out, (uint32_t)(GATE_FRAME_HEADER + payload_len), GATE_MSG_OK, 0,
			rq->h.instance, rq->h.seq);
	send_frame(s, GATE_FRAME_HEADER + payload_len);
}

static void reply_error(struct server *s, const struct request *rq, int status, const char *fmt,
			...) __attribute__((format(printf, 4, 5)));

static void reply_error(struct server *s, const struct request *rq, int status, const char *fmt,
			...)
{
	va_list ap;
	size_t max = GATE_FRAME_MAX - GATE_FRAME_HEADER - 4;
	int n;

	va_start(ap, fmt);
	n = vsnprintf((char *)s->out + GATE_FRAME_HEADER + 4, max, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= max)
		n = (int)max - 1;
	gate__put32(s->out + GATE_FRAME_HEADER, (uint32_t)status);
	gate__frame_put(s->out, (uint32_t)(GATE_FRAME_HEADER + 4 + n), GATE_MSG_ERROR, 0,
			rq->h.instance, rq->h.seq);
	send_frame(s, GATE_FRAME_HEADER + 4 + (size_t)n);
}

static void reply_status(struct server *s, const struct request *rq, int status)
{
	reply_error(s, rq, status, "%s", s->err[0] ? s->err : "runtime failure");
}

static void reply_trap(struct server *s, const struct request *rq, const struct gate__trap *trap)
{
	uint8_t *p = s->out + GATE_FRAME_HEADER;
	uint32_t n = trap->nframes;

	if (n > GATE__TRAP_FRAMES)
		n = GATE__TRAP_FRAMES;
	gate__put32(p, trap->kind);
	gate__put32(p + 4, n);
	p += 8;
	for (uint32_t i = 0; i < n; i++, p += 12) {
		gate__put32(p, trap->frames[i].func);
		gate__put32(p + 4, trap->frames[i].offset);
		gate__put32(p + 8, trap->frames[i].module);
	}
	gate__put32(p, trap->code);
	p += 4;
	size_t len = (size_t)(p - s->out);
	gate__frame_put(s->out, (uint32_t)len, GATE_MSG_TRAP, 0, rq->h.instance, rq->h.seq);
	send_frame(s, len);
}

/* Copies a request's memfd out with pread: no mmap under the filter. The
 * executor checked the seals, and what was read is validated, so a short or
 * odd file is only malformed content. Returns the malloc'd bytes (*len of
 * them, at most max), or NULL after replying with an error. what: "load
 * image", "resume". */
static uint8_t *read_memfd(struct server *s, struct request *rq, uint64_t max, size_t *len,
			   const char *what)
{
	uint8_t *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (rq->fd < 0) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot %s: no descriptor in the request", what);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (*len == cap) {
			size_t ncap = cap ? cap * 2 : 1u << 20;
			uint8_t *p = cap < max ? realloc(buf, ncap < max ? ncap : max + 1) : NULL;
			if (p == NULL) {
				reply_error(s, rq, GATE_OUT_OF_MEMORY,
					    "Cannot %s: out of memory or over %llu bytes", what,
					    (unsigned long long)max);
				goto out_free;
			}
			buf = p;
			cap = ncap < max ? ncap : max + 1;
		}
		n = pread(rq->fd, buf + *len, cap - *len, (off_t)*len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			reply_error(s, rq, GATE_IO, "Cannot %s: read error %d", what, errno);
			goto out_free;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	if (*len == 0 || *len > max) {
		reply_error(s, rq, *len ? GATE_LIMIT : GATE_PROTOCOL, "Cannot %s: bad size", what);
		goto out_free;
	}
	return buf;
out_free:
	free(buf);
	return NULL;
}

/* LOAD: the image, which the runtime validates and copies. */
static void load(struct server *s, struct request *rq)
{
	uint8_t *buf;
	size_t len;
	uint32_t image;
	int status;

	buf = read_memfd(s, rq, MAX_IMAGE_SIZE, &len, "load image");
	if (buf == NULL)
		return;
	s->err[0] = 0;
	status = gate__store_load(s->store, buf, len, &image, s->err, sizeof s->err);
	if (status != GATE_OK) {
		reply_status(s, rq, status);
		goto out_free;
	}
	gate__put32(s->out + GATE_FRAME_HEADER, image);
	reply_ok(s, rq, 4);
out_free:
	free(buf);
}

static void instantiate(struct server *s, struct request *rq)
{
	struct gate__reader *r = &rq->payload;
	struct gate__extern *imports = NULL;
	struct gate__trap trap;
	uint32_t image, n, instance;
	int status;

	image = gate__read32(r);
	n = gate__read32(r);
	if (!r->ok || n > r->left / 8) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot instantiate: truncated request");
		return;
	}
	if (n > 0) {
		imports = calloc(n, sizeof *imports);
		if (imports == NULL) {
			reply_error(s, rq, GATE_OUT_OF_MEMORY, "Cannot instantiate: out of memory");
			return;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		imports[i].kind = gate__read8(r);
		gate__read(r, 3);
		imports[i].addr = gate__read32(r);
	}
	if (!r->ok || r->left != 0) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot instantiate: malformed request");
		goto out_free_imports;
	}
	memset(&trap, 0, sizeof trap);
	s->err[0] = 0;
	status = gate__store_instantiate(s->store, image, imports, n, &instance, &trap, s->err,
					 sizeof s->err);
	if (status == GATE_TRAP)
		reply_trap(s, rq, &trap);
	else if (status != GATE_OK)
		reply_status(s, rq, status);
	else {
		gate__put32(s->out + GATE_FRAME_HEADER, instance);
		reply_ok(s, rq, 4);
	}
out_free_imports:
	free(imports);
}

static void spectest(struct server *s, struct request *rq)
{
	uint32_t instance;
	int status;

	if (rq->payload.left != 0) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot add spectest: malformed request");
		return;
	}
	s->err[0] = 0;
	status = gate__store_add_spectest(s->store, &instance, s->err, sizeof s->err);
	if (status != GATE_OK) {
		reply_status(s, rq, status);
		return;
	}
	gate__put32(s->out + GATE_FRAME_HEADER, instance);
	reply_ok(s, rq, 4);
}

static void export(struct server *s, struct request *rq)
{
	struct gate__reader *r = &rq->payload;
	struct gate__extern ext;
	uint32_t instance, np, nr;
	const uint8_t *params, *results;
	const char *name;
	size_t len;
	uint8_t *p = s->out + GATE_FRAME_HEADER;
	int status;

	instance = gate__read32(r);
	len = r->left;
	name = (const char *)gate__read(r, len);
	if (!r->ok) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot look up export: truncated request");
		return;
	}
	s->err[0] = 0;
	status = gate__store_export(s->store, instance, name, len, &ext, s->err, sizeof s->err);
	if (status != GATE_OK) {
		reply_status(s, rq, status);
		return;
	}
	p[0] = ext.kind;
	p[1] = p[2] = p[3] = 0;
	gate__put32(p + 4, ext.addr);
	if (ext.kind != GATE_EXTERN_FUNC) {
		reply_ok(s, rq, 8);
		return;
	}
	status = gate__store_func_type(s->store, ext.addr, &np, &params, &nr, &results);
	if (status != GATE_OK) {
		reply_error(s, rq, status, "Cannot look up export: no type for function %u", ext.addr);
		return;
	}
	if ((uint64_t)np + nr > GATE_FRAME_MAX - GATE_FRAME_HEADER - 16) {
		reply_error(s, rq, GATE_LIMIT, "Cannot look up export: too many parameters");
		return;
	}
	gate__put32(p + 8, np);
	gate__put32(p + 12, nr);
	memcpy(p + 16, params, np);
	memcpy(p + 16 + np, results, nr);
	reply_ok(s, rq, 16 + (size_t)np + nr);
}

/* Writes value v at p (type byte + payload) and returns the bytes written. */
static size_t put_value(uint8_t *p, const struct gate__value *v)
{
	size_t n = gate__value_size(v->type);

	p[0] = v->type;
	switch (n) {
	case 4:
		gate__put32(p + 1, v->of.i32);
		break;
	case 8:
		memcpy(p + 1, &v->of.i64, 8);
		break;
	case 16:
		memcpy(p + 1, v->of.v128, 16);
		break;
	}
	return 1 + n;
}

/* Reads a value; false on a truncated payload or an unknown type. */
static bool read_value(struct gate__reader *r, struct gate__value *v)
{
	const uint8_t *p;
	size_t n;

	memset(v, 0, sizeof *v);
	v->type = gate__read8(r);
	n = gate__value_size(v->type);
	if (n == 0)
		return false;
	p = gate__read(r, n);
	if (p == NULL)
		return false;
	if (n == 4)
		v->of.i32 = gate__le32(p);
	else if (n == 8)
		memcpy(&v->of.i64, p, 8);
	else
		memcpy(v->of.v128, p, 16);
	return true;
}

/* PROGRAM: u32 image, host config (docs/protocol.md, "Programs"). */
static void program(struct server *s, struct request *rq)
{
	struct gate__reader *r = &rq->payload;
	struct gate__trap trap;
	uint32_t image, instance;
	int status;

	image = gate__read32(r);
	if (!r->ok) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot start program: truncated request");
		return;
	}
	if (s->host) {
		reply_error(s, rq, GATE_INVALID_ARGUMENT,
			    "Cannot start program: this instance process already has one");
		return;
	}
	memset(&trap, 0, sizeof trap);
	s->err[0] = 0;
	status = gate__host_program(s->store, s->fd, rq->h.instance, rq->h.seq, image, r->p,
				    r->left, &s->host, &instance, &trap, s->err, sizeof s->err);
	if (status == GATE_TRAP)
		reply_trap(s, rq, &trap);
	else if (status != GATE_OK)
		reply_status(s, rq, status);
	else {
		gate__put32(s->out + GATE_FRAME_HEADER, instance);
		reply_ok(s, rq, 4);
	}
}

static void run_reply(struct server *s, struct request *rq, int status, const struct gate__trap *trap,
		      struct gate__value *results, uint32_t nr, const uint8_t *rtypes);

static void invoke(struct server *s, struct request *rq)
{
	struct gate__reader *r = &rq->payload;
	struct gate__value *args = NULL, *results = NULL;
	struct gate__trap trap;
	const uint8_t *params, *rtypes;
	uint32_t func, n, np, nr;
	int status;

	func = gate__read32(r);
	n = gate__read32(r);
	if (!r->ok || n > r->left / 5) { /* the smallest value is 5 bytes */
		reply_error(s, rq, GATE_PROTOCOL, "Cannot invoke: truncated request");
		return;
	}
	if (gate__store_func_type(s->store, func, &np, &params, &nr, &rtypes) != GATE_OK) {
		reply_error(s, rq, GATE_INVALID_ARGUMENT, "Cannot invoke function %u: no such function",
			    func);
		return;
	}
	if (n != np) {
		reply_error(s, rq, GATE_INVALID_ARGUMENT,
			    "Cannot invoke function %u: %u arguments, expected %u", func, n, np);
		return;
	}
	/* Results are written back in one frame: type byte + up to 16 bytes. */
	if ((uint64_t)nr * 17 + 4 > GATE_FRAME_MAX - GATE_FRAME_HEADER) {
		reply_error(s, rq, GATE_LIMIT, "Cannot invoke function %u: %u results", func, nr);
		return;
	}
	args = calloc(n ? n : 1, sizeof *args);
	results = calloc(nr ? nr : 1, sizeof *results);
	if (args == NULL || results == NULL) {
		reply_error(s, rq, GATE_OUT_OF_MEMORY, "Cannot invoke: out of memory");
		goto out_free;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!read_value(r, &args[i])) {
			reply_error(s, rq, GATE_PROTOCOL, "Cannot invoke: malformed argument %u", i);
			goto out_free;
		}
		if (args[i].type != params[i]) {
			reply_error(s, rq, GATE_INVALID_ARGUMENT,
				    "Cannot invoke function %u: argument %u has type 0x%02x, "
				    "expected 0x%02x",
				    func, i, args[i].type, params[i]);
			goto out_free;
		}
	}
	if (r->left != 0) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot invoke: trailing bytes");
		goto out_free;
	}
	memset(&trap, 0, sizeof trap);
	s->err[0] = 0;
	if (s->host) { /* a program's frames carry this request's seq */
		gate__host_serving(s->host, rq->h.instance, rq->h.seq);
		s->host->wait_call = GATE_HOST_WAIT_NONE; /* a new call retries nothing */
	}
	status = gate__store_invoke(s->store, func, args, n, results, nr, &trap, s->err,
				    sizeof s->err);
	run_reply(s, rq, status, &trap, results, nr, rtypes);
out_free:
	free(results);
	free(args);
}

/* The end of a run (INVOKE or RESUME): what a program's run left, for
 * STATE, then the reply: OK with the results, TRAP, or ERROR. */
static void run_reply(struct server *s, struct request *rq, int status, const struct gate__trap *trap,
		      struct gate__value *results, uint32_t nr, const uint8_t *rtypes)
{
	size_t len;

	if (s->host) {
		struct gate__outcome *o = &s->outcome;

		gate_pstack_clear(&o->stack);
		o->trap = status == GATE_TRAP ? trap->kind : 0;
		o->result = status == GATE_TRAP && trap->kind == GATE_TRAP_EXIT ? (int32_t)trap->code : 0;
		o->monotonic = gate__host_monotonic(s->host);
		s->ran = true;
		s->lost = status != GATE_OK && status != GATE_TRAP;
		if (o->trap == GATE_TRAP_SUSPENDED &&
		    gate__store_take_suspended(s->store, &o->stack) != GATE_OK)
			s->lost = true;
	}
	if (status == GATE_TRAP) {
		reply_trap(s, rq, trap);
		return;
	}
	if (status != GATE_OK) {
		reply_status(s, rq, status);
		return;
	}
	len = 4;
	gate__put32(s->out + GATE_FRAME_HEADER, nr);
	for (uint32_t i = 0; i < nr; i++) {
		/* The runtime fills the type; trust the signature over it. */
		results[i].type = rtypes[i];
		len += put_value(s->out + GATE_FRAME_HEADER + len, &results[i]);
	}
	reply_ok(s, rq, len);
}

/* RESUME (docs/protocol.md, "Suspend and resume"): the memfd holds the
 * gate.stack payload of the snapshot the program was instantiated from.
 * Parsed, then checked by the runtime against the code before anything
 * runs; then it runs like an INVOKE of the outermost frame's function. */
static void resume(struct server *s, struct request *rq)
{
	struct gate__value *results = NULL;
	struct gate_pstack st = { 0, NULL };
	struct gate__trap trap;
	const struct rt_instance *inst;
	const uint8_t *params, *rtypes = NULL;
	uint32_t np, nr = 0, outer;
	uint8_t *buf;
	size_t len;
	int status;

	if (rq->payload.left != 0) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot resume: malformed request");
		return;
	}
	if (s->host == NULL || !s->host->resumed) {
		reply_error(s, rq, GATE_INVALID_ARGUMENT,
			    "Cannot resume: no program was started from a snapshot (PROGRAM flag "
			    "RESUMED)");
		return;
	}
	buf = read_memfd(s, rq, GATE_RESUME_STACK_MAX, &len, "resume");
	if (buf == NULL)
		return;
	inst = s->store->instances[s->host->instance];
	s->err[0] = 0;
	status = gate__state_stack_parse(buf, len, inst->img->nfuncs, &st, s->err, sizeof s->err);
	free(buf);
	if (status != GATE_OK) {
		reply_status(s, rq, status);
		return;
	}
	/* the outermost frame's function gives the results; the runtime
	 * checks everything, this index too (none: it refuses the stack) */
	outer = st.frames[st.nframes - 1].func;
	if (outer < inst->img->nfuncs &&
	    (gate__store_func_type(s->store, inst->funcs[outer], &np, &params, &nr, &rtypes) !=
		     GATE_OK ||
	     (uint64_t)nr * 17 + 4 > GATE_FRAME_MAX - GATE_FRAME_HEADER)) {
		reply_error(s, rq, GATE_LIMIT, "Cannot resume: %u results", nr);
		goto out_clear;
	}
	results = calloc(nr ? nr : 1, sizeof *results);
	if (results == NULL) {
		reply_error(s, rq, GATE_OUT_OF_MEMORY, "Cannot resume: out of memory");
		goto out_clear;
	}
	memset(&trap, 0, sizeof trap);
	gate__host_serving(s->host, rq->h.instance, rq->h.seq);
	status = gate__store_resume(s->store, s->host->instance, &st, results, nr, &trap, s->err,
				    sizeof s->err);
	if (status == GATE_MALFORMED) /* checked before anything ran: nothing changed */
		reply_status(s, rq, status);
	else
		run_reply(s, rq, status, &trap, results, nr, rtypes);
	free(results);
out_clear:
	gate_pstack_clear(&st);
}

/* Sends one STATE_DATA frame of payload p[0..n) (n <= GATE_STATE_CHUNK)
 * without copying it: the header and the bytes go as two pieces. */
static void send_state_data(struct server *s, const struct request *rq, const uint8_t *p, size_t n)
{
	uint8_t hdr[GATE_FRAME_HEADER];
	struct iovec iov[2] = { { hdr, sizeof hdr }, { (void *)p, n } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t sent;

	gate__frame_put(hdr, (uint32_t)(GATE_FRAME_HEADER + n), GATE_MSG_STATE_DATA, 0,
			rq->h.instance, rq->h.seq);
	do
		sent = sendmsg(s->fd, &msg, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent != (ssize_t)(GATE_FRAME_HEADER + n))
		_exit(GATE_IO);
}

/* Small parts of the state gather in s->out's payload until a frame is
 * full or memory bytes follow, which go straight from linear memory. */
struct stager {
	size_t n;
	uint64_t total;
};

static void stage_flush(struct server *s, const struct request *rq, struct stager *g)
{
	if (g->n == 0)
		return;
	send_state_data(s, rq, s->out + GATE_FRAME_HEADER, g->n);
	g->total += g->n;
	g->n = 0;
}

static void stage(struct server *s, const struct request *rq, struct stager *g, const uint8_t *p,
		  size_t n)
{
	while (n > 0) {
		size_t k = GATE_STATE_CHUNK - g->n < n ? GATE_STATE_CHUNK - g->n : n;

		memcpy(s->out + GATE_FRAME_HEADER + g->n, p, k);
		g->n += k;
		p += k;
		n -= k;
		if (g->n == GATE_STATE_CHUNK)
			stage_flush(s, rq, g);
	}
}

/* Reads (or with write, writes) n bytes at *at of fd, advancing *at;
 * false on an error, the end of the file or a full disk. */
static bool fd_io(int fd, uint64_t *at, uint8_t *p, uint64_t n, bool write)
{
	while (n > 0) {
		size_t k = n < (1u << 30) ? (size_t)n : (1u << 30);
		ssize_t done = write ? pwrite(fd, p, k, (off_t)*at) : pread(fd, p, k, (off_t)*at);

		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0)
			return false;
		p += done;
		n -= (uint64_t)done;
		*at += (uint64_t)done;
	}
	return true;
}

static bool put_fd(int fd, uint64_t *at, const uint8_t *p, uint64_t n)
{
	return fd_io(fd, at, (uint8_t *)p, n, true);
}

/* The state wire into the request's memfd: memory goes from linear memory
 * to the file in one copy, where frames would take thousands (Deno seals
 * the memfd before it reads it: the bytes cannot change after the reply). */
static bool state_to_fd(int fd, const struct gate__state *st, uint64_t *total)
{
	bool ok = put_fd(fd, total, st->head, st->head_len);

	for (uint32_t i = 0; ok && i < st->nruns; i++) {
		uint64_t at = st->runs[i][0], end = st->runs[i][1];
		uint64_t hdr[2] = { at, end - at };

		ok = put_fd(fd, total, (const uint8_t *)hdr, sizeof hdr) &&
		     put_fd(fd, total, st->mem + at, end - at);
	}
	return ok && put_fd(fd, total, st->tail, st->tail_len);
}

/* RESTORE's host state after the runs: u32 length, then a gate.host entry
 * (host_state.h; length 0: none). Its packet input goes straight into the
 * packet stream's buffer. */
static bool restore_host(struct server *s, struct request *rq, uint64_t *at)
{
	struct gate__inbuf *b = &s->host->in[GATE_STREAM_PACKETS];
	struct gate_host_state hs;
	uint8_t fixed[GATE_HOST_STATE_FIXED];
	const char *why;
	uint32_t len;

	if (!fd_io(rq->fd, at, (uint8_t *)&len, 4, false) ||
	    (len && !fd_io(rq->fd, at, fixed, sizeof fixed, false))) {
		reply_error(s, rq, GATE_MALFORMED, "Cannot restore memory: truncated");
		return false;
	}
	if (len == 0)
		return true;
	why = len < GATE_HOST_STATE_FIXED || len - GATE_HOST_STATE_FIXED > GATE_STREAM_CHUNK
		      ? "bad length"
		      : gate_host_state_get(fixed, sizeof fixed, &hs);
	if (why == NULL) {
		hs.input = b->data; /* read in place: the buffer is empty before RESUME */
		hs.input_len = len - GATE_HOST_STATE_FIXED;
		if (!fd_io(rq->fd, at, b->data, hs.input_len, false))
			why = "truncated";
	}
	if (why == NULL)
		why = gate__host_load(s->host, &hs);
	if (why != NULL) {
		reply_error(s, rq, GATE_MALFORMED, "Cannot restore the host state: %s", why);
		return false;
	}
	return true;
}

/*
 * RESTORE (docs/protocol.md): the memory of a snapshot, from a sealed
 * memfd of runs (u64 offset, u64 length, bytes; (0, 0) ends them) straight
 * into the program's linear memory, which instantiation made as large as
 * the snapshot's and zero, then the host state (restore_host). Before
 * RESUME; the bytes are untrusted: runs out of order or out of bounds are
 * refused (memory is then partly written: the caller closes the instance).
 */
static void restore(struct server *s, struct request *rq)
{
	struct gate__rt_memory *mem;
	uint64_t at = 0, end = 0, size;

	if (rq->payload.left != 0 || rq->fd < 0) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot restore memory: malformed request");
		return;
	}
	if (s->host == NULL || !s->host->resumed || s->ran) {
		reply_error(s, rq, GATE_INVALID_ARGUMENT,
			    "Cannot restore memory: no program started from a snapshot waits for "
			    "it");
		return;
	}
	mem = gate__store_memory(s->store, s->host->instance, 0);
	size = mem ? (uint64_t)mem->pages * GATE__PAGE_SIZE : 0;
	for (;;) {
		uint64_t hdr[2];

		if (!fd_io(rq->fd, &at, (uint8_t *)hdr, sizeof hdr, false)) {
			reply_error(s, rq, GATE_MALFORMED, "Cannot restore memory: truncated");
			return;
		}
		if (hdr[1] == 0)
			break;
		if (hdr[0] < end || hdr[0] > size || hdr[1] > size - hdr[0]) {
			reply_error(s, rq, GATE_MALFORMED,
				    "Cannot restore memory: a run at %llu of %llu bytes is out of "
				    "order or beyond %llu bytes of memory",
				    (unsigned long long)hdr[0], (unsigned long long)hdr[1],
				    (unsigned long long)size);
			return;
		}
		if (!fd_io(rq->fd, &at, mem->base + hdr[0], hdr[1], false)) {
			reply_error(s, rq, GATE_MALFORMED, "Cannot restore memory: truncated");
			return;
		}
		end = hdr[0] + hdr[1];
	}
	if (!restore_host(s, rq, &at))
		return;
	reply_ok(s, rq, 0);
}

/* STATE: the state wire, into the memfd that comes with the request, or
 * else as STATE_DATA frames; then OK u64 bytes. */
static void state(struct server *s, struct request *rq)
{
	struct gate__outcome none = { 0 };
	struct gate_host_state hs = { 0 };
	struct gate__state st;
	struct stager g = { 0, 0 };
	const uint8_t *input = NULL;
	uint32_t input_len = 0;
	int status;

	if (rq->payload.left != 0) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot save state: malformed request");
		return;
	}
	if (s->host == NULL) {
		reply_error(s, rq, GATE_INVALID_ARGUMENT, "Cannot save state: no program");
		return;
	}
	if (s->lost) {
		reply_error(s, rq, GATE_INVALID_ARGUMENT,
			    "Cannot save state: the program's last run failed outside it");
		return;
	}
	if (!s->ran)
		none.monotonic = gate__host_monotonic(s->host);
	/* Stdin received and not read yet goes into the state, the bytes of
	 * every INPUT Deno sent before this STATE included: frames from Deno
	 * arrive in order, so the request loop took those already. Once Deno
	 * has seen the run end suspended (before it sends STATE) it sends no
	 * more INPUT and keeps what it reads; gate_snapshot_new puts the
	 * instance's bytes ahead of those (docs/protocol.md). */
	if (s->ran && s->outcome.trap == GATE_TRAP_SUSPENDED) {
		const struct gate__inbuf *b = &s->host->in[GATE_STREAM_STDIO];

		input = b->data + b->head;
		input_len = b->len - b->head;
		gate__host_save(s->host, &hs);
	}
	s->err[0] = 0;
	status = gate__state_build(s->store, s->host->instance, s->ran ? &s->outcome : &none, input,
				   input_len, &hs, &st, s->err, sizeof s->err);
	if (status != GATE_OK) {
		reply_status(s, rq, status);
		return;
	}
	if (rq->fd >= 0) {
		bool ok = state_to_fd(rq->fd, &st, &g.total);

		gate__state_free(&st);
		if (!ok) {
			reply_error(s, rq, GATE_IO, "Cannot save state: writing its memfd failed");
			return;
		}
		memcpy(s->out + GATE_FRAME_HEADER, &g.total, 8);
		reply_ok(s, rq, 8);
		return;
	}
	stage(s, rq, &g, st.head, st.head_len);
	for (uint32_t i = 0; i < st.nruns; i++) {
		uint64_t at = st.runs[i][0], end = st.runs[i][1];
		uint64_t hdr[2] = { at, end - at };

		stage(s, rq, &g, (const uint8_t *)hdr, sizeof hdr);
		stage_flush(s, rq, &g);
		while (at < end) {
			size_t k = end - at < GATE_STATE_CHUNK ? (size_t)(end - at) : GATE_STATE_CHUNK;

			send_state_data(s, rq, st.mem + at, k);
			g.total += k;
			at += k;
		}
	}
	stage(s, rq, &g, st.tail, st.tail_len);
	stage_flush(s, rq, &g);
	gate__state_free(&st);
	memcpy(s->out + GATE_FRAME_HEADER, &g.total, 8);
	reply_ok(s, rq, 8);
}

static void global_get(struct server *s, struct request *rq)
{
	struct gate__value v;
	uint32_t global;
	int status;

	global = gate__read32(&rq->payload);
	if (!rq->payload.ok || rq->payload.left != 0) {
		reply_error(s, rq, GATE_PROTOCOL, "Cannot read global: malformed request");
		return;
	}
	memset(&v, 0, sizeof v);
	status = gate__store_global_get(s->store, global, &v);
	if (status != GATE_OK || gate__value_size(v.type) == 0) {
		reply_error(s, rq, status != GATE_OK ? status : GATE_INTERNAL,
			    "Cannot read global %u", global);
		return;
	}
	reply_ok(s, rq, put_value(s->out + GATE_FRAME_HEADER, &v));
}

/* Receives one request. Returns 1 with *rq filled, 0 at end of channel, or
 * -1 for a datagram that is not a frame (after replying when possible). */
static int receive(struct server *s, struct request *rq)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = { .iov_base = s->in, .iov_len = sizeof s->in };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof control.buf,
	};
	ssize_t n;

	rq->fd = -1;
	do
		n = recvmsg(s->fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		_exit(GATE_IO);
	if (n == 0)
		return 0;
	/* Keep the first descriptor if there is exactly one; close the rest. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (rq->fd < 0)
				rq->fd = fd;
			else
				close(fd);
		}
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    !gate__frame_parse(s->in, (size_t)n, &rq->h)) {
		if (rq->fd >= 0)
			close(rq->fd);
		rq->fd = -1;
		/* Without a parsable header there is no seq to answer; seq 0
		 * marks an answer to no request. */
		rq->h = (struct gate__frame_header){ 0 };
		if ((size_t)n >= GATE_FRAME_HEADER)
			rq->h.seq = gate__le32(s->in + 12), rq->h.instance = gate__le32(s->in + 8);
		reply_error(s, rq, GATE_PROTOCOL, "Malformed frame of %zd bytes", n);
		return -1;
	}
	if (((rq->h.flags & GATE_FRAME_FD) != 0) != (rq->fd >= 0)) {
		if (rq->fd >= 0)
			close(rq->fd);
		rq->fd = -1;
		reply_error(s, rq, GATE_PROTOCOL, "Frame flags and descriptors disagree");
		return -1;
	}
	rq->payload = gate__reader(s->in + GATE_FRAME_HEADER, n - GATE_FRAME_HEADER);
	return 1;
}

int gate__instance_main(int fd)
{
	static struct server s; /* 128 KiB of buffers: not on the stack */
	struct request rq;
	int status;

	s.fd = fd;
	status = gate__store_new(&s.store, s.err, sizeof s.err);
	if (status != GATE_OK)
		return status;
	/* the handler's store from now on; a request that came before waits
	 * (sticky) as one for the store would */
	signal_store = s.store;
	if (early_suspend)
		gate__rt_request_suspend(s.store, NULL);
	for (;;) {
		int got = receive(&s, &rq);
		if (got == 0)
			break;
		if (got < 0)
			continue;
		switch (rq.h.type) {
		case GATE_MSG_LOAD:
			load(&s, &rq);
			break;
		case GATE_MSG_INSTANTIATE:
			instantiate(&s, &rq);
			break;
		case GATE_MSG_SPECTEST:
			spectest(&s, &rq);
			break;
		case GATE_MSG_EXPORT:
			export(&s, &rq);
			break;
		case GATE_MSG_INVOKE:
			invoke(&s, &rq);
			break;
		case GATE_MSG_GLOBAL_GET:
			global_get(&s, &rq);
			break;
		case GATE_MSG_PROGRAM:
			program(&s, &rq);
			break;
		case GATE_MSG_STATE:
			state(&s, &rq);
			break;
		case GATE_MSG_RESUME:
			resume(&s, &rq);
			break;
		case GATE_MSG_RESTORE:
			restore(&s, &rq);
			break;
		case GATE_MSG_INPUT:
		case GATE_MSG_ACK:
		case GATE_MSG_FS_REPLY:
			/* late answers to a program's PULL or OUTPUT: no reply */
			if (s.host && gate__host_frame(s.host, s.in, rq.h.size, rq.fd))
				break;
			reply_error(&s, &rq, GATE_PROTOCOL, "No program waits for frame type 0x%04x",
				    rq.h.type);
			break;
#ifdef GATE_PROBE
		case GATE_MSG_PROBE:
			reply_ok(&s, &rq,
				 gate__probe_run(rq.payload.p, rq.payload.left,
						 s.out + GATE_FRAME_HEADER,
						 GATE_FRAME_MAX - GATE_FRAME_HEADER));
			break;
#endif
		default:
			reply_error(&s, &rq, GATE_PROTOCOL, "Unknown request type 0x%04x",
				    rq.h.type);
		}
		if (rq.fd >= 0)
			close(rq.fd);
	}
	signal_store = NULL;
	gate__store_free(s.store);
	gate__host_free(s.host);
	gate_pstack_clear(&s.outcome.stack);
	return GATE_OK;
}
