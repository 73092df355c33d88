/*
 * The decoded form of a WebAssembly 2.0 module, shared by the decoder, the
 * validator, the info writer and (later) the compiler.
 *
 * The module owns a copy of the whole binary (bytes); names, constant
 * expressions, segment contents and function bodies are kept as offsets into
 * that copy rather than copied again. Index spaces list imports first.
 */
#ifndef GATE_WASM_MODULE_H
#define GATE_WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libgate.h"

/* Value types use their binary encoding; 0 is the validator's Unknown. */
enum gate__valtype {
	GATE__UNKNOWN = 0x00,
	GATE__I32 = 0x7f,
	GATE__I64 = 0x7e,
	GATE__F32 = 0x7d,
	GATE__F64 = 0x7c,
	GATE__V128 = 0x7b,
	GATE__FUNCREF = 0x70,
	GATE__EXTERNREF = 0x6f,
};

enum gate__extern_kind {
	GATE__EXT_FUNC = 0,
	GATE__EXT_TABLE = 1,
	GATE__EXT_MEMORY = 2,
	GATE__EXT_GLOBAL = 3,
};

enum gate__seg_mode {
	GATE__SEG_ACTIVE = 0,
	GATE__SEG_PASSIVE = 1,
	GATE__SEG_DECLARATIVE = 2,
};

static inline bool gate__is_valtype(uint8_t t)
{
	return (t >= GATE__V128 && t <= GATE__I32) || t == GATE__FUNCREF ||
	       t == GATE__EXTERNREF;
}

static inline bool gate__is_reftype(uint8_t t)
{
	return t == GATE__FUNCREF || t == GATE__EXTERNREF;
}

/* Returns "i32", ..., "externref"; "unknown" for GATE__UNKNOWN. */
const char *gate__valtype_name(uint8_t t);

/*
 * A function type: types[0..nparams) are the parameters, then the results.
 * Types are canonical: identical types share `types` and have the same
 * `canon`, the index of the first of them, so a signature check (and a
 * branch check between block types) is a comparison of one word.
 */
struct gate__functype {
	uint32_t nparams;
	uint32_t nresults;
	const uint8_t *types; /* into gate_module.type_pool */
	uint32_t canon;
};

static inline const uint8_t *gate__results(const struct gate__functype *t)
{
	return t->types + t->nparams;
}

/* A byte range of gate_module.bytes: a name or a payload. */
struct gate__span {
	uint32_t off;
	uint32_t len;
};

struct gate__bounds {
	uint32_t min;
	uint32_t max;
	bool has_max;
};

struct gate__table {
	uint8_t elem; /* GATE__FUNCREF or GATE__EXTERNREF */
	struct gate__bounds lim;
};

struct gate__global {
	uint8_t type;
	bool mut;
	bool imported;
	uint32_t init; /* offset of the constant expression; 0 if imported */
};

struct gate__import {
	struct gate__span module;
	struct gate__span name;
	uint8_t kind;   /* enum gate__extern_kind */
	uint32_t index; /* in the index space of its kind */
};

struct gate__export {
	struct gate__span name;
	uint8_t kind;
	uint32_t index;
};

struct gate__elem {
	uint8_t mode;    /* enum gate__seg_mode */
	uint8_t type;    /* reference type of the items */
	bool exprs;      /* items are constant expressions, else function indices */
	uint32_t table;  /* active only */
	uint32_t offset; /* active only: offset of the offset expression */
	uint32_t count;
	uint32_t items; /* offset of the first item */
};

struct gate__data {
	uint8_t mode;
	uint32_t memory;
	uint32_t offset; /* active only: offset of the offset expression */
	struct gate__span bytes;
};

/* A function body: bytes[off..off+size), local declarations first. */
struct gate__code {
	uint32_t off;
	uint32_t size;
};

struct gate__fname {
	uint32_t index;
	struct gate__span name;
};

struct gate_module {
	const uint8_t *bytes; /* owned copy, or the caller's bytes if borrowed */
	size_t size;
	bool borrowed;        /* gate_module_describe(): bytes live only for the call */
	gate_limits limits;

	uint32_t ntypes;
	struct gate__functype *types;
	uint8_t *type_pool;

	uint32_t nimports;
	struct gate__import *imports;

	uint32_t nfuncs, nfunc_imports;
	uint32_t *func_types; /* type index of every function */

	uint32_t ntables, ntable_imports;
	struct gate__table *tables;

	uint32_t nmems, nmem_imports;
	struct gate__bounds *mems;

	uint32_t nglobals, nglobal_imports;
	struct gate__global *globals;

	uint32_t nexports;
	struct gate__export *exports;

	bool has_start;
	uint32_t start;

	uint32_t nelems;
	struct gate__elem *elems;

	bool has_datacount;
	uint32_t datacount;
	uint32_t ndata;
	struct gate__data *data;

	uint32_t ncode;
	struct gate__code *code;

	uint32_t ncustom;
	struct gate__span *custom; /* names of the custom sections, in order */

	bool has_names;
	struct gate__span names; /* contents of the first "name" section */
	uint32_t nfnames;
	struct gate__fname *fnames; /* sorted by index */

	/* C.refs of the spec: functions that ref.func may name in a body. */
	uint8_t *declared; /* bitset over nfuncs */
};

static inline const struct gate__functype *gate__func_type(const struct gate_module *m,
							   uint32_t func)
{
	return &m->types[m->func_types[func]];
}

static inline bool gate__is_declared(const struct gate_module *m, uint32_t func)
{
	return m->declared[func >> 3] & (1u << (func & 7));
}

static inline void gate__declare(struct gate_module *m, uint32_t func)
{
	m->declared[func >> 3] |= (uint8_t)(1u << (func & 7));
}

/*
 * How many items of an export's kind the module has (imported and defined),
 * or -1 for a kind that is not one: the bound of an export's index.
 */
static inline int64_t gate__extern_count(const struct gate_module *m, uint8_t kind)
{
	switch (kind) {
	case GATE__EXT_FUNC:
		return m->nfuncs;
	case GATE__EXT_TABLE:
		return m->ntables;
	case GATE__EXT_MEMORY:
		return m->nmems;
	case GATE__EXT_GLOBAL:
		return m->nglobals;
	default:
		return -1;
	}
}

#define GATE__NO_FUNC UINT32_MAX

/* gate_module_new() without copying wasm[0..len): the module points into
 * it, so it must not outlive those bytes (the snapshot decoder's module
 * lives only for the decode). */
int gate__module_new_borrowed(const uint8_t *wasm, size_t len, const gate_limits *limits,
			      gate_module **out, char *err, size_t err_len);

/* State shared by the decoding and validation stages of one gate_module_new. */
struct gate__ctx {
	struct gate_module *m;
	const gate_limits *lim;
	char *err;
	size_t err_len;
	uint32_t func; /* function being validated, or GATE__NO_FUNC */
};

/*
 * Writes "Cannot decode module: <detail> at offset N" (or "Cannot validate
 * function 3 ("main"): ...", depending on status and c->func) into the error
 * buffer and returns status.
 */
int gate__fail(struct gate__ctx *c, int status, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reports a reader failure (GATE__R_*) as GATE_MALFORMED at off. */
int gate__fail_read(struct gate__ctx *c, int rerr, size_t off);

/* Returns true if s[0..n) is well-formed UTF-8 (no overlongs, surrogates). */
bool gate__utf8_valid(const uint8_t *s, size_t n);

/* Returns the name of function func from the name section, or NULL. */
const struct gate__span *gate__func_name(const struct gate_module *m, uint32_t func);

/* decode.c: all sections, module-level validation included. */
int gate__decode_module(struct gate__ctx *c);

/* names.c: parses m->names into m->fnames; a bad section is ignored. */
int gate__parse_names(struct gate__ctx *c);

#endif
