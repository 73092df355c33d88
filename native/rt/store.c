/*
 * The store (rt.h): loaded images, instances and the functions, tables,
 * memories and globals they own or share, addressed store-wide as in the
 * spec. Instantiation links imports (spec 4.5.4 "Instantiation"), builds
 * the vmctx, initialises segments in order and runs the start function.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/error.h"
#include "../wasm/module.h"
#include "rt_internal.h"

bool gate__rt_grow(void **p, uint32_t *cap, uint32_t need, size_t sz)
{
	uint32_t c;
	void *q;

	if (need <= *cap)
		return true;
	c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	q = realloc(*p, (size_t)c * sz);
	if (q == NULL)
		return false;
	*p = q;
	*cap = c;
	return true;
}

#define GROW(s, arr, n, cap) gate__rt_grow((void **)&(s)->arr, &(s)->cap, (s)->n + 1, sizeof(*(s)->arr))

/* Store-wide signature ids: structurally equal function types share one. */
uint32_t gate__rt_sig(struct gate__store *s, uint32_t np, uint32_t nr, const uint8_t *types)
{
	for (uint32_t i = 0; i < s->nsigs; i++) {
		const struct rt_sig *g = &s->sigs[i];

		if (g->np == np && g->nr == nr && memcmp(g->types, types, np + nr) == 0)
			return i;
	}
	if (!GROW(s, sigs, nsigs, sigs_cap))
		return GATE__RT_NONE;
	s->sigs[s->nsigs] = (struct rt_sig){ np, nr, types };
	return s->nsigs++;
}

struct gate__rt_memory *gate__rt_memory_new(uint32_t min, uint32_t max, bool has_max)
{
	struct gate__rt_memory *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if (!gate__rt_pages_take(min))
		goto out_free;
	m->reserved = GATE__MEM_RESERVE;
	if (gate__rt_arenas_on()) {
		/* a slot of the arena: mmap is not allowed any more */
		m->base = gate__rt_arena_slot();
		if (m->base == NULL)
			goto out_give;
	} else {
		m->base = mmap(NULL, m->reserved, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m->base == MAP_FAILED)
			goto out_give;
	}
	if (min && mprotect(m->base, (size_t)min * GATE__PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
		goto out_unmap;
	m->pages = min;
	m->max = has_max ? max : GATE__MAX_PAGES;
	m->has_max = has_max;
	return m;
out_unmap:
	if (!gate__rt_arenas_on())
		munmap(m->base, m->reserved);
out_give:
	gate__rt_pages_give(min);
out_free:
	free(m);
	return NULL;
}

static void memory_free(struct gate__rt_memory *m)
{
	if (m == NULL)
		return;
	gate__rt_pages_give(m->pages);
	/* an arena slot is never reused: it goes with the process */
	if (!gate__rt_arenas_on())
		munmap(m->base, m->reserved);
	free(m);
}

struct gate__rt_table *gate__rt_table_new(uint8_t type, uint32_t min, uint32_t max, bool has_max)
{
	struct gate__rt_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cap = min ? min : 1;
	t->elems = calloc(t->cap, sizeof(*t->elems));
	if (t->elems == NULL) {
		free(t);
		return NULL;
	}
	t->size = min;
	t->max = has_max ? max : UINT32_MAX;
	t->has_max = has_max;
	t->type = type;
	return t;
}

static void table_free(struct gate__rt_table *t)
{
	if (t == NULL)
		return;
	free(t->elems);
	free(t);
}

int gate__store_new(struct gate__store **out, char *err, size_t err_len)
{
	struct gate__store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot create store: out of memory");
	*out = s;
	return GATE_OK;
}

static void instance_free(struct rt_instance *inst)
{
	if (inst == NULL)
		return;
	if (inst->elems) {
		uint32_t n = inst->img ? inst->img->nelems : 0;

		for (uint32_t i = 0; i < n; i++)
			free(inst->elems[i]);
	}
	free(inst->elems);
	free(inst->elem_len);
	free(inst->data_dropped);
	free(inst->exports);
	free(inst->funcs);
	free(inst->tables);
	free(inst->mems);
	free(inst->globals);
	free(inst->own);
	free(inst->vmctx);
	free(inst);
}

void gate__store_free(struct gate__store *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->ninstances; i++)
		instance_free(s->instances[i]);
	for (uint32_t i = 0; i < s->nimages; i++)
		gate__rt_image_free(s->images[i]);
	for (uint32_t i = 0; i < s->ntables; i++)
		table_free(s->tables[i]);
	for (uint32_t i = 0; i < s->nmems; i++)
		memory_free(s->mems[i]);
	/* host functions (spectest, gate__store_host_func) own their funcref */
	for (uint32_t i = 0; i < s->nfuncs; i++) {
		if (s->funcs[i].host) {
			free(s->funcs[i].ref);
			free(s->funcs[i].host);
		}
	}
	free(s->host_cells);
	gate_pstack_clear(&s->suspended);
	free(s->instances);
	free(s->images);
	free(s->funcs);
	free(s->tables);
	free(s->mems);
	free(s->globals);
	free(s->sigs);
	free(s);
}

int gate__store_load(struct gate__store *s, const uint8_t *image, size_t len, uint32_t *out,
		     char *err, size_t err_len)
{
	struct rt_image *img;
	int ret;

	if (!GROW(s, images, nimages, images_cap))
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot load image: out of memory");
	ret = gate__rt_image_load(image, len, &img, err, err_len);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < img->ntypes; i++) {
		struct rt_type *t = &img->types[i];

		t->sig = gate__rt_sig(s, t->np, t->nr, t->types);
		if (t->sig == GATE__RT_NONE) {
			gate__rt_image_free(img);
			return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
					    "Cannot load image: out of memory");
		}
	}
	s->images[s->nimages] = img;
	*out = s->nimages++;
	return GATE_OK;
}

static uint32_t add_func(struct gate__store *s, struct gate__funcref *ref, struct gate__hostfunc *host,
			 uint32_t sig, struct rt_image *img, uint32_t type)
{
	if (!GROW(s, funcs, nfuncs, funcs_cap))
		return GATE__RT_NONE;
	s->funcs[s->nfuncs] = (struct rt_funcinfo){ ref, host, sig, img, type };
	ref->addr = s->nfuncs;
	return s->nfuncs++;
}

static uint32_t add_table(struct gate__store *s, struct gate__rt_table *t)
{
	if (t == NULL || !GROW(s, tables, ntables, tables_cap)) {
		table_free(t);
		return GATE__RT_NONE;
	}
	s->tables[s->ntables] = t;
	return s->ntables++;
}

static uint32_t add_memory(struct gate__store *s, struct gate__rt_memory *m)
{
	if (m == NULL || !GROW(s, mems, nmems, mems_cap)) {
		memory_free(m);
		return GATE__RT_NONE;
	}
	s->mems[s->nmems] = m;
	return s->nmems++;
}

static uint32_t add_global(struct gate__store *s, uint64_t *cell, uint8_t type, bool mut)
{
	if (!GROW(s, globals, nglobals, globals_cap))
		return GATE__RT_NONE;
	s->globals[s->nglobals] = (struct rt_global){ cell, type, mut };
	return s->nglobals++;
}

static uint64_t eval(struct gate__store *s, struct rt_instance *inst, const struct gate__iexpr *e)
{
	switch (e->op) {
	case 0xd0:
		return 0;
	case 0xd2:
		return (uint64_t)(uintptr_t)s->funcs[inst->funcs[e->v]].ref;
	case 0x23:
		return *s->globals[inst->globals[e->v]].cell;
	}
	return e->v;
}

static bool limits_match(uint32_t size, bool has_max, uint32_t max, const struct rt_limits *want)
{
	if (size < want->min)
		return false;
	if (want->has_max && (!has_max || max > want->max))
		return false;
	return true;
}

static int link_check(struct gate__store *s, struct rt_image *img, const struct gate__extern *im,
		      uint32_t i, char *err, size_t err_len)
{
	const struct rt_import *d = &img->imports[i];
	bool ok = im->kind == d->kind;

	if (ok) {
		switch (d->kind) {
		case 0:
			ok = im->addr < s->nfuncs &&
			     s->funcs[im->addr].sig == img->types[img->funcs[d->index].type].sig;
			break;
		case 1: {
			const struct rt_tabledef *td = &img->tables[d->index];
			struct gate__rt_table *t = im->addr < s->ntables ? s->tables[im->addr] : NULL;

			ok = t && t->type == td->elem &&
			     limits_match(t->size, t->has_max, t->max, &td->lim);
			break;
		}
		case 2: {
			struct gate__rt_memory *m = im->addr < s->nmems ? s->mems[im->addr] : NULL;

			ok = m && limits_match(m->pages, m->has_max, m->max, &img->mems[d->index]);
			break;
		}
		default: {
			const struct rt_globaldef *gd = &img->globals[d->index];

			ok = im->addr < s->nglobals && s->globals[im->addr].type == gd->type &&
			     s->globals[im->addr].mut == gd->mut;
		}
		}
	}
	if (ok)
		return GATE_OK;
	return gate__errorf(err, err_len, GATE_LINK,
			    "Cannot link import %u \"%.*s\" \"%.*s\": incompatible import type", i,
			    (int)d->module.len, d->module.p, (int)d->name.len, d->name.p);
}

static int oom(char *err, size_t err_len)
{
	return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot instantiate: out of memory");
}

/* Allocates the instance, its vmctx and everything it defines. */
static int build(struct gate__store *s, struct rt_image *img, const struct gate__extern *imports,
		 struct rt_instance *inst, char *err, size_t err_len)
{
	struct gate__vmctx_head *head;
	uint8_t *vm;
	uint32_t ndef = img->nfuncs - img->nfunc_imports;

	gate__vmctx_layout(img->nfuncs, img->ntables, img->ntypes, img->nglobals, &inst->vm);
	inst->vmctx = aligned_alloc(16, (inst->vm.size + 15) & ~15u);
	inst->own = calloc(ndef ? ndef : 1, sizeof(*inst->own));
	inst->funcs = calloc(img->nfuncs ? img->nfuncs : 1, 4);
	inst->tables = calloc(img->ntables ? img->ntables : 1, 4);
	inst->mems = calloc(img->nmems ? img->nmems : 1, 4);
	inst->globals = calloc(img->nglobals ? img->nglobals : 1, 4);
	inst->elems = calloc(img->nelems ? img->nelems : 1, sizeof(*inst->elems));
	inst->elem_len = calloc(img->nelems ? img->nelems : 1, 4);
	inst->data_dropped = calloc(img->ndatas ? img->ndatas : 1, 1);
	inst->exports = calloc(img->nexports ? img->nexports : 1, sizeof(*inst->exports));
	if (!inst->vmctx || !inst->own || !inst->funcs || !inst->tables || !inst->mems ||
	    !inst->globals || !inst->elems || !inst->elem_len || !inst->data_dropped || !inst->exports)
		return oom(err, err_len);
	vm = inst->vmctx;
	memset(vm, 0, inst->vm.size);
	head = inst->vmctx;
	head->trap = (void *)(uintptr_t)gate__rt_trap;
	head->safepoint = (void *)(uintptr_t)gate__rt_safepoint;
	head->instance = inst;
	head->suspend = (const volatile uint8_t *)&s->suspend;
	memcpy(head->helpers, gate__rt_helpers, sizeof(head->helpers));

	for (uint32_t i = 0, nf = 0, nt = 0, nm = 0, ng = 0; i < img->nimports; i++) {
		switch (imports[i].kind) {
		case 0: inst->funcs[nf++] = imports[i].addr; break;
		case 1: inst->tables[nt++] = imports[i].addr; break;
		case 2: inst->mems[nm++] = imports[i].addr; break;
		default: inst->globals[ng++] = imports[i].addr; break;
		}
	}
	for (uint32_t f = 0; f < img->nfuncs; f++) {
		struct gate__funcref *ref;

		if (f < img->nfunc_imports) {
			struct rt_funcinfo *fi = &s->funcs[inst->funcs[f]];

			ref = fi->ref;
			/* a host function runs through this image's stub for its type */
			if (ref->code == NULL)
				ref->code = img->code + img->types[img->funcs[f].type].host;
		} else {
			const struct rt_func *fd = &img->funcs[f];

			ref = &inst->own[f - img->nfunc_imports];
			ref->code = img->code + fd->off;
			ref->vmctx = inst->vmctx;
			ref->sig = img->types[fd->type].sig;
			inst->funcs[f] = add_func(s, ref, NULL, ref->sig, img, fd->type);
			if (inst->funcs[f] == GATE__RT_NONE)
				return oom(err, err_len);
		}
		memcpy(vm + inst->vm.funcs + 8 * f, &ref, 8);
	}
	for (uint32_t t = img->ntable_imports; t < img->ntables; t++) {
		const struct rt_tabledef *td = &img->tables[t];

		inst->tables[t] = add_table(s, gate__rt_table_new(td->elem, td->lim.min, td->lim.max,
								  td->lim.has_max));
		if (inst->tables[t] == GATE__RT_NONE)
			return oom(err, err_len);
	}
	for (uint32_t t = 0; t < img->ntables; t++)
		memcpy(vm + inst->vm.tables + 8 * t, &s->tables[inst->tables[t]], 8);
	for (uint32_t m = img->nmem_imports; m < img->nmems; m++) {
		inst->mems[m] = add_memory(s, gate__rt_memory_new(img->mems[m].min, img->mems[m].max,
								  img->mems[m].has_max));
		if (inst->mems[m] == GATE__RT_NONE)
			return oom(err, err_len);
	}
	if (img->nmems) {
		head->memory = s->mems[inst->mems[0]];
		head->membase = head->memory->base;
	}
	for (uint32_t t = 0; t < img->ntypes; t++) {
		uint32_t sig = img->types[t].sig;

		memcpy(vm + inst->vm.sigids + 4 * t, &sig, 4);
	}
	for (uint32_t g = 0; g < img->nglobals; g++) {
		uint64_t *slot = (uint64_t *)(vm + inst->vm.globals + 8 * g);

		if (g < img->nglobal_imports) {
			uint64_t *cell = s->globals[inst->globals[g]].cell;

			memcpy(slot, &cell, 8);
			continue;
		}
		*slot = eval(s, inst, &img->globals[g].init);
		inst->globals[g] = add_global(s, slot, img->globals[g].type, img->globals[g].mut);
		if (inst->globals[g] == GATE__RT_NONE)
			return oom(err, err_len);
	}
	for (uint32_t i = 0; i < img->nexports; i++) {
		const struct rt_exportdef *e = &img->exports[i];
		uint32_t *space = e->kind == 0 ? inst->funcs : e->kind == 1 ? inst->tables
							: e->kind == 2 ? inst->mems : inst->globals;

		inst->exports[i] = (struct rt_export){ e->name, { e->kind, space[e->index] } };
	}
	inst->nexports = img->nexports;
	for (uint32_t i = 0; i < img->nelems; i++) {
		const struct rt_elemdef *e = &img->elems[i];
		uint64_t *items = calloc(e->count ? e->count : 1, 8);

		if (items == NULL)
			return oom(err, err_len);
		for (uint32_t k = 0; k < e->count; k++)
			items[k] = eval(s, inst, &e->items[k]);
		inst->elems[i] = items;
		inst->elem_len[i] = e->count;
	}
	return GATE_OK;
}

int gate__store_instantiate(struct gate__store *s, uint32_t image,
			    const struct gate__extern *imports, uint32_t nimports, uint32_t *out,
			    struct gate__trap *trap, char *err, size_t err_len)
{
	struct rt_image *img;
	struct rt_instance *inst;
	uint32_t idx;
	int ret;

	if (image >= s->nimages)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT, "Cannot instantiate: no image %u",
				    image);
	img = s->images[image];
	if (nimports != img->nimports)
		return gate__errorf(err, err_len, GATE_LINK,
				    "Cannot link: the module has %u imports, %u given", img->nimports,
				    nimports);
	for (uint32_t i = 0; i < nimports; i++) {
		ret = link_check(s, img, &imports[i], i, err, err_len);
		if (ret)
			return ret;
	}
	if (!GROW(s, instances, ninstances, instances_cap))
		return oom(err, err_len);
	inst = calloc(1, sizeof(*inst));
	if (inst == NULL)
		return oom(err, err_len);
	inst->img = img;
	inst->image = image;
	/* from here the instance belongs to the store: its functions may be
	 * referenced from shared tables even if instantiation fails */
	idx = s->ninstances++;
	s->instances[idx] = inst;
	ret = build(s, img, imports, inst, err, err_len);
	if (ret)
		return ret;

	/* segments in order (spec 4.5.4): elements, then data */
	for (uint32_t i = 0; i < img->nelems; i++) {
		const struct rt_elemdef *e = &img->elems[i];
		uint32_t kind = 0;

		if (e->mode == 0) {
			uint32_t off = (uint32_t)eval(s, inst, &e->offset);

			kind = gate__rt_table_init(inst, e->table, i, off, 0, e->count);
		}
		if (e->mode != 1) {
			free(inst->elems[i]);
			inst->elems[i] = NULL;
			inst->elem_len[i] = 0;
		}
		if (kind)
			goto trapped_kind;
		continue;
trapped_kind:
		if (trap) {
			memset(trap, 0, sizeof(*trap));
			trap->kind = kind;
		}
		return gate__errorf(err, err_len, GATE_TRAP, "Cannot instantiate: %s",
				    gate__trap_message(kind));
	}
	for (uint32_t i = 0; i < img->ndatas; i++) {
		const struct rt_datadef *d = &img->datas[i];
		uint32_t kind;

		if (d->mode != 0)
			continue;
		kind = gate__rt_memory_init(inst, i, (uint32_t)eval(s, inst, &d->offset), 0, d->len);
		inst->data_dropped[i] = true;
		if (kind) {
			if (trap) {
				memset(trap, 0, sizeof(*trap));
				trap->kind = kind;
			}
			return gate__errorf(err, err_len, GATE_TRAP, "Cannot instantiate: %s",
					    gate__trap_message(kind));
		}
	}
	if (img->start != GATE__RT_NONE) {
		uint64_t slots[1];

		ret = gate__rt_call(s, inst->funcs[img->start], slots, trap);
		if (ret)
			return gate__errorf(err, err_len, ret, "Cannot instantiate: start function: %s",
					    trap ? gate__trap_message(trap->kind) : "trap");
	}
	*out = idx;
	return GATE_OK;
}

int gate__store_export(const struct gate__store *s, uint32_t instance, const char *name, size_t len,
		       struct gate__extern *out, char *err, size_t err_len)
{
	const struct rt_instance *inst;

	if (instance >= s->ninstances)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT, "No instance %u", instance);
	inst = s->instances[instance];
	for (uint32_t i = 0; i < inst->nexports; i++) {
		const struct rt_export *e = &inst->exports[i];

		if (e->name.len == len && memcmp(e->name.p, name, len) == 0) {
			*out = e->ext;
			return GATE_OK;
		}
	}
	return gate__errorf(err, err_len, GATE_LINK, "unknown import: no export \"%.*s\"", (int)len,
			    name);
}

int gate__store_global_get(const struct gate__store *s, uint32_t global, struct gate__value *out)
{
	const struct rt_global *g;

	if (global >= s->nglobals)
		return GATE_INVALID_ARGUMENT;
	g = &s->globals[global];
	memset(out, 0, sizeof(*out));
	out->type = g->type;
	if (g->type == GATE__I32 || g->type == GATE__F32)
		out->of.i32 = (uint32_t)*g->cell;
	else
		out->of.i64 = *g->cell;
	return GATE_OK;
}

int gate__store_func_type(const struct gate__store *s, uint32_t func, uint32_t *nparams,
			  const uint8_t **params, uint32_t *nresults, const uint8_t **results)
{
	const struct rt_sig *g;

	if (func >= s->nfuncs)
		return GATE_INVALID_ARGUMENT;
	g = &s->sigs[s->funcs[func].sig];
	*nparams = g->np;
	*params = g->types;
	*nresults = g->nr;
	*results = g->types + g->np;
	return GATE_OK;
}

/* ---- host functions ---- */

uint32_t gate__store_host_func(struct gate__store *s, uint32_t np, uint32_t nr, const uint8_t *types,
			       gate__host_call call, void *ctx)
{
	struct gate__hostfunc *hf = calloc(1, sizeof(*hf));
	struct gate__funcref *ref = calloc(1, sizeof(*ref));
	uint32_t addr = GATE__RT_NONE;

	if (hf && ref) {
		hf->head.trap = (void *)(uintptr_t)gate__rt_trap;
		hf->head.suspend = (const volatile uint8_t *)&s->suspend;
		hf->call = call;
		hf->ctx = ctx;
		ref->vmctx = hf;
		ref->sig = gate__rt_sig(s, np, nr, types);
		if (ref->sig != GATE__RT_NONE)
			addr = add_func(s, ref, hf, ref->sig, NULL, 0);
		hf->type = ref->sig;
	}
	if (addr == GATE__RT_NONE) {
		free(hf);
		free(ref);
	}
	return addr;
}

struct gate__rt_memory *gate__store_memory(const struct gate__store *s, uint32_t instance,
					   uint32_t index)
{
	const struct rt_instance *inst;

	if (instance >= s->ninstances)
		return NULL;
	inst = s->instances[instance];
	if (inst->img == NULL || inst->mems == NULL || index >= inst->img->nmems ||
	    inst->mems[index] >= s->nmems)
		return NULL;
	return s->mems[inst->mems[index]];
}

/* ---- spectest ---- */

static uint32_t spectest_print(struct gate__hostfunc *hf, uint64_t *slots)
{
	(void)hf;
	(void)slots;
	return 0;
}

int gate__store_add_spectest(struct gate__store *s, uint32_t *out, char *err, size_t err_len)
{
	static const uint8_t t_none[1] = { 0 }, t_i32[] = { 0x7f }, t_i64[] = { 0x7e },
			     t_f32[] = { 0x7d }, t_f64[] = { 0x7c }, t_i32f32[] = { 0x7f, 0x7d },
			     t_f64f64[] = { 0x7c, 0x7c };
	static const struct {
		const char *name;
		const uint8_t *types;
		uint32_t np;
	} fns[] = {
		{ "print", t_none, 0 },       { "print_i32", t_i32, 1 },
		{ "print_i64", t_i64, 1 },    { "print_f32", t_f32, 1 },
		{ "print_f64", t_f64, 1 },    { "print_i32_f32", t_i32f32, 2 },
		{ "print_f64_f64", t_f64f64, 2 },
	};
	static const char *const gnames[] = { "global_i32", "global_i64", "global_f32", "global_f64" };
	static const uint8_t gtypes[] = { 0x7f, 0x7e, 0x7d, 0x7c };
	struct rt_instance *inst;
	float f32 = 666.6f;
	double f64 = 666.6;
	uint32_t n = 0;

	if (!GROW(s, instances, ninstances, instances_cap))
		return oom(err, err_len);
	inst = calloc(1, sizeof(*inst));
	if (inst == NULL)
		return oom(err, err_len);
	s->instances[s->ninstances++] = inst;
	inst->exports = calloc(13, sizeof(*inst->exports));
	s->host_cells = calloc(4, 8);
	if (inst->exports == NULL || s->host_cells == NULL)
		return oom(err, err_len);
	for (uint32_t i = 0; i < 7; i++) {
		struct gate__hostfunc *hf = calloc(1, sizeof(*hf));
		struct gate__funcref *ref = calloc(1, sizeof(*ref));
		uint32_t addr;

		if (hf == NULL || ref == NULL) {
			free(hf);
			free(ref);
			return oom(err, err_len);
		}
		hf->head.trap = (void *)(uintptr_t)gate__rt_trap;
		hf->head.suspend = (const volatile uint8_t *)&s->suspend;
		hf->call = spectest_print;
		ref->vmctx = hf;
		ref->sig = gate__rt_sig(s, fns[i].np, 0, fns[i].types);
		addr = add_func(s, ref, hf, ref->sig, NULL, 0);
		if (addr == GATE__RT_NONE) {
			free(hf);
			free(ref);
			return oom(err, err_len);
		}
		hf->type = ref->sig;
		s->hostfuncs[i] = hf;
		inst->exports[n++] = (struct rt_export){ { fns[i].name, (uint32_t)strlen(fns[i].name) },
							 { 0, addr } };
	}
	s->host_cells[0] = 666;
	s->host_cells[1] = 666;
	memcpy(&s->host_cells[2], &f32, 4);
	memcpy(&s->host_cells[3], &f64, 8);
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t addr = add_global(s, &s->host_cells[i], gtypes[i], false);

		if (addr == GATE__RT_NONE)
			return oom(err, err_len);
		inst->exports[n++] = (struct rt_export){ { gnames[i], (uint32_t)strlen(gnames[i]) },
							 { 3, addr } };
	}
	{
		uint32_t t = add_table(s, gate__rt_table_new(GATE__FUNCREF, 10, 20, true));
		uint32_t m = add_memory(s, gate__rt_memory_new(1, 2, true));

		if (t == GATE__RT_NONE || m == GATE__RT_NONE)
			return oom(err, err_len);
		inst->exports[n++] = (struct rt_export){ { "table", 5 }, { 1, t } };
		inst->exports[n++] = (struct rt_export){ { "memory", 6 }, { 2, m } };
	}
	inst->nexports = n;
	*out = s->ninstances - 1;
	return GATE_OK;
}

const char *gate__store_func_name(const struct gate__store *s, uint32_t image, uint32_t func,
				  size_t *len)
{
	const struct rt_image *img;

	*len = 0;
	if (image >= s->nimages || func >= s->images[image]->nfuncs)
		return NULL;
	img = s->images[image];
	if (img->funcs[func].name.len == 0)
		return NULL;
	*len = img->funcs[func].name.len;
	return img->funcs[func].name.p;
}
