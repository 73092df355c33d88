/*
 * gate-executor: creates instance processes and multiplexes their channels
 * to the Deno side (docs/protocol.md).
 *
 * Started by libgate (gate_executor_spawn) with its control channel, an
 * AF_UNIX SOCK_SEQPACKET socket, as descriptor 3. Single-threaded on epoll,
 * and never blocks on a peer: everything it sends waits in a queue until
 * the socket takes it. So a fork here is safe (unlike in the multi-threaded
 * Deno process), and a slow or hostile instance cannot stall the others.
 *
 * For each SPAWN it forks an instance process that serves its channel with
 * the runtime (instance.c). It forwards requests to instances and their
 * replies back, stamped with the instance id; reaps instances and reports
 * EXIT after their last reply; forwards KILL. End of the control channel
 * means the Deno side is gone: every instance is killed and reaped, then
 * the executor exits.
 *
 * Each instance process is sandboxed before it reads a request: namespaces,
 * an empty read-only root, rlimits, no capabilities, seccomp (sandbox.c,
 * docs/sandbox.md). The executor refuses to start if the host cannot give
 * the namespaces, unless GATE_INSECURE_NO_USERNS=1 says otherwise (loudly).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../libgate.h"
#include "../rt/rt.h"
#include "instance.h"
#include "protocol.h"
#include "sandbox.h"

/* Bytes queued towards the Deno side above which instance channels are no
 * longer read, so a program that floods its channel cannot exhaust the
 * executor's memory; reading resumes below the low mark. */
#define CONTROL_HIGH (8u << 20)
#define CONTROL_LOW (1u << 20)

/* Bytes queued towards one instance above which requests are refused: an
 * instance that stops reading cannot make the executor buffer without end. */
#define INSTANCE_QUEUE_MAX (4u << 20)

/* Frames read from one instance per wakeup, so others get their turn. */
#define READ_BATCH 64

/* Concurrent instances unless GATE_MAX_INSTANCES says fewer (or more, up
 * to what the executor's descriptor limit allows). */
#define DEFAULT_MAX_INSTANCES 4096

#define HASH_BUCKETS 1024 /* instance ids -> instances; chains stay short */

#define TAG_CONTROL 0
#define TAG_SIGNAL 1

struct frame {
	struct frame *next;
	int fd; /* descriptor sent with the frame (then closed), or -1 */
	size_t len;
	uint8_t data[];
};

struct queue {
	struct frame *head, *tail;
	size_t bytes;
};

struct inst {
	uint32_t id;
	pid_t pid;
	int fd;         /* channel; -1 after end of channel */
	bool watched;   /* fd is in the epoll set */
	bool want_out;  /* EPOLLOUT requested */
	bool dead;      /* reaped and reported; freed after this round of events */
	struct queue out;
	struct inst *next_id; /* hash chain */
	struct inst *prev, *next; /* list of all */
};

static int epfd = -1;
static int sigfd = -1;
static int control = GATE_CONTROL_FD;
static bool control_want_out;
static bool paused; /* instance channels not read: control queue over CONTROL_HIGH */
static struct queue to_control;
static struct inst *by_id[HASH_BUCKETS];
static struct inst *all;
static struct inst *graveyard; /* reaped this round of events, freed after it */
static pid_t self;
static struct gate__sandbox_host host;
static uint32_t ninstances, max_instances = DEFAULT_MAX_INSTANCES;
static uint8_t buf[GATE_FRAME_MAX];

void gate__say(const char *fmt, ...)
{
	va_list ap;

	fputs("gate-executor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Queues and frames. */

static bool queue_push(struct queue *q, const uint8_t *data, size_t len, int fd)
{
	struct frame *f = malloc(sizeof *f + len);

	if (f == NULL)
		return false;
	f->next = NULL;
	f->fd = fd;
	f->len = len;
	memcpy(f->data, data, len);
	if (q->tail)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->bytes += len;
	return true;
}

static void queue_clear(struct queue *q)
{
	struct frame *f, *next;

	for (f = q->head; f; f = next) {
		next = f->next;
		if (f->fd >= 0)
			close(f->fd);
		free(f);
	}
	*q = (struct queue){ 0 };
}

/* Sends one frame with an optional descriptor. Returns 1 when sent, 0 when
 * the socket is full, -1 when the peer is gone. */
static int send_frame(int sock, const uint8_t *data, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control_buf;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		msg.msg_control = control_buf.buf;
		msg.msg_controllen = sizeof control_buf.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
		return 0;
	return -1;
}

/* Sends queued frames until the socket is full. Returns -1 if the peer is
 * gone, else 0; *empty tells whether the queue drained. */
static int queue_flush(struct queue *q, int sock, bool *empty)
{
	struct frame *f;

	while ((f = q->head) != NULL) {
		int sent = send_frame(sock, f->data, f->len, f->fd);
		if (sent < 0)
			return -1;
		if (sent == 0)
			break;
		q->head = f->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->bytes -= f->len;
		if (f->fd >= 0)
			close(f->fd);
		free(f);
	}
	*empty = q->head == NULL;
	return 0;
}

static void watch(int fd, uint32_t events, uint64_t tag, int op)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(epfd, op, fd, &ev) != 0 && op != EPOLL_CTL_DEL) {
		gate__say("epoll_ctl: %s", strerror(errno));
		exit(GATE_INTERNAL);
	}
}

static uint64_t inst_tag(struct inst *in)
{
	return (uint64_t)(uintptr_t)in;
}

static void shutdown_all(int status) __attribute__((noreturn));

static void control_update(void);

/* Queues a frame to the Deno side, sending it at once when possible. */
static void to_deno(const uint8_t *data, size_t len)
{
	if (to_control.head == NULL) {
		int sent = send_frame(control, data, len, -1);
		if (sent > 0)
			return;
		if (sent < 0)
			shutdown_all(GATE_OK);
	}
	if (!queue_push(&to_control, data, len, -1)) {
		gate__say("out of memory queueing %zu bytes to the Deno side", len);
		shutdown_all(GATE_OUT_OF_MEMORY);
	}
	control_update();
}

static void send_error(uint32_t instance, uint32_t seq, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void send_error(uint32_t instance, uint32_t seq, int status, const char *fmt, ...)
{
	uint8_t f[GATE_FRAME_HEADER + 4 + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf((char *)f + GATE_FRAME_HEADER + 4, 256, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > 255)
		n = 255;
	gate__put32(f + GATE_FRAME_HEADER, (uint32_t)status);
	gate__frame_put(f, GATE_FRAME_HEADER + 4 + (uint32_t)n, GATE_MSG_ERROR, 0, instance, seq);
	to_deno(f, GATE_FRAME_HEADER + 4 + (size_t)n);
}

static void send_small(uint16_t type, uint32_t instance, uint32_t seq, const uint32_t *words,
		       size_t nwords)
{
	uint8_t f[GATE_FRAME_HEADER + 16];
	size_t len = GATE_FRAME_HEADER + 4 * nwords;

	for (size_t i = 0; i < nwords; i++)
		gate__put32(f + GATE_FRAME_HEADER + 4 * i, words[i]);
	gate__frame_put(f, (uint32_t)len, type, 0, instance, seq);
	to_deno(f, len);
}

/* Instances. */

static struct inst *find(uint32_t id)
{
	struct inst *in;

	for (in = by_id[id % HASH_BUCKETS]; in; in = in->next_id)
		if (in->id == id)
			return in;
	return NULL;
}

static void inst_watch_update(struct inst *in)
{
	uint32_t events = (paused ? 0 : EPOLLIN) | (in->want_out ? EPOLLOUT : 0);

	if (in->fd < 0)
		return;
	if (events == 0) {
		if (in->watched)
			watch(in->fd, 0, 0, EPOLL_CTL_DEL);
		in->watched = false;
		return;
	}
	watch(in->fd, events, inst_tag(in), in->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD);
	in->watched = true;
}

/* Stops using an instance's channel (after its end, or at exit). */
static void inst_close_channel(struct inst *in)
{
	if (in->fd < 0)
		return;
	if (in->watched)
		watch(in->fd, 0, 0, EPOLL_CTL_DEL);
	close(in->fd);
	in->fd = -1;
	in->watched = false;
	in->want_out = false;
	queue_clear(&in->out);
}

/* Unlinks an instance from the table and the list of all. */
static void inst_unlink(struct inst *in)
{
	struct inst **p;

	for (p = &by_id[in->id % HASH_BUCKETS]; *p != in; p = &(*p)->next_id)
		;
	*p = in->next_id;
	if (in->prev)
		in->prev->next = in->next;
	else
		all = in->next;
	if (in->next)
		in->next->prev = in->prev;
	in->prev = in->next = NULL;
}

static void kill_inst(struct inst *in)
{
	if (in->pid > 0)
		kill(in->pid, SIGKILL);
}

/* The instance process, cloned into its namespaces. */
static void instance_child(int chan, const struct gate__spawn_opts *opts) __attribute__((noreturn));

static void instance_child(int chan, const struct gate__spawn_opts *opts)
{
	/* SUSPEND (docs/protocol.md): SIGUSR1 asks the runtime to suspend the
	 * program. The executor keeps SIGUSR1 blocked, so one sent right after
	 * SPAWNED waits until the handler is in place (as pid 1 of its
	 * namespace the instance would ignore it without a handler; without
	 * namespaces it would die). No SA_RESTART: a host wait's ppoll must
	 * end. Installed long before the filter, which allows rt_sigreturn but
	 * not rt_sigaction. */
	struct sigaction sa = { .sa_sigaction = gate__instance_signal,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		_exit(GATE_INTERNAL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (chan != GATE_INSTANCE_FD) {
		if (dup2(chan, GATE_INSTANCE_FD) < 0)
			_exit(GATE_INTERNAL);
	} else {
		/* dup2 onto itself would keep close-on-exec; clear it. */
		int fl = fcntl(chan, F_GETFD);
		if (fl < 0 || fcntl(chan, F_SETFD, fl & ~FD_CLOEXEC) < 0)
			_exit(GATE_INTERNAL);
	}
	/* stdin, stdout, stderr and the channel; the sandbox closes 0-2 last */
	if (close_range(GATE_INSTANCE_FD + 1, ~0u, 0) != 0)
		_exit(GATE_INTERNAL);
	gate__sandbox_enter(&host, opts);
	_exit(gate__instance_main(GATE_INSTANCE_FD));
}

/* SPAWN's payload: none (defaults), or u64 memory bytes, u32 CPU seconds,
 * u32 flags (GATE_SPAWN_*; docs/protocol.md). */
static bool spawn_opts(const uint8_t *payload, size_t len, struct gate__spawn_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	if (len == 0)
		return true;
	if (len != 16 || (gate__le32(payload + 12) & ~(uint32_t)GATE_SPAWN_FLAGS) != 0)
		return false;
	opts->memory_bytes = gate__le32(payload) | (uint64_t)gate__le32(payload + 4) << 32;
	opts->cpu_seconds = gate__le32(payload + 8);
	opts->flags = gate__le32(payload + 12);
	return opts->memory_bytes <= GATE_MAX_MEMORY_BYTES;
}

static void spawn(uint32_t id, uint32_t seq, const struct gate__spawn_opts *opts)
{
	struct inst *in;
	int sv[2];
	pid_t pid;
	int r;

	if (id == 0 || find(id) != NULL) {
		send_error(id, seq, GATE_INVALID_ARGUMENT, "Cannot spawn instance %u: id in use",
			   id);
		return;
	}
	if (ninstances >= max_instances) {
		send_error(id, seq, GATE_LIMIT,
			   "Cannot spawn instance %u: %u instances running, the limit "
			   "(GATE_MAX_INSTANCES)",
			   id, ninstances);
		return;
	}
	in = calloc(1, sizeof *in);
	if (in == NULL) {
		send_error(id, seq, GATE_OUT_OF_MEMORY, "Cannot spawn instance %u: out of memory",
			   id);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		send_error(id, seq, GATE_IO, "Cannot spawn instance %u: socketpair: %s", id,
			   strerror(errno));
		free(in);
		return;
	}
	pid = gate__sandbox_clone(&host);
	if (pid == 0) {
		close(sv[0]);
		instance_child(sv[1], opts);
	}
	close(sv[1]);
	if (pid < 0) {
		send_error(id, seq, GATE_IO, "Cannot spawn instance %u: clone: %s", id,
			   strerror(errno));
		close(sv[0]);
		free(in);
		return;
	}
	/* Its maps and cgroup, then the go byte it waits for. */
	r = gate__sandbox_parent(&host, pid, id, opts);
	if (r == 0 && send(sv[0], "g", 1, MSG_NOSIGNAL) != 1)
		r = -errno;
	if (r != 0) {
		send_error(id, seq, GATE_INTERNAL, "Cannot spawn instance %u: sandbox: %s", id,
			   strerror(-r));
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		gate__sandbox_reaped(&host, id);
		close(sv[0]);
		free(in);
		return;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	in->id = id;
	in->pid = pid;
	in->fd = sv[0];
	in->next_id = by_id[id % HASH_BUCKETS];
	by_id[id % HASH_BUCKETS] = in;
	in->next = all;
	if (all)
		all->prev = in;
	all = in;
	ninstances++;
	inst_watch_update(in);
	uint32_t words[1] = { (uint32_t)pid };
	send_small(GATE_MSG_SPAWNED, id, seq, words, 1);
}

/* The instance cannot take requests any more: it ends (if it has not yet),
 * queued requests are dropped, and its last replies are still read. */
static void inst_lost(struct inst *in)
{
	kill_inst(in);
	queue_clear(&in->out);
	in->want_out = false;
	inst_watch_update(in);
}

/* A request for an instance whose channel is gone waits for the EXIT that
 * follows (the instance is killed if it still runs), so the Deno side sees
 * the end of the process rather than an error about a socket. */
static void forward(struct inst *in, const uint8_t *data, size_t len, int fd,
		    const struct gate__frame_header *h)
{
	if (in->fd < 0)
		goto out_gone;
	if (in->out.head == NULL) {
		int sent = send_frame(in->fd, data, len, fd);
		if (sent > 0)
			goto out_close_fd;
		if (sent < 0)
			goto out_gone;
	}
	if (in->out.bytes + len > INSTANCE_QUEUE_MAX || !queue_push(&in->out, data, len, fd)) {
		send_error(in->id, h->seq, GATE_LIMIT,
			   "Instance %u does not read its channel: request dropped", in->id);
		goto out_close_fd;
	}
	in->want_out = true;
	inst_watch_update(in);
	return;
out_gone:
	inst_lost(in);
out_close_fd:
	if (fd >= 0)
		close(fd);
}

/* Receives one datagram with at most one descriptor into buf. Returns its
 * length, 0 at end of channel, -1 if nothing is waiting, -2 on error. *fd
 * is the descriptor or -1; *bad is set when the datagram was truncated or
 * carried more descriptors than one. */
static ssize_t receive(int sock, int *fd, bool *bad)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof cbuf.buf,
	};
	ssize_t n;

	*fd = -1;
	*bad = false;
	do
		n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : -2;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
			if (*fd < 0) {
				*fd = got;
			} else {
				close(got);
				*bad = true;
			}
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		*bad = true;
	return n;
}

/* A frame from the Deno side. */
static void control_frame(const uint8_t *data, size_t len, int fd, bool bad)
{
	struct gate__frame_header h;
	struct inst *in;

	if (bad || !gate__frame_parse(data, len, &h)) {
		uint32_t seq = len >= GATE_FRAME_HEADER ? gate__le32(data + 12) : 0;
		uint32_t id = len >= GATE_FRAME_HEADER ? gate__le32(data + 8) : 0;
		send_error(id, seq, GATE_PROTOCOL, "Malformed frame of %zu bytes", len);
		goto out_close_fd;
	}
	if (((h.flags & GATE_FRAME_FD) != 0) != (fd >= 0)) {
		send_error(h.instance, h.seq, GATE_PROTOCOL,
			   "Frame flags and descriptors disagree");
		goto out_close_fd;
	}
	if (h.type >= GATE_MSG_INSTANCE_FIRST && h.type <= GATE_MSG_INSTANCE_LAST) {
		in = find(h.instance);
		if (in == NULL) {
			send_error(h.instance, h.seq, GATE_INVALID_ARGUMENT,
				   "No instance %u", h.instance);
			goto out_close_fd;
		}
		/* The instance cannot call fcntl under its filter: the seals
		 * are checked here (docs/protocol.md, "Images"), for a LOAD's
		 * image and a RESUME's stack alike. */
		bool sealed = h.type == GATE_MSG_LOAD || h.type == GATE_MSG_RESUME ||
			      h.type == GATE_MSG_RESTORE;
		int seals = sealed && fd >= 0 ? fcntl(fd, F_GET_SEALS) : 0;
		if (sealed && fd >= 0 &&
		    (seals < 0 || (seals & GATE_IMAGE_SEALS) != GATE_IMAGE_SEALS)) {
			send_error(h.instance, h.seq, GATE_PROTOCOL,
				   h.type == GATE_MSG_LOAD
					   ? "Cannot load image: descriptor is not a sealed memfd"
					   : h.type == GATE_MSG_RESUME
					   ? "Cannot resume: descriptor is not a sealed memfd"
					   : "Cannot restore memory: descriptor is not a sealed memfd");
			goto out_close_fd;
		}
		forward(in, data, len, fd, &h);
		return;
	}
	if (h.type == GATE_MSG_SPAWN && fd < 0) {
		struct gate__spawn_opts opts;

		if (!spawn_opts(data + GATE_FRAME_HEADER, len - GATE_FRAME_HEADER, &opts)) {
			send_error(h.instance, h.seq, GATE_INVALID_ARGUMENT,
				   "Cannot spawn instance %u: malformed options", h.instance);
			return;
		}
		spawn(h.instance, h.seq, &opts);
		return;
	}
	if (fd >= 0 || len != GATE_FRAME_HEADER) {
		send_error(h.instance, h.seq, GATE_PROTOCOL,
			   "Malformed frame of type 0x%04x", h.type);
		goto out_close_fd;
	}
	switch (h.type) {
	case GATE_MSG_KILL:
	case GATE_MSG_CLOSE:
	case GATE_MSG_SUSPEND:
		in = find(h.instance);
		if (in == NULL) {
			send_error(h.instance, h.seq, GATE_INVALID_ARGUMENT, "No instance %u",
				   h.instance);
			return;
		}
		if (h.type == GATE_MSG_KILL)
			kill_inst(in);
		else if (h.type == GATE_MSG_SUSPEND) {
			/* The instance's handler asks its runtime to suspend
			 * (instance.c); no reply: a TRAP SUSPENDED ends the run.
			 * After the instance ended there is nothing to stop. */
			if (in->pid > 0)
				kill(in->pid, SIGUSR1);
		}
		else if (in->fd >= 0)
			shutdown(in->fd, SHUT_WR); /* it reads end of channel and exits */
		return;
	}
	send_error(h.instance, h.seq, GATE_PROTOCOL, "Unknown frame type 0x%04x", h.type);
	return;
out_close_fd:
	if (fd >= 0)
		close(fd);
}

static void control_readable(void)
{
	for (int i = 0; i < READ_BATCH; i++) {
		int fd;
		bool bad;
		ssize_t n = receive(control, &fd, &bad);
		if (n == -1)
			return;
		if (n == 0 || n == -2)
			shutdown_all(GATE_OK);
		control_frame(buf, (size_t)n, fd, bad);
	}
}

/* Reads frames an instance sent. A frame that is not a well-formed reply
 * ends the instance: it may be running a compromised program. Returns false
 * once the channel has ended. */
static bool inst_readable(struct inst *in, int limit)
{
	struct gate__frame_header h;

	for (int i = 0; i < limit && in->fd >= 0; i++) {
		int fd;
		bool bad;
		ssize_t n = receive(in->fd, &fd, &bad);
		if (n == -1)
			return true;
		if (n == 0 || n == -2) {
			inst_close_channel(in);
			return false;
		}
		if (fd >= 0)
			close(fd);
		if (bad || fd >= 0 || !gate__frame_parse(buf, (size_t)n, &h) || h.flags != 0 ||
		    (h.type == GATE_MSG_ERROR ? (size_t)n < GATE_FRAME_HEADER + 4
					      : h.type < GATE_MSG_REPLY_FIRST ||
							h.type > GATE_MSG_REPLY_LAST)) {
			send_error(in->id, 0, GATE_PROTOCOL,
				   "Instance %u sent a malformed frame; killed", in->id);
			kill_inst(in);
			inst_close_channel(in);
			return false;
		}
		/* The executor, not the instance, says which instance spoke. */
		gate__put32(buf + 8, in->id);
		to_deno(buf, (size_t)n);
	}
	return true;
}

static void inst_writable(struct inst *in)
{
	bool empty;

	if (queue_flush(&in->out, in->fd, &empty) != 0) {
		inst_lost(in);
		return;
	}
	if (empty) {
		in->want_out = false;
		inst_watch_update(in);
	}
}

static void set_paused(bool on)
{
	if (paused == on)
		return;
	paused = on;
	for (struct inst *in = all; in; in = in->next)
		inst_watch_update(in);
}

static void control_update(void)
{
	bool want = to_control.head != NULL;

	if (want != control_want_out) {
		watch(control, EPOLLIN | (want ? EPOLLOUT : 0), TAG_CONTROL, EPOLL_CTL_MOD);
		control_want_out = want;
	}
	if (to_control.bytes > CONTROL_HIGH)
		set_paused(true);
	else if (to_control.bytes < CONTROL_LOW)
		set_paused(false);
}

static void control_writable(void)
{
	bool empty;

	if (queue_flush(&to_control, control, &empty) != 0)
		shutdown_all(GATE_OK);
	control_update();
}

static void report_exit(struct inst *in, int status)
{
	uint32_t words[2];

	/* Its last replies are still in the channel, followed by its end:
	 * forward them before the exit. */
	if (in->fd >= 0)
		inst_readable(in, INT_MAX);
	if (WIFSIGNALED(status)) {
		words[0] = GATE_EXIT_SIGNAL;
		words[1] = (uint32_t)WTERMSIG(status);
	} else {
		words[0] = GATE_EXIT_CODE;
		words[1] = (uint32_t)WEXITSTATUS(status);
	}
	send_small(GATE_MSG_EXIT, in->id, 0, words, 2);
	gate__sandbox_reaped(&host, in->id);
	ninstances--;
	inst_close_channel(in);
	inst_unlink(in);
	in->dead = true;
	in->next = graveyard;
	graveyard = in;
}

/* Reaps exited instances. Their structs stay until the end of the round of
 * events, which may still name them. */
static void reap(void)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(sigfd, &si, sizeof si) == sizeof si)
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct inst *in;
		for (in = all; in && in->pid != pid; in = in->next)
			;
		if (in)
			report_exit(in, status);
	}
}

static void shutdown_all(int status)
{
	for (struct inst *in = all; in; in = in->next)
		kill_inst(in);
	for (struct inst *in = all; in; in = in->next) {
		while (waitpid(in->pid, NULL, 0) < 0 && errno == EINTR)
			;
		gate__sandbox_reaped(&host, in->id);
	}
	if (host.cgroups)
		gate__cgroup_fini();
	exit(status);
}

static int serve(void)
{
	struct epoll_event events[64];
	sigset_t mask;
	int type;
	socklen_t len = sizeof type;

	if (getsockopt(control, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
	    type != SOCK_SEQPACKET) {
		gate__say("descriptor %d is not a SOCK_SEQPACKET control channel: run me through "
		     "libgate (gate_executor_spawn)",
		     control);
		return 2;
	}
	/* Descriptors the Deno process leaked without close-on-exec. */
	close_range(GATE_CONTROL_FD + 1, ~0u, 0);
	self = getpid();
	if (gate__sandbox_init(&host) != 0) {
		/* Said on stderr; the client sees an ERROR instead of HELLO. */
		uint8_t f[GATE_FRAME_HEADER + 4 + 80];
		const char *msg = "Cannot sandbox instances: see gate-executor's stderr";
		size_t n = strlen(msg);
		gate__put32(f + GATE_FRAME_HEADER, GATE_UNSUPPORTED);
		memcpy(f + GATE_FRAME_HEADER + 4, msg, n);
		gate__frame_put(f, (uint32_t)(GATE_FRAME_HEADER + 4 + n), GATE_MSG_ERROR, 0, 0, 0);
		send_frame(control, f, GATE_FRAME_HEADER + 4 + n, -1);
		return GATE_UNSUPPORTED;
	}
	{
		/* Instances inherit the runtime's handlers, alternate signal
		 * stack and stack bounds (rt.h), computed with the stack limit
		 * they will have. */
		struct rlimit st;
		if (getrlimit(RLIMIT_STACK, &st) == 0) {
			st.rlim_cur = GATE_INSTANCE_STACK;
			setrlimit(RLIMIT_STACK, &st);
		}
		if (gate__rt_prepare_process() != 0) {
			gate__say("cannot prepare the runtime: %s", strerror(errno));
			return GATE_INTERNAL;
		}
	}
	{
		/* One descriptor per instance, and some for the executor. */
		struct rlimit rl;
		const char *max = getenv("GATE_MAX_INSTANCES");
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (max && atoi(max) > 0)
			max_instances = (uint32_t)atoi(max);
		if (rl.rlim_cur != RLIM_INFINITY && max_instances > rl.rlim_cur - 64)
			max_instances = rl.rlim_cur > 128 ? (uint32_t)(rl.rlim_cur - 64) : 64;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Blocked for good: instances inherit it blocked until their SUSPEND
	 * handler is in place (instance_child). */
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sigfd < 0 || epfd < 0) {
		gate__say("cannot set up: %s", strerror(errno));
		return GATE_INTERNAL;
	}
	fcntl(control, F_SETFD, FD_CLOEXEC);
	fcntl(control, F_SETFL, fcntl(control, F_GETFL) | O_NONBLOCK);
	watch(control, EPOLLIN, TAG_CONTROL, EPOLL_CTL_ADD);
	watch(sigfd, EPOLLIN, TAG_SIGNAL, EPOLL_CTL_ADD);

	uint32_t hello[3] = { GATE_PROTOCOL_VERSION, GATE_ABI_VERSION, (uint32_t)self };
	send_small(GATE_MSG_HELLO, 0, 0, hello, 3);

	for (;;) {
		int n = epoll_wait(epfd, events, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gate__say("epoll_wait: %s", strerror(errno));
			shutdown_all(GATE_INTERNAL);
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;
			uint32_t ev = events[i].events;
			if (tag == TAG_CONTROL) {
				if (ev & EPOLLOUT)
					control_writable();
				if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
					control_readable();
				continue;
			}
			if (tag == TAG_SIGNAL) {
				reap();
				continue;
			}
			struct inst *in = (struct inst *)(uintptr_t)tag;
			if (in->dead || in->fd < 0)
				continue;
			if (ev & EPOLLOUT)
				inst_writable(in);
			if (in->fd >= 0 && !paused && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				inst_readable(in, READ_BATCH);
		}
		while (graveyard) {
			struct inst *in = graveyard;
			graveyard = in->next;
			free(in);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("gate-executor abi %d protocol %d\n", GATE_ABI_VERSION,
		       GATE_PROTOCOL_VERSION);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--serve") == 0)
		return serve();
	fprintf(stderr, "usage: gate-executor --version | --serve (control channel on fd %d)\n",
		GATE_CONTROL_FD);
	return 2;
}
