/*
 * Helpers for tests that drive gate-executor and its instance processes
 * over the control channel, as the Deno side does: spawn, LOAD, PROGRAM,
 * EXPORT, INVOKE, RESUME, STATE, with a small Deno stand-in for the frames
 * a running program sends (OUTPUT is recorded and ACKed, PULL is answered
 * from a script or held). The executor must be built
 * (native/build/gate-executor, or GATE_EXECUTOR).
 */
#ifndef GATE_TEST_EXEC_UTIL_H
#define GATE_TEST_EXEC_UTIL_H

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../executor/protocol.h"
#include "../lib/executor.h"
#include "test.h"

#ifndef UNUSED
#define UNUSED __attribute__((unused))
#endif

struct xc {
	gate_executor *ex;
	int sock;
	uint32_t seq;
	uint8_t buf[GATE_FRAME_MAX];
	size_t len;			/* of the last frame in buf */
	struct gate__frame_header h;	/* its header */
	/* the Deno stand-in while a program runs */
	const char *stdin_chunks[8];	/* answers to PULL on stdio, in order; NULL: hold */
	uint32_t pulls;			/* PULLs on stdio seen */
	bool stdin_eof_after;		/* after the chunks: end of input (else hold) */
	uint32_t suspend_on_pull;	/* send SUSPEND at this PULL (1-based), 0: never */
	int suspend_after_ms;		/* send SUSPEND once after this long, -1: never */
	uint64_t suspend_at_output;	/* send SUSPEND once stdout reached this many
					 * bytes (outtotal), 0: never */
	bool suspend_at_output_sent;
	bool hold_acks;			/* OUTPUT is recorded but not ACKed */
	char out[4096];			/* stdout (its first 4096 bytes) */
	size_t outlen;
	uint64_t outtotal;		/* stdout bytes, all of them */
	uint32_t outhash;		/* FNV-1a of all stdout bytes (xc_fnv) */
	uint8_t *state;			/* STATE_DATA bytes */
	size_t state_len;
};

static UNUSED uint64_t xc_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FNV-1a over p[0..n), continuing from h (start: 2166136261). */
static UNUSED uint32_t xc_fnv(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static UNUSED bool xc_open(struct xc *c)
{
	const char *path = getenv("GATE_EXECUTOR");
	char err[256];

	memset(c, 0, sizeof(*c));
	c->suspend_after_ms = -1;
	c->outhash = 2166136261u;
	if (gate_executor_spawn(path ? path : "native/build/gate-executor", &c->ex, err,
				sizeof err) != GATE_OK) {
		fprintf(stderr, "  executor: %s\n", err);
		return false;
	}
	c->sock = gate__executor_socket(c->ex);
	return true;
}

static UNUSED void xc_close(struct xc *c)
{
	gate_executor_free(c->ex);
	free(c->state);
	c->ex = NULL;
	c->state = NULL;
}

/* Sends a frame; fd bytes (may be NULL) travel as a sealed memfd. Returns
 * its seq, 0 on failure. */
static UNUSED uint32_t xc_send(struct xc *c, uint16_t type, uint32_t inst, const void *payload,
			       size_t len, const uint8_t *fd_bytes, size_t fd_len)
{
	uint8_t f[GATE_FRAME_MAX];
	char err[256];
	uint32_t seq = ++c->seq;

	gate__frame_put(f, (uint32_t)(GATE_FRAME_HEADER + len), type, fd_bytes ? GATE_FRAME_FD : 0,
			inst, seq);
	if (len)
		memcpy(f + GATE_FRAME_HEADER, payload, len);
	if (gate_executor_send(c->ex, f, GATE_FRAME_HEADER + len, fd_bytes, fd_len, err,
			       sizeof err) != GATE_OK) {
		fprintf(stderr, "  send: %s\n", err);
		return 0;
	}
	return seq;
}

/* The next frame into c->buf within ms; false on timeout or error. */
static UNUSED bool xc_recv(struct xc *c, int ms)
{
	struct pollfd p = { .fd = c->sock, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return false;
	n = recv(c->sock, c->buf, sizeof c->buf, 0);
	if (n <= 0 || !gate__frame_parse(c->buf, (size_t)n, &c->h))
		return false;
	c->len = (size_t)n;
	return true;
}

static UNUSED const uint8_t *xc_payload(const struct xc *c)
{
	return c->buf + GATE_FRAME_HEADER;
}

/* Serves a program's frames until the reply to seq (OK, TRAP or ERROR),
 * which is left in c->buf; false after 20 s or a channel error. */
static UNUSED bool xc_wait(struct xc *c, uint32_t inst, uint32_t seq)
{
	uint64_t start = xc_ms(), deadline = start + 20000;
	bool suspended = false;

	for (;;) {
		uint64_t now = xc_ms();
		int ms = now >= deadline ? 0 : (int)(deadline - now);

		if (c->suspend_after_ms >= 0 && !suspended) {
			uint64_t at = start + (uint64_t)c->suspend_after_ms;

			if (now >= at) {
				xc_send(c, GATE_MSG_SUSPEND, inst, NULL, 0, NULL, 0);
				suspended = true;
				continue;
			}
			ms = (int)(at - now);
		}
		if (!xc_recv(c, ms)) {
			if (xc_ms() >= deadline)
				return false;
			continue;
		}
		const uint8_t *q = xc_payload(c);
		size_t n = c->len - GATE_FRAME_HEADER;

		if (c->h.type == GATE_MSG_EXIT)
			return false;
		if (c->h.seq != seq && c->h.type != GATE_MSG_ERROR)
			continue;
		switch (c->h.type) {
		case GATE_MSG_OUTPUT: {
			uint8_t ack[4];

			if (q[0] == GATE_STREAM_STDIO && c->outlen + n - 4 <= sizeof c->out) {
				memcpy(c->out + c->outlen, q + 4, n - 4);
				c->outlen += n - 4;
			}
			if (q[0] == GATE_STREAM_STDIO) {
				c->outtotal += n - 4;
				c->outhash = xc_fnv(c->outhash, q + 4, n - 4);
			}
			if (c->suspend_at_output && !c->suspend_at_output_sent &&
			    c->outtotal >= c->suspend_at_output) {
				xc_send(c, GATE_MSG_SUSPEND, inst, NULL, 0, NULL, 0);
				c->suspend_at_output_sent = true;
			}
			if (c->hold_acks)
				break;
			gate__put32(ack, (uint32_t)(n - 4));
			xc_send(c, GATE_MSG_ACK, inst, ack, 4, NULL, 0);
			break;
		}
		case GATE_MSG_PULL: {
			uint8_t in[256] = { GATE_STREAM_STDIO };
			uint32_t k = c->pulls++;

			if (q[0] != GATE_STREAM_STDIO)
				break;
			if (c->suspend_on_pull == k + 1) {
				xc_send(c, GATE_MSG_SUSPEND, inst, NULL, 0, NULL, 0);
				break;
			}
			if (k < 8 && c->stdin_chunks[k]) {
				size_t len = strlen(c->stdin_chunks[k]);

				memcpy(in + 4, c->stdin_chunks[k], len);
				xc_send(c, GATE_MSG_INPUT, inst, in, 4 + len, NULL, 0);
			} else if (c->stdin_eof_after) {
				xc_send(c, GATE_MSG_INPUT, inst, in, 4, NULL, 0);
			}
			break;
		}
		case GATE_MSG_STATE_DATA: {
			uint8_t *p = realloc(c->state, c->state_len + n);

			if (p == NULL)
				return false;
			memcpy(p + c->state_len, q, n);
			c->state = p;
			c->state_len += n;
			break;
		}
		case GATE_MSG_OK:
		case GATE_MSG_TRAP:
		case GATE_MSG_ERROR:
			if (c->h.seq == seq)
				return true;
			fprintf(stderr, "  a note: ERROR %d %.*s\n", (int)gate__le32(q),
				(int)(n - 4), (const char *)q + 4);
			break;
		}
	}
}

/* The reply's kind: its type, and for OK/TRAP/ERROR the first u32. */
static UNUSED uint32_t xc_word(const struct xc *c, size_t at)
{
	return gate__le32(xc_payload(c) + at);
}

/* SPAWN with limits (memory 0: default), SPAWNED expected. */
static UNUSED bool xc_spawn(struct xc *c, uint32_t inst, uint32_t cpu_seconds, uint32_t flags)
{
	uint8_t lim[16] = { 0 };
	uint32_t seq;

	gate__put32(lim + 8, cpu_seconds);
	gate__put32(lim + 12, flags);
	seq = xc_send(c, GATE_MSG_SPAWN, inst, lim, sizeof lim, NULL, 0);
	while (xc_recv(c, 5000))
		if (c->h.seq == seq)
			return c->h.type == GATE_MSG_SPAWNED;
	return false;
}

/* A request with a single reply (no program frames): its reply in buf. */
static UNUSED bool xc_call(struct xc *c, uint16_t type, uint32_t inst, const void *payload,
			   size_t len, const uint8_t *fd_bytes, size_t fd_len)
{
	uint32_t seq = xc_send(c, type, inst, payload, len, fd_bytes, fd_len);

	return seq && xc_wait(c, inst, seq);
}

/* LOAD, then PROGRAM with flags and monotonic (no args or env, seed 0,
 * resolution 1): the program's instance index, or UINT32_MAX. */
static UNUSED uint32_t xc_program(struct xc *c, uint32_t inst, const uint8_t *image, size_t len,
				  uint32_t flags, uint64_t monotonic)
{
	uint8_t cfg[4 + 4 + 4 + 8 + 8 + 32 + 4 + 4] = { 0 };
	uint64_t res = 1;

	if (!xc_call(c, GATE_MSG_LOAD, inst, NULL, 0, image, len) || c->h.type != GATE_MSG_OK)
		return UINT32_MAX;
	gate__put32(cfg, xc_word(c, 0));
	gate__put32(cfg + 4, flags);
	memcpy(cfg + 12, &res, 8);
	memcpy(cfg + 20, &monotonic, 8);
	if (!xc_call(c, GATE_MSG_PROGRAM, inst, cfg, sizeof cfg, NULL, 0) ||
	    c->h.type != GATE_MSG_OK) {
		if (c->h.type == GATE_MSG_ERROR)
			fprintf(stderr, "  PROGRAM: %.*s\n", (int)(c->len - GATE_FRAME_HEADER - 4),
				(const char *)xc_payload(c) + 4);
		return UINT32_MAX;
	}
	return xc_word(c, 0);
}

/* EXPORT of a function: its store address, or UINT32_MAX. */
static UNUSED uint32_t xc_export(struct xc *c, uint32_t inst, uint32_t instance, const char *name)
{
	uint8_t p[128];

	gate__put32(p, instance);
	memcpy(p + 4, name, strlen(name));
	if (!xc_call(c, GATE_MSG_EXPORT, inst, p, 4 + strlen(name), NULL, 0) ||
	    c->h.type != GATE_MSG_OK || xc_payload(c)[0] != GATE_EXTERN_FUNC)
		return UINT32_MAX;
	return xc_word(c, 4);
}

/* Sends INVOKE of func with i32 arguments; the seq, to xc_wait for. */
static UNUSED uint32_t xc_invoke(struct xc *c, uint32_t inst, uint32_t func, uint32_t n,
				 const uint32_t *args)
{
	uint8_t p[8 + 5 * 8];

	gate__put32(p, func);
	gate__put32(p + 4, n);
	for (uint32_t i = 0; i < n; i++) {
		p[8 + 5 * i] = GATE_I32;
		gate__put32(p + 9 + 5 * i, args[i]);
	}
	return xc_send(c, GATE_MSG_INVOKE, inst, p, 8 + 5 * n, NULL, 0);
}

/* STATE: the state wire into c->state (c->state_len bytes); true on OK
 * with the matching total. */
static UNUSED bool xc_state(struct xc *c, uint32_t inst)
{
	uint64_t total;

	free(c->state);
	c->state = NULL;
	c->state_len = 0;
	if (!xc_call(c, GATE_MSG_STATE, inst, NULL, 0, NULL, 0) || c->h.type != GATE_MSG_OK ||
	    c->len != GATE_FRAME_HEADER + 8)
		return false;
	memcpy(&total, xc_payload(c), 8);
	return total == c->state_len;
}

#endif
