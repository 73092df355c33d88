/*
 * The `gate.host` entry (host_state.h, docs/snapshot.md): little-endian,
 * fixed width, 24 bytes and the packet input.
 *
 *   u8 version (0)   u8 wait   u8 have   u8 0
 *   u32 skip         u8[8] hdr           u64 wait_start
 *   the packet input: the rest of the entry
 */
#include "host_state.h"

#include <string.h>

bool gate_host_state_empty(const struct gate_host_state *s)
{
	static const uint8_t zero[8];

	return s->wait == GATE_HOST_WAIT_NONE && s->have == 0 && s->skip == 0 &&
	       memcmp(s->hdr, zero, 8) == 0 && s->wait_start == 0 && s->input_len == 0;
}

void gate_host_state_put(const struct gate_host_state *s, uint8_t *out)
{
	out[0] = 0;
	out[1] = s->wait;
	out[2] = s->have;
	out[3] = 0;
	memcpy(out + 4, &s->skip, 4);
	memcpy(out + 8, s->hdr, 8);
	memcpy(out + 16, &s->wait_start, 8);
	if (s->input_len)
		memcpy(out + GATE_HOST_STATE_FIXED, s->input, s->input_len);
}

const char *gate_host_state_get(const uint8_t *p, size_t len, struct gate_host_state *out)
{
	memset(out, 0, sizeof *out);
	if (len < GATE_HOST_STATE_FIXED)
		return "truncated";
	if (p[0] != 0 || p[3] != 0)
		return "unknown version";
	if (len - GATE_HOST_STATE_FIXED > GATE_HOST_STATE_MAX_INPUT)
		return "more packet input than an instance buffers";
	out->wait = p[1];
	out->have = p[2];
	memcpy(&out->skip, p + 4, 4);
	memcpy(out->hdr, p + 8, 8);
	memcpy(&out->wait_start, p + 16, 8);
	out->input = p + GATE_HOST_STATE_FIXED;
	out->input_len = (uint32_t)(len - GATE_HOST_STATE_FIXED);
	if (out->wait > GATE_HOST_WAIT_IO || (out->wait == GATE_HOST_WAIT_NONE && out->wait_start))
		return "bad wait";
	if (out->have > 7 || (out->have && out->skip) || out->skip > GATE_HOST_STATE_MAX_PACKET)
		return "bad packet position";
	for (int i = out->have; i < 8; i++)
		if (out->hdr[i])
			return "bad packet header bytes";
	return NULL;
}
