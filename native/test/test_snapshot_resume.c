/* Suspend, snapshot, resume: the runtime suspends a program (at a
 * safepoint, in an import, between pieces of a bulk instruction), its state
 * and stack go through the codec, and the snapshot module (not the
 * original) is compiled, instantiated and resumed with the decoded stack;
 * suspended again, the next snapshot is made from that snapshot. The
 * outcome must be the uninterrupted run's. This ties the codec's stack rules
 * to the stacks the runtime really captures (native/rt/suspend.c). */
#include "test.h"
#include "test_snapshot_util.h"

static const char *const resume_wat =
    "(module\n"
    " (type $ii (func (param i32) (result i32)))\n"
    " (memory 1 4)\n"
    " (table 4 funcref)\n"
    " (global $acc (mut i64) (i64.const 0))\n"
    " (global $fr (mut funcref) (ref.null func))\n"
    " (elem (i32.const 0) $sq $inc)\n"
    " (elem $p func $inc $sq)\n"
    " (data $d \"seed-data\")\n"
    " (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))\n"
    " (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))\n"
    " (func $rec (param i32) (result i32)\n"
    "  (if (result i32) (i32.le_s (local.get 0) (i32.const 1))\n"
    "   (then (local.get 0))\n"
    "   (else (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1)))\n"
    "    (call_indirect (type $ii) (local.get 0)\n"
    "     (i32.and (local.get 0) (i32.const 3)))))))\n"
    " (func (export \"run\") (param i32) (result i64) (local i32 f64)\n"
    "  (memory.init $d (i32.const 100) (i32.const 0) (i32.const 9))\n"
    "  (data.drop $d)\n"
    "  (drop (memory.grow (i32.const 1)))\n"
    "  (table.init $p (i32.const 2) (i32.const 0) (i32.const 2))\n"
    "  (global.set $fr (ref.func $sq))\n"
    "  (loop $l\n"
    "   (global.set $acc (i64.add (global.get $acc)\n"
    "    (i64.extend_i32_u (call $rec (i32.and (local.get 1) (i32.const 15))))))\n"
    "   (local.set 2 (f64.add (local.get 2) (f64.const 0.5)))\n"
    "   (i64.store (i32.add (i32.const 70000)\n"
    "     (i32.shl (i32.and (local.get 1) (i32.const 255)) (i32.const 3)))\n"
    "    (global.get $acc))\n"
    "   (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "   (br_if $l (i32.lt_u (local.get 1) (local.get 0))))\n"
    "  (memory.fill (i32.const 1000) (i32.const 7) (i32.const 3000))\n"
    "  (i64.add (global.get $acc) (i64.trunc_f64_s (local.get 2)))))\n";

struct hook {
	uint64_t seen, at;
};

static void on_safepoint(struct gate__store *s, uintptr_t pc, uintptr_t fp, void *ctx)
{
	struct hook *h = ctx;

	(void)pc;
	(void)fp;
	if (++h->seen == h->at)
		s->suspend = true;
}

struct outcome {
	int status;
	uint64_t result, hash;
	uint32_t suspensions;
	uint32_t in_import, in_bulk; /* suspensions with that innermost HOST frame */
};

static uint64_t mem_hash(struct gate__store *s, uint32_t inst)
{
	struct gate__rt_memory *m = gate__store_memory(s, inst, 0);
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; m != NULL && i < (size_t)m->pages * GATE__PAGE_SIZE; i++)
		h = (h ^ m->base[i]) * 0x100000001b3ull;
	return h;
}

/* Host state, carried from store to store as a service's would be. */
static struct {
	uint32_t asks, ask_every;   /* host.ask requests a suspension every Nth call */
	uint32_t waits, wait_fails; /* host.wait suspends on this call (1-based) */
} H;

/* host.ask: () -> () */
static uint32_t host_ask(struct gate__hostfunc *hf, uint64_t *v)
{
	(void)v;
	if (H.ask_every && ++H.asks % H.ask_every == 0)
		gate__rt_request_suspend(hf->ctx, NULL);
	return 0;
}

/* host.wait: (i32, i64) -> i32; suspended, it changes nothing and is
 * called again on resume */
static uint32_t host_wait(struct gate__hostfunc *hf, uint64_t *v)
{
	(void)hf;
	if (++H.waits == H.wait_fails)
		return GATE_TRAP_SUSPENDED;
	v[0] = (uint32_t)v[0] * 3 + (uint32_t)v[1];
	return 0;
}

/* A store with an instance of w (importing host.ask and host.wait when
 * host is set) whose safepoints go through h. */
static struct gate__store *open_store(const uint8_t *w, size_t n, bool host, struct hook *h,
				      uint32_t *inst)
{
	static const uint8_t t_ask[1] = {0}, t_wait[3] = {GATE__I32, GATE__I64, GATE__I32};
	struct gate__store *s = store();
	struct gate__extern im[2];
	uint32_t nim = 0;

	if (s == NULL)
		return NULL;
	if (host) {
		im[0] =
		    (struct gate__extern){0, gate__store_host_func(s, 0, 0, t_ask, host_ask, s)};
		im[1] =
		    (struct gate__extern){0, gate__store_host_func(s, 2, 1, t_wait, host_wait, s)};
		nim = 2;
	}
	*inst = snap_instance(s, w, n, im, nim);
	if (*inst == UINT32_MAX) {
		gate__store_free(s);
		return NULL;
	}
	s->trace = true;
	s->on_safepoint = on_safepoint;
	s->on_safepoint_ctx = h;
	return s;
}

/* Runs export run, suspending at safepoint `first` and then every `again`
 * safepoints of each resumed run (0: never), and whenever the host asks,
 * through snapshots. */
static bool chain(const uint8_t *w, size_t wlen, bool host, const struct gate__value *args,
		  uint32_t nargs, uint64_t first, uint64_t again, struct outcome *out)
{
	struct hook h = {0, first};
	struct gate__value res[8];
	struct gate__trap t;
	char err[512] = "";
	uint8_t *mod = malloc(wlen);
	size_t mlen = wlen;
	uint32_t inst, f;
	struct gate__store *s = open_store(w, wlen, host, &h, &inst);
	int ret;

	memset(out, 0, sizeof(*out));
	if (s == NULL || mod == NULL)
		return false;
	memcpy(mod, w, wlen);
	f = export_addr(s, inst, "run");
	ret = gate__store_invoke(s, f, args, nargs, res, 8, &t, err, sizeof(err));
	while (ret == GATE_TRAP && t.kind == GATE_TRAP_SUSPENDED) {
		struct gate_snapshot st, dec;
		uint8_t *snap;
		size_t slen = 0;

		out->suspensions++;
		if (snap_capture(s, inst, &st) || gate__store_take_suspended(s, &st.stack))
			return false;
		st.trap = GATE_TRAP_SUSPENDED;
		if (st.stack.nframes && st.stack.frames[0].kind == GATE_PFRAME_HOST) {
			if (st.stack.frames[0].func & GATE_PHOST_OP)
				out->in_bulk++;
			else
				out->in_import++;
		}
		/* the module this store ran: the original, then a snapshot */
		snap = snap_encode(mod, mlen, &st, &slen);
		gate_pstack_clear(&st.stack);
		snap_capture_free(&st);
		gate__store_free(s);
		free(mod);
		if (snap == NULL)
			return false;
		mod = snap;
		mlen = slen;
		if (gate_snapshot_decode(snap, slen, &dec, err, sizeof(err))) {
			fprintf(stderr, "  decode: %s\n", err);
			return false;
		}
		h = (struct hook){0, again};
		s = open_store(snap, slen, host, &h, &inst);
		if (s == NULL) {
			gate_snapshot_free(&dec);
			return false;
		}
		ret = gate__store_resume(s, inst, &dec.stack, res, 8, &t, err, sizeof(err));
		gate_snapshot_free(&dec);
		if (ret && ret != GATE_TRAP)
			fprintf(stderr, "  resume: %s\n", err);
	}
	out->status = ret;
	out->result = ret ? 0 : res[0].type == GATE__I32 ? res[0].of.i32 : res[0].of.i64;
	out->hash = mem_hash(s, inst);
	gate__store_free(s);
	free(mod);
	return true;
}

TEST(snapshot_resume_from_snapshots_anywhere)
{
	size_t wlen = 0;
	uint8_t *w = wat2wasm(resume_wat, &wlen);
	struct gate__value a[1] = {vi32(40)};
	struct outcome ref, o;
	uint64_t n;
	uint32_t total = 0;

	CHECK(w != NULL);
	memset(&H, 0, sizeof(H));
	/* the reference, and how many safepoints it passes */
	{
		struct hook h = {0, 0};
		uint32_t inst;
		struct gate__store *s = open_store(w, wlen, false, &h, &inst);
		struct gate__value r[8];

		CHECK(s != NULL);
		CHECK_EQ(call(s, inst, "run", a, 1, r, NULL), GATE_OK);
		ref.result = r[0].of.i64;
		ref.hash = mem_hash(s, inst);
		n = h.seen;
		gate__store_free(s);
	}
	CHECK(n > 100);
	for (uint64_t k = 1; k <= n; k += 7) {
		CHECK(chain(w, wlen, false, a, 1, k, k % 3 ? 0 : 23, &o));
		if (o.status != GATE_OK || o.result != ref.result || o.hash != ref.hash)
			fprintf(stderr, "  suspended at %llu: status %d, result %llu vs %llu\n",
				(unsigned long long)k, o.status, (unsigned long long)o.result,
				(unsigned long long)ref.result);
		CHECK_EQ(o.status, GATE_OK);
		CHECK_EQ(o.result, ref.result);
		CHECK(o.hash == ref.hash);
		CHECK(o.suspensions >= 1);
		total += o.suspensions;
	}
	CHECK(total > n / 7);
	free(w);
}

/* HOST frames: an import that suspends (called again on resume) and bulk
 * instructions stopped between pieces (what is left is in the frame). */
static const char *const host_wat =
    "(module\n"
    " (import \"host\" \"ask\" (func $ask))\n"
    " (import \"host\" \"wait\" (func $wait (param i32 i64) (result i32)))\n"
    " (memory 32)\n"
    " (global $sum (mut i32) (i32.const 0))\n"
    " (func (export \"run\") (result i32) (local i32)\n"
    "  (loop $l\n"
    "   call $ask\n"
    "   (memory.fill (i32.mul (local.get 0) (i32.const 4096))\n"
    "    (i32.add (local.get 0) (i32.const 1)) (i32.const 1000000))\n"
    "   call $ask\n"
    "   (memory.copy (i32.const 1048576) (i32.mul (local.get 0) (i32.const 64))\n"
    "    (i32.const 600000))\n"
    "   (global.set $sum (i32.add (global.get $sum)\n"
    "    (call $wait (local.get 0) (i64.const 5))))\n"
    "   (local.set 0 (i32.add (local.get 0) (i32.const 1)))\n"
    "   (br_if $l (i32.lt_u (local.get 0) (i32.const 6))))\n"
    "  (i32.add (global.get $sum) (i32.load (i32.const 1048600)))))\n";

TEST(snapshot_resume_host_frames_from_snapshots)
{
	size_t wlen = 0;
	uint8_t *w = wat2wasm(host_wat, &wlen);
	struct outcome ref, o;
	uint32_t in_import = 0, in_bulk = 0;

	CHECK(w != NULL);
	memset(&H, 0, sizeof(H));
	CHECK(chain(w, wlen, true, NULL, 0, 0, 0, &ref));
	CHECK_EQ(ref.status, GATE_OK);
	CHECK_EQ(ref.suspensions, 0);
	for (uint32_t every = 1; every <= 5; every++) {
		for (uint32_t fails = 0; fails <= 6; fails += 3) {
			memset(&H, 0, sizeof(H));
			H.ask_every = every;
			H.wait_fails = fails;
			CHECK(chain(w, wlen, true, NULL, 0, 0, 0, &o));
			CHECK_EQ(o.status, GATE_OK);
			CHECK_EQ(o.result, ref.result);
			CHECK(o.hash == ref.hash);
			CHECK(o.suspensions >= 12 / every + (fails ? 1 : 0));
			in_import += o.in_import;
			in_bulk += o.in_bulk;
		}
	}
	CHECK_EQ(in_import, 10); /* once per run with a failing wait */
	CHECK(in_bulk > 50);
	free(w);
}
