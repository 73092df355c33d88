/*
 * The channel while a program runs (docs/protocol.md, "Programs"): OUTPUT
 * within the ACK window, PULL/INPUT, FS/FS_REPLY, and waiting for them with
 * ppoll + recvmsg on the instance channel (the only system calls the seccomp
 * filter allows for it: recvmsg with MSG_CMSG_CLOEXEC, sendmsg with
 * MSG_NOSIGNAL, ppoll). Any other request gets ERROR "busy"; a malformed
 * frame from Deno ends the process with GATE_PROTOCOL.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../executor/protocol.h"
#include "host.h"

uint64_t gate__host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void gate__host_fatal(struct gate__host *h, int status)
{
	if (h->fatal)
		h->fatal(status);
	_exit(status);
}

static void send_raw(struct gate__host *h, size_t len)
{
	struct iovec iov = { .iov_base = h->tx, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = sendmsg(h->fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		gate__host_fatal(h, GATE_IO);
}

void gate__host_send(struct gate__host *h, uint16_t type, size_t len)
{
	gate__frame_put(h->tx, (uint32_t)(GATE_FRAME_HEADER + len), type, 0, h->chan_instance,
			h->seq);
	send_raw(h, GATE_FRAME_HEADER + len);
}

void gate__host_serving(struct gate__host *h, uint32_t instance, uint32_t seq)
{
	h->chan_instance = instance;
	h->seq = seq;
}

uint32_t gate__host_credit(const struct gate__host *h)
{
	return h->unacked >= GATE_OUTPUT_WINDOW ? 0 : GATE_OUTPUT_WINDOW - h->unacked;
}

void gate__host_pull(struct gate__host *h, uint8_t stream)
{
	struct gate__inbuf *b = &h->in[stream];
	uint8_t *q = h->tx + GATE_FRAME_HEADER;

	if (b->pulled || b->eof || b->head < b->len)
		return;
	q[0] = stream;
	q[1] = q[2] = q[3] = 0;
	gate__put32(q + 4, GATE_STREAM_CHUNK);
	gate__host_send(h, GATE_MSG_PULL, 8);
	b->pulled = true;
}

/* ERROR busy to a request that came while a program runs. */
static void busy(struct gate__host *h, const struct gate__frame_header *fh)
{
	static const char msg[] = "busy: a program is running";
	uint8_t *q = h->tx + GATE_FRAME_HEADER;

	gate__put32(q, (uint32_t)GATE_PROTOCOL);
	memcpy(q + 4, msg, sizeof msg - 1);
	gate__frame_put(h->tx, (uint32_t)(GATE_FRAME_HEADER + 4 + sizeof msg - 1), GATE_MSG_ERROR, 0,
			fh->instance, fh->seq);
	send_raw(h, GATE_FRAME_HEADER + 4 + sizeof msg - 1);
}

/* INPUT, ACK, FS_REPLY: true if taken; malformed ones are fatal. */
bool gate__host_frame(struct gate__host *h, const uint8_t *frame, size_t len, int fd)
{
	struct gate__frame_header fh;
	const uint8_t *p = frame + GATE_FRAME_HEADER;
	size_t n;

	if (!gate__frame_parse(frame, len, &fh))
		return false;
	n = len - GATE_FRAME_HEADER;
	switch (fh.type) {
	case GATE_MSG_INPUT: {
		struct gate__inbuf *b;

		if (fd >= 0 || n < 4 || p[0] > GATE_STREAM_STDIO || p[1] || p[2] || p[3])
			gate__host_fatal(h, GATE_PROTOCOL);
		b = &h->in[p[0]];
		n -= 4;
		if (!b->pulled || n > GATE_STREAM_CHUNK || (n == 0 && p[0] != GATE_STREAM_STDIO))
			gate__host_fatal(h, GATE_PROTOCOL);
		b->pulled = false;
		if (n == 0) {
			b->eof = true;
			return true;
		}
		/* a PULL goes out only when the buffer is empty */
		memcpy(b->data, p + 4, n);
		b->head = 0;
		b->len = (uint32_t)n;
		return true;
	}
	case GATE_MSG_ACK:
		if (fd >= 0 || n != 4 || gate__le32(p) > h->unacked)
			gate__host_fatal(h, GATE_PROTOCOL);
		h->unacked -= gate__le32(p);
		return true;
	case GATE_MSG_FS_REPLY:
		if (fd >= 0 || !h->fs_wait || n < 4)
			gate__host_fatal(h, GATE_PROTOCOL);
		memcpy(h->fs_reply, p, n);
		h->fs_reply_len = (uint32_t)n;
		h->fs_wait = false;
		return true;
	}
	return false;
}

/* Receives and handles one frame (the channel is readable). */
static void receive(struct gate__host *h)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = { .iov_base = h->rx, .iov_len = GATE_FRAME_MAX };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof control.buf,
	};
	struct gate__frame_header fh;
	int fd = -1, extra = 0;
	ssize_t n;

	do
		n = recvmsg(h->fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		gate__host_fatal(h, GATE_IO);
	if (n == 0)
		gate__host_fatal(h, GATE_OK); /* CLOSE: the channel ended */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int d;

			memcpy(&d, CMSG_DATA(c) + i * sizeof(int), sizeof d);
			if (fd < 0)
				fd = d;
			else
				close(d), extra++;
		}
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || extra ||
	    !gate__frame_parse(h->rx, (size_t)n, &fh) ||
	    ((fh.flags & GATE_FRAME_FD) != 0) != (fd >= 0))
		gate__host_fatal(h, GATE_PROTOCOL);
	if (!gate__host_frame(h, h->rx, (size_t)n, fd))
		busy(h, &fh);
	if (fd >= 0)
		close(fd);
}

/*
 * The timeout of the ppoll a host wait is about to make, where a signal
 * handler can zero it (gate__host_interrupt_wait). That closes the race
 * between checking the suspend flag and blocking without masking signals
 * (rt_sigprocmask is not in the filter, and ppoll's mask argument would
 * need the signal blocked outside it): a request that lands before the
 * check is seen by it; one after it either interrupts ppoll (EINTR) or, if
 * it lands before the kernel read the timeout, leaves a zero timeout, so
 * ppoll returns at once and the loop sees the flag. One thread per
 * instance process runs programs, so one timeout serves.
 */
static struct timespec wait_ts;

/* Waits without a deadline still wake this often: a bound, not a poll. */
#define WAIT_SLICE_NS 3600000000000ull

void gate__host_interrupt_wait(void)
{
	/* sec first: a ppoll reading between the stores waits < 1 s */
	__atomic_store_n(&wait_ts.tv_sec, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&wait_ts.tv_nsec, 0, __ATOMIC_SEQ_CST);
}

uint32_t gate__host_wait(struct gate__host *h, uint64_t deadline, bool interruptible)
{
	for (;;) {
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
		uint64_t now = gate__host_now(), left;
		int r;

		if (deadline != UINT64_MAX && now >= deadline)
			return 0;
		left = deadline == UINT64_MAX || deadline - now > WAIT_SLICE_NS ? WAIT_SLICE_NS
										 : deadline - now;
		__atomic_store_n(&wait_ts.tv_sec, (time_t)(left / 1000000000u), __ATOMIC_SEQ_CST);
		__atomic_store_n(&wait_ts.tv_nsec, (long)(left % 1000000000u), __ATOMIC_SEQ_CST);
		/* after the timeout is set: see wait_ts */
		if (interruptible && h->store->suspend)
			return GATE_TRAP_SUSPENDED;
		r = ppoll(&pfd, 1, &wait_ts, NULL);
		if (r < 0) {
			if (errno != EINTR)
				gate__host_fatal(h, GATE_IO);
			if (interruptible && h->store->suspend)
				return GATE_TRAP_SUSPENDED;
			continue;
		}
		if (r == 0)
			continue; /* a slice or the deadline ended, or a request zeroed it */
		if (pfd.revents & POLLIN) {
			receive(h);
			gate__host_pump(h);
			return 0;
		}
		gate__host_fatal(h, GATE_IO); /* POLLHUP or POLLERR without data */
	}
}

void gate__host_pump(struct gate__host *h)
{
	for (;;) {
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
		struct timespec zero = { 0, 0 };
		int r = ppoll(&pfd, 1, &zero, NULL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			return;
		receive(h);
	}
}
