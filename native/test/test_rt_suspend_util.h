/*
 * Helpers for the suspend and resume tests: a module compiled once, stores
 * made from it with the test's host functions, moving a suspended
 * program's state (memory, globals, tables, dropped segments) into a fresh
 * store as a snapshot would, and the sweep that suspends a program at every
 * Nth safepoint, resumes it elsewhere (suspending again) and compares.
 */
#ifndef GATE_TEST_RT_SUSPEND_UTIL_H
#define GATE_TEST_RT_SUSPEND_UTIL_H

#include "../compile/compile.h"
#include "../rt/rt_internal.h"
#include "../snapshot/portable.h"
#include "test.h"
#include "test_rt_util.h"

/* Host state shared by every store of one run (as the host's state would
 * be carried along with a snapshot). */
static struct {
	uint32_t calls;	     /* calls of host.mix, retries included */
	uint32_t suspend_at; /* host.mix returns SUSPENDED on this call (1-based), 0: never */
	uint32_t asks;	     /* calls of host.ask */
	uint32_t ask_at;     /* host.ask requests a suspension on this call, 0: every call */
	bool ask_off;	     /* host.ask requests nothing */
	bool resume_asks;    /* run_chain requests a suspension before each resume */
} H;

static UNUSED uint64_t f64bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	return u;
}

static UNUSED double bitsf64(uint64_t u)
{
	double d;

	memcpy(&d, &u, 8);
	return d;
}

static UNUSED float bitsf32(uint64_t u)
{
	float f;
	uint32_t v = (uint32_t)u;

	memcpy(&f, &v, 4);
	return f;
}

static UNUSED uint64_t f32bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

/* host.mix: (i32 i64 f32 f64 i32 i32 i32 i32 i32 f64 x 8) -> (i64 i32 i64 f64 f64 f32):
 * more arguments and results of each class than registers. */
static uint32_t host_mix(struct gate__hostfunc *hf, uint64_t *v)
{
	uint64_t isum = 0, ixor = 0;
	double fsum = 0;

	(void)hf;
	if (++H.calls == H.suspend_at)
		return GATE_TRAP_SUSPENDED;
	isum = (uint32_t)v[0] + v[1] * 3;
	for (int k = 4; k < 9; k++) {
		isum = isum * 7 + (uint32_t)v[k];
		ixor ^= (uint32_t)v[k] << (k & 7);
	}
	fsum = bitsf32(v[2]) + bitsf64(v[3]);
	for (int k = 9; k < 17; k++)
		fsum = fsum * 0.5 + bitsf64(v[k]) * k;
	v[0] = isum;
	v[1] = (uint32_t)ixor;
	v[2] = isum ^ 0x5555;
	v[3] = f64bits(fsum);
	v[4] = f64bits(fsum * 3 - 1);
	v[5] = f32bits((float)fsum);
	return 0;
}

/* host.ask: () -> (): a suspend request arrives while C runs. */
static uint32_t host_ask(struct gate__hostfunc *hf, uint64_t *v)
{
	struct gate__store *s = hf->ctx;

	(void)v;
	H.asks++;
	if (!H.ask_off && (H.ask_at == 0 || H.asks == H.ask_at))
		gate__rt_request_suspend(s, NULL);
	return 0;
}

static UNUSED const char *mix_import =
	"(import \"host\" \"mix\" (func $mix (param i32 i64 f32 f64 i32 i32 i32 i32 i32"
	" f64 f64 f64 f64 f64 f64 f64 f64) (result i64 i32 i64 f64 f64 f32)))";

/* A compiled module. */
struct img {
	uint8_t *p;
	size_t len;
};

static UNUSED bool img_new(struct img *im, const char *wat, const struct gate__compile_opts *o)
{
	char err[256] = "";
	size_t n;
	uint8_t *w = wat2wasm(wat, &n);
	gate_module *m;
	int st;

	im->p = NULL;
	if (w == NULL)
		return false;
	st = gate_module_new(w, n, NULL, &m, err, sizeof(err));
	free(w);
	if (st == GATE_OK) {
		st = gate__image_new_opts(m, o, &im->p, &im->len, err, sizeof(err));
		gate_module_free(m);
	}
	if (st)
		fprintf(stderr, "  compile: %s\n", err);
	return st == GATE_OK;
}

/* A store with one instance of a module. */
struct env {
	struct gate__store *s;
	uint32_t inst;
	uint64_t seen; /* safepoints seen by the hook */
	uint64_t at;   /* request a suspension at this one (0: never) */
};

static void hook(struct gate__store *s, uintptr_t pc, uintptr_t fp, void *ctx)
{
	struct env *e = ctx;

	(void)pc;
	(void)fp;
	if (++e->seen == e->at)
		s->suspend = true;
}

static UNUSED void env_close(struct env *e)
{
	gate__store_free(e->s);
	e->s = NULL;
}

/* Loads the image, binds host.* imports and instantiates; false on failure. */
static UNUSED bool env_open(struct env *e, const struct img *im)
{
	struct gate__extern imports[8];
	struct rt_image *ri;
	struct gate__trap t;
	char err[256] = "";
	uint32_t idx;
	int st;

	memset(e, 0, sizeof(*e));
	e->s = store();
	if (e->s == NULL || gate__store_load(e->s, im->p, im->len, &idx, err, sizeof(err)))
		goto fail;
	ri = e->s->images[idx];
	if (ri->nimports > 8)
		goto fail;
	for (uint32_t i = 0; i < ri->nimports; i++) {
		const struct rt_import *d = &ri->imports[i];
		const struct rt_type *ty = &ri->types[ri->funcs[d->index].type];
		gate__host_call fn = d->name.len == 3 && !memcmp(d->name.p, "mix", 3) ? host_mix
										   : host_ask;

		if (d->kind != 0)
			goto fail;
		imports[i] = (struct gate__extern){
			0, gate__store_host_func(e->s, ty->np, ty->nr, ty->types, fn, e->s)
		};
	}
	st = gate__store_instantiate(e->s, idx, imports, ri->nimports, &e->inst, &t, err,
				     sizeof(err));
	if (st)
		goto fail;
	e->s->on_safepoint = hook;
	e->s->on_safepoint_ctx = e;
	return true;
fail:
	fprintf(stderr, "  env: %s\n", err);
	env_close(e);
	return false;
}

static UNUSED uint64_t mem_hash(struct env *e)
{
	struct gate__rt_memory *m = gate__store_memory(e->s, e->inst, 0);
	uint64_t h = 0xcbf29ce484222325ull;
	size_t n;

	if (m == NULL)
		return 0;
	n = (size_t)m->pages * GATE__PAGE_SIZE;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w;

		memcpy(&w, m->base + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
	}
	return h ^ m->pages;
}

typedef uint32_t (*grow_mem)(void *, uint32_t);
typedef uint32_t (*grow_table)(void *, uint32_t, uint64_t, uint32_t);

/* What a snapshot carries besides the stack: memory, defined globals and
 * tables (references as function indices), dropped segments. */
static UNUSED bool move_state(struct env *from, struct env *to)
{
	struct rt_instance *x = from->s->instances[from->inst], *y = to->s->instances[to->inst];
	const struct rt_image *img = x->img;
	uint64_t idx;

	if (img->nmems) {
		struct gate__rt_memory *a = gate__store_memory(from->s, from->inst, 0);
		struct gate__rt_memory *b = gate__store_memory(to->s, to->inst, 0);

		if (b->pages < a->pages &&
		    ((grow_mem)gate__rt_helpers[GATE__H_MEMORY_GROW])(y->vmctx, a->pages - b->pages) ==
			    UINT32_MAX)
			return false;
		memcpy(b->base, a->base, (size_t)a->pages * GATE__PAGE_SIZE);
	}
	for (uint32_t g = img->nglobal_imports; g < img->nglobals; g++) {
		const struct rt_global *a = &from->s->globals[x->globals[g]];
		uint64_t *b = to->s->globals[y->globals[g]].cell;

		if (a->type != GATE__FUNCREF && a->type != GATE__EXTERNREF) {
			*b = *a->cell;
			continue;
		}
		if (gate__store_ref_to_index(from->s, from->inst, a->type, *a->cell, &idx) ||
		    gate__store_ref_from_index(to->s, to->inst, a->type, idx, b))
			return false;
	}
	for (uint32_t t = img->ntable_imports; t < img->ntables; t++) {
		struct gate__rt_table *a = from->s->tables[x->tables[t]];
		struct gate__rt_table *b = to->s->tables[y->tables[t]];

		if (b->size < a->size &&
		    ((grow_table)gate__rt_helpers[GATE__H_TABLE_GROW])(y->vmctx, t, 0,
								       a->size - b->size) == UINT32_MAX)
			return false;
		for (uint32_t k = 0; k < a->size; k++)
			if (gate__store_ref_to_index(from->s, from->inst, a->type, a->elems[k], &idx) ||
			    gate__store_ref_from_index(to->s, to->inst, a->type, idx, &b->elems[k]))
				return false;
	}
	for (uint32_t i = 0; i < img->ndatas; i++)
		y->data_dropped[i] = x->data_dropped[i];
	for (uint32_t i = 0; i < img->nelems; i++) {
		if (x->elems[i] == NULL) {
			free(y->elems[i]);
			y->elems[i] = NULL;
			y->elem_len[i] = 0;
		}
	}
	return true;
}

/* The outcome of a run: results and the memory's hash. */
struct outcome {
	int status;
	uint32_t nresults;
	struct gate__value r[8];
	uint64_t hash;
	uint32_t suspensions;
};

static UNUSED bool same(const struct outcome *a, const struct outcome *b)
{
	if (a->status != b->status || a->nresults != b->nresults || a->hash != b->hash)
		return false;
	for (uint32_t i = 0; i < a->nresults; i++)
		if (a->r[i].type != b->r[i].type || a->r[i].of.i64 != b->r[i].of.i64)
			return false;
	return true;
}

/*
 * Runs export fn of a fresh instance of `a`; when it suspends, moves the
 * state into a fresh instance of `b` and resumes there, suspending again
 * at the again-th safepoint of each resumed run (0: never), until it ends.
 * first: the safepoint of the first run to suspend at (0: none, a host
 * function or H decides). Returns false on an unexpected failure.
 */
static UNUSED bool run_chain(const struct img *a, const struct img *b, const char *fn,
			     const struct gate__value *args, uint32_t nargs, uint64_t first,
			     uint64_t again, struct outcome *out)
{
	struct env e, next;
	struct gate__trap t;
	struct gate_pstack st = { 0, NULL };
	char err[256] = "";
	uint32_t f;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!env_open(&e, a))
		return false;
	e.s->trace = true;
	e.at = first;
	f = export_addr(e.s, e.inst, fn);
	if (f == UINT32_MAX) {
		env_close(&e);
		return false;
	}
	memset(out->r, 0, sizeof(out->r));
	ret = gate__store_invoke(e.s, f, args, nargs, out->r, 8, &t, err, sizeof(err));
	while (ret == GATE_TRAP && t.kind == GATE_TRAP_SUSPENDED) {
		out->suspensions++;
		if (gate__store_take_suspended(e.s, &st) || !env_open(&next, b)) {
			env_close(&e);
			return false;
		}
		if (!move_state(&e, &next)) {
			fprintf(stderr, "  cannot move the state\n");
			env_close(&e);
			env_close(&next);
			gate_pstack_clear(&st);
			return false;
		}
		env_close(&e);
		e = next;
		e.s->on_safepoint_ctx = &e;
		e.s->trace = true;
		e.at = again;
		if (H.resume_asks)
			gate__rt_request_suspend(e.s, NULL);
		ret = gate__store_resume(e.s, e.inst, &st, out->r, 8, &t, err, sizeof(err));
		gate_pstack_clear(&st);
	}
	/* the caller compares: a trap as 100 + its kind */
	out->status = ret == GATE_TRAP ? 100 + (int)t.kind : ret;
	{
		uint32_t np, nr;
		const uint8_t *pt, *rt;

		gate__store_func_type(e.s, f, &np, &pt, &nr, &rt);
		out->nresults = ret ? 0 : nr;
	}
	out->hash = mem_hash(&e);
	env_close(&e);
	return true;
}

/*
 * The sweep: the reference run counts the safepoints (n); then for every
 * step-th safepoint k, a run that suspends at k and is resumed in another
 * store (suspending again every `again` safepoints) must end exactly like
 * the reference. Returns the number of suspensions, or -1.
 */
static UNUSED long sweep(const struct img *a, const struct img *b, const char *fn,
			 const struct gate__value *args, uint32_t nargs, uint64_t step,
			 uint64_t again)
{
	struct outcome ref, o;
	struct env e;
	long total = 0;
	uint64_t n;

	memset(&H, 0, sizeof(H));
	H.ask_off = true;
	if (!run_chain(a, a, fn, args, nargs, 0, 0, &ref) || ref.suspensions || ref.status) {
		fprintf(stderr, "  %s: the reference run failed: status %d\n", fn, ref.status);
		return -1;
	}
	/* the number of safepoints of an uninterrupted run */
	if (!env_open(&e, a))
		return -1;
	e.s->trace = true;
	{
		struct gate__value r[8];

		if (call(e.s, e.inst, fn, args, nargs, r, NULL) != GATE_OK) {
			env_close(&e);
			return -1;
		}
	}
	n = e.seen;
	env_close(&e);
	if (n == 0)
		return -1;
	for (uint64_t k = 1; k <= n; k += step) {
		memset(&H, 0, sizeof(H));
		H.ask_off = true;
		if (!run_chain(a, b, fn, args, nargs, k, again, &o)) {
			fprintf(stderr, "  %s: the run suspended at %llu failed\n", fn,
				(unsigned long long)k);
			return -1;
		}
		if (!same(&ref, &o) || o.suspensions == 0) {
			fprintf(stderr, "  %s: suspended at safepoint %llu of %llu: status %d/%d, hash %d\n",
				fn, (unsigned long long)k, (unsigned long long)n, o.status, ref.status,
				o.hash == ref.hash);
			return -1;
		}
		total += o.suspensions;
	}
	return total;
}

#endif
