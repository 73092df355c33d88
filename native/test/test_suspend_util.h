/*
 * Helpers for the suspend and resume tests through gate-executor
 * (test_suspend_exec.c, test_suspend_io.c): start a program, take its
 * STATE into a snapshot, open the snapshot, resume it in a new instance
 * process.
 */
#ifndef GATE_TEST_SUSPEND_UTIL_H
#define GATE_TEST_SUSPEND_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../libgate.h"
#include "../snapshot/snapshot.h"
#include "test_exec_mod.h"
#include "test_exec_util.h"

/* A program of module w in a new instance process inst of c: the
 * program's instance index (UINT32_MAX on failure). */
static UNUSED uint32_t start(struct xc *c, uint32_t inst, const uint8_t *w, size_t n, uint32_t flags,
		      uint64_t monotonic)
{
	size_t ilen = 0;
	uint8_t *img = gate_test_image(w, n, &ilen);
	uint32_t r = UINT32_MAX;

	if (img && xc_spawn(c, inst, 0, 0))
		r = xc_program(c, inst, img, ilen, flags, monotonic);
	free(img);
	return r;
}

/* What gate_snapshot_open gives, parsed. */
struct opened {
	uint32_t flags, trap;
	int32_t result;
	uint64_t monotonic;
	uint8_t *stack;
	uint32_t stack_len, buffer_len;
};

static UNUSED bool open_snapshot(const uint8_t *snap, size_t len, struct opened *o)
{
	gate_blob *b = NULL;
	char err[512] = "";
	const uint8_t *p;
	uint64_t n;

	memset(o, 0, sizeof(*o));
	if (gate_snapshot_open(snap, len, &b, err, sizeof err) != GATE_OK) {
		fprintf(stderr, "  open: %s\n", err);
		return false;
	}
	p = gate_blob_bytes(b, &n);
	if (n < 28)
		goto fail;
	o->flags = gate__le32(p);
	o->trap = gate__le32(p + 4);
	o->result = (int32_t)gate__le32(p + 8);
	memcpy(&o->monotonic, p + 12, 8);
	o->buffer_len = gate__le32(p + 20);
	if (n < 28ull + o->buffer_len)
		goto fail;
	o->stack_len = gate__le32(p + 24 + o->buffer_len);
	if (n != 28ull + o->buffer_len + o->stack_len)
		goto fail;
	o->stack = malloc(o->stack_len + 1);
	if (o->stack == NULL)
		goto fail;
	memcpy(o->stack, p + 28 + o->buffer_len, o->stack_len);
	gate_blob_free(b);
	return true;
fail:
	gate_blob_free(b);
	return false;
}

/* STATE of inst into a snapshot of module w (malloc) with a gate.buffer
 * payload buf[0..blen) (may be empty), checked by the decoder; NULL on
 * failure. */
static UNUSED uint8_t *snapshot_buffers(struct xc *c, uint32_t inst, const uint8_t *w, size_t n,
					const uint8_t *buf, size_t blen, size_t *len)
{
	gate_blob *b = NULL;
	struct gate_snapshot dec;
	char err[512] = "";
	const uint8_t *p;
	uint64_t l;
	uint8_t *out;
	int st;

	if (!xc_state(c, inst)) {
		fprintf(stderr, "  STATE failed (frame 0x%04x)\n", c->h.type);
		return NULL;
	}
	st = gate_snapshot_new(w, n, c->state, c->state_len, buf, blen, &b, err, sizeof err);
	if (st != GATE_OK) {
		fprintf(stderr, "  gate_snapshot_new: %s: %s\n", gate_status_name(st), err);
		return NULL;
	}
	p = gate_blob_bytes(b, &l);
	out = malloc(l);
	if (out)
		memcpy(out, p, l);
	*len = l;
	gate_blob_free(b);
	if (out && gate_snapshot_decode(out, l, &dec, err, sizeof err) != GATE_OK) {
		fprintf(stderr, "  decode: %s\n", err);
		free(out);
		return NULL;
	}
	gate_snapshot_free(&dec);
	return out;
}

/* STATE of inst into a snapshot of module w without buffers. */
static UNUSED uint8_t *snapshot(struct xc *c, uint32_t inst, const uint8_t *w, size_t n,
				size_t *len)
{
	return snapshot_buffers(c, inst, w, n, NULL, 0, len);
}

/* Resumes snapshot snap in a new instance process inst as Program.restore
 * does (the program module, RESTORE, RESUME): leaves RESUME's reply in
 * c->buf. */
static UNUSED bool resume_in(struct xc *c, uint32_t inst, const uint8_t *snap, size_t len,
		      struct opened *o)
{
	uint32_t seq;

	gate_blob *b = NULL, *program = NULL;
	const uint8_t *code;
	uint8_t *restore = NULL;
	uint64_t code_len;
	int32_t fd = -1;
	off_t size = 0;
	char err[512] = "";
	bool ok = false;

	if (!open_snapshot(snap, len, o) || o->stack_len == 0)
		return false;
	/* as Program.restore: the program module, then RESTORE of the memfd */
	if (gate_snapshot_open_parts(snap, len, &b, &program, &fd, err, sizeof err) != GATE_OK) {
		fprintf(stderr, "  open parts: %s\n", err);
		return false;
	}
	code = gate_blob_bytes(program, &code_len);
	if (fd >= 0) {
		size = lseek(fd, 0, SEEK_END);
		restore = malloc(size > 0 ? (size_t)size : 1);
		if (size <= 0 || restore == NULL || pread(fd, restore, (size_t)size, 0) != size)
			goto out;
	}
	if (start(c, inst, code, code_len, GATE_PROGRAM_RESUMED, o->monotonic) == UINT32_MAX)
		goto out;
	if (fd >= 0 && (!xc_call(c, GATE_MSG_RESTORE, inst, NULL, 0, restore, (size_t)size) ||
			c->h.type != GATE_MSG_OK))
		goto out;
	seq = xc_send(c, GATE_MSG_RESUME, inst, NULL, 0, o->stack, o->stack_len);
	ok = seq && xc_wait(c, inst, seq);
out:
	free(restore);
	if (fd >= 0)
		gate_fd_close(fd);
	gate_blob_free(program);
	gate_blob_free(b);
	return ok;
}

static UNUSED uint64_t reply_i64(const struct xc *c)
{
	uint64_t v = 0;

	if (c->h.type == GATE_MSG_OK && xc_word(c, 0) == 1 && xc_payload(c)[4] == GATE_I64)
		memcpy(&v, xc_payload(c) + 5, 8);
	return v;
}

#endif
