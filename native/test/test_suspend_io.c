/*
 * Suspend and resume of programs in the middle of their I/O, through
 * gate-executor (docs/protocol.md, "Suspend and resume (protocol 4)"):
 * stdin the instance received and the program had not read goes into the
 * state and ahead of Deno's input in the snapshot, an INPUT that was on its
 * way when the program suspended included; a sleep (poll_oneoff) retried
 * after a resume keeps its deadline in the program's clock, relative or
 * absolute, so it neither ends early nor starts again; a write larger than the OUTPUT window is a short write, so the
 * retry after a suspension in its wait for ACK repeats no byte; a kill
 * still ends a sleep at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../rt/rt.h"
#include "../snapshot/host_state.h"
#include "../snapshot/snapshot.h"
#include "test_exec_mod.h"
#include "test_exec_util.h"
#include "test_suspend_util.h"

/* Copies stdin to stdout 4 bytes at a time, spinning $spin iterations
 * after each piece; returns the bytes copied. */
static const char *const cat4_wat =
	"(module"
	" (import \"wasi_snapshot_preview1\" \"fd_read\" (func $read (param i32 i32 i32 i32) (result i32)))"
	" (import \"wasi_snapshot_preview1\" \"fd_write\" (func $write (param i32 i32 i32 i32) (result i32)))"
	" (memory (export \"memory\") 1)"
	" (func (export \"run\") (param $spin i32) (result i32) (local $n i32) (local $total i32) (local $i i32)"
	"  (loop $l"
	"   (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 4))"
	"   (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))"
	"   (local.set $n (i32.load (i32.const 8)))"
	"   (if (local.get $n) (then"
	"    (i32.store (i32.const 16) (i32.const 64)) (i32.store (i32.const 20) (local.get $n))"
	"    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))"
	"    (local.set $total (i32.add (local.get $total) (local.get $n)))"
	"    (local.set $i (i32.const 0))"
	"    (loop $s (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"     (br_if $s (i32.lt_u (local.get $i) (local.get $spin))))"
	"    (br $l))))"
	"  (local.get $total)))";

/*
 * Sleeps 300 ms with one poll_oneoff clock subscription on the monotonic
 * clock, relative ($abs 0, as nanosleep) or absolute ($abs 1), the
 * subscription at 64 and the event at 128 (not at 0: a retry that lost its
 * arguments reads zeros there, a clock that fires at once). Returns the
 * program's monotonic ns across the call, or -1..-4 when the call or its
 * event is wrong.
 */
static const char *const sleep_wat =
	"(module"
	" (import \"wasi_snapshot_preview1\" \"clock_time_get\" (func $clock (param i32 i64 i32) (result i32)))"
	" (import \"wasi_snapshot_preview1\" \"poll_oneoff\" (func $poll (param i32 i32 i32 i32) (result i32)))"
	" (memory (export \"memory\") 1)"
	" (func (export \"run\") (param $abs i32) (result i64) (local $t0 i64)"
	"  (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 200)))"
	"  (local.set $t0 (i64.load (i32.const 200)))"
	"  (i64.store (i32.const 64) (i64.const 0x1234))"
	"  (i32.store8 (i32.const 72) (i32.const 0))"
	"  (i32.store (i32.const 80) (i32.const 1))"
	"  (i64.store (i32.const 88) (i64.add (i64.const 300000000)"
	"   (select (local.get $t0) (i64.const 0) (local.get $abs))))"
	"  (i64.store (i32.const 96) (i64.const 0))"
	"  (i32.store16 (i32.const 104) (local.get $abs))"
	"  (if (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 160))"
	"   (then (return (i64.const -1))))"
	"  (if (i32.ne (i32.load (i32.const 160)) (i32.const 1)) (then (return (i64.const -2))))"
	"  (if (i64.ne (i64.load (i32.const 128)) (i64.const 0x1234)) (then (return (i64.const -3))))"
	"  (if (i32.load16_u (i32.const 136)) (then (return (i64.const -4))))"
	"  (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 200)))"
	"  (i64.sub (i64.load (i32.const 200)) (local.get $t0))))";

/* Writes $len bytes (byte i: 7i + 3) to stdout from 1024 with fd_write,
 * again with the rest after a short write; returns the fd_write calls. */
static const char *const write_wat =
	"(module"
	" (import \"wasi_snapshot_preview1\" \"fd_write\" (func $write (param i32 i32 i32 i32) (result i32)))"
	" (memory (export \"memory\") 6)"
	" (func (export \"run\") (param $len i32) (result i32)"
	"  (local $i i32) (local $p i32) (local $left i32) (local $calls i32)"
	"  (loop $f"
	"   (i32.store8 (i32.add (i32.const 1024) (local.get $i))"
	"    (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 3)))"
	"   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $f (i32.lt_u (local.get $i) (local.get $len))))"
	"  (local.set $p (i32.const 1024)) (local.set $left (local.get $len))"
	"  (block $done (loop $w"
	"   (br_if $done (i32.eqz (local.get $left)))"
	"   (i32.store (i32.const 0) (local.get $p)) (i32.store (i32.const 4) (local.get $left))"
	"   (if (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))"
	"    (then (return (i32.const -1))))"
	"   (local.set $p (i32.add (local.get $p) (i32.load (i32.const 8))))"
	"   (local.set $left (i32.sub (local.get $left) (i32.load (i32.const 8))))"
	"   (local.set $calls (i32.add (local.get $calls) (i32.const 1)))"
	"   (br $w)))"
	"  (local.get $calls)))";

static uint32_t reply_i32(const struct xc *c)
{
	if (c->h.type == GATE_MSG_OK && xc_word(c, 0) == 1 && xc_payload(c)[4] == GATE_I32)
		return xc_word(c, 5);
	return UINT32_MAX;
}

/* The snapshot's input as a NUL-terminated string (malloc), or NULL. */
static char *snapshot_input(const uint8_t *snap, size_t len)
{
	struct gate_snapshot dec;
	char err[256];
	char *s;

	if (gate_snapshot_decode(snap, len, &dec, err, sizeof err) != GATE_OK)
		return NULL;
	s = malloc(dec.input_len + 1);
	if (s) {
		memcpy(s, dec.input, dec.input_len);
		s[dec.input_len] = 0;
	}
	gate_snapshot_free(&dec);
	return s;
}

TEST(exec_suspend_keeps_stdin_the_instance_received_ahead_of_deno_input)
{
	/* gate.buffer: input "!!", no output, no services (LEB128 counts) */
	static const uint8_t deno_input[] = { 2, 0, 0, '!', '!' };
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(cat4_wat, &n), *snap;
	uint32_t spin = 100000000, inst, f, seq;
	struct opened o;
	char *input;

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	CHECK(inst != UINT32_MAX);
	f = xc_export(&c, 1, inst, "run");
	/* one INPUT of 11 bytes; the program takes 4 and spins, and the
	 * suspension lands there with 7 bytes unread in the instance */
	c.stdin_chunks[0] = "hello world";
	c.suspend_at_output = 1;
	seq = xc_invoke(&c, 1, f, 1, &spin);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(c.h.type, GATE_MSG_TRAP);
	CHECK_EQ(xc_word(&c, 0), GATE_TRAP_SUSPENDED);
	CHECK_EQ(c.outlen, 4);
	snap = snapshot_buffers(&c, 1, w, n, deno_input, sizeof deno_input, &slen);
	CHECK(snap != NULL);
	input = snapshot_input(snap, slen);
	CHECK(input != NULL && strcmp(input, "o world!!") == 0);
	/* without Deno's buffers: the instance's bytes alone */
	{
		size_t l2 = 0;
		uint8_t *alone = snapshot(&c, 1, w, n, &l2);
		char *in2 = alone ? snapshot_input(alone, l2) : NULL;

		CHECK(in2 != NULL && strcmp(in2, "o world") == 0);
		free(in2);
		free(alone);
	}

	/* resumed: Deno serves the snapshot's input, then end of input */
	c.pulls = 0;
	c.suspend_at_output = 0;
	c.stdin_chunks[0] = input;
	c.stdin_eof_after = true;
	CHECK(resume_in(&c, 2, snap, slen, &o));
	CHECK_EQ(reply_i32(&c), 13);
	CHECK_EQ(c.outlen, 13);
	CHECK(memcmp(c.out, "hello world!!", 13) == 0);
	free(input);
	free(o.stack);
	free(snap);
	xc_close(&c);
	free(w);
}

TEST(exec_suspend_keeps_the_input_that_was_on_its_way)
{
	static const uint8_t late[] = { GATE_STREAM_STDIO, 0, 0, 0, 'l', 'a', 't', 'e', '!' };
	static const uint8_t deno_input[] = { 2, 0, 0, '+', '+' };
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(cat4_wat, &n), *snap;
	uint32_t spin = 0, inst, f, seq;
	struct opened o;
	char *input;

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	f = xc_export(&c, 1, inst, "run");
	/* the second PULL is answered by SUSPEND: the program waits in fd_read */
	c.stdin_chunks[0] = "hi";
	c.suspend_on_pull = 2;
	seq = xc_invoke(&c, 1, f, 1, &spin);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(xc_word(&c, 0), GATE_TRAP_SUSPENDED);
	CHECK_EQ(c.outlen, 2);
	/* Deno's read for that PULL ended after the run did, before Deno saw
	 * the TRAP: its INPUT reaches the instance after the run, before STATE */
	CHECK(xc_send(&c, GATE_MSG_INPUT, 1, late, sizeof late, NULL, 0));
	snap = snapshot_buffers(&c, 1, w, n, deno_input, sizeof deno_input, &slen);
	CHECK(snap != NULL);
	input = snapshot_input(snap, slen);
	CHECK(input != NULL && strcmp(input, "late!++") == 0);

	c.pulls = 0;
	c.suspend_on_pull = 0;
	c.stdin_chunks[0] = input;
	c.stdin_eof_after = true;
	CHECK(resume_in(&c, 2, snap, slen, &o));
	CHECK_EQ(reply_i32(&c), 9);
	CHECK_EQ(c.outlen, 9);
	CHECK(memcmp(c.out, "hilate!++", 9) == 0);
	free(input);
	free(o.stack);
	free(snap);
	xc_close(&c);
	free(w);
}

/* Runs sleep_wat's run(abs) with a suspension after suspend_ms, waits
 * gap_ms, resumes elsewhere: the program's ns across the sleep, and the wall
 * ms of the resumed run in *resumed_ms. UINT64_MAX on failure. */
static uint64_t sleep_across_suspend(uint32_t abs, int suspend_ms, uint32_t gap_ms,
				     uint64_t *resumed_ms)
{
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(sleep_wat, &n), *snap = NULL;
	uint32_t inst, f, seq;
	uint64_t r = UINT64_MAX, t;
	struct timespec gap = { gap_ms / 1000, (long)(gap_ms % 1000) * 1000000 };
	struct opened o = { 0 };
	struct gate_snapshot dec;
	char err[256];

	if (w == NULL || !xc_open(&c))
		goto out;
	inst = start(&c, 1, w, n, 0, 0);
	f = inst == UINT32_MAX ? UINT32_MAX : xc_export(&c, 1, inst, "run");
	if (f == UINT32_MAX)
		goto out_close;
	c.suspend_after_ms = suspend_ms;
	seq = xc_invoke(&c, 1, f, 1, &abs);
	if (!xc_wait(&c, 1, seq) || c.h.type != GATE_MSG_TRAP || xc_word(&c, 0) != GATE_TRAP_SUSPENDED)
		goto out_close;
	c.suspend_after_ms = -1;
	snap = snapshot(&c, 1, w, n, &slen);
	if (snap == NULL)
		goto out_close;
	/* suspended in poll_oneoff: a HOST frame, retried on resume */
	if (gate_snapshot_decode(snap, slen, &dec, err, sizeof err) != GATE_OK)
		goto out_close;
	t = dec.stack.frames[0].kind;
	gate_snapshot_free(&dec);
	if (t != GATE_PFRAME_HOST)
		goto out_close;
	nanosleep(&gap, NULL);
	t = xc_ms();
	if (resume_in(&c, 2, snap, slen, &o)) {
		*resumed_ms = xc_ms() - t;
		r = reply_i64(&c);
	}
	free(o.stack);
out_close:
	xc_close(&c);
out:
	free(snap);
	free(w);
	return r;
}

TEST(exec_suspend_keeps_a_relative_sleep_deadline_in_the_program_clock)
{
	uint64_t resumed = 0, ns = sleep_across_suspend(0, 200, 300, &resumed);

	/* 200 ms before the suspension, the other 100 ms after the resume: a
	 * retry that slept its full 300 ms again would make it 500 ms; the
	 * 300 ms suspended count neither way */
	CHECK(ns != UINT64_MAX);
	CHECK((int64_t)ns > 0);
	CHECK(ns >= 300000000ull);
	CHECK(ns < 450000000ull);
	CHECK(resumed >= 50);
}

TEST(exec_suspend_keeps_an_absolute_sleep_deadline_in_the_program_clock)
{
	uint64_t resumed = 0, ns = sleep_across_suspend(1, 50, 300, &resumed);

	/* the deadline is the program's t0 + 300 ms: the time the program
	 * spent suspended (300 ms) counts neither way */
	CHECK(ns != UINT64_MAX);
	CHECK((int64_t)ns > 0);
	CHECK(ns >= 300000000ull);
	CHECK(ns < 550000000ull);
	CHECK(resumed >= 200);
}

TEST(exec_suspend_in_a_write_waiting_for_ack_repeats_no_byte)
{
	struct xc c;
	size_t n = 0, slen = 0;
	uint8_t *w = gate_test_wasm(write_wat, &n), *snap, *want;
	uint32_t len = 300000, inst, f, seq;
	struct opened o;
	struct gate_snapshot dec;
	char err[256];

	CHECK(w != NULL);
	want = malloc(len);
	CHECK(want != NULL);
	for (uint32_t i = 0; i < len; i++)
		want[i] = (uint8_t)(7 * i + 3);
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	f = xc_export(&c, 1, inst, "run");
	/* no ACK: the first fd_write sends the window and returns that short
	 * count; the second waits for ACK, and the suspension ends that wait */
	c.hold_acks = true;
	c.suspend_after_ms = 200;
	seq = xc_invoke(&c, 1, f, 1, &len);
	CHECK(xc_wait(&c, 1, seq));
	CHECK_EQ(xc_word(&c, 0), GATE_TRAP_SUSPENDED);
	CHECK_EQ(c.outtotal, GATE_OUTPUT_WINDOW);
	snap = snapshot(&c, 1, w, n, &slen);
	CHECK(snap != NULL);
	CHECK_EQ(gate_snapshot_decode(snap, slen, &dec, err, sizeof err), GATE_OK);
	CHECK_EQ(dec.stack.frames[0].kind, GATE_PFRAME_HOST);
	gate_snapshot_free(&dec);

	/* resumed with credit: the retried call writes the rest, once */
	c.hold_acks = false;
	c.suspend_after_ms = -1;
	CHECK(resume_in(&c, 2, snap, slen, &o));
	CHECK_EQ(reply_i32(&c), 2);
	CHECK_EQ(c.outtotal, len);
	CHECK_EQ(c.outhash, xc_fnv(2166136261u, want, len));
	free(o.stack);
	free(snap);
	xc_close(&c);
	free(want);
	free(w);
}

TEST(snapshot_new_refuses_input_or_host_state_in_a_state_that_is_not_suspended)
{
	struct xc c;
	size_t n = 0;
	uint8_t *w = gate_test_wasm(cat4_wat, &n), *st;
	gate_blob *b = NULL;
	char err[256];

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	CHECK(start(&c, 1, w, n, 0, 0) != UINT32_MAX);
	CHECK(xc_state(&c, 1));
	/* before any run: the wire ends with input and host state lengths of 0 */
	CHECK(c.state_len >= 8 && gate__le32(c.state + c.state_len - 8) == 0 &&
	      gate__le32(c.state + c.state_len - 4) == 0);
	CHECK_EQ(gate_snapshot_new(w, n, c.state, c.state_len, NULL, 0, &b, err, sizeof err), GATE_OK);
	gate_blob_free(b);
	st = calloc(1, c.state_len + GATE_HOST_STATE_FIXED);
	CHECK(st != NULL);
	/* two bytes of input */
	memcpy(st, c.state, c.state_len - 4);
	gate__put32(st + c.state_len - 8, 2);
	memcpy(st + c.state_len - 4, "ab", 2);
	gate__put32(st + c.state_len - 2, 0);
	b = NULL;
	CHECK_EQ(gate_snapshot_new(w, n, st, c.state_len + 2, NULL, 0, &b, err, sizeof err),
		 GATE_MALFORMED);
	CHECK(b == NULL);
	CHECK(strstr(err, "input") != NULL);
	/* a host state (well-formed: all zeros) */
	memcpy(st, c.state, c.state_len);
	gate__put32(st + c.state_len - 4, GATE_HOST_STATE_FIXED);
	memset(st + c.state_len, 0, GATE_HOST_STATE_FIXED);
	CHECK_EQ(gate_snapshot_new(w, n, st, c.state_len + GATE_HOST_STATE_FIXED, NULL, 0, &b, err,
				   sizeof err),
		 GATE_MALFORMED);
	CHECK(b == NULL);
	CHECK(strstr(err, "host state") != NULL);
	free(st);
	xc_close(&c);
	free(w);
}

TEST(exec_kill_ends_a_sleep_at_once)
{
	struct xc c;
	size_t n = 0;
	uint8_t *w = gate_test_wasm(sleep_wat, &n);
	uint32_t rel = 0, inst, f;
	uint64_t t0;
	bool exited = false;

	CHECK(w != NULL);
	CHECK(xc_open(&c));
	inst = start(&c, 1, w, n, 0, 0);
	f = xc_export(&c, 1, inst, "run");
	CHECK(xc_invoke(&c, 1, f, 1, &rel));
	CHECK(!xc_recv(&c, 50)); /* asleep: nothing comes */
	t0 = xc_ms();
	CHECK(xc_send(&c, GATE_MSG_KILL, 1, NULL, 0, NULL, 0));
	while (!exited && xc_recv(&c, 2000))
		exited = c.h.type == GATE_MSG_EXIT;
	CHECK(exited);
	CHECK_EQ(xc_word(&c, 0), 2); /* by a signal */
	CHECK_EQ(xc_word(&c, 4), 9); /* SIGKILL */
	CHECK(xc_ms() - t0 < 250);   /* not after the 300 ms sleep */
	xc_close(&c);
	free(w);
}
