/*
 * gate_snapshot_describe(): a snapshot's state as JSON for people and the
 * CLI (snapshot.h has the shape). Function names come from the snapshot's
 * name section, which the encoder copies from the program.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/error.h"
#include "snapshot_internal.h"

/* Writes what fits into buf and counts everything. */
struct out {
	char *buf;
	size_t cap, n;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->n < o->cap)
		memcpy(o->buf + o->n, s, n < o->cap - o->n ? n : o->cap - o->n);
	o->n += n;
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void put_str(struct out *o, const uint8_t *s, size_t n)
{
	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			put(o, "\\", 1);
			put(o, (const char *)&s[i], 1);
		} else if (s[i] < 0x20) {
			putf(o, "\\u%04x", s[i]);
		} else {
			put(o, (const char *)&s[i], 1);
		}
	}
	put(o, "\"", 1);
}

static void put_value(struct out *o, const struct gate_pvalue *v)
{
	float f;
	double g;
	uint32_t b32 = (uint32_t)v->bits;

	switch (v->type) {
	case GATE__I32:
		putf(o, "\"i32:%" PRId32 "\"", (int32_t)b32);
		return;
	case GATE__I64:
		putf(o, "\"i64:%" PRId64 "\"", (int64_t)v->bits);
		return;
	case GATE__F32:
		memcpy(&f, &b32, 4);
		putf(o, "\"f32:%.9g\"", (double)f);
		return;
	case GATE__F64:
		memcpy(&g, &v->bits, 8);
		putf(o, "\"f64:%.17g\"", g);
		return;
	}
	if (v->bits == GATE_PNULL)
		putf(o, "\"%s:null\"", gate__stype_name(v->type));
	else
		putf(o, "\"%s:%" PRIu64 "\"", gate__stype_name(v->type), v->bits);
}

static void put_values(struct out *o, const struct gate_pvalue *v, uint32_t n)
{
	put(o, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			put(o, ",", 1);
		put_value(o, &v[i]);
	}
	put(o, "]", 1);
}

static const char *const host_ops[18] = {
    [8] = "memory.init", [10] = "memory.copy", [11] = "memory.fill",
    [12] = "table.init", [14] = "table.copy",  [17] = "table.fill",
};

static void put_frame(struct out *o, const gate_module *m, const struct gate_pframe *f)
{
	static const char *const kinds[3] = {"call", "at", "host"};
	const struct gate__span *name = NULL;

	putf(o, "{\"kind\":\"%s\",", kinds[f->kind]);
	if (f->kind == GATE_PFRAME_HOST && (f->func & GATE_PHOST_OP)) {
		const char *op = host_ops[f->func & 0xff];

		put(o, "\"instruction\":", 14);
		put_str(o, (const uint8_t *)op, strlen(op));
	} else {
		putf(o, "\"function\":%" PRIu32, f->func);
		if (m != NULL)
			name = gate__func_name(m, f->func);
		if (name != NULL) {
			put(o, ",\"name\":", 8);
			put_str(o, m->bytes + name->off, name->len);
		}
	}
	if (f->kind != GATE_PFRAME_HOST) {
		putf(o, ",\"offset\":%" PRIu32 ",\"locals\":", f->offset);
		put_values(o, f->values, f->nlocals);
		put(o, ",\"stack\":", 9);
	} else {
		put(o, ",\"args\":", 8);
	}
	put_values(o, f->values + f->nlocals, f->nstack);
	put(o, "}", 1);
}

int64_t gate_snapshot_describe(const uint8_t *bytes, size_t len, char *buf, size_t buf_len,
			       char *err, size_t err_len)
{
	struct gate_snapshot st;
	struct gate__smem_segs segs;
	struct out o = {buf, buf != NULL ? buf_len : 0, 0};
	gate_module *m = NULL;
	gate_limits lim;
	/* Memory is not described: it stays in place. */
	int ret = gate__snapshot_decode_segs(bytes, len, &st, &segs, err, err_len);

	if (ret)
		return -(int64_t)ret;
	free(segs.v);
	/* names only: the bodies were validated by the decode */
	gate_limits_default(&lim);
	lim.module_size = UINT32_MAX;
	if (gate_module_decode(bytes, len, &lim, &m, NULL, 0))
		m = NULL;
	putf(&o, "{\"version\":%d,\"final\":%s,\"trap\":%" PRIu32 ",\"result\":%" PRId32,
	     GATE_SNAPSHOT_VERSION, st.flags & GATE_SNAPSHOT_FINAL ? "true" : "false", st.trap,
	     st.result);
	putf(&o, ",\"monotonic\":%" PRIu64 ",\"memory\":%" PRIu64, st.monotonic, st.memory_len);
	putf(&o, ",\"input\":%" PRIu32 ",\"output\":%" PRIu32 ",\"services\":[", st.input_len,
	     st.output_len);
	for (uint32_t i = 0; i < st.nservices; i++) {
		if (i)
			put(&o, ",", 1);
		put_str(&o, (const uint8_t *)st.services[i].name, st.services[i].name_len);
	}
	put(&o, "],\"frames\":[", 12);
	for (uint32_t i = 0; i < st.stack.nframes; i++) {
		if (i)
			put(&o, ",", 1);
		put_frame(&o, m, &st.stack.frames[i]);
	}
	put(&o, "]}", 2);
	gate_module_free(m);
	gate_snapshot_free(&st);
	return (int64_t)o.n;
}
