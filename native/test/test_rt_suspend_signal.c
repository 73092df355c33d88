/*
 * Suspend requests from a signal handler (gate__rt_request_suspend with the
 * handler's ucontext), as the executor makes them: a tight loop with no
 * call into C, and a 1 GiB memory.fill, each interrupted by a signal from
 * another thread, then resumed in a fresh store.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "test_rt_suspend_util.h"

static struct gate__store *volatile sig_store;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	if (sig_store)
		gate__rt_request_suspend(sig_store, uc);
}

struct pinger {
	pthread_t target;
	unsigned delay_ms;
	struct timespec sent;
};

static void *ping(void *arg)
{
	struct pinger *p = arg;
	struct timespec d = { 0, (long)p->delay_ms * 1000000L };

	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &p->sent);
	pthread_kill(p->target, SIGUSR1);
	return NULL;
}

static double ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 + (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

/* Runs f (resume when st is set) in e with a signal after delay_ms; the
 * status, and in *ms the time from the signal to the return. */
static int interrupted(struct env *e, const char *fn, const struct gate__value *args,
		       uint32_t nargs, const struct gate_pstack *st, struct gate__value *r,
		       struct gate__trap *t, unsigned delay_ms, double *ms)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_ONSTACK }, old;
	struct pinger p = { pthread_self(), delay_ms, { 0, 0 } };
	pthread_t th;
	char err[256];
	int ret;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	sig_store = e->s;
	if (pthread_create(&th, NULL, ping, &p) != 0)
		return -1;
	if (st)
		ret = gate__store_resume(e->s, e->inst, st, r, 8, t, err, sizeof(err));
	else
		ret = call(e->s, e->inst, fn, args, nargs, r, t);
	*ms = ms_since(&p.sent);
	pthread_join(th, NULL);
	sig_store = NULL;
	sigaction(SIGUSR1, &old, NULL);
	return ret;
}

static const char *spin =
	"(module (memory 1)"
	" (func (export \"run\") (param $n i32) (result i64) (local $i i32) (local $acc i64)"
	"  (loop $l"
	"   (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31))"
	"    (i64.extend_i32_u (local.get $i))))"
	"   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
	"   (br_if $l (i32.lt_u (local.get $i) (local.get $n))))"
	"  (i64.store (i32.const 0) (local.get $acc)) (local.get $acc)))";

TEST(rt_suspend_signal_stops_a_loop_without_calls)
{
	struct img im;
	struct env e, next;
	struct gate__value a[1] = { vi32(400000000) }, r[8];
	struct gate__trap t;
	struct gate_pstack st;
	uint64_t want = 0;
	double ms;

	for (uint32_t i = 0; i < 400000000u; i++)
		want = want * 31 + i;
	CHECK(img_new(&im, spin, NULL));
	CHECK(env_open(&e, &im));
	CHECK_EQ(interrupted(&e, "run", a, 1, NULL, r, &t, 20, &ms), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_SUSPENDED);
	CHECK(ms < 100);
	CHECK_EQ(gate__store_take_suspended(e.s, &st), GATE_OK);
	CHECK_EQ(st.nframes, 1);
	CHECK_EQ(st.frames[0].kind, GATE_PFRAME_AT);
	/* somewhere in the loop */
	CHECK(st.frames[0].values[1].bits > 0 && st.frames[0].values[1].bits < 400000000u);
	CHECK(env_open(&next, &im));
	CHECK(move_state(&e, &next));
	env_close(&e);
	/* again, in the resumed run */
	CHECK_EQ(interrupted(&next, NULL, NULL, 0, &st, r, &t, 20, &ms), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_SUSPENDED);
	gate_pstack_clear(&st);
	CHECK_EQ(gate__store_take_suspended(next.s, &st), GATE_OK);
	CHECK_EQ(gate__store_resume(next.s, next.inst, &st, r, 8, &t, (char[128]){ 0 }, 128),
		 GATE_OK);
	CHECK_EQ(r[0].of.i64, want);
	gate_pstack_clear(&st);
	env_close(&next);
	free(im.p);
}

/* Resumed in the same store: its memory already holds the state (a fresh
 * store would only repeat what the bulk tests do, at the cost of touching
 * two more GiB). */
TEST(rt_suspend_signal_stops_a_1gib_memory_fill)
{
	struct img im;
	struct env e;
	struct gate__value r[8];
	struct gate__trap t;
	struct gate_pstack st;
	const uint32_t n = 1u << 30;
	struct gate__rt_memory *m;
	double ms;
	uint64_t left;

	CHECK(img_new(&im,
		      "(module (memory 16385)"
		      " (func (export \"run\") (result i32)"
		      "  (memory.fill (i32.const 7) (i32.const 0x77) (i32.const 0x40000000))"
		      "  (i32.load8_u (i32.const 0x40000006))))",
		      NULL));
	CHECK(env_open(&e, &im));
	CHECK_EQ(interrupted(&e, "run", NULL, 0, NULL, r, &t, 5, &ms), GATE_TRAP);
	CHECK_EQ(t.kind, GATE_TRAP_SUSPENDED);
	/* one piece at most after the signal */
	CHECK(ms < 50);
	CHECK_EQ(gate__store_take_suspended(e.s, &st), GATE_OK);
	CHECK_EQ(st.nframes, 2);
	CHECK_EQ(st.frames[0].func, GATE_PHOST_MEMORY_FILL);
	left = st.frames[0].values[2].bits;
	CHECK(left > 0 && left < n);
	CHECK_EQ(st.frames[0].values[0].bits, 7 + (n - left));
	m = gate__store_memory(e.s, e.inst, 0);
	CHECK_EQ(m->base[7 + (size_t)(n - left) - 1], 0x77);
	CHECK_EQ(m->base[7 + (size_t)(n - left)], 0);
	CHECK_EQ(gate__store_resume(e.s, e.inst, &st, r, 8, &t, (char[128]){ 0 }, 128), GATE_OK);
	CHECK_EQ(r[0].of.i32, 0x77);
	for (size_t at = 7; at < 7 + (size_t)n; at += 65521)
		CHECK_EQ(m->base[at], 0x77);
	CHECK_EQ(m->base[6], 0);
	CHECK_EQ(m->base[7 + (size_t)n - 1], 0x77);
	CHECK_EQ(m->base[7 + (size_t)n], 0);
	gate_pstack_clear(&st);
	env_close(&e);
	free(im.p);
}
