/*
 * Suspension: the request (from a signal handler or C code), and the
 * capture of the native wasm stack as portable frames (portable.h) before
 * GATE_TRAP_SUSPENDED unwinds it. docs/runtime.md, "Suspend and resume".
 *
 * A capture starts where the suspension happened:
 * - a safepoint (function entry or loop head): the frame there is
 *   GATE_PFRAME_AT with its whole operand stack;
 * - the trap of a host-call stub whose host function returned
 *   GATE_TRAP_SUSPENDED: a GATE_PFRAME_HOST frame for the import, with the
 *   arguments the stub spilled;
 * - the trap after a bulk helper that stopped between pieces: a HOST frame
 *   for the instruction with what is left (store->pending).
 * Every frame further out waits in a call: GATE_PFRAME_CALL with the
 * operands below the call, as its stack map says. The walk ends at the
 * entry stub (a return address that is no call site).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "../compile/compile.h"
#include "../lib/error.h"
#include "rt_internal.h"

struct cap {
	struct gate__store *s;
	struct rt_instance *inst;
	struct rt_image *img;
	struct gate_pstack st;
	uint32_t cap;
	bool failed;
};

static void fail(struct cap *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct cap *c, int status, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	c->s->suspend_status = status;
	va_start(ap, fmt);
	vsnprintf(c->s->suspend_err, sizeof(c->s->suspend_err), fmt, ap);
	va_end(ap);
}

/* The function index of funcref pointer ref in inst's module, or NONE. */
static uint32_t func_index(const struct gate__store *s, const struct rt_instance *inst,
			   uint64_t ref)
{
	const struct rt_image *img = inst->img;
	uintptr_t own = (uintptr_t)inst->own, p = (uintptr_t)ref;
	uint32_t ndef = img->nfuncs - img->nfunc_imports;

	if (p >= own && p < own + (uintptr_t)ndef * sizeof(*inst->own) &&
	    (p - own) % sizeof(*inst->own) == 0)
		return img->nfunc_imports + (uint32_t)((p - own) / sizeof(*inst->own));
	for (uint32_t f = 0; f < img->nfunc_imports; f++)
		if ((uintptr_t)s->funcs[inst->funcs[f]].ref == p)
			return f;
	return GATE__RT_NONE;
}

static struct gate_pframe *add(struct cap *c, uint8_t kind, uint32_t func, uint32_t offset,
			       uint32_t nlocals, uint32_t nstack)
{
	struct gate_pframe *f;

	if (c->failed)
		return NULL;
	if (c->st.nframes == c->cap) {
		uint32_t n = c->cap ? c->cap * 2 : 16;
		struct gate_pframe *p = realloc(c->st.frames, n * sizeof(*p));

		if (p == NULL) {
			fail(c, GATE_OUT_OF_MEMORY, "Cannot suspend: out of memory");
			return NULL;
		}
		c->st.frames = p;
		c->cap = n;
	}
	f = &c->st.frames[c->st.nframes];
	*f = (struct gate_pframe){ kind, func, offset, nlocals, nstack, NULL };
	f->values = calloc((size_t)nlocals + nstack + 1, sizeof(*f->values));
	if (f->values == NULL) {
		fail(c, GATE_OUT_OF_MEMORY, "Cannot suspend: out of memory");
		return NULL;
	}
	c->st.nframes++;
	return f;
}

/* A value read from a slot (raw: 64 bits, references as pointers). */
static void value(struct cap *c, struct gate_pvalue *v, uint8_t type, uint64_t raw, uint32_t func,
		  const char *what, uint32_t i)
{
	v->type = type;
	switch (type) {
	case GATE__I32:
	case GATE__F32:
		v->bits = raw & 0xffffffffu;
		return;
	case GATE__I64:
	case GATE__F64:
		v->bits = raw;
		return;
	case GATE__FUNCREF:
		v->bits = raw ? func_index(c->s, c->inst, raw) : GATE_PNULL;
		if (v->bits == GATE__RT_NONE)
			fail(c, GATE_UNSUPPORTED,
			     "Cannot suspend: function %u holds a function of another module in "
			     "%s %u",
			     func, what, i);
		return;
	case GATE__EXTERNREF:
		v->bits = GATE_PNULL;
		if (raw)
			fail(c, GATE_UNSUPPORTED,
			     "Cannot suspend: function %u holds an externref in %s %u", func, what, i);
		return;
	}
	fail(c, GATE_UNSUPPORTED,
	     "Cannot suspend: function %u holds a value of type 0x%02x in %s %u", func, type, what,
	     i);
}

static uint64_t slot(uintptr_t fp, uint32_t i)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)fp + gate__slot_disp(i), 8);
	return v;
}

/* The wasm frame at fp, waiting at call site or safepoint site. */
static void wasm_frame(struct cap *c, uint8_t kind, const struct gate__callsite *site, uintptr_t fp)
{
	const struct rt_func *fn = &c->img->funcs[site->func];
	const struct rt_type *t = &c->img->types[fn->type];
	const uint8_t *map = c->img->maps + site->map;
	struct gate_pframe *f;
	uint32_t n, i = 0;

	memcpy(&n, map, 4);
	f = add(c, kind, site->func, site->offset - fn->body, fn->nlocals, n);
	if (f == NULL)
		return;
	for (; i < t->np; i++)
		value(c, &f->values[i], t->types[i], slot(fp, i), site->func, "local", i);
	for (uint32_t k = 0; k < fn->nruns; k++)
		for (uint32_t e = 0; e < fn->runs[k].count; e++, i++)
			value(c, &f->values[i], fn->runs[k].type, slot(fp, i), site->func, "local",
			      i);
	map += 4;
	for (uint32_t h = 0; h < n; h++) {
		uint64_t raw;

		if (map[1] == GATE__MAP_CONST) {
			memcpy(&raw, map + 2, 8);
		} else {
			raw = slot(fp, fn->nlocals + h);
		}
		value(c, &f->values[fn->nlocals + h], map[0], raw, site->func, "operand", h);
		map += map[1] == GATE__MAP_CONST ? 10 : 2;
	}
}

/* The import whose host-call stub frame is at fp: a HOST frame. */
static uint32_t host_frame(struct cap *c, uintptr_t fp)
{
	struct gate__hostfunc *hf;
	const struct rt_type *t;
	struct gate_pframe *f;
	uint32_t imp = GATE__RT_NONE, n;
	const uint8_t *slots;

	memcpy(&hf, (const uint8_t *)fp - 8, 8);
	for (uint32_t k = 0; k < c->img->nfunc_imports; k++)
		if (c->s->funcs[c->inst->funcs[k]].host == hf)
			imp = k;
	if (imp == GATE__RT_NONE) {
		fail(c, GATE_UNSUPPORTED,
		     "Cannot suspend: a host function the module does not import suspended");
		return imp;
	}
	t = &c->img->types[c->img->funcs[imp].type];
	n = t->np > t->nr ? t->np : t->nr;
	slots = (const uint8_t *)fp - gate__host_stub_frame(n);
	f = add(c, GATE_PFRAME_HOST, imp, 0, 0, t->np);
	for (uint32_t i = 0; f && i < t->np; i++) {
		uint64_t raw;

		memcpy(&raw, slots + 8 * i, 8);
		value(c, &f->values[i], t->types[i], raw, imp, "argument", i);
	}
	return imp;
}

static const uint32_t helper_op[GATE__H_COUNT] = {
	[GATE__H_MEMORY_FILL] = GATE_PHOST_MEMORY_FILL, [GATE__H_MEMORY_COPY] = GATE_PHOST_MEMORY_COPY,
	[GATE__H_MEMORY_INIT] = GATE_PHOST_MEMORY_INIT, [GATE__H_TABLE_FILL] = GATE_PHOST_TABLE_FILL,
	[GATE__H_TABLE_COPY] = GATE_PHOST_TABLE_COPY,	[GATE__H_TABLE_INIT] = GATE_PHOST_TABLE_INIT,
};

/* The bulk instruction that stopped after a piece (helpers.c). */
static void op_frame(struct cap *c, const struct gate__callsite *site)
{
	struct gate__rt_pending *p = &c->s->pending;
	struct gate_pframe *f;

	if (p->op == 0 || p->op != helper_op[site->helper]) {
		fail(c, GATE_INTERNAL, "Cannot suspend: helper %u suspended without its state",
		     site->helper);
		return;
	}
	f = add(c, GATE_PFRAME_HOST, p->op, 0, 0, p->n);
	for (uint32_t i = 0; f && i < p->n; i++)
		value(c, &f->values[i], p->types[i], p->args[i], site->func, "operand", i);
	p->op = 0;
}

/* Whether the frame waiting at site may be the caller of the innermost
 * frame captured so far. */
static bool calls_inner(struct cap *c, const struct gate__callsite *site)
{
	const struct gate_pframe *in = &c->st.frames[c->st.nframes - 1];
	bool host = in->kind == GATE_PFRAME_HOST;
	uint32_t sig;

	if (in->func >= c->img->nfuncs)
		return false;
	sig = c->img->types[c->img->funcs[in->func].type].sig;
	switch (site->kind) {
	case GATE__SITE_CALL:
		return site->a == in->func;
	case GATE__SITE_CALL_INDIRECT:
		return !host && c->img->types[site->a].sig == sig;
	case GATE__SITE_CALL_INDIRECT_X:
		return host && c->img->types[site->a].sig == sig;
	}
	return false;
}

void gate__rt_capture(struct gate__store *s, uintptr_t pc, uintptr_t fp)
{
	struct cap c = { .s = s };
	const struct gate__callsite *site;
	uintptr_t code;

	gate_pstack_clear(&s->suspended);
	s->suspend = false; /* served, even if the capture fails */
	s->suspend_status = GATE_OK;
	if (s->depth != 1 || s->run_vmctx == NULL) {
		fail(&c, GATE_UNSUPPORTED,
		     "Cannot suspend: a host function called back into WebAssembly");
		goto out;
	}
	c.inst = ((struct gate__vmctx_head *)s->run_vmctx)->instance;
	c.img = c.inst->img;
	code = (uintptr_t)c.img->code;
	if (pc < code || pc >= code + c.img->code_len ||
	    (site = gate__rt_callsite(c.img, (uint32_t)(pc - code))) == NULL) {
		fail(&c, GATE_INTERNAL, "Cannot suspend: not at a safepoint");
		goto out;
	}
	switch (site->kind) {
	case GATE__SITE_ENTRY:
	case GATE__SITE_LOOP:
		wasm_frame(&c, GATE_PFRAME_AT, site, fp);
		break;
	case GATE__SITE_STUB_TRAP:
		host_frame(&c, fp);
		break;
	case GATE__SITE_HELPER_TRAP:
		op_frame(&c, site);
		wasm_frame(&c, GATE_PFRAME_CALL, site, fp);
		break;
	default:
		fail(&c, GATE_INTERNAL, "Cannot suspend: not at a safepoint");
	}
	for (;;) {
		if (c.failed)
			goto out;
		pc = ((uintptr_t *)fp)[1];
		fp = ((uintptr_t *)fp)[0];
		if (pc < code || pc >= code + c.img->code_len) {
			fail(&c, GATE_UNSUPPORTED, "Cannot suspend: a call into another module");
			goto out;
		}
		site = gate__rt_callsite(c.img, (uint32_t)(pc - code));
		if (site == NULL && pc < code + c.img->funcs_lo)
			break; /* the entry stub: the invoked function was outermost */
		if (site == NULL || !calls_inner(&c, site)) {
			fail(&c, GATE_UNSUPPORTED, "Cannot suspend: a call into another instance");
			goto out;
		}
		wasm_frame(&c, GATE_PFRAME_CALL, site, fp);
	}
	s->suspended = c.st;
	return;
out:
	gate_pstack_clear(&c.st);
}

int gate__rt_suspend_status(struct gate__store *s, char *err, size_t err_len)
{
	int st = s->suspend_status;

	s->suspend_status = GATE_OK;
	return gate__errorf(err, err_len, st, "%s", s->suspend_err);
}

int gate__store_take_suspended(struct gate__store *s, struct gate_pstack *out)
{
	if (s->suspended.nframes == 0)
		return GATE_INVALID_ARGUMENT;
	*out = s->suspended;
	s->suspended = (struct gate_pstack){ 0, NULL };
	return GATE_OK;
}

void gate__rt_request_suspend(struct gate__store *s, void *ucontext)
{
	ucontext_t *uc = ucontext;
	uintptr_t pc;

	s->suspend = true;
	/* registers only while this thread runs s's code; nothing here
	 * allocates or locks */
	if (uc == NULL || gate__rt_current != s)
		return;
	pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	for (uint32_t i = 0; i < s->nimages; i++) {
		const struct rt_image *img = s->images[i];
		uintptr_t code = (uintptr_t)img->code;
		const struct gate__callsite *c;

		/* in the functions r13 always holds the limit; in the stubs
		 * and in C it may not */
		if (pc < code + img->funcs_lo || pc >= code + img->funcs_hi)
			continue;
		uc->uc_mcontext.gregs[REG_R13] |= (greg_t)GATE__SUSPEND_BIT;
		/* back from the runtime's safepoint, before `mov r13, rax` */
		c = gate__rt_callsite(img, (uint32_t)(pc - code));
		if (c && (c->kind == GATE__SITE_ENTRY || c->kind == GATE__SITE_LOOP))
			uc->uc_mcontext.gregs[REG_RAX] |= (greg_t)GATE__SUSPEND_BIT;
		return;
	}
}

int gate__store_ref_to_index(const struct gate__store *s, uint32_t instance, uint8_t type,
			     uint64_t ref, uint64_t *index)
{
	const struct rt_instance *inst;

	if (instance >= s->ninstances || s->instances[instance]->img == NULL)
		return GATE_INVALID_ARGUMENT;
	inst = s->instances[instance];
	*index = GATE_PNULL;
	if (ref == 0)
		return GATE_OK;
	if (type != GATE__FUNCREF)
		return GATE_UNSUPPORTED;
	*index = func_index(s, inst, ref);
	return *index == GATE__RT_NONE ? GATE_UNSUPPORTED : GATE_OK;
}

int gate__store_ref_from_index(const struct gate__store *s, uint32_t instance, uint8_t type,
			       uint64_t index, uint64_t *ref)
{
	const struct rt_instance *inst;

	if (instance >= s->ninstances || s->instances[instance]->img == NULL)
		return GATE_INVALID_ARGUMENT;
	inst = s->instances[instance];
	*ref = 0;
	if (index == GATE_PNULL)
		return GATE_OK;
	if (type != GATE__FUNCREF || index >= inst->img->nfuncs)
		return GATE_INVALID_ARGUMENT;
	memcpy(ref, (const uint8_t *)inst->vmctx + inst->vm.funcs + 8 * index, 8);
	return GATE_OK;
}
