/*
 * The state of an instance's host functions that a suspended program needs
 * on resume (host_state.c): where the outgoing packet stream is inside a
 * packet, the packet bytes the instance received and the program has not
 * read, and the start of a timed wait a suspension interrupted. It travels
 * in the state wire, is kept in a snapshot as the `gate.host` entry of
 * gate.buffer, and comes back to the instance with RESTORE
 * (docs/snapshot.md, "gate.host").
 *
 * Standalone (stdint only): the executor's host code includes it beside
 * protocol.h, which the codec's headers cannot meet.
 */
#ifndef GATE_SNAPSHOT_HOST_STATE_H
#define GATE_SNAPSHOT_HOST_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GATE_HOST_STATE_NAME "gate.host"  /* the reserved gate.buffer entry */
#define GATE_HOST_STATE_FIXED 24          /* bytes before the packet input */
#define GATE_HOST_STATE_MAX_INPUT 65536u  /* packet input bytes, at most */
#define GATE_HOST_STATE_MAX_PACKET 65536u /* GATE_MAX_SEND_SIZE */

/* The import whose timed wait a suspension interrupted. */
enum gate_host_wait {
	GATE_HOST_WAIT_NONE = 0,
	GATE_HOST_WAIT_POLL = 1, /* wasi poll_oneoff */
	GATE_HOST_WAIT_IO = 2,	 /* gate.io_N */
};

struct gate_host_state {
	uint8_t wait;	     /* enum gate_host_wait */
	uint8_t have;	     /* header bytes of the outgoing packet collected, 0..7 */
	uint32_t skip;	     /* bytes left of the outgoing packet; 0 when have > 0 */
	uint8_t hdr[8];	     /* the collected header bytes (the rest 0) */
	uint64_t wait_start; /* the program's monotonic ns when that call began */
	const uint8_t *input; /* packet bytes received and not read (lent) */
	uint32_t input_len;
};

/* Whether a gate.buffer entry's name is GATE_HOST_STATE_NAME. */
static inline bool gate_host_state_named(const char *name, size_t len)
{
	return len == sizeof GATE_HOST_STATE_NAME - 1 &&
	       memcmp(name, GATE_HOST_STATE_NAME, len) == 0;
}

/* Whether s is the state of a fresh instance (nothing to keep). */
bool gate_host_state_empty(const struct gate_host_state *s);

/* Bytes gate_host_state_put writes for s. */
static inline size_t gate_host_state_size(const struct gate_host_state *s)
{
	return GATE_HOST_STATE_FIXED + s->input_len;
}

/* Writes s, gate_host_state_size(s) bytes, into out. */
void gate_host_state_put(const struct gate_host_state *s, uint8_t *out);

/*
 * Parses and checks p[0..len) (untrusted: it comes from a snapshot) into
 * *out, whose input points into p. Returns NULL, or what is wrong (a
 * static string).
 */
const char *gate_host_state_get(const uint8_t *p, size_t len, struct gate_host_state *out);

#endif
