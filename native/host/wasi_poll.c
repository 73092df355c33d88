/*
 * poll_oneoff(in, out, nsubscriptions, nevents): clock subscriptions
 * (relative or absolute, on any of the four clocks), fd_read on stdin and
 * the Gate fd, fd_write on stdout, stderr and the Gate fd; forwarded
 * descriptors are always ready (files do not block). Waits on the channel
 * with ppoll until an event or the earliest clock.
 *
 * A suspension ends the wait and the call is retried from the start when
 * the program resumes (docs/protocol.md). The retry counts a relative clock
 * (nanosleep) from the interrupted call's start (suspend_state.c), so a
 * sleep suspended and resumed ends when it would have on the program's
 * clock; an absolute one keeps its deadline, which for the monotonic clock
 * is in the program's clock that continues across the suspension.
 */
#include "../executor/protocol.h"
#include "host.h"

#define SUB_SIZE 48
#define EVENT_SIZE 32
#define TYPE_CLOCK 0
#define TYPE_FD_READ 1
#define TYPE_FD_WRITE 2
#define SUBCLOCK_ABSTIME 1
#define EVENT_HANGUP 1

/* When clock subscription s fires, on the host's monotonic clock (start:
 * the call's start); UINT64_MAX: never; false: unknown clock. */
static bool deadline_of(struct gate__host *h, const uint8_t *s, uint64_t start, uint64_t *out)
{
	uint64_t t = le64(s + 24), now;

	if (!gate__host_clock(h, gate__le32(s + 16), &now))
		return false;
	if (gate__le16(s + 40) & SUBCLOCK_ABSTIME) {
		t = t > now ? t - now : 0;
		start = gate__host_now();
	}
	*out = t > UINT64_MAX - start ? UINT64_MAX : start + t;
	return true;
}

/* An event for subscription s, or none (false). */
static bool check(struct gate__host *h, const uint8_t *s, uint64_t start, uint8_t *ev)
{
	uint8_t type = s[8];
	uint32_t fd = gate__le32(s + 16);
	uint16_t error = 0, flags = 0;
	uint64_t nbytes = 0, deadline;

	if (type == TYPE_CLOCK) {
		if (!deadline_of(h, s, start, &deadline))
			error = W_EINVAL;
		else if (gate__host_now() < deadline)
			return false;
	} else if (type == TYPE_FD_READ || type == TYPE_FD_WRITE) {
		bool read = type == TYPE_FD_READ;
		const struct gate__inbuf *b = NULL;

		if (read && (fd == 0 || fd == h->gate_fd))
			b = &h->in[fd == 0 ? GATE_STREAM_STDIO : GATE_STREAM_PACKETS];
		if (b) {
			if (b->head < b->len)
				nbytes = b->len - b->head;
			else if (b->eof)
				flags = EVENT_HANGUP;
			else
				return false;
		} else if (!read && (fd == 1 || fd == 2 || fd == h->gate_fd)) {
			if (fd == 2 && !(h->flags & GATE_PROGRAM_DEBUG))
				nbytes = 0x7fffffff;
			else if ((nbytes = gate__host_credit(h)) == 0)
				return false;
			if (fd == h->gate_fd && nbytes > GATE_HOST_MAX_PACKET)
				nbytes = GATE_HOST_MAX_PACKET;
		} else if (!host_fs_fd(h, fd)) {
			error = W_EBADF;
		}
	} else {
		error = W_EINVAL;
	}
	memset(ev, 0, EVENT_SIZE);
	memcpy(ev, s, 8); /* userdata */
	memcpy(ev + 8, &error, 2);
	ev[10] = type;
	if (type != TYPE_CLOCK) {
		put64(ev + 16, nbytes);
		memcpy(ev + 24, &flags, 2);
	}
	return true;
}

uint32_t gate__wasi_poll_oneoff(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);
	uint32_t n = arg32(slots, 2);
	const uint8_t *in = host_mem(h, arg32(slots, 0), (uint64_t)SUB_SIZE * n);
	uint8_t *out = host_mem(h, arg32(slots, 1), (uint64_t)EVENT_SIZE * n);
	uint8_t *nevents = host_mem(h, arg32(slots, 3), 4);
	uint64_t start = gate__host_call_start(h, GATE_HOST_WAIT_POLL), first = UINT64_MAX;
	uint32_t count = 0, trap = 0;

	/* slots[0] is `in` until the last wait is over: a suspension reads
	 * the arguments back from the slots for the retry (host.h) */
	if (in == NULL || out == NULL || nevents == NULL) {
		slots[0] = W_EFAULT;
		return 0;
	}
	if (n == 0) {
		slots[0] = W_EINVAL;
		return 0;
	}
	/* the earliest clock; PULLs for reads */
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *s = in + (size_t)SUB_SIZE * i;
		uint32_t fd = gate__le32(s + 16);
		uint64_t d;

		if (s[8] == TYPE_CLOCK && deadline_of(h, s, start, &d) && d < first)
			first = d;
		else if (s[8] == TYPE_FD_READ && (fd == 0 || fd == h->gate_fd))
			gate__host_pull(h, fd == 0 ? GATE_STREAM_STDIO : GATE_STREAM_PACKETS);
	}
	gate__host_pump(h);
	for (;;) {
		for (uint32_t i = 0; i < n; i++)
			if (check(h, in + (size_t)SUB_SIZE * i, start, out + (size_t)EVENT_SIZE * count))
				count++;
		if (count > 0)
			break;
		trap = gate__host_wait(h, first, true);
		if (trap) {
			/* nothing written yet: the call is retried, from this start */
			gate__host_call_interrupted(h, GATE_HOST_WAIT_POLL, start);
			return trap;
		}
	}
	gate__put32(nevents, count);
	slots[0] = 0;
	return 0;
}
