/*
 * Helpers for the host module tests (test_host*.c): a program in a store,
 * its channel a socketpair whose other end is a fake Deno peer thread that
 * answers PULL (scripted stdin and packets), ACKs OUTPUT (at once, or only
 * after the window filled and a pause), answers FS with a callback, and
 * records everything.
 */
#ifndef GATE_TEST_HOST_UTIL_H
#define GATE_TEST_HOST_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <time.h>

#include "../host/host.h"
#include "test_rt_util.h"

#define OUT_MAX (1u << 20)
#define SEQ 77

struct peer {
	int fd;
	pthread_t thread;
	pthread_t victim; /* signalled on a PULL when signal_on_pull */
	/* script */
	const char *stdin_data;
	size_t stdin_len, stdin_off, stdin_chunk;
	bool stdin_eof, busy_probe, delay_ack, signal_on_pull;
	const uint8_t *packets;
	size_t packets_len, packets_off;
	size_t (*fs)(struct peer *p, const uint8_t *req, size_t len, uint8_t *reply);
	/* record */
	uint8_t *out[3];
	size_t outlen[3];
	uint32_t unacked, max_unacked, pulls[2], bad_seq, fs_count, delayed;
	uint32_t fs_sizes[8];
	char busy[128];
	uint32_t pending_pull; /* stream + 1 of a PULL answered after the probe */
};

static UNUSED void peer_send(struct peer *p, uint16_t type, uint32_t seq, const uint8_t *payload,
			     size_t len)
{
	uint8_t buf[GATE_FRAME_MAX];

	gate__frame_put(buf, (uint32_t)(GATE_FRAME_HEADER + len), type, 0, 1, seq);
	memcpy(buf + GATE_FRAME_HEADER, payload, len);
	/* EPIPE: the host side ended first (the test is over) */
	if (send(p->fd, buf, GATE_FRAME_HEADER + len, MSG_NOSIGNAL) < 0 && errno != EPIPE)
		perror("peer send");
}

static UNUSED void peer_input(struct peer *p, uint8_t stream, uint32_t max)
{
	uint8_t buf[GATE_FRAME_MAX] = { stream };
	size_t n = 0;

	if (stream == 1) {
		n = p->stdin_len - p->stdin_off;
		if (n > max)
			n = max;
		if (p->stdin_chunk && n > p->stdin_chunk)
			n = p->stdin_chunk;
		if (n == 0 && !p->stdin_eof)
			return; /* nothing yet: the PULL stays pending */
		memcpy(buf + 4, p->stdin_data + p->stdin_off, n);
		p->stdin_off += n;
	} else {
		n = p->packets_len - p->packets_off;
		if (n > max)
			n = max;
		if (n == 0)
			return;
		memcpy(buf + 4, p->packets + p->packets_off, n);
		p->packets_off += n;
	}
	peer_send(p, GATE_MSG_INPUT, SEQ, buf, 4 + n);
}

static UNUSED void *peer_main(void *arg)
{
	struct peer *p = arg;
	static __thread uint8_t buf[GATE_FRAME_MAX], reply[GATE_FRAME_MAX];

	for (;;) {
		ssize_t n = recv(p->fd, buf, sizeof buf, 0);
		struct gate__frame_header h;
		const uint8_t *q = buf + GATE_FRAME_HEADER;

		if (n <= 0 || !gate__frame_parse(buf, (size_t)n, &h))
			break;
		if (h.type != GATE_MSG_ERROR && h.seq != SEQ)
			p->bad_seq++;
		switch (h.type) {
		case GATE_MSG_OUTPUT: {
			size_t len = (size_t)n - GATE_FRAME_HEADER - 4;

			if (q[0] < 3 && p->outlen[q[0]] + len <= OUT_MAX) {
				memcpy(p->out[q[0]] + p->outlen[q[0]], q + 4, len);
				p->outlen[q[0]] += len;
			}
			p->unacked += (uint32_t)len;
			if (p->unacked > p->max_unacked)
				p->max_unacked = p->unacked;
			if (p->delay_ack && p->unacked < GATE_OUTPUT_WINDOW)
				break;
			if (p->delay_ack) {
				struct timespec ts = { 0, 50 * 1000000 };

				nanosleep(&ts, NULL);
				p->delayed++;
			}
			gate__put32(reply, p->unacked);
			p->unacked = 0;
			peer_send(p, GATE_MSG_ACK, SEQ, reply, 4);
			break;
		}
		case GATE_MSG_PULL:
			p->pulls[q[0] & 1]++;
			if (p->signal_on_pull) {
				struct timespec ts = { 0, 20 * 1000000 };

				nanosleep(&ts, NULL);
				pthread_kill(p->victim, SIGUSR1);
				break;
			}
			if (p->busy_probe) {
				uint8_t req[8] = { 0 };

				p->busy_probe = false;
				p->pending_pull = q[0] + 1u;
				peer_send(p, GATE_MSG_EXPORT, 99, req, 8);
				break;
			}
			peer_input(p, q[0], gate__le32(q + 4));
			break;
		case GATE_MSG_ERROR:
			if (h.seq == 99) {
				size_t len = (size_t)n - GATE_FRAME_HEADER - 4;

				if (len >= sizeof p->busy)
					len = sizeof p->busy - 1;
				memcpy(p->busy, q + 4, len);
				p->busy[len] = 0;
				if (p->pending_pull)
					peer_input(p, (uint8_t)(p->pending_pull - 1), GATE_STREAM_CHUNK);
			}
			break;
		case GATE_MSG_FS: {
			size_t len = p->fs ? p->fs(p, q, (size_t)n - GATE_FRAME_HEADER, reply) : 0;

			if (p->fs_count < 8)
				p->fs_sizes[p->fs_count] = (uint32_t)(n - GATE_FRAME_HEADER);
			p->fs_count++;
			if (len == 0) {
				gate__put32(reply, W_ENOSYS);
				len = 4;
			}
			peer_send(p, GATE_MSG_FS_REPLY, SEQ, reply, len);
			break;
		}
		}
	}
	return NULL;
}

/* The host config (docs/protocol.md). */
struct cfg {
	uint32_t flags, npreopens;
	uint64_t resolution, monotonic;
	uint8_t seed;
	const char *const *args, *const *env;
	uint32_t nargs, nenv;
};

static UNUSED size_t config(uint8_t *buf, const struct cfg *c)
{
	uint8_t *p = buf;

	gate__put32(p, c->flags), p += 4;
	gate__put32(p, c->npreopens), p += 4;
	put64(p, c->resolution ? c->resolution : 1), p += 8;
	put64(p, c->monotonic), p += 8;
	memset(p, c->seed, 32), p += 32;
	gate__put32(p, c->nargs), p += 4;
	for (uint32_t i = 0; i < c->nargs; i++) {
		gate__put32(p, (uint32_t)strlen(c->args[i]));
		memcpy(p + 4, c->args[i], strlen(c->args[i]));
		p += 4 + strlen(c->args[i]);
	}
	gate__put32(p, c->nenv), p += 4;
	for (uint32_t i = 0; i < c->nenv; i++) {
		gate__put32(p, (uint32_t)strlen(c->env[i]));
		memcpy(p + 4, c->env[i], strlen(c->env[i]));
		p += 4 + strlen(c->env[i]);
	}
	return (size_t)(p - buf);
}

struct prog {
	struct gate__store *s;
	struct gate__host *h;
	struct peer *p;
	uint32_t inst;
	int fds[2];
	uint8_t *mem;
	struct gate__trap trap;
	int status;
	char err[256];
};

/* Loads wat as a program with config c; the peer thread runs. */
static UNUSED int prog_start(struct prog *g, const char *wat, const struct cfg *c,
			     struct peer *script)
{
	uint8_t cfgbuf[4096];
	size_t len, clen = config(cfgbuf, c);
	uint8_t *img;
	uint32_t image;
	int st;

	memset(g, 0, sizeof *g);
	g->fds[0] = g->fds[1] = -1;
	g->s = store();
	img = wat_image(wat, &len, &st, g->err, sizeof g->err);
	if (g->s == NULL || img == NULL)
		return g->status = img ? GATE_INTERNAL : st;
	st = gate__store_load(g->s, img, len, &image, g->err, sizeof g->err);
	free(img);
	if (st)
		return g->status = st;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, g->fds))
		return g->status = GATE_IO;
	g->p = calloc(1, sizeof *g->p);
	if (g->p == NULL)
		return g->status = GATE_OUT_OF_MEMORY;
	if (script)
		*g->p = *script;
	g->p->fd = g->fds[1];
	g->p->victim = pthread_self();
	for (int i = 0; i < 3; i++)
		g->p->out[i] = malloc(OUT_MAX);
	pthread_create(&g->p->thread, NULL, peer_main, g->p);
	g->status = gate__host_program(g->s, g->fds[0], 1, SEQ, image, cfgbuf, clen, &g->h, &g->inst,
				       &g->trap, g->err, sizeof g->err);
	if (g->status == GATE_OK) {
		struct gate__rt_memory *m = gate__store_memory(g->s, g->inst, 0);

		g->mem = m ? m->base : NULL;
	}
	return g->status;
}

/* Closes the channel and waits for the peer: its records are final. */
static UNUSED void prog_stop(struct prog *g)
{
	if (g->fds[0] >= 0) {
		close(g->fds[0]);
		g->fds[0] = -1;
		if (g->p)
			pthread_join(g->p->thread, NULL);
	}
}

static UNUSED void prog_end(struct prog *g)
{
	if (g->fds[0] >= 0 || !g->p)
		prog_stop(g);
	if (g->p) {
		for (int i = 0; i < 3; i++)
			free(g->p->out[i]);
		free(g->p);
	}
	if (g->fds[1] >= 0)
		close(g->fds[1]);
	gate__store_free(g->s);
	gate__host_free(g->h);
	g->s = NULL;
	g->h = NULL;
}

/* A module importing every WASI function and gate.io/fd under their own
 * names, re-exporting them, with 8 pages of memory, plus wrappers called
 * through wasm: "exit"(code) and "io"(the gate.io arguments). */
static UNUSED const char *wasi_module(void)
{
	static char buf[16384];
	size_t n = 0;

#define P(...) (n += (size_t)snprintf(buf + n, sizeof buf - n, __VA_ARGS__))
	P("(module\n");
#define IMPORT(name, params, result)                                                     \
	{                                                                                \
		P("(import \"wasi_snapshot_preview1\" \"%s\" (func $%s", #name, #name);      \
		for (const char *c = params; *c; c++)                                     \
			P(" (param %s)", *c == 'I' ? "i64" : "i32");                      \
		P("%s))\n(export \"%s\" (func $%s))\n", result ? " (result i32)" : "", #name, \
		  #name);                                                                 \
	}
	GATE__WASI_FUNCS(IMPORT)
#undef IMPORT
	P("(import \"gate\" \"io_65536\" (func $io (param i32 i32 i32 i32 i32 i32 i64 i32)))\n"
	  "(import \"gate\" \"fd_65536\" (func $fd (result i32)))\n"
	  "(export \"gate_io\" (func $io)) (export \"gate_fd\" (func $fd))\n"
	  "(memory (export \"memory\") 8)\n"
	  "(func (export \"exit\") (param i32) local.get 0 call $proc_exit)\n"
	  "(func (export \"io\") (param i32 i32 i32 i32 i32 i32 i64 i32)\n"
	  "  local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 local.get 5\n"
	  "  local.get 6 local.get 7 call $io))\n");
#undef P
	return buf;
}

/* Calls export name with integer arguments (typed by its signature);
 * returns its i32/i64 result, or 0xdeadbeef after a trap (g->trap). */
static UNUSED uint64_t pcall(struct prog *g, const char *name, int n, ...)
{
	struct gate__value args[16], res[4];
	uint32_t f = export_addr(g->s, g->inst, name), np, nr;
	const uint8_t *pt, *rt;
	va_list ap;
	int st;

	memset(&g->trap, 0, sizeof g->trap);
	if (f == UINT32_MAX || gate__store_func_type(g->s, f, &np, &pt, &nr, &rt) || np != (uint32_t)n)
		return 0xbad;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		uint64_t v = va_arg(ap, uint64_t);

		args[i] = pt[i] == 0x7f ? vi32((uint32_t)v) : vi64(v);
	}
	va_end(ap);
	st = gate__store_invoke(g->s, f, args, (uint32_t)n, res, 4, &g->trap, g->err, sizeof g->err);
	if (st)
		return 0xdeadbeef;
	return nr == 0 ? 0 : res[0].type == 0x7f ? res[0].of.i32 : res[0].of.i64;
}

#define A(x) ((uint64_t)(x))

static UNUSED void put_iov(uint8_t *mem, uint32_t at, uint32_t ptr, uint32_t len)
{
	gate__put32(mem + at, ptr);
	gate__put32(mem + at + 4, len);
}

#endif
