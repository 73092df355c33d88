/*
 * Running code: invoke through an entry stub, traps and their unwinding,
 * the fault handler, the safepoint slow path and frame walking.
 *
 * Unwinding: gate__rt_call() sets a jmp_buf; a trap (an out-of-line stub in
 * code, a helper's status, or a fault redirected by the signal handler)
 * ends in gate__rt_trap(), which walks the wasm frames through rbp and the
 * image's call sites, then longjmps back. Wasm frames own nothing, so
 * dropping them is all the unwinding there is.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "../lib/error.h"
#include "rt_internal.h"

/* Stack left below the limit for C code running on the wasm stack: the
 * trap handler, helpers and host functions. */
#define RED_ZONE (256u << 10)

__thread struct gate__store *gate__rt_current;
static __thread uint64_t tls_limit;
static __thread bool tls_from_signal;

const char *gate__trap_message(uint32_t kind)
{
	switch (kind) {
#define GATE_TRAP(name, num, msg) \
	case num:                 \
		return msg;
#include "traps.def"
#undef GATE_TRAP
	}
	return "unknown trap";
}

struct rt_image *gate__rt_image_of(struct gate__store *s, uintptr_t pc)
{
	for (uint32_t i = 0; i < s->nimages; i++) {
		struct rt_image *img = s->images[i];

		if (pc >= (uintptr_t)img->code && pc < (uintptr_t)img->code + img->code_len)
			return img;
	}
	return NULL;
}

static uint32_t image_index(struct gate__store *s, const struct rt_image *img)
{
	for (uint32_t i = 0; i < s->nimages; i++)
		if (s->images[i] == img)
			return i;
	return 0;
}

uint32_t gate__rt_walk(struct gate__store *s, uintptr_t pc, uintptr_t fp,
		       struct gate__rt_frame *out, uint32_t max)
{
	uint32_t n = 0;

	/* pc is the return address of a call site in the frame at fp */
	while (n < max && fp) {
		struct rt_image *img = gate__rt_image_of(s, pc);
		const struct gate__callsite *c;

		if (img == NULL)
			break;
		c = gate__rt_callsite(img, (uint32_t)(pc - (uintptr_t)img->code));
		if (c == NULL)
			break;
		if (c->func != GATE__RT_NONE) {
			out[n] = (struct gate__rt_frame){ c->func, c->offset, 0, fp, NULL };
			if (c->map != GATE__RT_NONE) {
				out[n].map = img->maps + c->map;
				memcpy(&out[n].nstack, out[n].map, 4);
			}
			n++;
		}
		pc = ((uintptr_t *)fp)[1];
		fp = ((uintptr_t *)fp)[0];
	}
	return n;
}

static void add_frame(struct gate__store *s, struct gate__trap *t, const struct rt_image *img,
		      uint32_t func, uint32_t offset)
{
	if (t->nframes < GATE__TRAP_FRAMES)
		t->frames[t->nframes++] = (struct gate__trap_frame){ func, offset, image_index(s, img) };
}

void gate__rt_trap(uint32_t kind, uintptr_t pc, uintptr_t fp)
{
	struct gate__store *s = gate__rt_current;
	struct gate__trap *t = s->trap;
	bool sig = tls_from_signal;

	tls_from_signal = false;
	/* the frames are still there: the stack in WebAssembly terms */
	if (kind == GATE_TRAP_SUSPENDED && !sig)
		gate__rt_capture(s, pc, fp);
	if (t) {
		struct rt_image *img = gate__rt_image_of(s, pc);

		memset(t, 0, sizeof(*t));
		t->kind = kind;
		t->code = s->trap_code;
		if (img && sig) {
			const struct gate__memsite_rt *m =
				gate__rt_memsite(img, (uint32_t)(pc - (uintptr_t)img->code));

			if (m)
				add_frame(s, t, img, m->func, m->offset);
			pc = ((uintptr_t *)fp)[1];
			fp = ((uintptr_t *)fp)[0];
		}
		while (t->nframes < GATE__TRAP_FRAMES && fp) {
			const struct gate__callsite *c;

			img = gate__rt_image_of(s, pc);
			if (img == NULL)
				break;
			c = gate__rt_callsite(img, (uint32_t)(pc - (uintptr_t)img->code));
			if (c == NULL)
				break;
			if (c->func != GATE__RT_NONE)
				add_frame(s, t, img, c->func, c->offset);
			pc = ((uintptr_t *)fp)[1];
			fp = ((uintptr_t *)fp)[0];
		}
	}
	s->trap_code = 0;
	_longjmp(*s->jmp, 1);
}

/* The fault handler redirects here, as if the faulting instruction had
 * called it. */
static void __attribute__((noreturn)) trap_from_signal(uint32_t kind, uintptr_t pc, uintptr_t fp)
{
	tls_from_signal = true;
	gate__rt_trap(kind, pc, fp);
}

/* The slow path of a safepoint: suspends if requested (the capture runs
 * in gate__rt_trap), else returns the new r13. */
uint64_t gate__rt_safepoint(void *vmctx, uintptr_t fp)
{
	struct gate__store *s = gate__rt_current;
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	char here;

	(void)vmctx;
	/* generated code checks the stack before it comes here; this is a
	 * backstop for C code running deep in the red zone */
	if ((uintptr_t)&here < s->limit - RED_ZONE / 2)
		gate__rt_trap(GATE_TRAP_CALL_STACK_EXHAUSTED, pc, fp);
	s->safepoints++;
	if (s->on_safepoint)
		s->on_safepoint(s, pc, fp, s->on_safepoint_ctx);
	if (s->suspend)
		gate__rt_trap(GATE_TRAP_SUSPENDED, pc, fp);
	return s->limit | (s->trace ? GATE__SUSPEND_BIT : 0);
}

static struct sigaction old_segv, old_bus;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct gate__store *s = gate__rt_current;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	struct rt_image *img = s ? gate__rt_image_of(s, pc) : NULL;
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;

	if (img && gate__rt_memsite(img, (uint32_t)(pc - (uintptr_t)img->code))) {
		uintptr_t sp = ((uintptr_t)uc->uc_mcontext.gregs[REG_RSP] & ~(uintptr_t)15) - 8;

		/* push the faulting pc as a return address and "call" the trap */
		*(uintptr_t *)sp = pc;
		uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
		uc->uc_mcontext.gregs[REG_RDI] = GATE_TRAP_MEMORY_OUT_OF_BOUNDS;
		uc->uc_mcontext.gregs[REG_RSI] = (greg_t)pc;
		uc->uc_mcontext.gregs[REG_RDX] = uc->uc_mcontext.gregs[REG_RBP];
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)trap_from_signal;
		return;
	}
	/* not ours: the previous handler, or the default action */
	if (old->sa_flags & SA_SIGINFO && old->sa_sigaction) {
		old->sa_sigaction(sig, si, ucv);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN && old->sa_handler) {
		old->sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

/* Per thread: an alternate signal stack (the fault may be a stack
 * overflow) and the stack limit for r13. */
int gate__rt_thread_setup(void)
{
	pthread_attr_t attr;
	void *lo;
	size_t size;

	pthread_once(&handlers_once, install_handlers);
	if (tls_limit)
		return 0;
	{
		stack_t ss, cur;

		if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
			ss.ss_size = 64 << 10;
			ss.ss_sp = malloc(ss.ss_size);
			ss.ss_flags = 0;
			if (ss.ss_sp == NULL || sigaltstack(&ss, NULL) != 0)
				return -1;
		}
	}
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return -1;
	if (pthread_attr_getstack(&attr, &lo, &size) != 0) {
		pthread_attr_destroy(&attr);
		return -1;
	}
	pthread_attr_destroy(&attr);
	tls_limit = (uint64_t)(uintptr_t)lo + RED_ZONE;
	return 0;
}

uint64_t gate__rt_stack_limit(void)
{
	return tls_limit;
}

int gate__rt_enter(struct gate__store *s, uint32_t func, void *code, uint64_t *slots,
		   struct gate__trap *trap)
{
	struct rt_funcinfo *fi = &s->funcs[func];
	jmp_buf env, *prev_jmp = s->jmp;
	struct gate__trap *prev_trap = s->trap;
	struct gate__store *prev_store = gate__rt_current;
	void *prev_vmctx = s->run_vmctx;
	volatile int ret = GATE_OK;
	struct gate__trap sink;

	if (trap == NULL)
		trap = &sink;
	if (gate__rt_thread_setup() != 0)
		return GATE_INTERNAL;
	s->limit = tls_limit;
	s->jmp = &env;
	s->trap = trap;
	s->run_vmctx = fi->ref->vmctx;
	s->depth++;
	s->suspend_status = GATE_OK;
	gate__rt_current = s;
	/* _setjmp: no signal mask saved, so no system call (docs/sandbox.md) */
	if (_setjmp(env) == 0) {
		gate__entry_fn entry =
			(gate__entry_fn)(uintptr_t)(fi->img->code + fi->img->types[fi->type].entry);

		entry(fi->ref->vmctx, code, slots,
		      s->limit | (s->suspend || s->trace ? GATE__SUSPEND_BIT : 0));
	} else {
		ret = GATE_TRAP;
	}
	s->depth--;
	s->run_vmctx = prev_vmctx;
	s->jmp = prev_jmp;
	s->trap = prev_trap;
	gate__rt_current = prev_store;
	return ret;
}

int gate__rt_call(struct gate__store *s, uint32_t func, uint64_t *slots, struct gate__trap *trap)
{
	struct rt_funcinfo *fi = &s->funcs[func];

	if (fi->host) {
		uint32_t k;

		s->suspend_status = GATE_OK;
		k = fi->host->call(fi->host, slots);

		if (k) {
			if (trap) {
				memset(trap, 0, sizeof(*trap));
				trap->kind = k;
				trap->code = s->trap_code;
			}
			s->trap_code = 0;
			return GATE_TRAP;
		}
		return GATE_OK;
	}
	return gate__rt_enter(s, func, fi->ref->code, slots, trap);
}

void gate__rt_results(const struct rt_sig *g, const uint64_t *slots, struct gate__value *results)
{
	for (uint32_t i = 0; i < g->nr; i++) {
		uint8_t t = g->types[g->np + i];

		memset(&results[i], 0, sizeof(results[i]));
		results[i].type = t;
		if (t == 0x7f || t == 0x7d)
			results[i].of.i32 = (uint32_t)slots[i];
		else
			results[i].of.i64 = slots[i];
	}
}

int gate__store_invoke(struct gate__store *s, uint32_t func, const struct gate__value *args,
		       uint32_t nargs, struct gate__value *results, uint32_t nresults,
		       struct gate__trap *trap, char *err, size_t err_len)
{
	const struct rt_sig *g;
	uint64_t small[16], *slots = small;
	uint32_t n;
	int ret;

	if (func >= s->nfuncs)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT, "Cannot invoke: no function %u",
				    func);
	g = &s->sigs[s->funcs[func].sig];
	if (nargs != g->np)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot invoke: %u arguments given, %u expected", nargs, g->np);
	if (nresults < g->nr)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot invoke: room for %u results, %u needed", nresults, g->nr);
	n = g->np > g->nr ? g->np : g->nr;
	if (n > 16) {
		slots = calloc(n, 8);
		if (slots == NULL)
			return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot invoke: out of memory");
	}
	for (uint32_t i = 0; i < nargs; i++) {
		if (args[i].type != g->types[i]) {
			ret = gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
					   "Cannot invoke: argument %u is not of type 0x%02x", i,
					   g->types[i]);
			goto out;
		}
		slots[i] = g->types[i] == 0x7f || g->types[i] == 0x7d ? args[i].of.i32 : args[i].of.i64;
	}
	ret = gate__rt_call(s, func, slots, trap);
	if (ret == GATE_TRAP) {
		if (s->suspend_status)
			ret = gate__rt_suspend_status(s, err, err_len);
		else
			gate__errorf(err, err_len, GATE_TRAP, "%s",
				     trap ? gate__trap_message(trap->kind) : "trap");
		goto out;
	}
	if (ret) {
		gate__errorf(err, err_len, ret, "Cannot invoke: cannot set up the stack");
		goto out;
	}
	gate__rt_results(g, slots, results);
out:
	if (slots != small)
		free(slots);
	return ret;
}
