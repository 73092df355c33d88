/*
 * Suspend and resume through gate-executor (docs/protocol.md, "Suspend and
 * resume (protocol 4)"): SUSPEND of a program in a tight loop, in a blocked
 * stdin read and before any run; STATE into gate_snapshot_new(); RESUME of
 * the snapshot module in a fresh instance process, which must end like an
 * uninterrupted run; a tampered stack refused before anything runs;
 * CPU_SUSPEND; SPAWN flags; gate_snapshot_open() on bad bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rt/rt.h"
#include "../snapshot/snapshot.h"
#include "test_exec_mod.h"
#include "test_exec_util.h"
#include "test_suspend_util.h"

static const char *const loop_wat =
	"(module (memory (export \"memory\") 1)"
	" (func (export \"run\") (param $n i32) (result i64) (local $i i32) (local $acc i64)"
	"  (loop $l"
	"   (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31))"
	"    (i64.extend_i32_u (local.get $i))))"
	"   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $l (i32.lt_u (local.get $i) (local.get $n))))"
	"  (i64.store (i32.const 0) (local.get $acc)) (local.get $acc)))";

/* Echoes stdin to stdout until end of input; returns the bytes echoed. */
static const char *const echo_wat =
	"(module"
	" (import \"wasi_snapshot_preview1\" \"fd_read\" (func $read (param i32 i32 i32 i32) (result i32)))"
	" (import \"wasi_snapshot_preview1\" \"fd_write\" (func $write (param i32 i32 i32 i32) (result i32)))"
	" (memory (export \"memory\") 1)"
	" (func (export \"run\") (result i32) (local $n i32) (local $total i32)"
	"  (loop $l"
	"   (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 1024))"
	"   (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))"
	"   (local.set $n (i32.load (i32.const 8)))"
	"   (if (local.get $n) (then"
	"    (i32.store (i32.const 16) (i32.const 64)) (i32.store (i32.const 20) (local.get $n))"
	"    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))"
	"    (local.set $total (i32.add (local.get $total) (local.get $n)))"
	"    (br $l))))"
	"  (local.get $total)))";

static uint64_t loop_result(uint32_t n)
{
	uint64_t acc = 0;

	for (uint32_t i = 0; i < n; i++)
		acc = acc * 31 + i;
	return acc;
}

TEST(exec_suspend_stops_a_tight_loop_and_the_snapshot_resumes_elsewhere)
{
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(loop_wat, &n), *snap;
	uint32_t arg = 300000000, inst, f, seq;
	uint64_t want = loop_result(arg);
	struct opened o;
	struct gate_snapshot dec;
	char err[256];

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	CHECK(inst != UINT32_MAX);
	f = xc_export(&c, 1, inst, "run");
	CHECK(f != UINT32_MAX);
	c.suspend_after_ms = 30;
	seq = xc_invoke(&c, 1, f, 1, &arg);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(c.h.type, GATE_MSG_TRAP);
	CHECK_EQ(xc_word(&c, 0), GATE_TRAP_SUSPENDED);
	/* busy no more: STATE, twice gives the same bytes */
	snap = snapshot(&c, 1, w, n, &slen);
	CHECK(snap != NULL);
	CHECK_EQ(gate_snapshot_decode(snap, slen, &dec, err, sizeof err), GATE_OK);
	CHECK_EQ(dec.trap, GATE_TRAP_SUSPENDED);
	CHECK_EQ(dec.flags, 0);
	CHECK_EQ(dec.stack.nframes, 1);
	CHECK_EQ(dec.stack.frames[0].kind, GATE_PFRAME_AT);
	CHECK(dec.stack.frames[0].values[1].bits > 0 && dec.stack.frames[0].values[1].bits < arg);
	CHECK(dec.monotonic > 0);
	gate_snapshot_free(&dec);

	/* a fresh instance process of the snapshot module finishes the run */
	c.suspend_after_ms = -1;
	CHECK(resume_in(&c, 2, snap, slen, &o));
	CHECK_EQ(c.h.type, GATE_MSG_OK);
	CHECK(reply_i64(&c) == want);
	CHECK(o.monotonic > 0);
	/* the run returned: a final snapshot now */
	{
		size_t l2 = 0;
		uint8_t *fin = snapshot(&c, 2, snap, slen, &l2);
		struct opened o2;

		CHECK(fin != NULL);
		CHECK(open_snapshot(fin, l2, &o2));
		CHECK_EQ(o2.flags, GATE_SNAPSHOT_FINAL);
		CHECK_EQ(o2.trap, 0);
		CHECK_EQ(o2.stack_len, 0);
		CHECK(o2.monotonic >= o.monotonic);
		free(o2.stack);
		free(fin);
	}
	free(o.stack);
	free(snap);
	xc_close(&c);
	free(w);
}

TEST(exec_suspend_ends_a_blocked_stdin_read_and_the_output_continues)
{
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(echo_wat, &n), *snap;
	uint32_t inst, f, seq;
	struct opened o;

	CHECK(w != NULL);
	/* uninterrupted */
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	CHECK(inst != UINT32_MAX);
	f = xc_export(&c, 1, inst, "run");
	c.stdin_chunks[0] = "hello ";
	c.stdin_chunks[1] = "world";
	c.stdin_eof_after = true;
	seq = xc_invoke(&c, 1, f, 0, NULL);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(c.h.type, GATE_MSG_OK);
	CHECK_EQ(xc_word(&c, 5), 11);
	CHECK_EQ(c.outlen, 11);
	CHECK(memcmp(c.out, "hello world", 11) == 0);
	xc_close(&c);

	/* suspended while waiting for the second chunk */
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	f = xc_export(&c, 1, inst, "run");
	c.stdin_chunks[0] = "hello ";
	c.suspend_on_pull = 2;
	seq = xc_invoke(&c, 1, f, 0, NULL);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(c.h.type, GATE_MSG_TRAP);
	CHECK_EQ(xc_word(&c, 0), GATE_TRAP_SUSPENDED);
	CHECK_EQ(c.outlen, 6);
	snap = snapshot(&c, 1, w, n, &slen);
	CHECK(snap != NULL);
	/* resumed: the read is retried, and the rest comes out */
	c.pulls = 0;
	c.suspend_on_pull = 0;
	c.stdin_chunks[0] = "world";
	c.stdin_eof_after = true;
	CHECK(resume_in(&c, 2, snap, slen, &o));
	CHECK_EQ(c.h.type, GATE_MSG_OK);
	CHECK_EQ(xc_word(&c, 0), 1);
	CHECK_EQ(xc_word(&c, 5), 11);
	CHECK_EQ(c.outlen, 11);
	CHECK(memcmp(c.out, "hello world", 11) == 0);
	free(o.stack);
	free(snap);
	xc_close(&c);
	free(w);
}

TEST(exec_suspend_before_a_run_is_sticky)
{
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(loop_wat, &n), *snap;
	uint32_t arg = 1000, inst, f, seq;
	struct opened o;

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	f = xc_export(&c, 1, inst, "run");
	CHECK(f != UINT32_MAX);
	CHECK(xc_send(&c, GATE_MSG_SUSPEND, 1, NULL, 0, NULL, 0));
	seq = xc_invoke(&c, 1, f, 1, &arg);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(c.h.type, GATE_MSG_TRAP);
	CHECK_EQ(xc_word(&c, 0), GATE_TRAP_SUSPENDED);
	snap = snapshot(&c, 1, w, n, &slen);
	CHECK(snap != NULL);
	CHECK(resume_in(&c, 2, snap, slen, &o));
	CHECK_EQ(c.h.type, GATE_MSG_OK);
	CHECK(reply_i64(&c) == loop_result(arg));
	/* one request, one suspension: the resumed run did not stop */
	free(o.stack);
	free(snap);
	xc_close(&c);
	free(w);
}

TEST(exec_resume_refuses_a_tampered_stack_before_running)
{
	struct xc c;
	size_t n = 0, slen = 0, ilen = 0;
	uint8_t *w = gate_test_wasm(loop_wat, &n), *snap, *img;
	uint32_t arg = 300000000, inst, f, seq;
	struct opened o;

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	f = xc_export(&c, 1, inst, "run");
	c.suspend_after_ms = 20;
	seq = xc_invoke(&c, 1, f, 1, &arg);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(xc_word(&c, 0), GATE_TRAP_SUSPENDED);
	c.suspend_after_ms = -1;
	snap = snapshot(&c, 1, w, n, &slen);
	CHECK(snap != NULL);
	CHECK(open_snapshot(snap, slen, &o));
	/* payload: nframes 1, kind AT, function 0, offset (one LEB byte) */
	CHECK(o.stack_len > 4 && o.stack[0] == 1 && o.stack[1] == GATE_PFRAME_AT &&
	      o.stack[2] == 0 && o.stack[3] < 0x40);
	img = gate_test_image(snap, slen, &ilen);
	CHECK(img != NULL);
	CHECK(xc_spawn(&c, 2, 0, 0));
	CHECK(xc_program(&c, 2, img, ilen, GATE_PROGRAM_RESUMED, o.monotonic) != UINT32_MAX);
	/* another offset, then another function: not this code's */
	o.stack[3] ^= 1;
	CHECK(xc_call(&c, GATE_MSG_RESUME, 2, NULL, 0, o.stack, o.stack_len));
	CHECK_EQ(c.h.type, GATE_MSG_ERROR);
	CHECK_EQ(xc_word(&c, 0), GATE_MALFORMED);
	o.stack[3] ^= 1;
	o.stack[2] = 7;
	CHECK(xc_call(&c, GATE_MSG_RESUME, 2, NULL, 0, o.stack, o.stack_len));
	CHECK_EQ(c.h.type, GATE_MSG_ERROR);
	CHECK_EQ(xc_word(&c, 0), GATE_MALFORMED);
	/* garbage is refused by the parser, a short one too */
	CHECK(xc_call(&c, GATE_MSG_RESUME, 2, NULL, 0, (const uint8_t *)"\x05\x01", 2));
	CHECK_EQ(c.h.type, GATE_MSG_ERROR);
	CHECK_EQ(xc_word(&c, 0), GATE_MALFORMED);
	/* nothing ran: the real stack still ends the run right */
	o.stack[2] = 0;
	CHECK(xc_call(&c, GATE_MSG_RESUME, 2, NULL, 0, o.stack, o.stack_len));
	CHECK_EQ(c.h.type, GATE_MSG_OK);
	CHECK(reply_i64(&c) == loop_result(arg));
	/* RESUME needs a program started with RESUMED */
	CHECK(xc_call(&c, GATE_MSG_RESUME, 1, NULL, 0, o.stack, o.stack_len));
	CHECK_EQ(c.h.type, GATE_MSG_ERROR);
	CHECK_EQ(xc_word(&c, 0), GATE_INVALID_ARGUMENT);
	free(img);
	free(o.stack);
	free(snap);
	xc_close(&c);
	free(w);
}

TEST(exec_cpu_suspend_turns_the_cpu_limit_into_a_suspension)
{
	static const char *const forever =
		"(module (memory (export \"memory\") 1)"
		" (func (export \"run\") (loop $l"
		"  (i64.store (i32.const 8) (i64.add (i64.load (i32.const 8)) (i64.const 1)))"
		"  (br $l))))";
	struct xc c;
	size_t n = 0, ilen = 0, slen = 0;
	uint8_t *w = gate_test_wasm(forever, &n), *img, *snap;
	uint32_t inst, f, seq;
	uint64_t t0;

	CHECK(w != NULL);
	img = gate_test_image(w, n, &ilen);
	CHECK(img != NULL);
	CHECK(xc_open(&c));
	CHECK(xc_spawn(&c, 1, 1, GATE_SPAWN_CPU_SUSPEND));
	inst = xc_program(&c, 1, img, ilen, 0, 0);
	CHECK(inst != UINT32_MAX);
	f = xc_export(&c, 1, inst, "run");
	t0 = xc_ms();
	seq = xc_invoke(&c, 1, f, 0, NULL);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(c.h.type, GATE_MSG_TRAP);
	CHECK_EQ(xc_word(&c, 0), GATE_TRAP_SUSPENDED);
	CHECK(xc_ms() - t0 >= 900);
	/* the hard limit leaves a second to serve STATE */
	snap = snapshot(&c, 1, w, n, &slen);
	CHECK(snap != NULL);
	free(snap);
	free(img);
	xc_close(&c);
	free(w);
}

TEST(exec_spawn_refuses_unknown_flags)
{
	struct xc c;
	uint8_t lim[16] = { 0 };
	uint32_t seq;

	CHECK(xc_open(&c));
	gate__put32(lim + 12, 0x2);
	seq = xc_send(&c, GATE_MSG_SPAWN, 1, lim, sizeof lim, NULL, 0);
	CHECK(xc_recv(&c, 5000));
	CHECK_EQ(c.h.seq, seq);
	CHECK_EQ(c.h.type, GATE_MSG_ERROR);
	CHECK_EQ(xc_word(&c, 0), GATE_INVALID_ARGUMENT);
	/* CPU_SUSPEND alone is fine */
	CHECK(xc_spawn(&c, 2, 5, GATE_SPAWN_CPU_SUSPEND));
	/* SUSPEND of an unknown instance is an error; of an idle one, nothing */
	seq = xc_send(&c, GATE_MSG_SUSPEND, 9, NULL, 0, NULL, 0);
	CHECK(xc_recv(&c, 5000));
	CHECK_EQ(c.h.seq, seq);
	CHECK_EQ(xc_word(&c, 0), GATE_INVALID_ARGUMENT);
	CHECK(xc_send(&c, GATE_MSG_SUSPEND, 2, NULL, 0, NULL, 0));
	CHECK(!xc_recv(&c, 200));
	/* STATE without a program */
	CHECK(xc_call(&c, GATE_MSG_STATE, 2, NULL, 0, NULL, 0));
	CHECK_EQ(c.h.type, GATE_MSG_ERROR);
	CHECK_EQ(xc_word(&c, 0), GATE_INVALID_ARGUMENT);
	xc_close(&c);
}

TEST(exec_state_before_any_run_makes_a_final_snapshot)
{
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(echo_wat, &n), *snap;
	struct opened o;

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	CHECK(start(&c, 1, w, n, 0, 5000000000ull) != UINT32_MAX);
	snap = snapshot(&c, 1, w, n, &slen);
	CHECK(snap != NULL);
	CHECK(open_snapshot(snap, slen, &o));
	CHECK_EQ(o.flags, GATE_SNAPSHOT_FINAL);
	CHECK_EQ(o.stack_len, 0);
	CHECK(o.monotonic >= 5000000000ull);
	free(o.stack);
	free(snap);
	xc_close(&c);
	free(w);
}

TEST(snapshot_open_and_new_reject_garbage_and_truncations)
{
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(loop_wat, &n), *snap, junk[256];
	uint32_t arg = 1000, inst, f, seq;
	gate_blob *b = NULL;
	char err[512];

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	f = xc_export(&c, 1, inst, "run");
	CHECK(xc_send(&c, GATE_MSG_SUSPEND, 1, NULL, 0, NULL, 0));
	seq = xc_invoke(&c, 1, f, 1, &arg);
	CHECK(xc_wait(&c, 1, seq));
	snap = snapshot(&c, 1, w, n, &slen);
	CHECK(snap != NULL);
	CHECK_EQ(gate_snapshot_open(snap, slen, &b, err, sizeof err), GATE_OK);
	gate_blob_free(b);
	/* every truncation, and one byte more */
	for (size_t k = 0; k < slen; k++) {
		b = NULL;
		CHECK_EQ(gate_snapshot_open(snap, k, &b, err, sizeof err), GATE_MALFORMED);
		CHECK(b == NULL);
	}
	{
		uint8_t *more = malloc(slen + 1);

		CHECK(more != NULL);
		memcpy(more, snap, slen);
		more[slen] = 0;
		CHECK_EQ(gate_snapshot_open(more, slen + 1, &b, err, sizeof err), GATE_MALFORMED);
		free(more);
	}
	srand(8);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)rand();
	CHECK_EQ(gate_snapshot_open(junk, sizeof junk, &b, err, sizeof err), GATE_MALFORMED);
	memcpy(junk, "\0asm\1\0\0\0", 8);
	CHECK_EQ(gate_snapshot_open(junk, sizeof junk, &b, err, sizeof err), GATE_MALFORMED);
	/* the plain module is no snapshot */
	CHECK_EQ(gate_snapshot_open(w, n, &b, err, sizeof err), GATE_MALFORMED);

	/* the state wire: every truncation, garbage, bad buffers */
	for (size_t k = 0; k < c.state_len; k++)
		CHECK_EQ(gate_snapshot_new(w, n, c.state, k, NULL, 0, &b, err, sizeof err),
			 GATE_MALFORMED);
	CHECK_EQ(gate_snapshot_new(w, n, junk, sizeof junk, NULL, 0, &b, err, sizeof err),
		 GATE_MALFORMED);
	CHECK_EQ(gate_snapshot_new(w, n, c.state, c.state_len, (const uint8_t *)"\x01\x00\x00", 3,
				   &b, err, sizeof err),
		 GATE_MALFORMED);
	/* buffers that add up are kept: input "ab", one service "x" with "s" */
	{
		static const uint8_t buf[] = { 2, 0, 1, 1, 'x', 1, 'a', 'b', 's' };
		struct gate_snapshot dec;
		const uint8_t *p;
		uint64_t l;

		CHECK_EQ(gate_snapshot_new(w, n, c.state, c.state_len, buf, sizeof buf, &b, err,
					   sizeof err),
			 GATE_OK);
		p = gate_blob_bytes(b, &l);
		CHECK_EQ(gate_snapshot_decode(p, l, &dec, err, sizeof err), GATE_OK);
		CHECK_EQ(dec.input_len, 2);
		CHECK_EQ(dec.nservices, 1);
		CHECK(memcmp(dec.input, "ab", 2) == 0);
		gate_snapshot_free(&dec);
		gate_blob_free(b);
	}
	free(snap);
	xc_close(&c);
	free(w);
}
