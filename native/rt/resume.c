/*
 * Resume: checks a portable stack (portable.h) against the instance's image,
 * then rebuilds the native frames and continues. docs/runtime.md, "Suspend
 * and resume".
 *
 * The outermost function's entry stub is called as for an invoke, but with
 * the resume glue (below) as its code: the glue's return address is then
 * exactly the one of the outermost wasm frame, and its `push rbp` makes
 * that frame's rbp. The glue reserves the frames' bytes, calls
 * gate__rt_resume_build() to write them (saved rbp chain, return addresses
 * at call sites, vmctx, locals and operands in their slots; the frame
 * sizes from the image line up each caller's outgoing area) and to make a
 * HOST frame's call again, then loads rsp, rbp, r14 and rax from the
 * landing and jumps where the innermost frame continues:
 *
 * - GATE_PFRAME_AT: after the safepoint's call to the runtime, rax the new
 *   r13, as if gate__rt_safepoint() had returned;
 * - a HOST import: inside the host-call stub, after its call of the host
 *   function, rax the status: the stub loads the results from its slots
 *   (or traps, or suspends again) and returns to the caller;
 * - a HOST bulk instruction: after the caller's helper call, rax the
 *   helper's status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compile/compile.h"
#include "../lib/error.h"
#include "rt_internal.h"

/* Room for the entry stub, the glue and C below the rebuilt frames. */
#define RESUME_MARGIN (64u << 10)

struct landing {
	uint64_t rax, r14, rbp, rsp, rip;
};

struct resume {
	struct gate__store *s;
	struct rt_instance *inst;
	struct rt_image *img;
	const struct gate_pstack *st;
	const struct gate__callsite **sites; /* per frame: where a wasm frame waits */
	uint64_t need;			     /* bytes of frames below the outermost rbp */
};

static __thread struct resume *tls_resume;
static __thread struct landing tls_landing;

void gate__rt_resume_glue(void);
uint64_t gate__rt_resume_need(void);
const struct landing *gate__rt_resume_build(uintptr_t top);

/* The glue (x86-64, System V). Called by an entry stub: rsp is 8 mod 16. */
__asm__(".text\n"
	".p2align 4\n"
	".globl gate__rt_resume_glue\n"
	".hidden gate__rt_resume_glue\n"
	".type gate__rt_resume_glue, @function\n"
	"gate__rt_resume_glue:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	call gate__rt_resume_need\n"
	"	sub %rax, %rsp\n"
	"	mov %rbp, %rdi\n"
	"	call gate__rt_resume_build\n"
	"	mov %rax, %r11\n"
	"	mov 0(%r11), %rax\n"
	"	mov 8(%r11), %r14\n"
	"	mov 16(%r11), %rbp\n"
	"	mov 24(%r11), %rsp\n"
	"	jmp *32(%r11)\n"
	".size gate__rt_resume_glue, .-gate__rt_resume_glue\n");

static int bad(char *err, size_t err_len, uint32_t i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(char *err, size_t err_len, uint32_t i, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gate__errorf(err, err_len, GATE_MALFORMED, "Cannot resume: frame %u: %s", i, msg);
}

static bool value_ok(const struct rt_image *img, const struct gate_pvalue *v, uint8_t want)
{
	if (v->type != want)
		return false;
	switch (want) {
	case GATE__I32:
	case GATE__F32:
		return v->bits <= UINT32_MAX;
	case GATE__I64:
	case GATE__F64:
		return true;
	case GATE__FUNCREF:
		return v->bits == GATE_PNULL || v->bits < img->nfuncs;
	case GATE__EXTERNREF:
		return v->bits == GATE_PNULL;
	}
	return false;
}

static const uint8_t op_helper[18] = {
	[8] = GATE__H_MEMORY_INIT, [10] = GATE__H_MEMORY_COPY, [11] = GATE__H_MEMORY_FILL,
	[12] = GATE__H_TABLE_INIT, [14] = GATE__H_TABLE_COPY,  [17] = GATE__H_TABLE_FILL,
};

/* The helper of a GATE_PHOST_* op, or GATE__H_COUNT. */
static uint32_t helper_of(uint32_t op)
{
	uint32_t k = op & ~GATE_PHOST_OP;

	if (!(op & GATE_PHOST_OP) || k >= sizeof(op_helper) || op_helper[k] == 0)
		return GATE__H_COUNT;
	return op_helper[k];
}

static uint32_t sig_of(const struct rt_image *img, uint32_t f)
{
	return img->types[img->funcs[f].type].sig;
}

/* Whether a frame waiting at site calls the frame in (innermost side). */
static bool calls(const struct rt_image *img, const struct gate__callsite *site,
		  const struct gate_pframe *in)
{
	bool host = in->kind == GATE_PFRAME_HOST;

	switch (site->kind) {
	case GATE__SITE_CALL:
		return site->a == in->func && (host == (in->func < img->nfunc_imports));
	case GATE__SITE_CALL_INDIRECT:
		return !host && in->func < img->nfuncs &&
		       sig_of(img, in->func) == img->types[site->a].sig;
	case GATE__SITE_CALL_INDIRECT_X:
		return host && in->func < img->nfunc_imports &&
		       sig_of(img, in->func) == img->types[site->a].sig;
	case GATE__SITE_HELPER:
		return host && helper_of(in->func) == site->helper;
	}
	return false;
}

/* The site where frame i (a wasm frame of function f) waits, or NULL. */
static const struct gate__callsite *find_site(const struct resume *r, uint32_t i)
{
	const struct gate_pframe *p = &r->st->frames[i];
	const struct gate__callsite *c;
	uint32_t n = gate__rt_func_sites(r->img, p->func, &c);
	uint64_t at = (uint64_t)r->img->funcs[p->func].body + p->offset;

	for (uint32_t k = 0; k < n; k++, c++) {
		if (c->offset != at)
			continue;
		if (p->kind == GATE_PFRAME_AT &&
		    (c->kind == GATE__SITE_ENTRY || c->kind == GATE__SITE_LOOP))
			return c;
		if (p->kind == GATE_PFRAME_CALL && calls(r->img, c, &r->st->frames[i - 1]))
			return c;
	}
	return NULL;
}

/* A wasm frame: function, locals, site, operands against the stack map. */
static int check_wasm(struct resume *r, uint32_t i, char *err, size_t err_len)
{
	const struct gate_pframe *p = &r->st->frames[i];
	const struct rt_image *img = r->img;
	const struct rt_func *fn;
	const struct rt_type *t;
	const struct gate__callsite *c;
	const uint8_t *map;
	uint32_t n, l = 0;

	if (p->func < img->nfunc_imports || p->func >= img->nfuncs)
		return bad(err, err_len, i, "function %u is not defined in the module", p->func);
	fn = &img->funcs[p->func];
	t = &img->types[fn->type];
	if (p->nlocals != fn->nlocals)
		return bad(err, err_len, i, "%u locals given, function %u has %u", p->nlocals,
			   p->func, fn->nlocals);
	for (; l < t->np; l++)
		if (!value_ok(img, &p->values[l], t->types[l]))
			return bad(err, err_len, i, "local %u is not a value of type 0x%02x", l,
				   t->types[l]);
	for (uint32_t k = 0; k < fn->nruns; k++)
		for (uint32_t e = 0; e < fn->runs[k].count; e++, l++)
			if (!value_ok(img, &p->values[l], fn->runs[k].type))
				return bad(err, err_len, i, "local %u is not a value of type 0x%02x", l,
					   fn->runs[k].type);
	c = find_site(r, i);
	if (c == NULL)
		return bad(err, err_len, i,
			   p->kind == GATE_PFRAME_AT
				   ? "function %u has no safepoint at offset %u"
				   : "function %u has no call of the next frame's function at "
				     "offset %u",
			   p->func, p->offset);
	map = img->maps + c->map;
	memcpy(&n, map, 4);
	if (p->nstack != n)
		return bad(err, err_len, i, "%u operands given, %u expected at offset %u", p->nstack,
			   n, p->offset);
	map += 4;
	for (uint32_t h = 0; h < n; h++) {
		const struct gate_pvalue *v = &p->values[p->nlocals + h];
		uint64_t k;

		if (!value_ok(img, v, map[0]))
			return bad(err, err_len, i, "operand %u is not a value of type 0x%02x", h,
				   map[0]);
		if (map[1] == GATE__MAP_CONST) {
			memcpy(&k, map + 2, 8);
			if (map[0] == GATE__I32 || map[0] == GATE__F32)
				k &= 0xffffffffu;
			if (v->bits != k)
				return bad(err, err_len, i,
					   "operand %u is 0x%llx where the code has the "
					   "constant 0x%llx",
					   h, (unsigned long long)v->bits, (unsigned long long)k);
		}
		map += map[1] == GATE__MAP_CONST ? 10 : 2;
	}
	r->sites[i] = c;
	return GATE_OK;
}

/* A HOST frame: an import bound to a host function, or a bulk instruction,
 * with arguments of the right types (the caller, frame 1, is checked to
 * call it by check_wasm). */
static int check_host(struct resume *r, char *err, size_t err_len)
{
	const struct gate_pframe *p = &r->st->frames[0];
	const struct rt_image *img = r->img;
	const uint8_t *want;
	uint8_t op_types[3] = { GATE__I32, GATE__I32, GATE__I32 };

	if (r->st->nframes < 2)
		return bad(err, err_len, 0, "a host call without a calling frame");
	if (p->nlocals != 0 || p->offset != 0)
		return bad(err, err_len, 0, "a host call with %u locals at offset %u", p->nlocals,
			   p->offset);
	if (p->func < img->nfunc_imports) {
		const struct rt_type *t = &img->types[img->funcs[p->func].type];

		if (r->s->funcs[r->inst->funcs[p->func]].host == NULL)
			return bad(err, err_len, 0, "import %u is not bound to a host function", p->func);
		if (p->nstack != t->np)
			return bad(err, err_len, 0, "%u arguments given, import %u takes %u", p->nstack,
				   p->func, t->np);
		want = t->types;
	} else {
		if (helper_of(p->func) == GATE__H_COUNT)
			return bad(err, err_len, 0,
				   "0x%x is neither an imported function nor a bulk instruction",
				   p->func);
		if (p->nstack != 3)
			return bad(err, err_len, 0, "%u arguments given, the instruction takes 3",
				   p->nstack);
		want = op_types;
	}
	for (uint32_t k = 0; k < p->nstack; k++) {
		/* table.fill's value: its type is the table's, known from the
		 * caller's instruction; checked in check_fill() */
		if (p->func == GATE_PHOST_TABLE_FILL && k == 1)
			continue;
		if (!value_ok(img, &p->values[k], want[k]))
			return bad(err, err_len, 0, "argument %u is not a value of type 0x%02x", k,
				   want[k]);
	}
	return GATE_OK;
}

static int check_fill(struct resume *r, char *err, size_t err_len)
{
	const struct gate_pframe *p = &r->st->frames[0];

	if (p->kind != GATE_PFRAME_HOST || p->func != GATE_PHOST_TABLE_FILL)
		return GATE_OK;
	if (!value_ok(r->img, &p->values[1], r->img->tables[r->sites[1]->a].elem))
		return bad(err, err_len, 0, "argument 1 is not a value of type 0x%02x",
			   r->img->tables[r->sites[1]->a].elem);
	return GATE_OK;
}

static int check(struct resume *r, char *err, size_t err_len)
{
	const struct gate_pstack *st = r->st;
	int ret;

	if (st->nframes == 0 || st->frames == NULL)
		return gate__errorf(err, err_len, GATE_MALFORMED, "Cannot resume: no frames");
	for (uint32_t i = 0; i < st->nframes; i++) {
		const struct gate_pframe *p = &st->frames[i];
		uint8_t want = i ? GATE_PFRAME_CALL : p->kind;

		if ((i == 0 && p->kind != GATE_PFRAME_AT && p->kind != GATE_PFRAME_HOST) ||
		    p->kind != want)
			return bad(err, err_len, i, "a frame of kind %u where %s belongs", p->kind,
				   i ? "a CALL frame" : "an AT or HOST frame");
		if ((uint64_t)p->nlocals + p->nstack > 0 && p->values == NULL)
			return bad(err, err_len, i, "no values for %u locals and %u operands",
				   p->nlocals, p->nstack);
	}
	ret = st->frames[0].kind == GATE_PFRAME_HOST ? check_host(r, err, err_len) : GATE_OK;
	for (uint32_t i = st->frames[0].kind == GATE_PFRAME_HOST; i < st->nframes && !ret; i++)
		ret = check_wasm(r, i, err, err_len);
	return ret ? ret : check_fill(r, err, err_len);
}

/* ---- rebuilding ---- */

static uint64_t raw(const struct resume *r, const struct gate_pvalue *v)
{
	uint64_t p = 0;

	if (v->type == GATE__FUNCREF || v->type == GATE__EXTERNREF) {
		if (v->bits != GATE_PNULL && v->type == GATE__FUNCREF)
			memcpy(&p, (const uint8_t *)r->inst->vmctx + r->inst->vm.funcs + 8 * v->bits,
			       8);
		return p;
	}
	return v->bits;
}

/* Stores below the glue's frame: plain memory the sanitizer knows nothing
 * of, as the frames generated code writes. */
__attribute__((no_sanitize("address"))) static void put(uintptr_t at, uint64_t v)
{
	*(volatile uint64_t *)at = v;
}

/* Writes wasm frame i at fp: vmctx, locals, operands in slots (constants
 * stay in the code), everything else zero. */
static void write_frame(const struct resume *r, uint32_t i, uintptr_t fp)
{
	const struct gate_pframe *p = &r->st->frames[i];
	const struct gate__callsite *c = r->sites[i];
	const uint8_t *map = r->img->maps + c->map + 4;
	uint32_t size = r->img->funcs[p->func].frame;

	for (uintptr_t a = fp - size; a < fp; a += 8)
		put(a, 0);
	put(fp + GATE__VMCTX_SAVE_DISP, (uintptr_t)r->inst->vmctx);
	for (uint32_t l = 0; l < p->nlocals; l++)
		put(fp + gate__slot_disp(l), raw(r, &p->values[l]));
	for (uint32_t h = 0; h < p->nstack; h++) {
		if (map[1] == GATE__MAP_SLOT)
			put(fp + gate__slot_disp(p->nlocals + h), raw(r, &p->values[p->nlocals + h]));
		map += map[1] == GATE__MAP_CONST ? 10 : 2;
	}
}

typedef uint32_t (*helper3)(void *, uint32_t, uint32_t, uint32_t);
typedef uint32_t (*helper4)(void *, uint32_t, uint32_t, uint32_t, uint32_t);
typedef uint32_t (*helper_fill)(void *, uint32_t, uint32_t, uint64_t, uint32_t);
typedef uint32_t (*helper5)(void *, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);

/* The rest of a bulk instruction, from the builder: its status. */
static uint32_t run_op(const struct resume *r, const struct gate__callsite *c,
		       const struct gate_pframe *p)
{
	void *vm = r->inst->vmctx, *h = gate__rt_helpers[c->helper];
	uint32_t x = (uint32_t)p->values[0].bits, z = (uint32_t)p->values[2].bits;

	r->s->pending.op = 0;
	switch (c->helper) {
	case GATE__H_MEMORY_FILL:
	case GATE__H_MEMORY_COPY:
		return ((helper3)h)(vm, x, (uint32_t)p->values[1].bits, z);
	case GATE__H_MEMORY_INIT:
		return ((helper4)h)(vm, c->a, x, (uint32_t)p->values[1].bits, z);
	case GATE__H_TABLE_FILL:
		return ((helper_fill)h)(vm, c->a, x, raw(r, &p->values[1]), z);
	default: /* table.copy, table.init */
		return ((helper5)h)(vm, c->a, c->b, x, (uint32_t)p->values[1].bits, z);
	}
}

uint64_t gate__rt_resume_need(void)
{
	return tls_resume->need;
}

const struct landing *gate__rt_resume_build(uintptr_t top)
{
	const struct resume *r = tls_resume;
	const struct gate_pstack *st = r->st;
	const struct gate_pframe *in = &st->frames[0];
	uintptr_t code = (uintptr_t)r->img->code, fp = top, rsp = 0;
	uint32_t w = in->kind == GATE_PFRAME_HOST;
	bool import = w && in->func < r->img->nfunc_imports;
	struct landing l;

	tls_resume = NULL; /* a host call below may invoke again */
	for (uint32_t i = st->nframes; i-- > w;) {
		write_frame(r, i, fp);
		rsp = fp - r->img->funcs[st->frames[i].func].frame;
		if (i == w && !import)
			break;
		/* the callee's frame: saved rbp, return address into this one */
		put(rsp - 16, fp);
		put(rsp - 8, code + r->sites[i]->ret);
		fp = rsp - 16;
	}
	l = (struct landing){ .r14 = (uintptr_t)r->inst->vmctx, .rbp = fp, .rsp = rsp };
	if (in->kind == GATE_PFRAME_AT) {
		l.rax = r->s->limit | (r->s->suspend || r->s->trace ? GATE__SUSPEND_BIT : 0);
		l.rip = code + r->sites[0]->ret;
	} else if (!import) {
		l.rax = run_op(r, r->sites[1], in);
		l.rip = code + r->sites[1]->ret;
	} else {
		/* the host-call stub's frame, as it is while the host runs */
		const struct rt_type *t = &r->img->types[r->img->funcs[in->func].type];
		struct gate__funcref *ref = r->s->funcs[r->inst->funcs[in->func]].ref;
		struct gate__hostfunc *hf = ref->vmctx;
		uint32_t n = t->np > t->nr ? t->np : t->nr;
		uint64_t *slots = (uint64_t *)(fp - gate__host_stub_frame(n));

		for (uintptr_t a = (uintptr_t)slots; a < fp; a += 8)
			put(a, 0);
		put(fp - 8, (uintptr_t)hf);
		for (uint32_t k = 0; k < in->nstack; k++)
			put((uintptr_t)&slots[k], raw(r, &in->values[k]));
		l.rax = hf->call(hf, slots);
		l.r14 = (uintptr_t)hf;
		l.rsp = (uintptr_t)slots;
		l.rip = code + t->host_ret;
	}
	tls_landing = l;
	return &tls_landing;
}

/* Bytes of the rebuilt frames below the outermost rbp. */
static uint64_t need(const struct resume *r)
{
	const struct gate_pstack *st = r->st;
	const struct gate_pframe *in = &st->frames[0];
	uint32_t w = in->kind == GATE_PFRAME_HOST;
	uint64_t n = 0;

	for (uint32_t i = w; i < st->nframes; i++)
		n += r->img->funcs[st->frames[i].func].frame + (i + 1 < st->nframes ? 16 : 0);
	if (w && in->func < r->img->nfunc_imports) {
		const struct rt_type *t = &r->img->types[r->img->funcs[in->func].type];

		n += 16 + gate__host_stub_frame(t->np > t->nr ? t->np : t->nr);
	}
	return n;
}

int gate__store_resume(struct gate__store *s, uint32_t instance, const struct gate_pstack *st,
		       struct gate__value *results, uint32_t nresults, struct gate__trap *trap,
		       char *err, size_t err_len)
{
	struct resume r = { .s = s, .st = st };
	const struct rt_sig *g;
	uint64_t *slots = NULL;
	uint32_t func;
	char here;
	int ret;

	if (instance >= s->ninstances || s->instances[instance]->img == NULL)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot resume: no module instance %u", instance);
	r.inst = s->instances[instance];
	r.img = r.inst->img;
	if (st == NULL || st->nframes > UINT32_MAX / sizeof(*r.sites))
		return gate__errorf(err, err_len, GATE_MALFORMED, "Cannot resume: no frames");
	r.sites = calloc(st->nframes ? st->nframes : 1, sizeof(*r.sites));
	if (r.sites == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot resume: out of memory");
	ret = check(&r, err, err_len);
	if (ret)
		goto out;
	func = r.inst->funcs[st->frames[st->nframes - 1].func];
	g = &s->sigs[s->funcs[func].sig];
	if (nresults < g->nr) {
		ret = gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				   "Cannot resume: room for %u results, %u needed", nresults, g->nr);
		goto out;
	}
	r.need = need(&r);
	if (gate__rt_thread_setup() != 0) {
		ret = gate__errorf(err, err_len, GATE_INTERNAL, "Cannot resume: cannot set up the stack");
		goto out;
	}
	if ((uintptr_t)&here < gate__rt_stack_limit() + RESUME_MARGIN ||
	    r.need > (uintptr_t)&here - gate__rt_stack_limit() - RESUME_MARGIN) {
		if (trap) {
			memset(trap, 0, sizeof(*trap));
			trap->kind = GATE_TRAP_CALL_STACK_EXHAUSTED;
		}
		ret = gate__errorf(err, err_len, GATE_TRAP, "%s",
				   gate__trap_message(GATE_TRAP_CALL_STACK_EXHAUSTED));
		goto out;
	}
	slots = calloc(g->np > g->nr ? g->np : g->nr ? g->nr : 1, 8);
	if (slots == NULL) {
		ret = gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot resume: out of memory");
		goto out;
	}
	tls_resume = &r;
	ret = gate__rt_enter(s, func, (void *)(uintptr_t)gate__rt_resume_glue, slots, trap);
	tls_resume = NULL;
	if (ret == GATE_TRAP) {
		if (s->suspend_status)
			ret = gate__rt_suspend_status(s, err, err_len);
		else
			gate__errorf(err, err_len, GATE_TRAP, "%s",
				     trap ? gate__trap_message(trap->kind) : "trap");
	} else if (ret) {
		gate__errorf(err, err_len, ret, "Cannot resume: cannot set up the stack");
	} else {
		gate__rt_results(g, slots, results);
	}
out:
	free(slots);
	free(r.sites);
	return ret;
}
