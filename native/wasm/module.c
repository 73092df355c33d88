/* gate_module_new/free, default limits and error formatting (libgate.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/error.h"
#include "body.h"
#include "module.h"

/* Reasons for each value: docs/validator.md "Resource limits". */
GATE_API void gate_limits_default(gate_limits *out)
{
	if (out == NULL)
		return;
	*out = (gate_limits){
		.module_size = 64u << 20, /* twice ruby.wasm */
		.types = 1000000,         /* V8 kV8MaxWasmTypes */
		.functions = 1000000,     /* V8 kV8MaxWasmFunctions */
		.imports = 100000,        /* V8 kV8MaxWasmImports */
		.exports = 100000,        /* V8 kV8MaxWasmExports */
		.globals = 1000000,       /* V8 kV8MaxWasmGlobals */
		.tables = 100000,         /* V8 kV8MaxWasmTables */
		.memories = 1,            /* WebAssembly 2.0 allows one */
		.elem_segments = 10000000, /* V8 kV8MaxWasmElementSegments */
		.data_segments = 100000,   /* V8 kV8MaxWasmDataSegments */
		.params = 1000,            /* V8 kV8MaxWasmFunctionParams */
		.results = 1000,           /* V8 kV8MaxWasmFunctionReturns */
		.locals = 50000,           /* V8 kV8MaxWasmFunctionLocals */
		.body_size = 7654321,      /* V8 kV8MaxWasmFunctionSize */
		.nesting = 65536,          /* deep br_table switches, ~3 MiB of frames */
		.br_table = 65520,         /* V8 kV8MaxWasmFunctionBrTableSize */
		.operand_stack = 65536,    /* far above real code; bounds the compiler's frame */
		.table_size = 10000000,    /* V8 kV8MaxWasmTableInitEntries */
		.elem_items = 10000000,    /* V8 kV8MaxWasmTableInitEntries */
		.names = 1000000,          /* one name per function */
	};
}

const char *gate__valtype_name(uint8_t t)
{
	switch (t) {
	case GATE__I32:
		return "i32";
	case GATE__I64:
		return "i64";
	case GATE__F32:
		return "f32";
	case GATE__F64:
		return "f64";
	case GATE__V128:
		return "v128";
	case GATE__FUNCREF:
		return "funcref";
	case GATE__EXTERNREF:
		return "externref";
	}
	return "unknown";
}

const char *gate__rerr_text(int e)
{
	switch (e) {
	case GATE__R_END:
		return "unexpected end";
	case GATE__R_LONG:
		return "integer representation too long";
	case GATE__R_LARGE:
		return "integer too large";
	}
	return "malformed input";
}

const struct gate__span *gate__func_name(const struct gate_module *m, uint32_t func)
{
	uint32_t lo = 0, hi = m->nfnames;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->fnames[mid].index == func)
			return &m->fnames[mid].name;
		if (m->fnames[mid].index < func)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Quotes at most 64 bytes of a name for a message, escaping " \ and controls. */
static void quote_name(char *out, size_t cap, const uint8_t *s, size_t n)
{
	size_t o = 0;

	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			out[o++] = '\\';
			out[o++] = (char)s[i];
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			out[o++] = '?';
		} else {
			out[o++] = (char)s[i];
		}
	}
	out[o] = '\0';
}

int gate__fail(struct gate__ctx *c, int status, size_t off, const char *fmt, ...)
{
	char detail[256], subject[128];
	const char *verb = status == GATE_INVALID ? "validate" : "decode";
	va_list ap;

	if (c->err == NULL || c->err_len == 0)
		return status;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (c->func == GATE__NO_FUNC) {
		snprintf(subject, sizeof(subject), "module");
	} else {
		const struct gate__span *name = gate__func_name(c->m, c->func);

		if (name != NULL) {
			char q[80];

			quote_name(q, sizeof(q), c->m->bytes + name->off, name->len);
			snprintf(subject, sizeof(subject), "function %u (\"%s\")", c->func, q);
		} else {
			snprintf(subject, sizeof(subject), "function %u", c->func);
		}
	}
	return gate__errorf(c->err, c->err_len, status, "Cannot %s %s: %s at offset %zu", verb,
			    subject, detail, off);
}

int gate__fail_read(struct gate__ctx *c, int rerr, size_t off)
{
	return gate__fail(c, GATE_MALFORMED, off, "%s", gate__rerr_text(rerr));
}

GATE_API void gate_module_free(gate_module *m)
{
	if (m == NULL)
		return;
	free(m->declared);
	free(m->fnames);
	free(m->custom);
	free(m->code);
	free(m->data);
	free(m->elems);
	free(m->exports);
	free(m->globals);
	free(m->mems);
	free(m->tables);
	free(m->func_types);
	free(m->imports);
	free(m->types);
	free(m->type_pool);
	if (!m->borrowed)
		free((void *)m->bytes);
	free(m);
}

/*
 * Decodes and validates wasm[0..len). With borrow, the module points into
 * wasm instead of copying it, so it must be freed before wasm goes away.
 * Without bodies, function bodies are left for gate_image_new() to validate
 * as it compiles them (one pass instead of two).
 */
static int decode(const uint8_t *wasm, size_t len, const gate_limits *limits, bool borrow,
		  bool bodies, gate_module **out, char *err, size_t err_len)
{
	struct gate__ctx c = { .err = err, .err_len = err_len, .func = GATE__NO_FUNC };
	gate_module *m;
	int ret;

	if (out == NULL || (wasm == NULL && len > 0))
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot decode module: no module or no output handle");
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot decode module: out of memory");
	if (limits != NULL)
		m->limits = *limits;
	else
		gate_limits_default(&m->limits);
	c.m = m;
	c.lim = &m->limits;
	/* Offsets inside the module are 32-bit. */
	if (len > m->limits.module_size || len > UINT32_MAX) {
		ret = gate__errorf(err, err_len, GATE_LIMIT,
				   "Cannot decode module: size %zu bytes exceeds the limit of %llu",
				   len, (unsigned long long)m->limits.module_size);
		goto out_free_module;
	}
	if (borrow) {
		m->bytes = wasm;
		m->borrowed = true;
	} else {
		uint8_t *copy = malloc(len ? len : 1);

		if (copy == NULL) {
			ret = gate__fail(&c, GATE_OUT_OF_MEMORY, 0, "out of memory");
			goto out_free_module;
		}
		if (len)
			memcpy(copy, wasm, len);
		m->bytes = copy;
	}
	m->size = len;

	ret = gate__decode_module(&c);
	if (ret)
		goto out_free_module;
	ret = gate__parse_names(&c);
	if (ret)
		goto out_free_module;
	if (bodies) {
		ret = gate__validate_code(&c);
		if (ret)
			goto out_free_module;
	}
	*out = m;
	return GATE_OK;

out_free_module:
	gate_module_free(m);
	return ret;
}

GATE_API int gate_module_new(const uint8_t *wasm, size_t len, const gate_limits *limits,
			     gate_module **out, char *err, size_t err_len)
{
	return decode(wasm, len, limits, false, true, out, err, err_len);
}

int gate__module_new_borrowed(const uint8_t *wasm, size_t len, const gate_limits *limits,
			      gate_module **out, char *err, size_t err_len)
{
	return decode(wasm, len, limits, true, true, out, err, err_len);
}

GATE_API int gate_module_decode(const uint8_t *wasm, size_t len, const gate_limits *limits,
				gate_module **out, char *err, size_t err_len)
{
	return decode(wasm, len, limits, false, false, out, err, err_len);
}

GATE_API int64_t gate_module_describe(const uint8_t *wasm, size_t len, const gate_limits *limits,
				      uint8_t *info, size_t info_len, char *err, size_t err_len)
{
	gate_module *m = NULL;
	int64_t n;
	int ret;

	/* Borrowing is safe: the module never outlives this call. */
	ret = decode(wasm, len, limits, true, true, &m, err, err_len);
	if (ret)
		return -(int64_t)ret;
	n = gate_module_info(m, info, info_len);
	gate_module_free(m);
	if (n < 0)
		return -(int64_t)gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
					      "Cannot describe module: out of memory");
	return n;
}
