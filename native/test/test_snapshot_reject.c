/* The snapshot decoder's strictness: truncation anywhere, gate sections
 * duplicated, misplaced or unknown, header and buffer fields out of range,
 * and regenerated sections that do not have the snapshot layout. */
#include "test.h"
#include "test_snapshot_util.h"
#include "test_wasm_build.h"

static const char *const wat = "(module\n"
			       " (memory 1)\n"
			       " (global $g (mut i32) (i32.const 3))\n"
			       " (func $f (export \"f\") (param i32) (result i32) (local.get 0))\n"
			       " (func $g (export \"g\")))\n";

/* A snapshot of wat with memory, buffers and (with_stack) a stack. */
static uint8_t *sample(bool with_stack, size_t *len)
{
	static uint8_t mem[65536];
	static const uint8_t in[] = "input", out[] = "output";
	struct gate_snapshot_service sv = {"svc", 3, (const uint8_t *)"state", 5};
	struct gate_pvalue g = {GATE__I32, 9}, loc = {GATE__I32, 1};
	struct gate_pframe f = {GATE_PFRAME_AT, 0, 0, 1, 0, &loc};
	struct gate_snapshot st = {0};
	size_t wlen = 0;
	uint8_t *w = wat2wasm(wat, &wlen), *snap;

	if (w == NULL)
		return NULL;
	mem[100] = 1;
	mem[65535] = 2;
	st.trap = GATE_TRAP_SUSPENDED;
	st.memory = mem;
	st.memory_len = sizeof(mem);
	st.nglobals = 1;
	st.globals = &g;
	st.input = in;
	st.input_len = sizeof(in);
	st.output = out;
	st.output_len = sizeof(out);
	st.nservices = 1;
	st.services = &sv;
	if (with_stack) {
		/* $f's first instruction: after the body's local count (0) */
		f.offset = 1;
		st.stack = (struct gate_pstack){1, &f};
	}
	snap = snap_encode(w, wlen, &st, len);
	free(w);
	return snap;
}

/* Decodes b and checks for GATE_MALFORMED with needle in the message. */
static bool malformed(const uint8_t *b, size_t len, const char *needle)
{
	struct gate_snapshot dec;
	char err[512] = "";
	int ret = gate_snapshot_decode(b, len, &dec, err, sizeof(err));

	if (ret == GATE_OK)
		gate_snapshot_free(&dec);
	if (ret != GATE_MALFORMED || (needle && !strstr(err, needle))) {
		fprintf(stderr, "  got %s: %s\n", gate_status_name(ret), err);
		return false;
	}
	return true;
}

/* Joins v, expects the decoder to refuse it with needle. */
static bool joined_malformed(const struct snap_sec *v, size_t n, const char *needle)
{
	size_t len = 0;
	uint8_t *b = snap_join(v, n, &len);
	bool ok = b != NULL && malformed(b, len, needle);

	free(b);
	return ok;
}

static size_t find(const struct snap_sec *v, size_t n, int gate, uint8_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].gate == gate && v[i].id == id)
			return i;
	return n;
}

/* Moves v[from] to position to (shifting the rest). */
static void move(struct snap_sec *v, size_t n, size_t from, size_t to)
{
	struct snap_sec s = v[from];

	(void)n;
	if (from < to)
		memmove(&v[from], &v[from + 1], (to - from) * sizeof(*v));
	else
		memmove(&v[to + 1], &v[to], (from - to) * sizeof(*v));
	v[to] = s;
}

TEST(snapshot_decode_rejects_truncation_at_every_byte)
{
	for (int with_stack = 0; with_stack < 2; with_stack++) {
		size_t len = 0;
		uint8_t *snap = sample(with_stack, &len), *cut;
		struct gate_snapshot dec;
		char err[512];

		CHECK(snap != NULL);
		CHECK_EQ(gate_snapshot_decode(snap, len, &dec, err, sizeof(err)), GATE_OK);
		gate_snapshot_free(&dec);
		/* a copy of each prefix, so ASan sees any read past its end */
		for (size_t n = 0; n < len; n++) {
			cut = malloc(n + 1);
			CHECK(cut != NULL);
			memcpy(cut, snap, n);
			if (gate_snapshot_decode(cut, n, &dec, err, sizeof(err)) !=
			    GATE_MALFORMED) {
				fprintf(stderr, "  prefix of %zu bytes: %s\n", n, err);
				free(cut);
				CHECK(false);
			}
			free(cut);
		}
		/* and a byte more */
		cut = malloc(len + 1);
		CHECK(cut != NULL);
		memcpy(cut, snap, len);
		cut[len] = 0;
		CHECK(malformed(cut, len + 1, NULL));
		free(cut);
		free(snap);
	}
}

TEST(snapshot_decode_rejects_duplicate_and_misplaced_sections)
{
	size_t len = 0, n, i;
	uint8_t *snap = sample(true, &len);
	struct snap_sec v[32], w[33];

	CHECK(snap != NULL);
	n = snap_split(snap, len, v, 32);
	CHECK(n >= 10);
	CHECK(find(v, n, GATE__S_SNAPSHOT, 0) < n);
	CHECK(find(v, n, GATE__S_EXPORT, 0) < n);
	CHECK(find(v, n, GATE__S_BUFFER, 0) < n);
	CHECK(find(v, n, GATE__S_STACK, 0) < n);
	{
		struct gate_snapshot dec;
		char err[256];

		/* the sample itself is fine */
		CHECK_EQ(gate_snapshot_decode(snap, len, &dec, err, sizeof(err)), GATE_OK);
		gate_snapshot_free(&dec);
	}

	/* each gate section twice */
	for (int g = 0; g < GATE__S_COUNT; g++) {
		i = find(v, n, g, 0);
		memcpy(w, v, (i + 1) * sizeof(*v));
		w[i + 1] = v[i];
		memcpy(w + i + 2, v + i + 1, (n - i - 1) * sizeof(*v));
		CHECK(joined_malformed(w, n + 1, "two gate."));
	}
	/* gate.stack before gate.buffer */
	memcpy(w, v, n * sizeof(*v));
	move(w, n, find(w, n, GATE__S_STACK, 0), find(w, n, GATE__S_BUFFER, 0));
	CHECK(joined_malformed(w, n, "gate.buffer section out of place"));
	/* gate.buffer before the code */
	memcpy(w, v, n * sizeof(*v));
	move(w, n, find(w, n, GATE__S_BUFFER, 0), find(w, n, GATE__S_NONE, 10));
	CHECK(joined_malformed(w, n, "section 10 out of place: after gate.buffer"));
	/* gate.snapshot after gate.export */
	memcpy(w, v, n * sizeof(*v));
	move(w, n, find(w, n, GATE__S_SNAPSHOT, 0), find(w, n, GATE__S_EXPORT, 0));
	CHECK(joined_malformed(w, n, "out of place"));
	/* gate.stack after the data */
	memcpy(w, v, n * sizeof(*v));
	move(w, n, find(w, n, GATE__S_STACK, 0), find(w, n, GATE__S_NONE, 11));
	CHECK(joined_malformed(w, n, "out of place"));
	/* gate.snapshot before the memory section */
	memcpy(w, v, n * sizeof(*v));
	move(w, n, find(w, n, GATE__S_SNAPSHOT, 0), find(w, n, GATE__S_NONE, 5));
	CHECK(joined_malformed(w, n, "out of place"));
	/* no gate.snapshot: just a module */
	memcpy(w, v, n * sizeof(*v));
	i = find(w, n, GATE__S_SNAPSHOT, 0);
	memmove(&w[i], &w[i + 1], (n - i - 1) * sizeof(*w));
	{
		size_t l2 = 0;
		uint8_t *b = snap_join(w, n - 1, &l2);

		CHECK(b != NULL && malformed(b, l2, "not a snapshot"));
		free(b);
	}
	/* an unknown gate section */
	{
		struct snap_sec foo = snap_custom("gate.foo", (const uint8_t *)"", 0);

		memcpy(w, v, n * sizeof(*v));
		w[n] = foo;
		CHECK(joined_malformed(w, n + 1, "unknown section \"gate.foo\""));
		free((void *)foo.p);
	}
	/* other custom sections anywhere are fine */
	{
		struct snap_sec other = snap_custom("producers", (const uint8_t *)"x", 1);
		size_t l2 = 0;
		uint8_t *b;
		struct gate_snapshot dec;
		char err[256];

		memcpy(w, v, sizeof(*v));
		w[1] = other;
		memcpy(w + 2, v + 1, (n - 1) * sizeof(*v));
		b = snap_join(w, n + 1, &l2);
		CHECK(b != NULL);
		CHECK_EQ(gate_snapshot_decode(b, l2, &dec, err, sizeof(err)), GATE_OK);
		gate_snapshot_free(&dec);
		free(b);
		free((void *)other.p);
	}
	free(snap);
}

TEST(snapshot_decode_rejects_exports_next_to_a_stack)
{
	size_t len = 0, len2 = 0, n, n2;
	uint8_t *with = sample(true, &len), *without = sample(false, &len2);
	struct snap_sec v[32], u[32], w[33];
	size_t ge, ex;

	CHECK(with != NULL && without != NULL);
	n = snap_split(with, len, v, 32);
	n2 = snap_split(without, len2, u, 32);
	ge = find(v, n, GATE__S_EXPORT, 0);
	ex = find(u, n2, GATE__S_NONE, 7);
	CHECK(ge < n && ex < n2);
	/* the export section in gate.export's place: startable at any entry */
	memcpy(w, v, n * sizeof(*v));
	w[ge] = u[ex];
	CHECK(joined_malformed(w, n, "an export section with a stack"));
	/* both */
	memcpy(w, v, (ge + 1) * sizeof(*v));
	w[ge + 1] = u[ex];
	memcpy(w + ge + 2, v + ge + 1, (n - ge - 1) * sizeof(*v));
	CHECK(joined_malformed(w, n + 1, "section 7 out of place: after gate.export"));
	/* gate.export without a stack */
	memcpy(w, u, n2 * sizeof(*u));
	w[ex] = v[ge];
	CHECK(joined_malformed(w, n2, "gate.export without a stack"));
	/* a broken gate.export */
	{
		static const uint8_t dup[] = {2, 1, 'f', 0, 0, 1, 'f', 0, 1},
				     kind[] = {1, 1, 'f', 9, 0}, index[] = {1, 1, 'f', 0, 7},
				     utf8[] = {1, 1, 0xff, 0, 0}, extra[] = {0, 0};
		static const struct {
			const uint8_t *p;
			size_t n;
			const char *needle;
		} cases[] = {
		    {dup, sizeof(dup), "duplicate export name \"f\""},
		    {kind, sizeof(kind), "has kind 9"},
		    {index, sizeof(index), "unknown index 7"},
		    {utf8, sizeof(utf8), "malformed name"},
		    {extra, sizeof(extra), "bytes after the exports"},
		};

		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			struct snap_sec s = snap_custom("gate.export", cases[k].p, cases[k].n);

			memcpy(w, v, n * sizeof(*v));
			w[ge] = s;
			CHECK(joined_malformed(w, n, cases[k].needle));
			free((void *)s.p);
		}
	}
	free(with);
	free(without);
}

/* gate.snapshot payloads: replaced one at a time. */
TEST(snapshot_decode_rejects_bad_headers)
{
	/* version, flags, trap, result, monotonic, ndata, nelem, size (patched) */
	static const struct {
		uint8_t p[24];
		size_t n;
		const char *needle;
	} cases[] = {
	    {{0, 0, 15, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0}, 12, "unknown version 0"},
	    {{2, 0, 15, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0}, 12, "unknown version 2"},
	    {{1, 2, 15, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0}, 12, "unknown flags 0x2"},
	    {{1, 0, 16, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0}, 12, "unknown trap 16"},
	    {{1, 0, 15, 1, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0}, 12, "without trap EXIT"},
	    {{1, 0, 15, 0, 0, 5, 0, 0x80, 0x80, 0x80, 0x80, 0}, 12, "counts 5 data segments"},
	    {{1, 0, 15, 0, 0, 0, 5, 0x80, 0x80, 0x80, 0x80, 0}, 12, "counts 5 element"},
	    {{1, 0, 15, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0, 0}, 13, "bytes after the fields"},
	    {{1, 0, 15, 0, 0, 0, 0, 0x80, 0x80, 0x80}, 10, "size: unexpected end"},
	    {{1, 0, 15, 0, 0x80}, 5, "monotonic time: unexpected end"},
	    {{1, 0, 15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
	     9,
	     "result: integer representation too long"},
	};
	size_t len = 0, n;
	uint8_t *snap = sample(false, &len);
	struct snap_sec v[32];
	size_t at;

	CHECK(snap != NULL);
	n = snap_split(snap, len, v, 32);
	at = find(v, n, GATE__S_SNAPSHOT, 0);
	CHECK(at < n);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct snap_sec s = snap_custom("gate.snapshot", cases[k].p, cases[k].n);
		struct snap_sec w[32];
		size_t blen = 0;
		uint8_t *b;

		memcpy(w, v, n * sizeof(*v));
		w[at] = s;
		/* snap_join patches the size of a complete payload only */
		if (cases[k].n != 12)
			w[at].gate = GATE__S_NONE;
		b = snap_join(w, n, &blen);
		CHECK(b != NULL);
		if (!malformed(b, blen, cases[k].needle)) {
			fprintf(stderr, "  case %zu\n", k);
			CHECK(false);
		}
		free(b);
		free((void *)s.p);
	}
	/* a size that is not the snapshot's */
	{
		size_t i = (size_t)(v[at].p - snap) + v[at].n - GATE__SHEAD_SIZE_BYTES;

		snap[i] ^= 1;
		CHECK(malformed(snap, len, "gives a size of"));
		snap[i] ^= 1;
	}
	free(snap);
}

/* The sample snapshot with its gate.buffer payload replaced by p[0..n):
 * whether the decoder refuses it with needle, or (needle NULL) accepts it. */
static bool with_buffers(const uint8_t *p, size_t n, const char *needle)
{
	size_t len = 0, count, at, jlen = 0;
	uint8_t *snap = sample(false, &len), *j = NULL;
	struct snap_sec v[32], s;
	struct gate_snapshot st;
	char err[256];
	bool ok = false;

	if (snap == NULL)
		return false;
	count = snap_split(snap, len, v, 32);
	at = find(v, count, GATE__S_BUFFER, 0);
	if (at < count) {
		s = snap_custom("gate.buffer", p, n);
		v[at] = s;
		if (needle) {
			ok = joined_malformed(v, count, needle);
		} else {
			j = snap_join(v, count, &jlen);
			ok = j && gate_snapshot_decode(j, jlen, &st, err, sizeof err) == GATE_OK;
			if (ok)
				gate_snapshot_free(&st);
			else if (j)
				fprintf(stderr, "  %s\n", err);
			free(j);
		}
		free((void *)s.p);
	}
	free(snap);
	return ok;
}

TEST(snapshot_decode_rejects_bad_buffers)
{
	static const struct {
		uint8_t p[16];
		size_t n;
		const char *needle;
	} cases[] = {
	    {{1, 0, 0}, 3, "1 bytes of buffers, 0 in the section"},
	    {{0, 0, 0, 'x'}, 4, "0 bytes of buffers, 1 in the section"},
	    {{0, 0, 1, 0, 0}, 5, "name of 0 bytes"},
	    {{0, 0, 1, 128}, 4, "name of 128 bytes"},
	    {{0, 0, 2, 1, 'a', 0, 1, 'a', 0}, 9, "service \"a\" twice"},
	    {{0, 0, 1, 2, 'a'}, 5, "service 0 is truncated"},
	    {{0, 0, 0x81, 0x02}, 4, "more than 256 services"},
	    {{0, 0}, 2, "truncated header"},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		if (!with_buffers(cases[k].p, cases[k].n, cases[k].needle)) {
			fprintf(stderr, "  case %zu\n", k);
			CHECK(false);
		}
	}
}

/* A gate.buffer payload whose one service is a gate.host entry of n bytes:
 * version, wait, have, 0, skip, hdr, wait_start as given, then input. */
static size_t host_buffer(uint8_t *out, const uint8_t fixed[24], size_t n)
{
	static const char name[] = "gate.host";
	size_t at = 0;

	out[at++] = 0; /* input */
	out[at++] = 0; /* output */
	out[at++] = 1; /* services */
	out[at++] = sizeof name - 1;
	memcpy(out + at, name, sizeof name - 1);
	at += sizeof name - 1;
	out[at++] = (uint8_t)n; /* < 128: one LEB128 byte */
	memcpy(out + at, fixed, n < 24 ? n : 24);
	if (n > 24)
		memset(out + at + 24, 0x5a, n - 24);
	return at + n;
}

TEST(snapshot_decode_rejects_a_bad_host_state)
{
	static const struct {
		uint8_t fixed[24];
		size_t n;
		const char *needle; /* NULL: valid */
	} cases[] = {
	    {{0, 0, 0, 0}, 24, NULL},
	    {{0, 1, 3, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 9}, 30, NULL},
	    {{0, 2, 0, 0, 16, 0, 0, 0}, 24, NULL},
	    {{0}, 23, "gate.host: truncated"},
	    {{1}, 24, "gate.host: unknown version"},
	    {{0, 0, 0, 1}, 24, "gate.host: unknown version"},
	    {{0, 3}, 24, "gate.host: bad wait"},
	    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 24, "gate.host: bad wait"},
	    {{0, 0, 8}, 24, "gate.host: bad packet position"},
	    {{0, 0, 1, 0, 8}, 24, "gate.host: bad packet position"},
	    {{0, 0, 0, 0, 1, 0, 1}, 24, "gate.host: bad packet position"},
	    {{0, 0, 1, 0, 0, 0, 0, 0, 7, 7}, 24, "gate.host: bad packet header bytes"},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint8_t payload[64];
		size_t plen = host_buffer(payload, cases[k].fixed, cases[k].n);

		if (!with_buffers(payload, plen, cases[k].needle)) {
			fprintf(stderr, "  case %zu\n", k);
			CHECK(false);
		}
	}
}

/* Modules that are valid but not in the snapshot layout: a gate.snapshot
 * section is inserted after the globals of each, and the decoder's status
 * and message returned. */
static int layout_decode_bytes(const uint8_t *w, size_t wlen, uint32_t ndata, uint32_t nelem,
			       char *err, size_t err_len)
{
	size_t n, len = 0;
	uint8_t *b;
	struct snap_sec v[33];
	struct gate__sbuf p = {0};
	struct gate__shead h = {
	    GATE_SNAPSHOT_VERSION, 0, GATE_TRAP_SUSPENDED, 0, 0, ndata, nelem, 0};
	struct gate_snapshot dec;
	size_t at;
	int ret = -1;

	n = snap_split(w, wlen, v, 32);
	for (at = 0; at < n && (v[at].id == 0 || v[at].id <= 6); at++)
		;
	memmove(&v[at + 1], &v[at], (n - at) * sizeof(*v));
	gate__shead_put(&p, &h);
	v[at] = snap_custom("gate.snapshot", p.p, p.n);
	gate__sbuf_free(&p);
	b = snap_join(v, n + 1, &len);
	if (b != NULL)
		ret = gate_snapshot_decode(b, len, &dec, err, err_len);
	if (ret == GATE_OK)
		gate_snapshot_free(&dec);
	free(b);
	free((void *)v[at].p);
	return ret;
}

static int layout_decode(const char *src, uint32_t ndata, uint32_t nelem, char *err, size_t err_len)
{
	size_t wlen = 0;
	uint8_t *w = wat2wasm(src, &wlen);
	int ret = w ? layout_decode_bytes(w, wlen, ndata, nelem, err, err_len) : -1;

	free(w);
	return ret;
}

static bool layout_malformed(const char *src, uint32_t ndata, uint32_t nelem, const char *needle)
{
	char err[512] = "";
	int ret = layout_decode(src, ndata, nelem, err, sizeof(err));

	if (ret != GATE_MALFORMED || !strstr(err, needle)) {
		fprintf(stderr, "  got %s: %s\n", gate_status_name(ret), err);
		return false;
	}
	return true;
}

TEST(snapshot_decode_rejects_modules_not_in_the_layout)
{
	/* the program's segments as the original had them */
	CHECK(layout_malformed("(module (memory 1) (data (i32.const 0) \"a\"))", 1, 0,
			       "data segment 0 of the program is active"));
	CHECK(layout_malformed("(module (memory 1) (data (i32.const 4) \"\"))", 1, 0,
			       "data segment 0 of the program is active"));
	CHECK(layout_malformed("(module (table 1 funcref) (func $f) (elem (i32.const 0) $f))", 0, 1,
			       "element segment 0 of the program is active"));
	/* memory segments overlapping, out of order, out of bounds, empty */
	CHECK(layout_malformed("(module (memory 1) (data (i32.const 10) \"abc\")"
			       " (data (i32.const 12) \"x\"))",
			       0, 0, "memory data segment 1 at 12 overlaps"));
	CHECK(layout_malformed("(module (memory 1) (data (i32.const 10) \"a\")"
			       " (data (i32.const 5) \"x\"))",
			       0, 0, "overlaps or is out of order"));
	CHECK(layout_malformed("(module (memory 1) (data (i32.const 65535) \"ab\"))", 0, 0,
			       "or bounds"));
	CHECK(layout_malformed("(module (memory 1) (data (i32.const 5) \"\"))", 0, 0,
			       "memory data segment 0 is not active"));
	CHECK(layout_malformed("(module (memory 1) (data \"a\"))", 0, 0,
			       "memory data segment 0 is not active"));
	/* table segments: order, bounds, form */
	CHECK(layout_malformed("(module (table 4 funcref) (func $f)"
			       " (elem (i32.const 2) $f) (elem (i32.const 1) $f))",
			       0, 0, "table element segment 1 at 1 overlaps"));
	CHECK(layout_malformed("(module (table 4 funcref) (func $f) (elem (i32.const 4) $f))", 0, 0,
			       "or bounds"));
	CHECK(layout_malformed("(module (table 4 funcref) (func $f)"
			       " (elem (i32.const 0) funcref (ref.null func)))",
			       0, 0, "is not active at a constant offset with functions"));
	CHECK(layout_malformed("(module (table 4 funcref) (func $f) (elem declare func $f)"
			       " (elem declare func $f))",
			       0, 0, "table element segment 1 is not active"));
	CHECK(layout_malformed("(module (import \"a\" \"t\" (table 4 funcref)) (func $f)"
			       " (elem (i32.const 0) $f))",
			       0, 0, "is not active at a constant offset"));
	/* globals, start, memory */
	CHECK(layout_malformed("(module (import \"a\" \"g\" (global i32))"
			       " (global i32 (global.get 0)))",
			       0, 0, "global 1 is not initialised with a constant value"));
	CHECK(layout_malformed("(module (func $s) (start $s))", 0, 0, "a start section"));
	CHECK(layout_malformed("(module (import \"a\" \"m\" (memory 1)))", 0, 0,
			       "an imported memory"));
	/* not a valid module at all */
	{
		struct wb m = wb_func_module(B(0x00, 0x42, 0x01, 0x0b));
		char err[512] = "";

		CHECK_EQ(layout_decode_bytes(m.p, m.n, 0, 0, err, sizeof(err)), GATE_MALFORMED);
		CHECK(strstr(err, "not a valid module: Cannot validate function 0") != NULL);
		wb_free(&m);
	}
	/* and one in the layout passes */
	{
		char err[512] = "";
		int ret = layout_decode("(module (memory 1) (table 4 funcref) (func $f)"
					" (elem declare func $f)"
					" (elem (i32.const 0) $f) (elem (i32.const 2) $f $f)"
					" (data (i32.const 3) \"a\") (data (i32.const 100) \"b\"))",
					0, 0, err, sizeof(err));

		if (ret)
			fprintf(stderr, "  %s\n", err);
		CHECK_EQ(ret, GATE_OK);
	}
}
