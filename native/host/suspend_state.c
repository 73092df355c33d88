/*
 * What a suspended program's host keeps besides the program's own state
 * (native/snapshot/host_state.h): the outgoing packet stream's position
 * inside a packet, the packet bytes received and not read, and the start of
 * a timed wait that a suspension interrupted, so that the retried call
 * keeps its deadline instead of waiting its full timeout again.
 *
 * Times are kept on the program's monotonic clock, which continues across a
 * snapshot (the host config's monotonic), and turned back into this host's
 * clock on resume.
 */
#include "host.h"

void gate__host_save(const struct gate__host *h, struct gate_host_state *out)
{
	const struct gate__inbuf *b = &h->in[GATE_STREAM_PACKETS];

	memset(out, 0, sizeof *out);
	out->wait = h->wait_call;
	out->wait_start = h->wait_call ? h->wait_start : 0;
	out->have = (uint8_t)h->packets.have;
	out->skip = h->packets.skip;
	memcpy(out->hdr, h->packets.hdr, h->packets.have); /* the rest holds older headers */
	out->input = b->data + b->head;
	out->input_len = b->len - b->head;
}

const char *gate__host_load(struct gate__host *h, const struct gate_host_state *s)
{
	struct gate__inbuf *b = &h->in[GATE_STREAM_PACKETS];

	if (s->input_len > GATE_STREAM_CHUNK)
		return "more packet input than an instance buffers";
	h->wait_call = s->wait;
	h->wait_start = s->wait_start;
	h->packets.have = s->have;
	h->packets.skip = s->skip;
	memcpy(h->packets.hdr, s->hdr, 8);
	if (s->input_len)
		memmove(b->data, s->input, s->input_len); /* RESTORE reads it in place */
	b->head = 0;
	b->len = s->input_len;
	return NULL;
}

uint64_t gate__host_call_start(struct gate__host *h, uint8_t call)
{
	uint64_t back;

	if (h->wait_call != call)
		return gate__host_now();
	h->wait_call = GATE_HOST_WAIT_NONE;
	/* start_ns is the program's clock h->monotonic; the call began
	 * (h->monotonic - wait_start) before. A call that began before this
	 * host's clock did (a program that ran longer than this host is up)
	 * counts from 0: its wait ends late, never early. */
	if (h->wait_start >= h->monotonic)
		return h->start_ns + (h->wait_start - h->monotonic);
	back = h->monotonic - h->wait_start;
	return back < h->start_ns ? h->start_ns - back : 0;
}

void gate__host_call_interrupted(struct gate__host *h, uint8_t call, uint64_t start)
{
	h->wait_call = call;
	h->wait_start = start >= h->start_ns ? h->monotonic + (start - h->start_ns)
					     : h->monotonic - (h->start_ns - start);
}
