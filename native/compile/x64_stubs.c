/*
 * Stubs in an image besides the functions (docs/compiler.md, vmctx.h):
 * the shared trap entry, the constant pool, entry trampolines (C to wasm)
 * and host-call stubs (wasm to C), one per signature.
 */
#include <string.h>

#include "x64_gen.h"

/* Trap sites call here with the kind in edi; the C handler gets the site's
 * return address and the wasm frame, and never returns. */
void gen_trap_common(struct gen *g)
{
	gate__x64_bind(&g->a, &g->trap_common);
	gate__x64_load(&g->a, X64_S64, X64_RSI, x64_mem(X64_RSP, 0));
	gate__x64_mov_rr(&g->a, X64_S64, X64_RDX, X64_RBP);
	gate__x64_jmp_m(&g->a, x64_mem(X64_R14, GATE__VM_TRAP));
}

static void emit32s(struct gen *g, uint32_t v, int n)
{
	for (int i = 0; i < n; i++)
		gate__x64_emit32(&g->a, v);
}

static uint32_t f32b(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static uint64_t f64b(double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	return u;
}

/*
 * The constant pool (enum kpool). Truncation bounds are exclusive on both
 * sides, the first representable values outside the target range, so that
 * lo < x < hi holds exactly for the x whose truncation fits.
 */
void gen_kpool(struct gen *g)
{
	static const float b32[4][2] = {
	    {-2147483904.0f, 2147483648.0f},		       /* i32 s */
	    {-1.0f, 4294967296.0f},			       /* i32 u */
	    {-9223373136366403584.0f, 9223372036854775808.0f}, /* i64 s */
	    {-1.0f, 18446744073709551616.0f},		       /* i64 u */
	};
	static const double b64[4][2] = {
	    {-2147483649.0, 2147483648.0},
	    {-1.0, 4294967296.0},
	    {-9223372036854777856.0, 9223372036854775808.0},
	    {-1.0, 18446744073709551616.0},
	};

	gate__x64_align(&g->a, 16);
	gate__x64_bind(&g->a, &g->kpool);
	emit32s(g, 0x80000000u, 4);
	emit32s(g, 0x7fffffffu, 4);
	for (int i = 0; i < 2; i++)
		gate__x64_emit64(&g->a, 0x8000000000000000ull);
	for (int i = 0; i < 2; i++)
		gate__x64_emit64(&g->a, 0x7fffffffffffffffull);
	/* K_BOUNDS + 16 * (i64 * 4 + f64 * 2 + unsigned) */
	for (int i64 = 0; i64 < 2; i64++) {
		for (int f = 0; f < 2; f++) {
			for (int u = 0; u < 2; u++) {
				int k = i64 * 2 + u;

				if (f) {
					gate__x64_emit64(&g->a, f64b(b64[k][0]));
					gate__x64_emit64(&g->a, f64b(b64[k][1]));
				} else {
					gate__x64_emit64(&g->a, f32b(b32[k][0]));
					gate__x64_emit64(&g->a, f32b(b32[k][1]));
				}
			}
		}
	}
	gate__x64_emit64(&g->a, f32b(9223372036854775808.0f));
	gate__x64_emit64(&g->a, f64b(9223372036854775808.0));
	gate__x64_emit64(&g->a, f32b(2147483648.0f));
	gate__x64_emit64(&g->a, f64b(4294967296.0));
}

static struct gate__abi_loc *abi(struct gen *g, uint32_t n)
{
	static struct gate__abi_loc sink[1024];

	if (!gen_grow((void **)&g->locs, &g->locs_cap, n ? n : 1, sizeof(*g->locs), &g->oom))
		return sink;
	return g->locs;
}

static void load_slot(struct gen *g, uint8_t t, uint8_t reg, struct x64_mem m)
{
	if (IS_XMM(reg))
		gate__x64_sse_rm(&g->a, t == GATE__F32 ? X64_MOVSS : X64_MOVSD, XMM(reg), m);
	else
		gate__x64_load(&g->a, X64_S64, GP(reg), m);
}

static void store_slot(struct gen *g, uint8_t t, struct x64_mem m, uint8_t reg)
{
	if (IS_XMM(reg))
		gate__x64_sse_store(&g->a, t == GATE__F32 ? X64_MOVSS : X64_MOVSD, m, XMM(reg));
	else
		gate__x64_store(&g->a, X64_S64, m, GP(reg));
}

/*
 * void entry(vmctx rdi, code rsi, slots rdx, r13 rcx): saves the C
 * callee-saved registers, loads the arguments from slots[] into their wasm
 * ABI locations, calls, and stores the results back into slots[].
 */
void gen_entry_stub(struct gen *g, const struct gate__functype *t)
{
	const struct gate__abi_regs *A = &gate__x64_abi;
	struct gate__abi_loc *l;
	uint32_t np = t->nparams, nr = t->nresults, ns, nrs, area;
	static const enum x64_reg saved[] = {X64_RBX, X64_R12, X64_R13, X64_R14, X64_R15, X64_RDX};

	gate__x64_align(&g->a, 16);
	gate__x64_push(&g->a, X64_RBP);
	gate__x64_mov_rr(&g->a, X64_S64, X64_RBP, X64_RSP);
	for (int i = 0; i < 6; i++)
		gate__x64_push(&g->a, saved[i]);
	gate__x64_mov_rr(&g->a, X64_S64, X64_R14, X64_RDI);
	gate__x64_load(&g->a, X64_S64, X64_R15, x64_mem(X64_R14, GATE__VM_MEMBASE));
	gate__x64_mov_rr(&g->a, X64_S64, X64_R13, X64_RCX);
	gate__x64_mov_rr(&g->a, X64_S64, X64_R11, X64_RSI);
	gate__x64_mov_rr(&g->a, X64_S64, X64_R10, X64_RDX);
	l = abi(g, np > nr ? np : nr);
	ns = gate__abi_assign(t->types, np, A->gp_args, A->ngp_args, A->fp_args, A->nfp_args, l);
	nrs = gate__abi_assign(gate__results(t), nr, A->gp_rets, A->ngp_rets, A->fp_rets,
			       A->nfp_rets, abi(g, np > nr ? np : nr) + 0);
	/* the two assignments share the array: redo the params */
	ns = gate__abi_assign(t->types, np, A->gp_args, A->ngp_args, A->fp_args, A->nfp_args, l);
	area = ((ns > nrs ? ns : nrs) * 8 + 15) & ~15u;
	if (area)
		gate__x64_alu_ri(&g->a, X64_SUB, X64_S64, X64_RSP, (int32_t)area);
	for (uint32_t i = 0; i < np; i++) {
		struct x64_mem src = x64_mem(X64_R10, 8 * (int32_t)i);

		if (l[i].reg == GATE__ABI_STACK) {
			gate__x64_load(&g->a, X64_S64, X64_RAX, src);
			gate__x64_store(&g->a, X64_S64, x64_mem(X64_RSP, 8 * (int32_t)l[i].slot),
					X64_RAX);
		} else {
			load_slot(g, t->types[i], l[i].reg, src);
		}
	}
	/* a suspend request made while C ran reaches the code (vmctx.h) */
	gen_or_suspend(g, X64_RAX);
	gate__x64_call_r(&g->a, X64_R11);
	gate__x64_load(&g->a, X64_S64, X64_R10, x64_mem(X64_RBP, -48));
	gate__abi_assign(gate__results(t), nr, A->gp_rets, A->ngp_rets, A->fp_rets, A->nfp_rets, l);
	for (uint32_t i = 0; i < nr; i++) {
		struct x64_mem dst = x64_mem(X64_R10, 8 * (int32_t)i);

		if (l[i].reg == GATE__ABI_STACK) {
			gate__x64_load(&g->a, X64_S64, X64_R11,
				       x64_mem(X64_RSP, 8 * (int32_t)l[i].slot));
			gate__x64_store(&g->a, X64_S64, dst, X64_R11);
		} else {
			store_slot(g, gate__results(t)[i], dst, l[i].reg);
		}
	}
	gate__x64_lea(&g->a, X64_S64, X64_RSP, x64_mem(X64_RBP, -40));
	for (int i = 4; i >= 0; i--)
		gate__x64_pop(&g->a, saved[i]);
	gate__x64_pop(&g->a, X64_RBP);
	gate__x64_ret(&g->a);
}

/*
 * Called with the wasm ABI and r14 = struct gate__hostfunc: keeps r14 at
 * [rbp - 8] (a suspension names the import by it), spills the arguments to
 * slots at rsp, calls hf->call(hf, slots) and loads the results from the
 * same slots. A nonzero status becomes a trap of that kind. Returns the code
 * offset of the host call's return address (a resume lands there).
 */
uint32_t gen_host_stub(struct gen *g, const struct gate__functype *t)
{
	const struct gate__abi_regs *A = &gate__x64_abi;
	uint32_t np = t->nparams, nr = t->nresults, n = np > nr ? np : nr, ret;
	struct gate__abi_loc *l = abi(g, n);
	struct x64_label trap = {0};

	gate__x64_align(&g->a, 16);
	gate__x64_push(&g->a, X64_RBP);
	gate__x64_mov_rr(&g->a, X64_S64, X64_RBP, X64_RSP);
	gate__x64_alu_ri(&g->a, X64_SUB, X64_S64, X64_RSP, (int32_t)gate__host_stub_frame(n));
	gate__x64_store(&g->a, X64_S64, x64_mem(X64_RBP, -8), X64_R14);
	gate__abi_assign(t->types, np, A->gp_args, A->ngp_args, A->fp_args, A->nfp_args, l);
	for (uint32_t i = 0; i < np; i++) {
		struct x64_mem dst = x64_mem(X64_RSP, 8 * (int32_t)i);

		if (l[i].reg == GATE__ABI_STACK) {
			gate__x64_load(&g->a, X64_S64, X64_R11,
				       x64_mem(X64_RBP, 16 + 8 * (int32_t)l[i].slot));
			gate__x64_store(&g->a, X64_S64, dst, X64_R11);
		} else {
			store_slot(g, t->types[i], dst, l[i].reg);
		}
	}
	gate__x64_mov_rr(&g->a, X64_S64, X64_RDI, X64_R14);
	gate__x64_mov_rr(&g->a, X64_S64, X64_RSI, X64_RSP);
	gate__x64_call_m(&g->a, x64_mem(X64_R14, (int32_t)GATE__HOSTFUNC_CALL));
	ret = (uint32_t)gate__x64_offset(&g->a);
	gate__x64_test_rr(&g->a, X64_S32, X64_RAX, X64_RAX);
	gate__x64_jcc(&g->a, X64_NE, &trap);
	gate__abi_assign(gate__results(t), nr, A->gp_rets, A->ngp_rets, A->fp_rets, A->nfp_rets, l);
	for (uint32_t i = 0; i < nr; i++) {
		struct x64_mem src = x64_mem(X64_RSP, 8 * (int32_t)i);

		if (l[i].reg == GATE__ABI_STACK) {
			gate__x64_load(&g->a, X64_S64, X64_R11, src);
			gate__x64_store(&g->a, X64_S64,
					x64_mem(X64_RBP, 16 + 8 * (int32_t)l[i].slot), X64_R11);
		} else {
			load_slot(g, gate__results(t)[i], l[i].reg, src);
		}
	}
	gate__x64_mov_rr(&g->a, X64_S64, X64_RSP, X64_RBP);
	gate__x64_pop(&g->a, X64_RBP);
	gate__x64_ret(&g->a);
	gate__x64_bind(&g->a, &trap);
	gate__x64_mov_rr(&g->a, X64_S32, X64_RDI, X64_RAX);
	gate__x64_call(&g->a, &g->trap_common);
	/* not a wasm frame: the backtrace skips it */
	{
		struct gate__callsite c = {.ret = (uint32_t)gate__x64_offset(&g->a),
					   .func = GATE__NONE,
					   .map = GATE__NONE,
					   .kind = GATE__SITE_STUB_TRAP};

		gate__sites_call(g->sites, &c);
	}
	return ret;
}
