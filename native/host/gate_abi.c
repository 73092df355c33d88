/*
 * The Gate ABI (docs/abi.md): gate.io_N, gate.fd_N, packet I/O on the Gate
 * fd, and the check of outgoing packet headers (reference b.4, b.5).
 */
#include "../executor/protocol.h"
#include "host.h"

uint32_t gate__host_iov(struct gate__host *h, uint32_t iovs, uint32_t n, struct gate__iov *out)
{
	const uint8_t *a = host_mem(h, iovs, 8ull * n);

	out->iovs = iovs;
	out->n = n;
	out->total = 0;
	if (a == NULL)
		return W_EFAULT;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p = gate__le32(a + 8 * i), l = gate__le32(a + 8 * i + 4);

		if (host_mem(h, p, l) == NULL)
			return W_EFAULT;
		out->total += l; /* at most 2^32 entries of < 2^32: no overflow */
	}
	return 0;
}

size_t gate__host_gather(struct gate__host *h, const struct gate__iov *v, uint64_t skip,
			 uint8_t *dst, size_t n)
{
	const uint8_t *a = host_mem(h, v->iovs, 8ull * v->n);
	size_t done = 0;

	for (uint32_t i = 0; a && i < v->n && done < n; i++) {
		uint32_t p = gate__le32(a + 8 * i), l = gate__le32(a + 8 * i + 4);
		const uint8_t *src = host_mem(h, p, l);
		size_t k;

		if (src == NULL)
			break;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		k = l - skip;
		if (k > n - done)
			k = n - done;
		memcpy(dst + done, src + skip, k);
		skip = 0;
		done += k;
	}
	return done;
}

size_t gate__host_scatter(struct gate__host *h, const struct gate__iov *v, const uint8_t *src,
			  size_t n)
{
	const uint8_t *a = host_mem(h, v->iovs, 8ull * v->n);
	size_t done = 0;

	for (uint32_t i = 0; a && i < v->n && done < n; i++) {
		uint32_t p = gate__le32(a + 8 * i), l = gate__le32(a + 8 * i + 4);
		uint8_t *dst = host_mem(h, p, l);
		size_t k = l < n - done ? l : n - done;

		if (dst == NULL)
			break;
		memcpy(dst, src + done, k);
		done += k;
	}
	return done;
}

bool gate__host_packets_check(struct gate__packets *pk, const uint8_t *p, size_t n, bool commit)
{
	struct gate__packets s = *pk;

	while (n > 0) {
		if (s.skip > 0) {
			size_t k = s.skip < n ? s.skip : n;

			s.skip -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		s.hdr[s.have++] = *p++;
		n--;
		if (s.have == 8) {
			uint32_t size = gate__le32(s.hdr);

			if (size < 8 || size > GATE_HOST_MAX_PACKET || (s.hdr[6] & 0xf0) || s.hdr[7])
				return false;
			s.skip = ((size + 7) & ~7u) - 8;
			s.have = 0;
		}
	}
	if (commit)
		*pk = s;
	return true;
}

uint64_t gate__host_packets_send(struct gate__host *h, const struct gate__iov *v, uint32_t *trap)
{
	uint64_t want = v->total, done = 0;
	uint32_t credit;

	*trap = 0;
	gate__host_pump(h);
	credit = gate__host_credit(h);
	if (want > credit)
		want = credit;
	/* check everything first: a bad header sends nothing */
	{
		struct gate__packets pk = h->packets;

		while (done < want) {
			size_t k = gate__host_gather(h, v, done, h->scratch, want - done < GATE_STREAM_CHUNK
									? want - done
									: GATE_STREAM_CHUNK);
			if (!gate__host_packets_check(&pk, h->scratch, k, true)) {
				*trap = GATE_TRAP_ABI_VIOLATION;
				return 0;
			}
			done += k;
		}
		h->packets = pk;
	}
	return gate__host_output_iov(h, GATE_STREAM_PACKETS, v, want);
}

uint64_t gate__host_output_iov(struct gate__host *h, uint8_t stream, const struct gate__iov *v,
			       uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		size_t k = n - done < GATE_STREAM_CHUNK ? n - done : GATE_STREAM_CHUNK;
		uint8_t *q = h->tx + GATE_FRAME_HEADER;

		k = gate__host_gather(h, v, done, q + 4, k);
		if (k == 0)
			break;
		q[0] = stream;
		q[1] = q[2] = q[3] = 0;
		gate__host_send(h, GATE_MSG_OUTPUT, 4 + k);
		h->unacked += (uint32_t)k;
		done += k;
	}
	return done;
}

uint64_t gate__host_packets_recv(struct gate__host *h, const struct gate__iov *v)
{
	struct gate__inbuf *b = &h->in[GATE_STREAM_PACKETS];
	size_t n;

	gate__host_pump(h);
	n = gate__host_scatter(h, v, b->data + b->head, b->len - b->head);
	b->head += (uint32_t)n;
	if (v->total > 0)
		gate__host_pull(h, GATE_STREAM_PACKETS); /* only if now empty */
	return n;
}

/*
 * gate.io_N(recv_iov, recv_iovcnt, nrecv_ptr, send_iov, send_iovcnt,
 *           nsent_ptr, timeout_ns i64, flags_ptr): no result. Null out
 * pointers are skipped; a bad pointer traps MEMORY_OUT_OF_BOUNDS (there is
 * no errno to return), a bad packet header ABI_VIOLATION.
 */
uint32_t gate__host_gate_io(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);
	struct gate__iov rv, sv;
	uint32_t nrecv_ptr = arg32(slots, 2), nsent_ptr = arg32(slots, 5),
		 flags_ptr = arg32(slots, 7), trap;
	int64_t timeout = (int64_t)slots[6];
	uint8_t *nrecv = NULL, *nsent = NULL, *flags = NULL;
	uint64_t start, deadline, got, put;

	if (gate__host_iov(h, arg32(slots, 0), arg32(slots, 1), &rv) ||
	    gate__host_iov(h, arg32(slots, 3), arg32(slots, 4), &sv) ||
	    (nrecv_ptr && (nrecv = host_mem(h, nrecv_ptr, 4)) == NULL) ||
	    (nsent_ptr && (nsent = host_mem(h, nsent_ptr, 4)) == NULL) ||
	    (flags_ptr && (flags = host_mem(h, flags_ptr, 4)) == NULL))
		return GATE_TRAP_MEMORY_OUT_OF_BOUNDS;
	start = gate__host_call_start(h, GATE_HOST_WAIT_IO);
	if (timeout < 0)
		deadline = UINT64_MAX;
	else
		deadline = (uint64_t)timeout > UINT64_MAX - start ? UINT64_MAX : start + (uint64_t)timeout;
	gate__host_pump(h);
	if (rv.total)
		gate__host_pull(h, GATE_STREAM_PACKETS);
	for (;;) {
		const struct gate__inbuf *b = &h->in[GATE_STREAM_PACKETS];
		bool ready = (rv.total && b->head < b->len) || (sv.total && gate__host_credit(h));

		if (ready || (timeout >= 0 && timeout < 1000 && (rv.total || sv.total)))
			break;
		if (gate__host_now() >= deadline)
			break;
		trap = gate__host_wait(h, deadline, true);
		if (trap) {
			/* nothing visible has changed: the call is retried, with
			 * this deadline */
			if (timeout >= 0)
				gate__host_call_interrupted(h, GATE_HOST_WAIT_IO, start);
			return trap;
		}
	}
	put = gate__host_packets_send(h, &sv, &trap);
	if (trap)
		return trap;
	got = gate__host_packets_recv(h, &rv);
	if (nrecv)
		gate__put32(nrecv, (uint32_t)got);
	if (nsent)
		gate__put32(nsent, (uint32_t)put);
	if (flags) {
		gate__put32(flags, h->started ? 1 : 0);
		h->started = false;
	}
	return 0;
}

/* gate.fd_N() -> i32: the Gate fd. */
uint32_t gate__host_gate_fd(struct gate__hostfunc *hf, uint64_t *slots)
{
	slots[0] = host_of(hf)->gate_fd;
	return 0;
}
