/*
 * The gate.stack section: struct gate_pstack in LEB128 (docs/snapshot.md,
 * "gate.stack"). Only the encoding here; the rules that tie a stack to the
 * code are in snapshot_check.c.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/error.h"
#include "../wasm/leb128.h"
#include "snapshot_internal.h"

const char *gate__stype_name(uint8_t t)
{
	return gate__valtype_name(t);
}

static void put_value(struct gate__sbuf *b, const struct gate_pvalue *v)
{
	uint8_t raw[8];

	gate__sbuf_u8(b, v->type);
	switch (v->type) {
	case GATE__I32:
		gate__sbuf_s32(b, (int32_t)(uint32_t)v->bits);
		break;
	case GATE__I64:
		gate__sbuf_s64(b, (int64_t)v->bits);
		break;
	case GATE__F32:
	case GATE__F64:
		for (int i = 0; i < 8; i++)
			raw[i] = (uint8_t)(v->bits >> (8 * i));
		gate__sbuf_put(b, raw, v->type == GATE__F32 ? 4 : 8);
		break;
	default: /* references: index + 1, 0 for null */
		gate__sbuf_u32(b, v->bits == GATE_PNULL ? 0 : (uint32_t)v->bits + 1);
		break;
	}
}

void gate__sstack_put(struct gate__sbuf *b, const struct gate_pstack *st)
{
	gate__sbuf_u32(b, st->nframes);
	for (uint32_t i = 0; i < st->nframes; i++) {
		const struct gate_pframe *f = &st->frames[i];

		gate__sbuf_u8(b, f->kind);
		gate__sbuf_u32(b, f->func);
		if (f->kind != GATE_PFRAME_HOST) {
			gate__sbuf_u32(b, f->offset);
			gate__sbuf_u32(b, f->nlocals);
		}
		gate__sbuf_u32(b, f->nstack);
		for (uint32_t k = 0; k < f->nlocals + f->nstack; k++)
			put_value(b, &f->values[k]);
	}
}

static int fail(char *err, size_t err_len, uint32_t frame, const char *what, int e)
{
	return gate__errorf(err, err_len, GATE_MALFORMED,
			    "Cannot decode snapshot: gate.stack frame %u: %s: %s", frame, what,
			    gate__rerr_text(e));
}

static int get_value(struct gate__reader *r, uint32_t nfuncs, struct gate_pvalue *v, uint32_t frame,
		     uint32_t k, char *err, size_t err_len)
{
	uint8_t raw[8] = {0};
	int64_t s = 0;
	uint32_t x;
	int e = gate__read_u8(r, &v->type);

	if (e)
		return fail(err, err_len, frame, "value type", e);
	switch (v->type) {
	case GATE__I32:
		e = gate__leb_s(r, 32, &s);
		v->bits = (uint32_t)s;
		break;
	case GATE__I64:
		e = gate__leb_s(r, 64, &s);
		v->bits = (uint64_t)s;
		break;
	case GATE__F32:
	case GATE__F64:
		e = gate__read_bytes(r, raw, v->type == GATE__F32 ? 4 : 8);
		v->bits = 0;
		for (int i = 0; i < 8; i++)
			v->bits |= (uint64_t)raw[i] << (8 * i);
		break;
	case GATE__FUNCREF:
	case GATE__EXTERNREF:
		e = gate__read_u32(r, &x);
		if (e)
			break;
		v->bits = x ? x - 1u : GATE_PNULL;
		if (x && v->type == GATE__EXTERNREF)
			return gate__errorf(
			    err, err_len, GATE_MALFORMED,
			    "Cannot decode snapshot: gate.stack frame %u: value %u: "
			    "an externref other than null",
			    frame, k);
		if (x && x - 1u >= nfuncs)
			return gate__errorf(
			    err, err_len, GATE_MALFORMED,
			    "Cannot decode snapshot: gate.stack frame %u: value %u: "
			    "unknown function %u",
			    frame, k, x - 1u);
		break;
	default:
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.stack frame %u: value %u: "
				    "unknown value type 0x%02x",
				    frame, k, v->type);
	}
	if (e)
		return fail(err, err_len, frame, "value", e);
	return 0;
}

/* Reads a count of items that take at least one byte each. */
static int get_count(struct gate__reader *r, uint32_t *n, uint32_t frame, const char *what,
		     char *err, size_t err_len)
{
	int e = gate__read_u32(r, n);

	if (e)
		return fail(err, err_len, frame, what, e);
	if (*n > gate__left(r))
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.stack frame %u: %u %s cannot "
				    "fit in the %zu bytes left",
				    frame, *n, what, gate__left(r));
	return 0;
}

static int get_frame(struct gate__reader *r, uint32_t nfuncs, struct gate_pframe *f, uint32_t i,
		     char *err, size_t err_len)
{
	int e = gate__read_u8(r, &f->kind);
	int ret;

	if (e)
		return fail(err, err_len, i, "kind", e);
	if (f->kind > GATE_PFRAME_HOST)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.stack frame %u: unknown kind %u",
				    i, f->kind);
	e = gate__read_u32(r, &f->func);
	if (e)
		return fail(err, err_len, i, "function", e);
	if (f->kind != GATE_PFRAME_HOST) {
		e = gate__read_u32(r, &f->offset);
		if (e)
			return fail(err, err_len, i, "offset", e);
		ret = get_count(r, &f->nlocals, i, "locals", err, err_len);
		if (ret)
			return ret;
	}
	ret = get_count(r, &f->nstack, i, "operands", err, err_len);
	if (ret)
		return ret;
	if ((uint64_t)f->nlocals + f->nstack > gate__left(r))
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.stack frame %u: %u values cannot "
				    "fit in the %zu bytes left",
				    i, f->nlocals + f->nstack, gate__left(r));
	f->values = malloc(((size_t)f->nlocals + f->nstack + 1) * sizeof(*f->values));
	if (f->values == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot decode snapshot: out of memory");
	for (uint32_t k = 0; k < f->nlocals + f->nstack; k++) {
		ret = get_value(r, nfuncs, &f->values[k], i, k, err, err_len);
		if (ret)
			return ret;
	}
	return 0;
}

int gate__sstack_get(const uint8_t *p, size_t len, uint32_t nfuncs, struct gate_pstack *out,
		     char *err, size_t err_len)
{
	struct gate__reader r = {p, p + len, p};
	uint32_t n;
	int ret, e = gate__read_u32(&r, &n);

	*out = (struct gate_pstack){0};
	if (e)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.stack: frame count: %s",
				    gate__rerr_text(e));
	/* a frame takes at least 3 bytes: kind, function, operand count */
	if (n == 0 || n > gate__left(&r) / 3)
		return gate__errorf(err, err_len, GATE_MALFORMED,
				    "Cannot decode snapshot: gate.stack: %u frames in %zu bytes", n,
				    gate__left(&r));
	out->frames = calloc(n, sizeof(*out->frames));
	if (out->frames == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot decode snapshot: out of memory");
	for (uint32_t i = 0; i < n; i++) {
		out->nframes = i + 1; /* so that clearing frees this frame's values */
		ret = get_frame(&r, nfuncs, &out->frames[i], i, err, err_len);
		if (ret)
			goto out_clear;
	}
	if (r.p != r.end) {
		ret = gate__errorf(err, err_len, GATE_MALFORMED,
				   "Cannot decode snapshot: gate.stack: %zu bytes after the last "
				   "frame",
				   gate__left(&r));
		goto out_clear;
	}
	return 0;
out_clear:
	gate_pstack_clear(out);
	return ret;
}
