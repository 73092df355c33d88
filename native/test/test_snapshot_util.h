/*
 * Helpers for the snapshot codec's tests: build a module with wat2wasm, run
 * it with the runtime, capture an instance's state the way a runtime would
 * (memory, globals, tables and segment state in WebAssembly terms), and
 * compare states.
 */
#ifndef GATE_TEST_SNAPSHOT_UTIL_H
#define GATE_TEST_SNAPSHOT_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rt/rt_internal.h"
#include "../snapshot/snapshot.h"
#include "../snapshot/snapshot_internal.h"
#include "test_rt_util.h"

/* Compiles module bytes and instantiates them in s; UINT32_MAX on failure
 * (the message is printed). */
static UNUSED uint32_t snap_instance(struct gate__store *s, const uint8_t *w, size_t n,
				     const struct gate__extern *im, uint32_t nim)
{
	char err[256] = "";
	gate_module *m = NULL;
	gate_image *img = NULL;
	const uint8_t *b;
	uint64_t l;
	uint32_t idx, inst = UINT32_MAX;
	struct gate__trap trap;
	int st = gate_module_new(w, n, NULL, &m, err, sizeof(err));

	if (!st)
		st = gate_image_new(m, &img, err, sizeof(err));
	if (!st) {
		b = gate_image_bytes(img, &l);
		st = gate__store_load(s, b, l, &idx, err, sizeof(err));
	}
	if (!st)
		st = gate__store_instantiate(s, idx, im, nim, &inst, &trap, err, sizeof(err));
	if (st)
		fprintf(stderr, "  snap_instance: %s\n", err);
	gate_image_free(img);
	gate_module_free(m);
	return st ? UINT32_MAX : inst;
}

/* The module function index of a runtime function reference. */
static UNUSED uint64_t snap_func_index(const struct gate__store *s, const struct rt_instance *inst,
				       uint64_t ref)
{
	if (ref == 0)
		return GATE_PNULL;
	for (uint32_t f = 0; f < inst->img->nfuncs; f++)
		if ((uint64_t)(uintptr_t)s->funcs[inst->funcs[f]].ref == ref)
			return f;
	return GATE_PNULL - 1; /* not this module's: fails the encoder's checks */
}

/*
 * Fills st with the state of instance i: memory (lent: the runtime's),
 * defined globals and tables, dropped flags of every segment. Header,
 * buffers and stack are left zero. Free with snap_capture_free().
 */
static UNUSED int snap_capture(const struct gate__store *s, uint32_t i, struct gate_snapshot *st)
{
	const struct rt_instance *inst = s->instances[i];
	const struct rt_image *img = inst->img;
	struct gate__rt_memory *mem = gate__store_memory(s, i, 0);
	uint32_t ng = img->nglobals - img->nglobal_imports;
	uint32_t nt = img->ntables - img->ntable_imports;

	memset(st, 0, sizeof(*st));
	if (mem != NULL) {
		st->memory = mem->base;
		st->memory_len = (uint64_t)mem->pages * GATE__PAGE_SIZE;
	}
	st->nglobals = ng;
	st->globals = calloc(ng + 1, sizeof(*st->globals));
	st->ntables = nt;
	st->table_len = calloc(nt + 1, sizeof(*st->table_len));
	st->tables = calloc(nt + 1, sizeof(*st->tables));
	st->ndata = img->ndatas;
	st->data_dropped = calloc(img->ndatas + 1, 1);
	st->nelem = img->nelems;
	st->elem_dropped = calloc(img->nelems + 1, 1);
	if (!st->globals || !st->table_len || !st->tables || !st->data_dropped || !st->elem_dropped)
		return -1;
	for (uint32_t k = 0; k < ng; k++) {
		const struct rt_global *g = &s->globals[inst->globals[img->nglobal_imports + k]];
		uint64_t v = *g->cell;

		st->globals[k].type = g->type;
		if (g->type == GATE__I32 || g->type == GATE__F32)
			v = (uint32_t)v;
		else if (g->type == GATE__FUNCREF)
			v = snap_func_index(s, inst, v);
		else if (g->type == GATE__EXTERNREF)
			v = v ? GATE_PNULL - 1 : GATE_PNULL;
		st->globals[k].bits = v;
	}
	for (uint32_t k = 0; k < nt; k++) {
		const struct gate__rt_table *t = s->tables[inst->tables[img->ntable_imports + k]];

		st->table_len[k] = t->size;
		st->tables[k] = calloc(t->size + 1, sizeof(uint64_t));
		if (st->tables[k] == NULL)
			return -1;
		for (uint32_t e = 0; e < t->size; e++)
			st->tables[k][e] = t->type == GATE__FUNCREF
					       ? snap_func_index(s, inst, t->elems[e])
					       : (t->elems[e] ? GATE_PNULL - 1 : GATE_PNULL);
	}
	for (uint32_t k = 0; k < img->ndatas; k++)
		st->data_dropped[k] = inst->data_dropped[k];
	for (uint32_t k = 0; k < img->nelems; k++)
		st->elem_dropped[k] = inst->elems[k] == NULL;
	return 0;
}

static UNUSED void snap_capture_free(struct gate_snapshot *st)
{
	free(st->globals);
	for (uint32_t k = 0; st->tables && k < st->ntables; k++)
		free(st->tables[k]);
	free(st->tables);
	free(st->table_len);
	free(st->data_dropped);
	free(st->elem_dropped);
	memset(st, 0, sizeof(*st));
}

/*
 * Compares the program state of a and b: memory, globals, tables, and the
 * dropped flags of the first ndata/nelem segments. Writes the first
 * difference into why and returns false.
 */
static UNUSED bool snap_same_state(const struct gate_snapshot *a, const struct gate_snapshot *b,
				   uint32_t ndata, uint32_t nelem, char *why, size_t len)
{
	if (a->memory_len != b->memory_len) {
		snprintf(why, len, "memory %llu vs %llu bytes", (unsigned long long)a->memory_len,
			 (unsigned long long)b->memory_len);
		return false;
	}
	if (a->memory_len && memcmp(a->memory, b->memory, a->memory_len)) {
		uint64_t i = 0;

		while (a->memory[i] == b->memory[i])
			i++;
		snprintf(why, len, "memory differs at %llu", (unsigned long long)i);
		return false;
	}
	if (a->nglobals != b->nglobals) {
		snprintf(why, len, "%u vs %u globals", a->nglobals, b->nglobals);
		return false;
	}
	for (uint32_t k = 0; k < a->nglobals; k++)
		if (a->globals[k].type != b->globals[k].type ||
		    a->globals[k].bits != b->globals[k].bits) {
			snprintf(why, len, "global %u: %02x:%llx vs %02x:%llx", k,
				 a->globals[k].type, (unsigned long long)a->globals[k].bits,
				 b->globals[k].type, (unsigned long long)b->globals[k].bits);
			return false;
		}
	if (a->ntables != b->ntables) {
		snprintf(why, len, "%u vs %u tables", a->ntables, b->ntables);
		return false;
	}
	for (uint32_t k = 0; k < a->ntables; k++) {
		if (a->table_len[k] != b->table_len[k]) {
			snprintf(why, len, "table %u: %u vs %u elements", k, a->table_len[k],
				 b->table_len[k]);
			return false;
		}
		for (uint32_t e = 0; e < a->table_len[k]; e++)
			if (a->tables[k][e] != b->tables[k][e]) {
				snprintf(why, len, "table %u element %u: %llx vs %llx", k, e,
					 (unsigned long long)a->tables[k][e],
					 (unsigned long long)b->tables[k][e]);
				return false;
			}
	}
	if (a->ndata < ndata || b->ndata < ndata || a->nelem < nelem || b->nelem < nelem) {
		snprintf(why, len, "segment counts");
		return false;
	}
	for (uint32_t k = 0; k < ndata; k++)
		if (!a->data_dropped[k] != !b->data_dropped[k]) {
			snprintf(why, len, "data segment %u dropped %u vs %u", k,
				 a->data_dropped[k], b->data_dropped[k]);
			return false;
		}
	for (uint32_t k = 0; k < nelem; k++)
		if (!a->elem_dropped[k] != !b->elem_dropped[k]) {
			snprintf(why, len, "element segment %u dropped %u vs %u", k,
				 a->elem_dropped[k], b->elem_dropped[k]);
			return false;
		}
	return true;
}

#define CHECK_SAME(a, b, nd, ne)                                                                   \
	do {                                                                                       \
		char why_[256] = "";                                                               \
		bool same_ = snap_same_state(a, b, nd, ne, why_, sizeof(why_));                    \
		if (!same_)                                                                        \
			fprintf(stderr, "  state differs: %s\n", why_);                            \
		CHECK(same_);                                                                      \
	} while (0)

/* Encodes st for module w and checks that the result is a valid module. */
static UNUSED uint8_t *snap_encode(const uint8_t *w, size_t n, const struct gate_snapshot *st,
				   size_t *len)
{
	char err[512] = "";
	uint8_t *out = NULL;
	gate_module *m = NULL;
	int ret = gate_snapshot_encode(w, n, st, &out, len, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "  encode: %s: %s\n", gate_status_name(ret), err);
		return NULL;
	}
	{
		gate_limits lim;

		gate_limits_default(&lim);
		lim.module_size = UINT32_MAX;
		ret = gate_module_new(out, *len, &lim, &m, err, sizeof(err));
	}
	gate_module_free(m);
	if (ret) {
		fprintf(stderr, "  encoded snapshot is not a valid module: %s\n", err);
		free(out);
		return NULL;
	}
	return out;
}

/* Runs wabt's wasm-validate on bytes: a second, independent decoder. */
static UNUSED bool snap_wabt_valid(const uint8_t *b, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	char path[300];
	int fd, st;
	pid_t pid;
	bool ok = false;

	snprintf(path, sizeof(path), "%s/gate-snap-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	if (write(fd, b, n) != (ssize_t)n) {
		close(fd);
		goto out_unlink;
	}
	close(fd);
	pid = fork();
	if (pid == 0) {
		execlp("wasm-validate", "wasm-validate", path, (char *)NULL);
		_exit(127);
	}
	ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
out_unlink:
	unlink(path);
	return ok;
}

/* ---- taking snapshots apart ---- */

/* A whole section of a snapshot (id, size and payload), for tests that
 * reorder, duplicate or replace sections. gate is its gate__sgate_of(). */
struct snap_sec {
	const uint8_t *p;
	size_t n;
	uint8_t id;
	int gate;
};

static UNUSED size_t snap_split(const uint8_t *b, size_t len, struct snap_sec *out, size_t max)
{
	struct gate__ssec *v;
	uint32_t n;
	char err[128];

	if (gate__ssec_split(b, len, &v, &n, "test", err, sizeof(err)))
		return 0;
	for (uint32_t i = 0; i < n && i < max; i++)
		out[i] = (struct snap_sec){
		    b + v[i].start, v[i].off + v[i].len - v[i].start, v[i].id,
		    v[i].id ? GATE__S_NONE : gate__sgate_of(v[i].name, v[i].name_len)};
	free(v);
	return n < max ? n : max;
}

/* Joins sections after a preamble and makes gate.snapshot's size field
 * match, so that a test reaches the check it is after. */
static UNUSED uint8_t *snap_join(const struct snap_sec *v, size_t n, size_t *len)
{
	size_t total = 8, at = 8;
	uint8_t *out;

	for (size_t i = 0; i < n; i++)
		total += v[i].n;
	out = malloc(total);
	if (out == NULL)
		return NULL;
	memcpy(out, "\0asm\1\0\0\0", 8);
	for (size_t i = 0; i < n; i++) {
		memcpy(out + at, v[i].p, v[i].n);
		if (v[i].gate == GATE__S_SNAPSHOT)
			gate__shead_patch(out + at + v[i].n - GATE__SHEAD_SIZE_BYTES,
					  (uint32_t)total);
		at += v[i].n;
	}
	*len = total;
	return out;
}

/* A custom section named name with payload p[0..n) (malloc'd). */
static UNUSED struct snap_sec snap_custom(const char *name, const uint8_t *p, size_t n)
{
	struct gate__sbuf b = {0}, c = {0};

	gate__sbuf_u32(&c, (uint32_t)strlen(name));
	gate__sbuf_put(&c, name, strlen(name));
	gate__sbuf_put(&c, p, n);
	gate__sbuf_u8(&b, 0);
	gate__sbuf_u32(&b, (uint32_t)c.n);
	gate__sbuf_put(&b, c.p, c.n);
	gate__sbuf_free(&c);
	return (struct snap_sec){b.p, b.n, 0,
				 gate__sgate_of((const uint8_t *)name, (uint32_t)strlen(name))};
}

#endif
