/* The snapshot codec end to end: a program runs in the runtime, its state is
 * captured and encoded, the snapshot is decoded and instantiated by the
 * runtime, and both give back the same memory, globals, tables, segment
 * state and buffers. */
#include "test.h"
#include "test_snapshot_util.h"

/* Every kind of state: globals of every type, tables with nulls and
 * functions (one grown), dropped and live passive segments, memory with
 * zero runs below and above the threshold up to its last byte. */
static const char *const state_wat =
    "(module\n"
    " (type $ii (func (param i32) (result i32)))\n"
    " (memory (export \"mem\") 2 16)\n"
    " (table $t0 8 32 funcref)\n"
    " (table $t1 3 externref)\n"
    " (table $t2 6 funcref)\n"
    " (global $gi (mut i32) (i32.const 1))\n"
    " (global $gl (mut i64) (i64.const 2))\n"
    " (global $gf (mut f32) (f32.const 3.5))\n"
    " (global $gd (mut f64) (f64.const 4.25))\n"
    " (global $gr (mut funcref) (ref.func $f1))\n"
    " (global $gn (mut funcref) (ref.func $f1))\n"
    " (global $ge (mut externref) (ref.null extern))\n"
    " (global $gc i32 (i32.const 77))\n"
    " (func $f0 (type $ii) (local.get 0))\n"
    " (func $f1 (type $ii) (i32.add (local.get 0) (i32.const 1)))\n"
    " (func $f2 (type $ii) (i32.mul (local.get 0) (i32.const 2)))\n"
    " (func $f3 (type $ii) (i32.sub (local.get 0) (i32.const 3)))\n"
    " (elem (table $t0) (i32.const 0) func $f0 $f1)\n"
    " (elem $p1 func $f2 $f1)\n"
    " (elem $p2 func $f0)\n"
    " (elem $px funcref (ref.func $f3) (ref.null func))\n"
    " (elem declare func $f2)\n"
    " (data (i32.const 16) \"hello\")\n"
    " (data $d1 \"passive-live\")\n"
    " (data $d2 \"passive-drop\")\n"
    " (func (export \"mutate\")\n"
    "  (global.set $gi (i32.const -5))\n"
    "  (global.set $gl (i64.const -1234567890123))\n"
    "  (global.set $gf (f32.const -0.75))\n"
    "  (global.set $gd (f64.const 1e300))\n"
    "  (global.set $gr (ref.func $f3))\n"
    "  (global.set $gn (ref.null func))\n"
    "  (drop (memory.grow (i32.const 1)))\n"
    "  (i64.store (i32.const 65536) (i64.const 0x1122334455667788))\n"
    "  (i32.store8 (i32.const 196607) (i32.const 0xee))\n"
    "  (memory.fill (i32.const 1000) (i32.const 0x5a) (i32.const 64))\n"
    "  (i32.store (i32.const 1127) (i32.const 1))\n"
    "  (i32.store (i32.const 1200) (i32.const 1))\n"
    "  (table.set $t0 (i32.const 5) (ref.func $f3))\n"
    "  (drop (table.grow $t2 (ref.func $f1) (i32.const 2)))\n"
    "  (table.set $t2 (i32.const 0) (ref.func $f2))\n"
    "  (data.drop $d2)\n"
    "  (elem.drop $p2))\n"
    " (func (export \"init1\") (memory.init $d1 (i32.const 2000) (i32.const 0) (i32.const 12)))\n"
    " (func (export \"init2\") (memory.init $d2 (i32.const 2000) (i32.const 0) (i32.const 1)))\n"
    " (func (export \"tinit1\") (table.init $t0 $p1 (i32.const 6) (i32.const 0) (i32.const 2)))\n"
    " (func (export \"tinit2\") (table.init $t0 $p2 (i32.const 6) (i32.const 0) (i32.const 1)))\n"
    " (func (export \"tinitx\") (table.init $t0 $px (i32.const 6) (i32.const 0) (i32.const 2)))\n"
    " (func (export \"call0\") (param i32 i32) (result i32)\n"
    "  (call_indirect $t0 (type $ii) (local.get 0) (local.get 1)))\n"
    " (func (export \"load8\") (param i32) (result i32) (i32.load8_u (local.get 0))))\n";

#define STATE_NDATA 3
#define STATE_NELEM 5

static void add_buffers(struct gate_snapshot *st, struct gate_snapshot_service *sv)
{
	static const uint8_t in[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, out[] = {0xff, 0},
			     state[] = {42, 43};

	st->flags = 0;
	st->trap = GATE_TRAP_SUSPENDED;
	st->monotonic = 1340000000ull;
	st->input = in;
	st->input_len = sizeof(in);
	st->output = out;
	st->output_len = sizeof(out);
	memset(sv, 0, 3 * sizeof(*sv));
	memcpy(sv[0].name, "origin", 6);
	sv[0].name_len = 6;
	memcpy(sv[1].name, "gate.computer/catalog", 21);
	sv[1].name_len = 21;
	sv[1].state = state;
	sv[1].state_len = sizeof(state);
	memset(sv[2].name, 'x', GATE_SNAPSHOT_MAX_NAME);
	sv[2].name_len = GATE_SNAPSHOT_MAX_NAME;
	st->nservices = 3;
	st->services = sv;
}

static bool same_buffers(const struct gate_snapshot *a, const struct gate_snapshot *b)
{
	if (a->flags != b->flags || a->trap != b->trap || a->result != b->result ||
	    a->monotonic != b->monotonic || a->input_len != b->input_len ||
	    a->output_len != b->output_len || a->nservices != b->nservices)
		return false;
	if ((a->input_len && memcmp(a->input, b->input, a->input_len)) ||
	    (a->output_len && memcmp(a->output, b->output, a->output_len)))
		return false;
	for (uint32_t i = 0; i < a->nservices; i++) {
		const struct gate_snapshot_service *x = &a->services[i], *y = &b->services[i];

		if (x->name_len != y->name_len || memcmp(x->name, y->name, x->name_len) ||
		    x->state_len != y->state_len ||
		    (x->state_len && memcmp(x->state, y->state, x->state_len)))
			return false;
	}
	return true;
}

TEST(snapshot_round_trip_reproduces_state_in_the_runtime)
{
	struct gate__store *s = store();
	struct gate_snapshot st0, dec, st1, st2;
	struct gate_snapshot_service sv[3];
	size_t wlen = 0, slen = 0, s2len = 0;
	uint8_t *w = wat2wasm(state_wat, &wlen), *snap = NULL, *snap2 = NULL;
	uint32_t a, b;
	char err[512] = "";
	struct gate__value args[2], res[16];
	struct gate__trap trap;

	CHECK(s != NULL && w != NULL);
	a = snap_instance(s, w, wlen, NULL, 0);
	CHECK(a != UINT32_MAX);
	CHECK_EQ(call(s, a, "mutate", NULL, 0, res, NULL), GATE_OK);
	CHECK_EQ(snap_capture(s, a, &st0), 0);
	add_buffers(&st0, sv);
	CHECK_EQ(st0.memory_len, 3 * 65536);
	CHECK_EQ(st0.table_len[2], 8);

	snap = snap_encode(w, wlen, &st0, &slen);
	CHECK(snap != NULL);
	CHECK(snap_wabt_valid(snap, slen));

	/* the decoder gives the same state back */
	CHECK_EQ(gate_snapshot_decode(snap, slen, &dec, err, sizeof(err)), GATE_OK);
	CHECK_SAME(&st0, &dec, STATE_NDATA, STATE_NELEM);
	CHECK(same_buffers(&st0, &dec));
	CHECK_EQ(dec.ndata, STATE_NDATA);
	CHECK_EQ(dec.nelem, STATE_NELEM);
	CHECK(dec.data_dropped[0] && !dec.data_dropped[1] && dec.data_dropped[2]);
	CHECK(dec.elem_dropped[0] && !dec.elem_dropped[1] && dec.elem_dropped[2]);
	CHECK(!dec.elem_dropped[3] && dec.elem_dropped[4]);
	CHECK_EQ(dec.stack.nframes, 0);
	gate_snapshot_free(&dec);

	/* any engine: the runtime instantiates it into the same state */
	b = snap_instance(s, snap, slen, NULL, 0);
	CHECK(b != UINT32_MAX);
	CHECK_EQ(snap_capture(s, b, &st1), 0);
	CHECK_SAME(&st0, &st1, STATE_NDATA, STATE_NELEM);

	/* suspending the resumed program again gives the same bytes */
	add_buffers(&st1, sv);
	snap2 = snap_encode(snap, slen, &st1, &s2len);
	CHECK(snap2 != NULL);
	CHECK_EQ(s2len, slen);
	CHECK(!memcmp(snap, snap2, slen));

	/* segments: dropped ones trap, live ones work, indices unchanged */
	CHECK_EQ(call(s, b, "init1", NULL, 0, res, NULL), GATE_OK);
	CHECK_EQ(call_int(s, b, "load8", 1, 2000, 0), 'p');
	CHECK_EQ(call_int(s, b, "load8", 1, 2011, 0), 'e');
	CHECK_EQ(call(s, b, "init2", NULL, 0, res, &trap), GATE_TRAP);
	CHECK_EQ(trap.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	CHECK_EQ(call(s, b, "tinit2", NULL, 0, res, &trap), GATE_TRAP);
	CHECK_EQ(trap.kind, GATE_TRAP_TABLE_OUT_OF_BOUNDS);
	CHECK_EQ(call(s, b, "tinit1", NULL, 0, res, NULL), GATE_OK);
	/* tables: t0 = [f0 f1 null null null f3 f2 f1] */
	args[0] = vi32(10);
	args[1] = vi32(6);
	CHECK_EQ(call(s, b, "call0", args, 2, res, NULL), GATE_OK);
	CHECK_EQ(res[0].of.i32, 20);
	args[1] = vi32(5);
	CHECK_EQ(call(s, b, "call0", args, 2, res, NULL), GATE_OK);
	CHECK_EQ(res[0].of.i32, 7);
	args[1] = vi32(1);
	CHECK_EQ(call(s, b, "call0", args, 2, res, NULL), GATE_OK);
	CHECK_EQ(res[0].of.i32, 11);
	args[1] = vi32(2);
	CHECK_EQ(call(s, b, "call0", args, 2, res, &trap), GATE_TRAP);
	CHECK_EQ(trap.kind, GATE_TRAP_UNINITIALIZED_ELEMENT);
	CHECK_EQ(call(s, b, "tinitx", NULL, 0, res, NULL), GATE_OK);

	/* and the segment state after those calls survives another round */
	CHECK_EQ(snap_capture(s, b, &st2), 0);
	free(snap2);
	snap2 = snap_encode(snap, slen, &st2, &s2len);
	CHECK(snap2 != NULL);
	CHECK_EQ(gate_snapshot_decode(snap2, s2len, &dec, err, sizeof(err)), GATE_OK);
	CHECK_SAME(&st2, &dec, STATE_NDATA, STATE_NELEM);
	gate_snapshot_free(&dec);

	snap_capture_free(&st2);
	snap_capture_free(&st1);
	snap_capture_free(&st0);
	free(snap2);
	free(snap);
	free(w);
	gate__store_free(s);
}

/* gate__snapshot_decode_segs() (restore's decoder): memory stays NULL, and
 * its segments, in order and apart, point into the snapshot and lay out
 * exactly mem[0..len) over zeros. */
static bool same_as_segments(const uint8_t *snap, size_t slen, const uint8_t *mem, uint64_t len)
{
	struct gate_snapshot dec;
	struct gate__smem_segs segs;
	uint8_t *got = calloc(1, len);
	uint64_t end = 0;
	bool ok;

	if (got == NULL || gate__snapshot_decode_segs(snap, slen, &dec, &segs, NULL, 0) != GATE_OK) {
		free(got);
		return false;
	}
	ok = dec.memory == NULL && dec.memory_len == len;
	for (uint32_t i = 0; ok && i < segs.n; i++) {
		const struct gate__smem_seg *g = &segs.v[i];

		ok = g->at >= end && g->len > 0 && g->at + g->len <= len && g->bytes > snap &&
		     g->bytes + g->len <= snap + slen;
		if (ok)
			memcpy(got + g->at, g->bytes, g->len);
		end = g->at + g->len;
	}
	ok = ok && memcmp(got, mem, len) == 0;
	free(segs.v);
	free(got);
	gate_snapshot_free(&dec);
	return ok;
}

/* A hand-built state with random memory (zero runs of every length around
 * the threshold, at every alignment) through the decoder and the runtime. */
TEST(snapshot_round_trip_of_memory_patterns)
{
	static const char *wat = "(module (memory 4 4) (func (export \"f\")))";
	static const uint32_t runs[] = {1, 7, 8, 9, 56, 63, 64, 65, 71, 72, 128, 4000, 65536};
	size_t wlen = 0, slen = 0;
	uint8_t *w = wat2wasm(wat, &wlen);
	uint8_t *mem = calloc(1, 4 * 65536);
	uint32_t seed = 99;
	char err[512] = "";

	CHECK(w != NULL && mem != NULL);
	for (int pattern = 0; pattern < 6; pattern++) {
		struct gate_snapshot st = {0}, dec, got;
		struct gate__store *s = store();
		uint8_t *snap;
		uint32_t inst;

		memset(mem, 0, 4 * 65536);
		if (pattern == 1) {
			memset(mem, 0x77, 4 * 65536); /* none zero */
		} else if (pattern == 2) {
			mem[4 * 65536 - 1] = 1; /* only the last byte */
		} else if (pattern > 2) {
			bool zero = pattern & 1;

			for (uint64_t i = 0; i < 4 * 65536;) {
				uint32_t n;

				seed = seed * 1103515245u + 12345u;
				n = runs[(seed >> 8) % (sizeof(runs) / sizeof(runs[0]))];
				for (uint32_t k = 0; k < n && i < 4 * 65536; k++, i++)
					mem[i] = zero ? 0 : (uint8_t)(k * 7 + 1);
				zero = !zero;
			}
		}
		st.memory = mem;
		st.memory_len = 4 * 65536;
		snap = snap_encode(w, wlen, &st, &slen);
		CHECK(snap != NULL);
		if (pattern == 0) {
			/* all zero: no data section at all */
			gate_module *m;

			CHECK_EQ(gate_module_new(snap, slen, NULL, &m, err, sizeof(err)), GATE_OK);
			CHECK_EQ(m->ndata, 0);
			gate_module_free(m);
		}
		CHECK_EQ(gate_snapshot_decode(snap, slen, &dec, err, sizeof(err)), GATE_OK);
		CHECK_SAME(&st, &dec, 0, 0);
		gate_snapshot_free(&dec);
		CHECK(same_as_segments(snap, slen, mem, 4 * 65536));
		inst = snap_instance(s, snap, slen, NULL, 0);
		CHECK(inst != UINT32_MAX);
		CHECK_EQ(snap_capture(s, inst, &got), 0);
		CHECK_SAME(&st, &got, 0, 0);
		snap_capture_free(&got);
		free(snap);
		gate__store_free(s);
	}
	free(mem);
	free(w);
}

/* Imports are kept (imported globals and tables are not the program's
 * state); the snapshot links against the same imports. */
TEST(snapshot_keeps_imports_and_instantiates_with_them)
{
	static const char *wat =
	    "(module (import \"spectest\" \"print_i32\" (func $p (param i32)))\n"
	    " (import \"spectest\" \"global_i32\" (global $g i32))\n"
	    " (import \"spectest\" \"table\" (table 10 funcref))\n"
	    " (global $x (mut i32) (global.get $g))\n"
	    " (global $r (mut funcref) (ref.null func))\n"
	    " (memory 1) (elem declare func $p)\n"
	    " (func $f (export \"f\") (result i32) (global.get $x))\n"
	    " (func (export \"set\") (global.set $r (ref.func $p))\n"
	    "  (global.set $x (i32.add (global.get $x) (i32.const 1)))))\n";
	struct gate__store *s = store();
	struct gate__extern im[3];
	struct gate_snapshot st, got;
	size_t wlen = 0, slen = 0;
	uint8_t *w = wat2wasm(wat, &wlen), *snap;
	uint32_t spec, a, b;
	char err[256];
	struct gate__value res[16];

	CHECK(s != NULL && w != NULL);
	CHECK_EQ(gate__store_add_spectest(s, &spec, err, sizeof(err)), GATE_OK);
	CHECK_EQ(gate__store_export(s, spec, "print_i32", 9, &im[0], err, sizeof(err)), GATE_OK);
	CHECK_EQ(gate__store_export(s, spec, "global_i32", 10, &im[1], err, sizeof(err)), GATE_OK);
	CHECK_EQ(gate__store_export(s, spec, "table", 5, &im[2], err, sizeof(err)), GATE_OK);
	a = snap_instance(s, w, wlen, im, 3);
	CHECK(a != UINT32_MAX);
	CHECK_EQ(call(s, a, "set", NULL, 0, res, NULL), GATE_OK);
	CHECK_EQ(snap_capture(s, a, &st), 0);
	CHECK_EQ(st.nglobals, 2);
	CHECK_EQ(st.globals[0].bits, 667);
	CHECK_EQ(st.globals[1].bits, 0); /* the imported function */
	CHECK_EQ(st.ntables, 0);
	snap = snap_encode(w, wlen, &st, &slen);
	CHECK(snap != NULL);
	CHECK(snap_wabt_valid(snap, slen));
	b = snap_instance(s, snap, slen, im, 3);
	CHECK(b != UINT32_MAX);
	CHECK_EQ(snap_capture(s, b, &got), 0);
	CHECK_SAME(&st, &got, 0, 0);
	CHECK_EQ(call_int(s, b, "f", 0, 0, 0), 667);
	snap_capture_free(&got);
	snap_capture_free(&st);
	free(snap);
	free(w);
	gate__store_free(s);
}

/* Without a memory no active data segment is valid: a dropped passive
 * segment becomes an empty passive one. */
TEST(snapshot_of_a_module_without_memory)
{
	static const char *wat = "(module (data $a \"abc\") (data $b \"de\")"
				 " (global (mut i64) (i64.const 5))"
				 " (func (export \"f\") (data.drop $b)))";
	struct gate_snapshot st = {0}, dec;
	struct gate_pvalue g = {GATE__I64, 0x8000000000000000ull};
	uint8_t dropped[2] = {0, 1};
	size_t wlen = 0, slen = 0;
	uint8_t *w = wat2wasm(wat, &wlen), *snap;
	char err[256];

	CHECK(w != NULL);
	st.nglobals = 1;
	st.globals = &g;
	st.ndata = 2;
	st.data_dropped = dropped;
	snap = snap_encode(w, wlen, &st, &slen);
	CHECK(snap != NULL);
	CHECK(snap_wabt_valid(snap, slen));
	CHECK_EQ(gate_snapshot_decode(snap, slen, &dec, err, sizeof(err)), GATE_OK);
	CHECK_EQ(dec.memory_len, 0);
	CHECK_EQ(dec.globals[0].bits, 0x8000000000000000ull);
	CHECK_EQ(dec.ndata, 2);
	gate_snapshot_free(&dec);
	free(snap);
	free(w);
}

/* A final snapshot of an exited program: the result survives, exports stay. */
TEST(snapshot_of_an_exited_program)
{
	static const char *wat = "(module (memory 1) (func (export \"f\")))";
	struct gate_snapshot st = {0}, dec;
	uint8_t *mem = calloc(1, 65536);
	size_t wlen = 0, slen = 0;
	uint8_t *w = wat2wasm(wat, &wlen), *snap;
	char err[256];
	int64_t n;
	char json[512];

	CHECK(w != NULL && mem != NULL);
	st.flags = GATE_SNAPSHOT_FINAL;
	st.trap = GATE_TRAP_EXIT;
	st.result = -3;
	st.memory = mem;
	st.memory_len = 65536;
	snap = snap_encode(w, wlen, &st, &slen);
	CHECK(snap != NULL);
	CHECK_EQ(gate_snapshot_decode(snap, slen, &dec, err, sizeof(err)), GATE_OK);
	CHECK_EQ(dec.flags, GATE_SNAPSHOT_FINAL);
	CHECK_EQ(dec.trap, GATE_TRAP_EXIT);
	CHECK_EQ(dec.result, -3);
	gate_snapshot_free(&dec);
	n = gate_snapshot_describe(snap, slen, json, sizeof(json), err, sizeof(err));
	CHECK(n > 0 && n < (int64_t)sizeof(json));
	json[n] = '\0';
	CHECK(strstr(json, "\"final\":true,\"trap\":12,\"result\":-3") != NULL);
	CHECK(strstr(json, "\"frames\":[]") != NULL);
	free(snap);
	free(mem);
	free(w);
}

/* The encoder refuses states that do not fit the module. */
TEST(snapshot_encode_rejects_states_that_do_not_fit)
{
	static const char *wat =
	    "(module (memory 1 2) (table 2 funcref) (global (mut i32) (i32.const 0))"
	    " (global (mut externref) (ref.null extern)) (func $f))";
	size_t wlen = 0, olen;
	uint8_t *w = wat2wasm(wat, &wlen), *out = NULL;
	uint8_t *mem = calloc(1, 3 * 65536);
	uint64_t tab[2] = {GATE_PNULL, 0};
	uint64_t *tabs[1] = {tab};
	uint32_t tlen[1] = {2};
	struct gate_pvalue g[2] = {{GATE__I32, 5}, {GATE__EXTERNREF, GATE_PNULL}};
	struct gate_snapshot ok = {.memory = mem,
				   .memory_len = 65536,
				   .nglobals = 2,
				   .globals = g,
				   .ntables = 1,
				   .table_len = tlen,
				   .tables = tabs};
	struct gate_snapshot st;
	struct gate_snapshot_service sv[2] = {{"a", 1, NULL, 0}, {"a", 1, NULL, 0}};
	char err[256];

	CHECK(w != NULL && mem != NULL);
	CHECK_EQ(gate_snapshot_encode(w, wlen, &ok, &out, &olen, err, sizeof(err)), GATE_OK);
	free(out);
#define REJECT(field, value, status)                                                               \
	do {                                                                                       \
		st = ok;                                                                           \
		st.field = value;                                                                  \
		CHECK_EQ(gate_snapshot_encode(w, wlen, &st, &out, &olen, err, sizeof(err)),        \
			 status);                                                                  \
	} while (0)
	REJECT(memory_len, 3 * 65536, GATE_INVALID_ARGUMENT); /* over the maximum */
	REJECT(memory_len, 1000, GATE_INVALID_ARGUMENT);      /* not whole pages */
	REJECT(memory_len, 0, GATE_INVALID_ARGUMENT);	      /* below the minimum */
	REJECT(nglobals, 1, GATE_INVALID_ARGUMENT);
	REJECT(ntables, 0, GATE_INVALID_ARGUMENT);
	REJECT(flags, 2, GATE_INVALID_ARGUMENT);
	REJECT(trap, 99, GATE_INVALID_ARGUMENT);
	REJECT(result, 1, GATE_INVALID_ARGUMENT); /* a result without EXIT */
	REJECT(nservices, 2, GATE_INVALID_ARGUMENT);
	st.services = sv; /* REJECT above left services NULL */
	CHECK_EQ(gate_snapshot_encode(w, wlen, &st, &out, &olen, err, sizeof(err)),
		 GATE_INVALID_ARGUMENT);
	CHECK(strstr(err, "service \"a\" twice") != NULL);
	g[0].bits = 1ull << 32; /* an i32 with bits above 32 */
	CHECK_EQ(gate_snapshot_encode(w, wlen, &ok, &out, &olen, err, sizeof(err)),
		 GATE_INVALID_ARGUMENT);
	g[0].bits = 5;
	g[0].type = GATE__I64;
	CHECK_EQ(gate_snapshot_encode(w, wlen, &ok, &out, &olen, err, sizeof(err)),
		 GATE_INVALID_ARGUMENT);
	g[0].type = GATE__I32;
	g[1].bits = 0; /* a non-null externref */
	CHECK_EQ(gate_snapshot_encode(w, wlen, &ok, &out, &olen, err, sizeof(err)),
		 GATE_INVALID_ARGUMENT);
	g[1].bits = GATE_PNULL;
	tab[1] = 1; /* function 1 does not exist */
	CHECK_EQ(gate_snapshot_encode(w, wlen, &ok, &out, &olen, err, sizeof(err)),
		 GATE_INVALID_ARGUMENT);
	tab[1] = 0;
	tlen[0] = 1; /* below the table's minimum */
	CHECK_EQ(gate_snapshot_encode(w, wlen, &ok, &out, &olen, err, sizeof(err)),
		 GATE_INVALID_ARGUMENT);
	tlen[0] = 2;
	CHECK_EQ(gate_snapshot_encode(w, 7, &ok, &out, &olen, err, sizeof(err)), GATE_MALFORMED);
#undef REJECT
	free(mem);
	free(w);
}

TEST(snapshot_encode_refuses_an_imported_memory)
{
	static const char *wat = "(module (import \"m\" \"mem\" (memory 1)))";
	struct gate_snapshot st = {0};
	size_t wlen = 0, olen;
	uint8_t *w = wat2wasm(wat, &wlen), *out = NULL;
	char err[256];

	CHECK(w != NULL);
	CHECK_EQ(gate_snapshot_encode(w, wlen, &st, &out, &olen, err, sizeof(err)),
		 GATE_UNSUPPORTED);
	free(w);
}
