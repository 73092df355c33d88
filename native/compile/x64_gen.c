/*
 * The x86-64 code generator, part 1: the visitor of the body decoder, the
 * register-cached operand stack, control flow, locals, globals and calls.
 * Numeric, memory and table instructions are in x64_ops.c.
 *
 * Model (docs/compiler.md): locals live in their frame slots; an operand is
 * in its slot, a register, a constant, the flags of a compare, or a deferred
 * read of a local. Every merge point (block end reached by a branch, loop
 * head, if/else) and every safepoint sees the canonical state: operands in
 * their slots (constants may stay constants at calls, recorded in the map).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rt/rt.h"
#include "x64_gen.h"

static const uint8_t gp_args[] = {X64_RDI, X64_RSI, X64_RDX, X64_RCX, X64_R8, X64_R9};
static const uint8_t fp_args[] = {R_XMM(0), R_XMM(1), R_XMM(2), R_XMM(3),
				  R_XMM(4), R_XMM(5), R_XMM(6), R_XMM(7)};
static const uint8_t gp_rets[] = {X64_RAX, X64_RDX};
static const uint8_t fp_rets[] = {R_XMM(0), R_XMM(1)};

/* The wasm calling convention: see docs/compiler.md "Calling convention". */
const struct gate__abi_regs gate__x64_abi = {6, 8, 2, 2, gp_args, fp_args, gp_rets, fp_rets};

#define BIT(r) (1u << (r))

int gen_fail(struct gen *g, int status, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gate__body_fail(g->b, status, "%s", msg);
}

bool gen_grow(void **p, uint32_t *cap, uint32_t need, size_t sz, bool *oom)
{
	uint32_t c;
	void *q;

	if (need <= *cap)
		return true;
	c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	q = realloc(*p, (size_t)c * sz);
	if (q == NULL) {
		*oom = true;
		return false;
	}
	*p = q;
	*cap = c;
	return true;
}

/* ---- moves between locations ---- */

static void store_const(struct gen *g, struct x64_mem m, uint8_t type, uint64_t k)
{
	if (type == GATE__I32 || type == GATE__F32) {
		gate__x64_store_imm(&g->a, X64_S32, m, (int32_t)(uint32_t)k);
	} else if ((int64_t)k == (int32_t)k) {
		gate__x64_store_imm(&g->a, X64_S64, m, (int32_t)k);
	} else {
		gate__x64_mov_ri(&g->a, X64_S64, SCRATCH, (int64_t)k);
		gate__x64_store(&g->a, X64_S64, m, SCRATCH);
	}
}

static void store_reg(struct gen *g, struct x64_mem m, uint8_t type, uint8_t r)
{
	if (IS_XMM(r))
		gate__x64_sse_store(&g->a, type == GATE__F32 ? X64_MOVSS : X64_MOVSD, m, XMM(r));
	else
		gate__x64_store(&g->a, isz(type), m, GP(r));
}

static void setcc(struct gen *g, uint8_t cond, enum x64_reg r)
{
	if (cond == C_FEQ || cond == C_FNE) {
		gate__x64_setcc(&g->a, cond == C_FEQ ? X64_E : X64_NE, r);
		gate__x64_setcc(&g->a, cond == C_FEQ ? X64_NP : X64_P, SCRATCH);
		gate__x64_alu_rr(&g->a, cond == C_FEQ ? X64_AND : X64_OR, X64_S8, r, SCRATCH);
	} else {
		gate__x64_setcc(&g->a, (enum x64_cond)cond, r);
	}
	gate__x64_movzx_rr(&g->a, X64_S32, X64_S8, r, r);
}

/* The register of pinned local x, reloaded from its slot if a call has
 * clobbered it since (registers come back lazily, on first use). */
static uint8_t pin_use(struct gen *g, uint32_t x)
{
	uint32_t i = g->pin[x];
	uint8_t r = g->pin_reg[i];

	if (!(g->pin_valid >> i & 1)) {
		if (IS_XMM(r))
			gate__x64_sse_rm(&g->a, g->pin_type[i] == GATE__F32 ? X64_MOVSS : X64_MOVSD,
					 XMM(r), slot_mem(x));
		else
			gate__x64_load(&g->a, isz(g->pin_type[i]), GP(r), slot_mem(x));
		g->pin_valid |= 1u << i;
	}
	return r;
}

bool gen_mem_operand(struct gen *g, const struct vval *v, uint32_t h, struct x64_mem *m)
{
	if (v->kind == V_SLOT) {
		*m = slot_mem(g->nlocals + h);
		return true;
	}
	if (v->kind == V_LOCAL && g->pin[v->local] == NOPIN) {
		*m = slot_mem(v->local);
		return true;
	}
	return false;
}

/* Emits the move of v (at height h) into register r; flags untouched
 * unless v is V_FLAGS. */
void gen_load(struct gen *g, const struct vval *v, uint32_t h, uint8_t r)
{
	struct x64_mem m;

	switch (v->kind) {
	case V_REG:
		if (v->reg == r)
			return;
		if (IS_XMM(r))
			gate__x64_sse_rr(&g->a, X64_MOVAPS, XMM(r), XMM(v->reg));
		else
			gate__x64_mov_rr(&g->a, X64_S64, GP(r), GP(v->reg));
		return;
	case V_CONST:
		if (!IS_XMM(r)) {
			gate__x64_mov_ri(&g->a, isz(v->type), GP(r),
					 v->type == GATE__I32 ? (int64_t)(uint32_t)v->k
							      : (int64_t)v->k);
		} else if (v->k == 0) {
			gate__x64_sse_rr(&g->a, X64_XORPS, XMM(r), XMM(r));
		} else {
			gate__x64_mov_ri(&g->a, X64_S64, SCRATCH, (int64_t)v->k);
			gate__x64_movd_xr(&g->a, v->type == GATE__F32 ? X64_S32 : X64_S64, XMM(r),
					  SCRATCH);
		}
		return;
	case V_LOCAL:
		if (g->pin[v->local] != NOPIN) {
			struct vval p = {
			    .kind = V_REG, .type = v->type, .reg = pin_use(g, v->local)};

			gen_load(g, &p, h, r);
			return;
		}
		__attribute__((fallthrough));
	case V_SLOT:
		gen_mem_operand(g, v, h, &m);
		if (IS_XMM(r))
			gate__x64_sse_rm(&g->a, v->type == GATE__F32 ? X64_MOVSS : X64_MOVSD,
					 XMM(r), m);
		else
			gate__x64_load(&g->a, isz(v->type), GP(r), m);
		return;
	case V_FLAGS:
		setcc(g, v->cond, GP(r));
		return;
	}
}

/* Moves operand h to its slot. Emits only moves, so flags survive. */
static void spill(struct gen *g, uint32_t h)
{
	struct vval *v = &g->st[h];
	struct x64_mem m = slot_mem(g->nlocals + h);

	switch (v->kind) {
	case V_SLOT:
		return;
	case V_REG:
		store_reg(g, m, v->type, v->reg);
		g->used &= ~BIT(v->reg);
		break;
	case V_CONST:
		store_const(g, m, v->type, v->k);
		break;
	case V_LOCAL:
		if (g->pin[v->local] != NOPIN) {
			store_reg(g, m, v->type, pin_use(g, v->local));
		} else {
			gate__x64_load(&g->a, X64_S64, SCRATCH, slot_mem(v->local));
			gate__x64_store(&g->a, X64_S64, m, SCRATCH);
		}
		g->nlocalrefs--;
		break;
	case V_FLAGS:
		if (v->cond == C_FEQ || v->cond == C_FNE) {
			/* two flags and no free register: branch over stores */
			struct x64_label done = {0};

			gate__x64_store_imm(&g->a, X64_S32, m, v->cond == C_FNE);
			gate__x64_jcc_short(&g->a, X64_P, &done);
			gate__x64_jcc_short(&g->a, X64_NE, &done);
			gate__x64_store_imm(&g->a, X64_S32, m, v->cond == C_FEQ);
			gate__x64_bind(&g->a, &done);
		} else {
			setcc(g, v->cond, SCRATCH);
			gate__x64_store(&g->a, X64_S32, m, SCRATCH);
		}
		break;
	}
	v->kind = V_SLOT;
}

void gen_spill_all(struct gen *g, bool keep_consts)
{
	for (uint32_t h = 0; h < g->sp; h++) {
		if (keep_consts && g->st[h].kind == V_CONST)
			continue;
		spill(g, h);
	}
}

/* ---- registers ---- */

uint8_t gen_alloc_except(struct gen *g, bool fp, uint32_t avoid)
{
	uint32_t mask = (fp ? FP_ALLOC : GP_ALLOC) & ~g->locked & ~avoid & ~g->pin_mask;
	uint32_t free = mask & ~g->used;
	uint8_t r;

	if (free == 0) {
		/* evict the oldest operand in a usable register */
		for (uint32_t h = 0; h < g->sp; h++) {
			struct vval *v = &g->st[h];

			if (v->kind == V_REG && (mask & BIT(v->reg))) {
				free = BIT(v->reg);
				spill(g, h);
				break;
			}
		}
	}
	if (free == 0) {
		/* every usable register is an input of this instruction: cannot
		 * happen with the instruction set's needs, but never guess */
		gen_spill_all(g, true);
		free = mask & ~g->used;
		if (free == 0) {
			g->internal = true;
			free = BIT(X64_RAX);
		}
	}
	r = (uint8_t)__builtin_ctz(free);
	g->locked |= BIT(r);
	return r;
}

uint8_t gen_alloc(struct gen *g, bool fp)
{
	return gen_alloc_except(g, fp, 0);
}

/* Frees register r (spilling the operand in it) and reserves it. */
void gen_claim(struct gen *g, uint8_t r)
{
	if (g->used & BIT(r)) {
		for (uint32_t h = 0; h < g->sp; h++) {
			if (g->st[h].kind == V_REG && g->st[h].reg == r) {
				spill(g, h);
				break;
			}
		}
	}
	g->locked |= BIT(r);
}

/* ---- the operand stack ---- */

static struct vval *push(struct gen *g)
{
	if (!gen_grow((void **)&g->st, &g->st_cap, g->sp + 1, sizeof(*g->st), &g->oom)) {
		static struct vval sink;

		g->sp = 0;
		return &sink;
	}
	if (g->sp + 1 > g->max_sp)
		g->max_sp = g->sp + 1;
	return &g->st[g->sp++];
}

void gen_push_reg(struct gen *g, uint8_t type, uint8_t reg)
{
	struct vval *v = push(g);

	*v = (struct vval){.kind = V_REG, .type = type, .reg = reg};
	g->used |= BIT(reg);
}

void gen_push_const(struct gen *g, uint8_t type, uint64_t k)
{
	struct vval *v = push(g);

	if (type == GATE__I32 || type == GATE__F32)
		k = (uint32_t)k;
	*v = (struct vval){.kind = V_CONST, .type = type, .k = k};
}

void gen_push_flags(struct gen *g, uint8_t cond)
{
	struct vval *v = push(g);

	*v = (struct vval){.kind = V_FLAGS, .type = GATE__I32, .cond = cond};
}

static void push_slot(struct gen *g, uint8_t type)
{
	struct vval *v = push(g);

	*v = (struct vval){.kind = V_SLOT, .type = type};
}

/* Pops the top operand; a register it was in stays reserved for this
 * instruction (locked) but counts as free for its result. */
struct vval gen_pop(struct gen *g)
{
	struct vval v = g->st[--g->sp];

	if (v.kind == V_REG) {
		g->used &= ~BIT(v.reg);
		g->locked |= BIT(v.reg);
	} else if (v.kind == V_LOCAL) {
		g->nlocalrefs--;
	}
	return v;
}

uint8_t gen_pop_reg(struct gen *g)
{
	struct vval v = gen_pop(g);
	uint8_t r;

	if (v.kind == V_REG)
		return v.reg;
	r = gen_alloc(g, gate__is_float(v.type));
	gen_load(g, &v, g->sp, r);
	return r;
}

/* Pops the top operand into a register that the caller only reads: a local
 * kept in a register is used where it is, without a copy. */
uint8_t gen_pop_src(struct gen *g)
{
	struct vval *v = &g->st[g->sp - 1];

	if (v->kind == V_LOCAL && g->pin[v->local] != NOPIN) {
		uint32_t x = v->local;

		gen_pop(g);
		return pin_use(g, x);
	}
	return gen_pop_reg(g);
}

void gen_pop_to(struct gen *g, uint8_t r)
{
	struct vval v = gen_pop(g);

	if (v.kind == V_REG && v.reg == r)
		return;
	gen_claim(g, r);
	gen_load(g, &v, g->sp, r);
}

static void materialize_top(struct gen *g)
{
	struct vval *v = &g->st[g->sp - 1];
	uint8_t r = gen_alloc(g, false);

	setcc(g, v->cond, GP(r));
	v->kind = V_REG;
	v->reg = r;
	g->used |= BIT(r);
}

/* Before local x changes, operands that still defer a read of it read it. */
static void settle_local(struct gen *g, uint32_t x)
{
	if (g->nlocalrefs == 0)
		return;
	for (uint32_t h = 0; h < g->sp; h++) {
		struct vval *v = &g->st[h];

		if (v->kind == V_LOCAL && v->local == x) {
			uint8_t r = gen_alloc(g, gate__is_float(v->type));

			gen_load(g, v, h, r);
			v->kind = V_REG;
			v->reg = r;
			g->used |= BIT(r);
			g->nlocalrefs--;
		}
	}
}

/* ---- branches and traps ---- */

uint8_t gen_negate(uint8_t cond)
{
	if (cond == C_FEQ)
		return C_FNE;
	if (cond == C_FNE)
		return C_FEQ;
	return (uint8_t)x64_cond_negate((enum x64_cond)cond);
}

void gen_jcc(struct gen *g, uint8_t cond, struct x64_label *l)
{
	if (cond == C_FEQ) {
		struct x64_label skip = {0};

		gate__x64_jcc_short(&g->a, X64_P, &skip);
		gate__x64_jcc(&g->a, X64_E, l);
		gate__x64_bind(&g->a, &skip);
	} else if (cond == C_FNE) {
		gate__x64_jcc(&g->a, X64_P, l);
		gate__x64_jcc(&g->a, X64_NE, l);
	} else {
		gate__x64_jcc(&g->a, (enum x64_cond)cond, l);
	}
}

static struct ool *add_ool(struct gen *g, uint8_t what)
{
	static struct ool sink;
	struct ool *o;

	if (!gen_grow((void **)&g->ool, &g->ool_cap, g->nool + 1, sizeof(*g->ool), &g->oom)) {
		memset(&sink, 0, sizeof(sink));
		return &sink;
	}
	o = &g->ool[g->nool++];
	memset(o, 0, sizeof(*o));
	o->what = what;
	o->offset = g->offset;
	return o;
}

/* Jumps to an out-of-line trap of this kind when cond holds (0xff: always). */
void gen_trap_if(struct gen *g, uint8_t cond, uint8_t kind)
{
	struct ool *o = add_ool(g, OOL_TRAP);

	o->trap = kind;
	if (cond == 0xff)
		gate__x64_jmp(&g->a, &o->label);
	else
		gen_jcc(g, cond, &o->label);
}

void gen_memsite(struct gen *g)
{
	gate__sites_mem(g->sites, (uint32_t)gate__x64_offset(&g->a), g->func, g->offset);
}

void gen_or_suspend(struct gen *g, enum x64_reg r)
{
	gate__x64_load(&g->a, X64_S64, r, x64_mem(X64_R14, GATE__VM_SUSPEND));
	gate__x64_movzx_rm(&g->a, X64_S32, X64_S8, r, x64_mem(r, 0));
	gate__x64_shift_ri(&g->a, X64_SHL, X64_S64, r, 63);
	gate__x64_alu_rr(&g->a, X64_OR, X64_S64, X64_R13, r);
}

/* The stack map of operands [0, n): constants with their values. */
static uint32_t stack_map(struct gen *g, uint32_t n)
{
	uint32_t map = gate__map_begin(g->sites, n);

	for (uint32_t h = 0; h < n; h++)
		gate__map_value(g->sites, g->st[h].type, g->st[h].kind == V_CONST, g->st[h].k);
	return map;
}

/* Records the call site whose return address is here. */
static void site(struct gen *g, uint8_t kind, uint32_t offset, uint32_t map, uint32_t a,
		 uint32_t b, uint8_t helper)
{
	struct gate__callsite c = {.ret = (uint32_t)gate__x64_offset(&g->a),
				   .func = g->func,
				   .offset = offset,
				   .map = map,
				   .kind = kind,
				   .helper = helper,
				   .a = a,
				   .b = b};

	gate__sites_call(g->sites, &c);
}

/* ---- parallel moves (calls, returns, helper calls) ---- */

static void move_to_mem(struct gen *g, const struct move *mv)
{
	struct x64_mem m = x64_mem((enum x64_reg)mv->base, mv->disp);
	const struct vval *v = &mv->src;

	switch (v->kind) {
	case V_REG:
		if (IS_XMM(v->reg))
			store_reg(g, m, v->type, v->reg);
		else
			gate__x64_store(&g->a, X64_S64, m, GP(v->reg));
		return;
	case V_CONST:
		store_const(
		    g, m, v->type == GATE__F32 || v->type == GATE__I32 ? GATE__I64 : v->type, v->k);
		return;
	default:
		if (v->kind == V_LOCAL && g->pin[v->local] != NOPIN) {
			uint8_t r = pin_use(g, v->local);

			if (IS_XMM(r))
				store_reg(g, m, v->type, r);
			else
				gate__x64_store(&g->a, X64_S64, m, GP(r));
			return;
		}
		gen_load(g, v, mv->h, SCRATCH);
		if (v->kind == V_SLOT || v->kind == V_LOCAL) {
			struct x64_mem src;

			/* copy all 8 bytes whatever the type */
			gen_mem_operand(g, v, mv->h, &src);
			gate__x64_load(&g->a, X64_S64, SCRATCH, src);
		}
		gate__x64_store(&g->a, X64_S64, m, SCRATCH);
		return;
	}
}

/* Resolves moves mv[0..n): memory destinations first, then register to
 * register moves in an order that never overwrites a pending source (a
 * cycle goes through a scratch register), then loads of other values. */
static void resolve(struct gen *g, struct move *mv, uint32_t n)
{
	uint32_t pending = 0;
	bool progress;

	/* a local kept in a register is a register source for the ordering */
	for (uint32_t i = 0; i < n; i++) {
		if (mv[i].src.kind == V_LOCAL && g->pin[mv[i].src.local] != NOPIN) {
			mv[i].src.kind = V_REG;
			mv[i].src.reg = pin_use(g, mv[i].src.local);
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (mv[i].dst == GATE__ABI_STACK)
			move_to_mem(g, &mv[i]);
		else if (mv[i].src.kind == V_REG && mv[i].src.reg != mv[i].dst)
			pending++;
	}
	while (pending) {
		progress = false;
		for (uint32_t i = 0; i < n; i++) {
			struct move *p = &mv[i];
			bool blocked = false;

			if (p->dst == GATE__ABI_STACK || p->src.kind != V_REG ||
			    p->src.reg == p->dst)
				continue;
			for (uint32_t j = 0; j < n && !blocked; j++)
				blocked = j != i && mv[j].dst != GATE__ABI_STACK &&
					  mv[j].src.kind == V_REG && mv[j].src.reg != mv[j].dst &&
					  mv[j].src.reg == p->dst;
			if (blocked)
				continue;
			gen_load(g, &p->src, p->h, p->dst);
			p->src.reg = p->dst;
			pending--;
			progress = true;
		}
		if (!progress) {
			/* a cycle: park one source in the scratch register */
			for (uint32_t i = 0; i < n; i++) {
				struct move *p = &mv[i];
				uint8_t s;

				if (p->dst == GATE__ABI_STACK || p->src.kind != V_REG ||
				    p->src.reg == p->dst)
					continue;
				s = IS_XMM(p->src.reg) ? R_XMM(FSCRATCH) : SCRATCH;
				gen_load(g, &p->src, p->h, s);
				p->src.reg = s;
				break;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (mv[i].dst != GATE__ABI_STACK && mv[i].src.kind != V_REG)
			gen_load(g, &mv[i].src, mv[i].h, mv[i].dst);
	}
}

static struct move *moves(struct gen *g, uint32_t n)
{
	static struct move sink[8];

	if (!gen_grow((void **)&g->mv, &g->mv_cap, n, sizeof(*g->mv), &g->oom))
		return sink;
	return g->mv;
}

static struct gate__abi_loc *locs(struct gen *g, uint32_t n)
{
	static struct gate__abi_loc sink[1024];

	if (!gen_grow((void **)&g->locs, &g->locs_cap, n ? n : 1, sizeof(*g->locs), &g->oom))
		return sink;
	return g->locs;
}

/* Moves the top n operands (types t) to the ABI locations given by regs,
 * stack ones at [base + disp0 + 8 * slot]; extra moves may be appended by
 * the caller through *extra. Does not pop. Returns the stack slot count. */
static uint32_t place(struct gen *g, const uint8_t *t, uint32_t n, const uint8_t *gp, uint32_t ngp,
		      const uint8_t *fp, uint32_t nfp, uint8_t base, int32_t disp0,
		      const struct move *extra, uint32_t nextra)
{
	struct gate__abi_loc *l = locs(g, n);
	struct move *mv;
	uint32_t nstack = gate__abi_assign(t, n, gp, ngp, fp, nfp, l);

	mv = moves(g, n + nextra);
	if (g->oom)
		return nstack;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h = g->sp - n + i;

		mv[i] = (struct move){.dst = l[i].reg,
				      .base = base,
				      .disp = disp0 + 8 * (int32_t)l[i].slot,
				      .src = g->st[h],
				      .h = h};
		/* i32 in registers is zero-extended: stack copies may move 8 bytes */
	}
	for (uint32_t i = 0; i < nextra; i++)
		mv[n + i] = extra[i];
	resolve(g, mv, n + nextra);
	return nstack;
}

/* Locals kept in registers go to their slots before a safepoint (the
 * stack map says slots) and come back after it (calls clobber them). */
static void pin_store(struct gen *g, bool all)
{
	for (uint32_t i = 0; i < g->npin; i++) {
		/* a register not reloaded since a call: the slot is the value */
		if ((g->pin_valid >> i & 1) && (all || (g->pin_dirty >> i & 1)))
			store_reg(g, slot_mem(g->pin_local[i]), g->pin_type[i], g->pin_reg[i]);
	}
	g->pin_dirty = 0;
}

static void pin_load(struct gen *g)
{
	g->pin_valid = 0;
	for (uint32_t i = 0; i < g->npin; i++)
		pin_use(g, g->pin_local[i]);
}

/* Before a merge point every pinned local is in its register. */
static void pin_validate(struct gen *g)
{
	uint32_t all = (1u << g->npin) - 1;

	for (uint32_t m = ~g->pin_valid & all; m; m &= m - 1)
		pin_use(g, g->pin_local[__builtin_ctz(m)]);
}

static void drop_n(struct gen *g, uint32_t n)
{
	while (n--)
		gen_pop(g);
}

static void emit_return(struct gen *g)
{
	const struct gate__functype *t = g->type;
	uint32_t n = t->nresults;

	place(g, gate__results(t), n, gp_rets, 2, fp_rets, 2, X64_RBP, 16, NULL, 0);
	gate__x64_mov_rr(&g->a, X64_S64, X64_RSP, X64_RBP);
	gate__x64_pop(&g->a, X64_RBP);
	gate__x64_ret(&g->a);
}

enum call_kind { CALL_DIRECT, CALL_IMPORT, CALL_INDIRECT };

/* Switches to the callee's instance (funcref in r10) and calls it. */
static void call_funcref(struct gen *g)
{
	gate__x64_store(&g->a, X64_S64, x64_mem(X64_RBP, GATE__VMCTX_SAVE_DISP), X64_R14);
	gate__x64_load(&g->a, X64_S64, X64_R14, x64_mem(X64_R10, GATE__FUNCREF_VMCTX));
	gate__x64_load(&g->a, X64_S64, X64_R15, x64_mem(X64_R14, GATE__VM_MEMBASE));
	gate__x64_call_m(&g->a, x64_mem(X64_R10, GATE__FUNCREF_CODE));
}

static void gen_call(struct gen *g, const struct gate__functype *ft, enum call_kind kind,
		     uint32_t index, uint32_t table, uint32_t type)
{
	struct vval idx = {0};
	struct move extra;
	uint32_t nextra = 0, nstack, n = ft->nparams, nr = ft->nresults, below;
	uint32_t idx_h = 0;

	if (kind == CALL_INDIRECT) {
		idx_h = g->sp - 1;
		idx = gen_pop(g);
		extra = (struct move){.dst = X64_RAX, .src = idx, .h = idx_h};
		nextra = 1;
	}
	below = g->sp - n;
	/* everything but the arguments goes to its slot: the call clobbers
	 * every allocatable register */
	for (uint32_t h = 0; h < below; h++) {
		if (g->st[h].kind != V_CONST)
			spill(g, h);
	}
	pin_store(g, false);
	nstack = place(g, ft->types, n, gp_args, 6, fp_args, 8, X64_RSP, 0, &extra, nextra);
	drop_n(g, n);
	{
		struct gate__abi_loc *l = locs(g, nr);
		uint32_t rs = gate__abi_assign(gate__results(ft), nr, gp_rets, 2, fp_rets, 2, l);

		if (rs > nstack)
			nstack = rs;
	}
	if (nstack > g->max_out)
		g->max_out = nstack;

	switch (kind) {
	case CALL_DIRECT:
		gate__x64_call(&g->a, &g->funcs[index]);
		site(g, GATE__SITE_CALL, g->offset, stack_map(g, g->sp), index, 0, 0);
		break;
	case CALL_IMPORT:
		gate__x64_load(&g->a, X64_S64, X64_R10,
			       x64_mem(X64_R14, (int32_t)(g->vm.funcs + 8 * index)));
		call_funcref(g);
		site(g, GATE__SITE_CALL, g->offset, stack_map(g, g->sp), index, 0, 0);
		break;
	case CALL_INDIRECT:
		/* bounds check with the index clamped for speculation (Spectre v1) */
		gate__x64_load(&g->a, X64_S64, X64_R10,
			       x64_mem(X64_R14, (int32_t)(g->vm.tables + 8 * table)));
		gate__x64_zero(&g->a, SCRATCH);
		gate__x64_alu_rm(&g->a, X64_CMP, X64_S32, X64_RAX,
				 x64_mem(X64_R10, GATE__TABLE_SIZE));
		gate__x64_cmov_rr(&g->a, X64_AE, X64_S32, X64_RAX, SCRATCH);
		gen_trap_if(g, X64_AE, GATE_TRAP_UNDEFINED_ELEMENT);
		gate__x64_load(&g->a, X64_S64, X64_R10, x64_mem(X64_R10, GATE__TABLE_ELEMS));
		gate__x64_load(&g->a, X64_S64, X64_R10, x64_mem_index(X64_R10, X64_RAX, 8, 0));
		gate__x64_test_rr(&g->a, X64_S64, X64_R10, X64_R10);
		gen_trap_if(g, X64_E, GATE_TRAP_UNINITIALIZED_ELEMENT);
		gate__x64_load(&g->a, X64_S32, SCRATCH,
			       x64_mem(X64_R14, (int32_t)(g->vm.sigids + 4 * type)));
		gate__x64_alu_rm(&g->a, X64_CMP, X64_S32, SCRATCH,
				 x64_mem(X64_R10, GATE__FUNCREF_SIG));
		gen_trap_if(g, X64_NE, GATE_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
		{
			/* a callee of this instance needs no switch of r14 and r15 */
			struct x64_label cross = {0}, done = {0};

			gate__x64_alu_rm(&g->a, X64_CMP, X64_S64, X64_R14,
					 x64_mem(X64_R10, GATE__FUNCREF_VMCTX));
			gate__x64_jcc_short(&g->a, X64_NE, &cross);
			gate__x64_call_m(&g->a, x64_mem(X64_R10, GATE__FUNCREF_CODE));
			site(g, GATE__SITE_CALL_INDIRECT, g->offset, stack_map(g, g->sp), type,
			     table, 0);
			gate__x64_jmp(&g->a, &done);
			gate__x64_bind(&g->a, &cross);
			call_funcref(g);
			site(g, GATE__SITE_CALL_INDIRECT_X, g->offset, stack_map(g, g->sp), type,
			     table, 0);
			gate__x64_load(&g->a, X64_S64, X64_R14,
				       x64_mem(X64_RBP, GATE__VMCTX_SAVE_DISP));
			gate__x64_load(&g->a, X64_S64, X64_R15, x64_mem(X64_R14, GATE__VM_MEMBASE));
			/* the callee may have been the host */
			gen_or_suspend(g, SCRATCH);
			gate__x64_bind(&g->a, &done);
		}
		break;
	}
	if (kind == CALL_IMPORT) {
		gate__x64_load(&g->a, X64_S64, X64_R14, x64_mem(X64_RBP, GATE__VMCTX_SAVE_DISP));
		gate__x64_load(&g->a, X64_S64, X64_R15, x64_mem(X64_R14, GATE__VM_MEMBASE));
		gen_or_suspend(g, SCRATCH);
	}
	/* results: registers as returned, stack ones copied to their slots */
	{
		struct gate__abi_loc *l = locs(g, nr);
		const uint8_t *rt = gate__results(ft);

		gate__abi_assign(rt, nr, gp_rets, 2, fp_rets, 2, l);
		g->used = 0;
		for (uint32_t i = 0; i < nr && !g->oom; i++) {
			if (l[i].reg != GATE__ABI_STACK) {
				gen_push_reg(g, rt[i], l[i].reg);
			} else {
				push_slot(g, rt[i]);
				gate__x64_load(&g->a, X64_S64, SCRATCH,
					       x64_mem(X64_RSP, 8 * (int32_t)l[i].slot));
				gate__x64_store(&g->a, X64_S64, slot_mem(g->nlocals + g->sp - 1),
						SCRATCH);
			}
		}
	}
	g->pin_valid = 0;
}

/* Calls runtime helper h with (vmctx, imm..., the top nargs operands). */
static void helper_call(struct gen *g, enum gate__helper h, const uint64_t *imm, uint32_t nimm,
			uint32_t nargs, bool traps, uint8_t result)
{
	struct move pre[3];
	uint8_t t[8];
	uint32_t below = g->sp - nargs, map;

	for (uint32_t i = 0; i < below; i++) {
		if (g->st[i].kind != V_CONST)
			spill(g, i);
	}
	pre[0] = (struct move){.dst = X64_RDI,
			       .src = {.kind = V_REG, .type = GATE__I64, .reg = X64_R14}};
	for (uint32_t i = 0; i < nimm; i++)
		pre[1 + i] =
		    (struct move){.dst = gp_args[1 + i],
				  .src = {.kind = V_CONST, .type = GATE__I64, .k = imm[i]}};
	for (uint32_t i = 0; i < nargs; i++)
		t[i] = g->st[below + i].type == GATE__F64 ? GATE__I64 : g->st[below + i].type;
	pin_store(g, false);
	/* the operands go to the argument registers after vmctx and immediates */
	place(g, t, nargs, gp_args + 1 + nimm, 5 - nimm, NULL, 0, X64_RSP, 0, pre, 1 + nimm);
	drop_n(g, nargs);
	gate__x64_call_m(&g->a, x64_mem(X64_R14, GATE__VM_HELPER(h)));
	map = stack_map(g, g->sp);
	site(g, GATE__SITE_HELPER, g->offset, map, nimm > 0 ? (uint32_t)imm[0] : 0,
	     nimm > 1 ? (uint32_t)imm[1] : 0, (uint8_t)h);
	g->used = 0;
	/* a request made while the helper ran reaches the next safepoint */
	gen_or_suspend(g, SCRATCH);
	if (traps) {
		struct ool *o;

		gate__x64_test_rr(&g->a, X64_S32, X64_RAX, X64_RAX);
		o = add_ool(g, OOL_TRAP_EAX);
		o->helper = (uint8_t)h;
		o->map = map;
		gate__x64_jcc(&g->a, X64_NE, &o->label);
	}
	g->pin_valid = 0;
	if (result)
		gen_push_reg(g, result, X64_RAX);
}

void gen_helper_call(struct gen *g, enum gate__helper h, uint32_t nargs, bool traps, uint8_t result)
{
	helper_call(g, h, NULL, 0, nargs, traps, result);
}

int gen_helper_imm(struct gen *g, enum gate__helper h, uint64_t a, uint64_t b, uint32_t nimm,
		   uint32_t nargs, bool traps, uint8_t result)
{
	uint64_t imm[2] = {a, b};

	helper_call(g, h, imm, nimm, nargs, traps, result);
	return 0;
}

/* ---- control flow ---- */

static struct cframe *push_frame(struct gen *g, uint8_t kind, const struct gate__blocktype *bt,
				 bool dead)
{
	static struct cframe sink;
	struct cframe *f;

	if (!gen_grow((void **)&g->cf, &g->cf_cap, g->ncf + 1, sizeof(*g->cf), &g->oom))
		return &sink;
	f = &g->cf[g->ncf++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->dead_entry = dead;
	f->bt = *bt;
	f->height = dead ? 0 : g->sp - bt->nparams;
	return f;
}

static uint32_t arity(const struct cframe *f, const uint8_t **t)
{
	if (f->kind == GATE__FRAME_LOOP) {
		*t = f->bt.params;
		return f->bt.nparams;
	}
	*t = f->bt.results;
	return f->bt.nresults;
}

/* Copies the top n operands (all in slots) to heights [to, to + n). */
static void relocate(struct gen *g, uint32_t n, uint32_t to)
{
	uint32_t from = g->sp - n;

	if (from == to)
		return;
	for (uint32_t i = 0; i < n; i++) {
		gate__x64_load(&g->a, X64_S64, SCRATCH, slot_mem(g->nlocals + from + i));
		gate__x64_store(&g->a, X64_S64, slot_mem(g->nlocals + to + i), SCRATCH);
	}
}

/* Resets the operand stack to the canonical state at a merge point. */
static void reset_stack(struct gen *g, uint32_t height, const uint8_t *t, uint32_t n)
{
	while (g->sp > height)
		gen_pop(g);
	g->sp = height;
	g->used = 0;
	for (uint32_t i = 0; i < n; i++)
		push_slot(g, t[i]);
}

static void branch_to(struct gen *g, uint32_t depth)
{
	struct cframe *f = &g->cf[g->ncf - 1 - depth];
	const uint8_t *t;
	uint32_t n = arity(f, &t);

	if (f->kind == GATE__FRAME_FUNCTION) {
		emit_return(g);
		return;
	}
	gen_spill_all(g, false);
	pin_validate(g);
	relocate(g, n, f->height);
	gate__x64_jmp(&g->a, &f->label);
	f->used = true;
}

/* The condition that is true when the top operand (an i32) is nonzero. */
static uint8_t pop_cond(struct gen *g)
{
	uint8_t r;

	if (g->st[g->sp - 1].kind == V_FLAGS)
		return gen_pop(g).cond;
	r = gen_pop_src(g);
	gate__x64_test_rr(&g->a, X64_S32, GP(r), GP(r));
	return X64_NE;
}

static void br_if(struct gen *g, uint32_t depth)
{
	struct cframe *f = &g->cf[g->ncf - 1 - depth];
	const uint8_t *t;
	uint32_t n = arity(f, &t);
	uint8_t c = pop_cond(g);

	gen_spill_all(g, false);
	pin_validate(g);
	if (f->kind == GATE__FRAME_FUNCTION || g->sp - n != f->height) {
		struct x64_label skip = {0};

		gen_jcc(g, gen_negate(c), &skip);
		if (f->kind == GATE__FRAME_FUNCTION) {
			emit_return(g);
		} else {
			relocate(g, n, f->height);
			gate__x64_jmp(&g->a, &f->label);
		}
		gate__x64_bind(&g->a, &skip);
	} else {
		gen_jcc(g, c, &f->label);
	}
	f->used = true;
}

static void br_table(struct gen *g, const struct gate__br_table *bt)
{
	uint32_t count = bt->count, *tramp = NULL;
	struct x64_label *tl = NULL, table = {0};
	const uint8_t *it = bt->targets, *t;
	uint8_t r = gen_pop_reg(g);
	uint32_t n = arity(&g->cf[g->ncf - 1 - bt->default_depth], &t), ntramp = 0;
	size_t base;

	gen_spill_all(g, false);
	pin_validate(g);
	/* index = min(index, count): out of range takes the default (Spectre v1) */
	gate__x64_mov_ri(&g->a, X64_S32, SCRATCH, count);
	gate__x64_alu_rr(&g->a, X64_CMP, X64_S32, GP(r), SCRATCH);
	gate__x64_cmov_rr(&g->a, X64_AE, X64_S32, GP(r), SCRATCH);
	gate__x64_lea(&g->a, X64_S64, SCRATCH, x64_mem_label(&table, 0));
	gate__x64_movsx_rm(&g->a, X64_S64, X64_S32, GP(r), x64_mem_index(SCRATCH, GP(r), 4, 0));
	gate__x64_alu_rr(&g->a, X64_ADD, X64_S64, SCRATCH, GP(r));
	gate__x64_jmp_r(&g->a, SCRATCH);
	gate__x64_align(&g->a, 4);
	gate__x64_bind(&g->a, &table);
	base = gate__x64_offset(&g->a);
	tramp = calloc(g->ncf, sizeof(*tramp));
	tl = calloc(g->ncf, sizeof(*tl));
	if (tramp == NULL || tl == NULL) {
		g->oom = true;
		goto out;
	}
	for (uint32_t i = 0; i <= count; i++) {
		uint32_t d = i < count ? gate__br_table_next(&it) : bt->default_depth;
		struct cframe *f = &g->cf[g->ncf - 1 - d];

		f->used = true;
		if (f->kind != GATE__FRAME_FUNCTION && g->sp - n == f->height) {
			gate__x64_emit_label_delta(&g->a, &f->label, base);
			continue;
		}
		if (!tramp[d]) {
			tramp[d] = 1;
			ntramp++;
		}
		gate__x64_emit_label_delta(&g->a, &tl[d], base);
	}
	for (uint32_t d = 0; d < g->ncf && ntramp; d++) {
		struct cframe *f = &g->cf[g->ncf - 1 - d];

		if (!tramp[d])
			continue;
		gate__x64_bind(&g->a, &tl[d]);
		if (f->kind == GATE__FRAME_FUNCTION) {
			emit_return(g);
		} else {
			relocate(g, n, f->height);
			gate__x64_jmp(&g->a, &f->label);
		}
	}
out:
	free(tramp);
	free(tl);
}

static void loop_head(struct gen *g, const struct gate__blocktype *bt)
{
	struct cframe *f;
	struct ool *o;

	gen_spill_all(g, false);
	pin_validate(g);
	f = push_frame(g, GATE__FRAME_LOOP, bt, false);
	/* a loop head on a 32-byte boundary keeps the suspend check's branch
	 * and the body in few fetch blocks: the vm kernel runs 1.7x faster */
	gate__x64_align(&g->a, 32);
	gate__x64_bind(&g->a, &f->label);
	g->pin_dirty = ~0u;
	if (g->opts.no_loop_checks)
		return;
	/* safepoint: the suspend request is bit 63 of r13 */
	gate__x64_test_rr(&g->a, X64_S64, X64_R13, X64_R13);
	o = add_ool(g, OOL_LOOP);
	gate__x64_jcc(&g->a, X64_S, &o->label);
	gate__x64_bind(&g->a, &o->back);
	o->map = gate__map_begin(g->sites, g->sp);
	for (uint32_t h = 0; h < g->sp; h++)
		gate__map_value(g->sites, g->st[h].type, false, 0);
}

static void if_head(struct gen *g, const struct gate__blocktype *bt)
{
	uint8_t c = pop_cond(g);
	struct cframe *f;

	gen_spill_all(g, false);
	pin_validate(g);
	f = push_frame(g, GATE__FRAME_IF, bt, false);
	gen_jcc(g, gen_negate(c), &f->else_l);
}

static void else_head(struct gen *g)
{
	struct cframe *f = &g->cf[g->ncf - 1];

	if (f->dead_entry)
		return;
	if (!g->dead) {
		gen_spill_all(g, false);
		pin_validate(g);
		gate__x64_jmp(&g->a, &f->label);
		f->used = true;
	}
	gate__x64_bind(&g->a, &f->else_l);
	g->pin_dirty = ~0u;
	g->pin_valid = ~0u;
	f->kind = GATE__FRAME_ELSE;
	g->dead = false;
	reset_stack(g, f->height, f->bt.params, f->bt.nparams);
}

static void end_frame(struct gen *g)
{
	struct cframe *f = &g->cf[g->ncf - 1];
	bool reach;

	if (f->dead_entry) {
		g->ncf--;
		return;
	}
	if (f->kind == GATE__FRAME_LOOP || (f->kind == GATE__FRAME_BLOCK && !f->used)) {
		/* reached by falling through only: no merge */
		g->ncf--;
		if (g->dead)
			reset_stack(g, f->height, f->bt.results, f->bt.nresults);
		return;
	}
	if (!g->dead) {
		gen_spill_all(g, false);
		pin_validate(g);
	}
	reach = !g->dead || f->used;
	if (f->kind == GATE__FRAME_IF) {
		gate__x64_bind(&g->a, &f->else_l);
		reach = true;
	}
	gate__x64_bind(&g->a, &f->label);
	g->pin_dirty = ~0u;
	g->pin_valid = ~0u;
	g->dead = !reach;
	reset_stack(g, f->height, f->bt.results, f->bt.nresults);
	g->ncf--;
}

/* ---- locals and globals ---- */

static void local_set(struct gen *g, uint32_t x, bool tee)
{
	struct vval *v = &g->st[g->sp - 1];
	struct x64_mem m = slot_mem(x);

	if (v->kind == V_LOCAL && v->local == x) {
		if (!tee)
			gen_pop(g);
		return;
	}
	settle_local(g, x);
	v = &g->st[g->sp - 1];
	if (g->pin[x] != NOPIN) {
		uint8_t r = g->pin_reg[g->pin[x]];

		if (v->kind == V_FLAGS)
			materialize_top(g);
		gen_load(g, &g->st[g->sp - 1], g->sp - 1, r);
		for (uint32_t i = 0; i < g->npin; i++) {
			if (g->pin_local[i] == x) {
				g->pin_dirty |= 1u << i;
				g->pin_valid |= 1u << i;
			}
		}
		if (!tee)
			gen_pop(g);
		return;
	}
	switch (v->kind) {
	case V_REG:
		store_reg(g, m, v->type, v->reg);
		break;
	case V_CONST:
		store_const(g, m, v->type, v->k);
		break;
	case V_LOCAL:
		if (g->pin[v->local] != NOPIN) {
			store_reg(g, m, v->type, pin_use(g, v->local));
			break;
		}
		__attribute__((fallthrough));
	case V_SLOT: {
		struct x64_mem src;

		gen_mem_operand(g, v, g->sp - 1, &src);
		gate__x64_load(&g->a, X64_S64, SCRATCH, src);
		gate__x64_store(&g->a, X64_S64, m, SCRATCH);
		break;
	}
	case V_FLAGS:
		materialize_top(g);
		store_reg(g, m, GATE__I32, g->st[g->sp - 1].reg);
		break;
	}
	if (!tee)
		gen_pop(g);
}

static struct x64_mem global_mem(struct gen *g, uint32_t x)
{
	int32_t off = (int32_t)(g->vm.globals + 8 * x);

	if (g->m->globals[x].imported) {
		gate__x64_load(&g->a, X64_S64, SCRATCH, x64_mem(X64_R14, off));
		return x64_mem(SCRATCH, 0);
	}
	return x64_mem(X64_R14, off);
}

static void global_get(struct gen *g, uint32_t x)
{
	uint8_t t = g->m->globals[x].type;
	uint8_t r = gen_alloc(g, gate__is_float(t));
	struct x64_mem m = global_mem(g, x);

	if (IS_XMM(r))
		gate__x64_sse_rm(&g->a, t == GATE__F32 ? X64_MOVSS : X64_MOVSD, XMM(r), m);
	else
		gate__x64_load(&g->a, isz(t), GP(r), m);
	gen_push_reg(g, t, r);
}

static void global_set(struct gen *g, uint32_t x)
{
	struct vval *v = &g->st[g->sp - 1];
	uint8_t t = g->m->globals[x].type, r;
	struct x64_mem m;

	if (v->kind == V_CONST) {
		struct vval c = gen_pop(g);

		m = global_mem(g, x);
		if (t == GATE__I32 || t == GATE__F32 || (int64_t)c.k == (int32_t)c.k) {
			gate__x64_store_imm(&g->a,
					    t == GATE__I32 || t == GATE__F32 ? X64_S32 : X64_S64, m,
					    (int32_t)c.k);
			return;
		}
		gen_push_const(g, t, c.k);
	}
	r = gen_pop_reg(g);
	m = global_mem(g, x);
	store_reg(g, m, t, r);
}

/* ---- select ---- */

static void select_op(struct gen *g, uint8_t type)
{
	uint8_t c = pop_cond(g), dst, r2;
	struct vval v2;
	uint32_t h2;

	if (gate__is_float(type)) {
		struct x64_label skip = {0};

		r2 = gen_pop_src(g);
		dst = gen_pop_reg(g);
		gen_jcc(g, c, &skip);
		gate__x64_sse_rr(&g->a, X64_MOVAPS, XMM(dst), XMM(r2));
		gate__x64_bind(&g->a, &skip);
		gen_push_reg(g, type, dst);
		return;
	}
	h2 = g->sp - 1;
	v2 = gen_pop(g);
	if (v2.kind == V_LOCAL && g->pin[v2.local] != NOPIN) {
		v2.kind = V_REG;
		v2.reg = pin_use(g, v2.local);
	}
	if (c == C_FNE) {
		/* dst = v2; take v1 if unequal or unordered */
		uint8_t r1 = gen_pop_reg(g);

		dst = gen_alloc(g, false);
		gen_load(g, &v2, h2, dst);
		gate__x64_cmov_rr(&g->a, X64_NE, isz(type), GP(dst), GP(r1));
		gate__x64_cmov_rr(&g->a, X64_P, isz(type), GP(dst), GP(r1));
		gen_push_reg(g, type, dst);
		return;
	}
	dst = gen_pop_reg(g);
	if (v2.kind == V_CONST || v2.kind == V_FLAGS) {
		r2 = gen_alloc(g, false);
		gen_load(g, &v2, h2, r2);
		v2.kind = V_REG;
		v2.reg = r2;
	}
	if (c == C_FEQ) {
		if (v2.kind == V_REG) {
			gate__x64_cmov_rr(&g->a, X64_NE, isz(type), GP(dst), GP(v2.reg));
			gate__x64_cmov_rr(&g->a, X64_P, isz(type), GP(dst), GP(v2.reg));
		} else {
			struct x64_mem m;

			gen_mem_operand(g, &v2, h2, &m);
			gate__x64_cmov_rm(&g->a, X64_NE, isz(type), GP(dst), m);
			gate__x64_cmov_rm(&g->a, X64_P, isz(type), GP(dst), m);
		}
	} else if (v2.kind == V_REG) {
		gate__x64_cmov_rr(&g->a, gen_negate(c), isz(type), GP(dst), GP(v2.reg));
	} else {
		struct x64_mem m;

		gen_mem_operand(g, &v2, h2, &m);
		gate__x64_cmov_rm(&g->a, gen_negate(c), isz(type), GP(dst), m);
	}
	gen_push_reg(g, type, dst);
}

/* ---- the visitor ---- */

/* Stores the parameters to their slots and zeroes the other locals. */
static void entry_init(struct gen *g)
{
	const struct gate__functype *t = g->type;
	struct gate__abi_loc *l = locs(g, t->nparams);
	uint32_t nzero = g->nlocals - t->nparams;

	if (g->oom)
		return;
	gate__abi_assign(t->types, t->nparams, gp_args, 6, fp_args, 8, l);
	for (uint32_t i = 0; i < t->nparams; i++) {
		if (l[i].reg != GATE__ABI_STACK) {
			store_reg(g, slot_mem(i), t->types[i], l[i].reg);
		} else {
			gate__x64_load(&g->a, X64_S64, SCRATCH,
				       x64_mem(X64_RBP, 16 + 8 * (int32_t)l[i].slot));
			gate__x64_store(&g->a, X64_S64, slot_mem(i), SCRATCH);
		}
	}
	if (nzero == 0)
		return;
	gate__x64_zero(&g->a, X64_RAX);
	if (nzero <= 16) {
		for (uint32_t i = t->nparams; i < g->nlocals; i++)
			gate__x64_store(&g->a, X64_S64, slot_mem(i), X64_RAX);
		return;
	}
	/* rep stosq from the lowest slot up */
	gate__x64_lea(&g->a, X64_S64, X64_RDI, slot_mem(g->nlocals - 1));
	gate__x64_mov_ri(&g->a, X64_S32, X64_RCX, nzero);
	gate__x64_emit8(&g->a, 0xf3);
	gate__x64_emit8(&g->a, 0x48);
	gate__x64_emit8(&g->a, 0xab);
}

/* The usual entry: parameters that live in registers move there from the
 * argument registers (their slots are written at the next safepoint), the
 * others go to their slots; the other locals are zero. */
static void entry_fast(struct gen *g)
{
	const struct gate__functype *t = g->type;
	struct gate__abi_loc *l = locs(g, t->nparams);
	struct move *mv;
	uint32_t nzero = g->nlocals - t->nparams, nmv = 0;

	if (g->npin == 0) {
		entry_init(g);
		return;
	}
	mv = moves(g, t->nparams);
	if (g->oom)
		return;
	gate__abi_assign(t->types, t->nparams, gp_args, 6, fp_args, 8, l);
	for (uint32_t i = 0; i < t->nparams; i++) {
		if (l[i].reg != GATE__ABI_STACK && g->pin[i] != NOPIN) {
			mv[nmv++] = (struct move){
			    .dst = g->pin_reg[g->pin[i]],
			    .src = {.kind = V_REG, .type = t->types[i], .reg = l[i].reg}};
		} else if (l[i].reg != GATE__ABI_STACK) {
			store_reg(g, slot_mem(i), t->types[i], l[i].reg);
		} else {
			gate__x64_load(&g->a, X64_S64, SCRATCH,
				       x64_mem(X64_RBP, 16 + 8 * (int32_t)l[i].slot));
			gate__x64_store(&g->a, X64_S64, slot_mem(i), SCRATCH);
		}
	}
	resolve(g, mv, nmv);
	g->pin_valid = 0;
	g->pin_dirty = 0;
	for (uint32_t i = 0; i < g->npin; i++) {
		uint32_t x = g->pin_local[i];

		if (x < t->nparams && l[x].reg != GATE__ABI_STACK) {
			g->pin_valid |= 1u << i;
			g->pin_dirty |= 1u << i;
		}
	}
	if (nzero) {
		gate__x64_zero(&g->a, X64_RAX);
		if (nzero <= 16) {
			for (uint32_t i = t->nparams; i < g->nlocals; i++)
				gate__x64_store(&g->a, X64_S64, slot_mem(i), X64_RAX);
		} else {
			gate__x64_lea(&g->a, X64_S64, X64_RDI, slot_mem(g->nlocals - 1));
			gate__x64_mov_ri(&g->a, X64_S32, X64_RCX, nzero);
			gate__x64_emit8(&g->a, 0xf3);
			gate__x64_emit8(&g->a, 0x48);
			gate__x64_emit8(&g->a, 0xab);
		}
	}
	/* pinned stack parameters and zeroed locals come from their slots */
	pin_validate(g);
	g->pin_valid = ~0u;
}

/* Picks the locals used most (weighted by loop depth) to live in registers
 * for the whole function: up to 5 integer or reference locals in registers
 * that no instruction needs for itself, and up to 7 float locals. */
static void choose_pins(struct gen *g, const struct gate__body *b)
{
	static const uint8_t gp[5] = {X64_RBX, X64_R12, X64_R10, X64_R9, X64_R8};
	const struct gate__code *c = &g->m->code[g->func - g->m->nfunc_imports];
	const uint8_t *p = g->m->bytes + c->off;
	uint32_t n = g->nlocals, sel[2][7], nsel[2] = {0, 0};

	g->npin = 0;
	g->pin_mask = 0;
	g->pin_dirty = 0;
	if (!gen_grow((void **)&g->pin, &g->pin_cap, n ? n : 1, 1, &g->oom) ||
	    !gen_grow((void **)&g->weights, &g->weights_cap, n ? n : 1, 4, &g->oom)) {
		g->pin_cap = 0;
		return;
	}
	memset(g->pin, NOPIN, n);
	memset(g->weights, 0, 4ull * n);
	if (n == 0 || g->opts.no_pins || !gate__local_weights(p, p + c->size, n, g->weights))
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t w = g->weights[i], k, cap;
		uint8_t t;
		int cls;

		if (w < 2)
			continue;
		t = gate__body_local_type(b, i);
		if (t == GATE__V128 || t == GATE__UNKNOWN)
			continue;
		cls = gate__is_float(t);
		cap = cls ? 7 : 5;
		/* insertion into the top-cap list, heaviest first */
		k = nsel[cls] < cap ? nsel[cls]++ : cap;
		while (k > 0 && g->weights[sel[cls][k - 1]] < w) {
			if (k < cap)
				sel[cls][k] = sel[cls][k - 1];
			k--;
		}
		if (k < cap)
			sel[cls][k] = i;
	}
	for (int cls = 0; cls < 2; cls++) {
		for (uint32_t k = 0; k < nsel[cls]; k++) {
			uint32_t x = sel[cls][k];
			uint8_t r = cls ? R_XMM(8 + k) : gp[k];

			g->pin[x] = (uint8_t)g->npin;
			g->pin_local[g->npin] = x;
			g->pin_reg[g->npin] = r;
			g->pin_type[g->npin] = gate__body_local_type(b, x);
			g->pin_mask |= 1u << r;
			g->npin++;
		}
	}
}

static int begin_function(void *ctx, const struct gate__body *b, uint32_t func,
			  const struct gate__functype *type, uint32_t nruns,
			  const struct gate__local_run *runs)
{
	struct gen *g = ctx;
	struct gate__blocktype bt = {0, type->nresults, NULL, gate__results(type)};

	(void)nruns;
	(void)runs;
	g->b = b;
	g->func = func;
	g->type = type;
	g->offset = g->m->code[func - g->m->nfunc_imports].off;
	g->nlocals = b->nlocals;
	g->sp = g->max_sp = g->ncf = g->nool = 0;
	g->used = g->locked = g->nlocalrefs = g->max_out = 0;
	g->first = GATE__NONE;
	g->dead = false;
	choose_pins(g, b);
	gate__x64_align(&g->a, 16);
	gate__x64_bind(&g->a, &g->funcs[func]);
	gate__x64_push(&g->a, X64_RBP);
	gate__x64_mov_rr(&g->a, X64_S64, X64_RBP, X64_RSP);
	gate__x64_alu_ri(&g->a, X64_SUB, X64_S64, X64_RSP, 0x7fffffff);
	g->frame_patch = (uint32_t)gate__x64_offset(&g->a) - 4;
	/* stack check, and suspend check through the same register */
	gate__x64_alu_rr(&g->a, X64_CMP, X64_S64, X64_RSP, X64_R13);
	{
		struct ool *o = add_ool(g, OOL_TRAP);

		/* placeholder kind: end_function turns it into the entry path */
		o->trap = 0;
		o->what = 0xff;
		gate__x64_jcc(&g->a, X64_B, &o->label);
		entry_fast(g);
		gate__x64_bind(&g->a, &o->back);
	}
	push_frame(g, GATE__FRAME_FUNCTION, &bt, false);
	return g->oom ? gen_fail(g, GATE_OUT_OF_MEMORY, "out of memory") : 0;
}

static bool consumes_flags(uint32_t op)
{
	return op == 0x04 || op == 0x0d || op == 0x1b || op == 0x1c || op == 0x45;
}

static int on_instr(void *ctx, const struct gate__body *b, const struct gate__instr *in)
{
	struct gen *g = ctx;
	uint32_t op = in->op;

	(void)b;
	g->offset = in->offset;
	if (g->first == GATE__NONE)
		g->first = in->offset;
	g->locked = 0;
	if (g->oom)
		return gen_fail(g, GATE_OUT_OF_MEMORY, "out of memory");
	switch (op) {
	case 0x02: /* block */
		push_frame(g, GATE__FRAME_BLOCK, &in->imm.block, g->dead);
		return 0;
	case 0x03: /* loop */
		if (g->dead)
			push_frame(g, GATE__FRAME_LOOP, &in->imm.block, true);
		else
			loop_head(g, &in->imm.block);
		return 0;
	case 0x04: /* if */
		if (g->dead)
			push_frame(g, GATE__FRAME_IF, &in->imm.block, true);
		else
			if_head(g, &in->imm.block);
		return 0;
	case 0x05:
		else_head(g);
		return 0;
	case 0x0b:
		if (g->ncf == 1) {
			if (!g->dead)
				emit_return(g);
			g->ncf = 0;
			return 0;
		}
		end_frame(g);
		return 0;
	}
	if (g->dead)
		return 0;
	if (g->sp && g->st[g->sp - 1].kind == V_FLAGS && !consumes_flags(op))
		materialize_top(g);
	switch (op) {
	case 0x00: /* unreachable */
		gen_trap_if(g, 0xff, GATE_TRAP_UNREACHABLE);
		g->dead = true;
		return 0;
	case 0x01:
		return 0;
	case 0x0c:
		branch_to(g, in->imm.index);
		g->dead = true;
		return 0;
	case 0x0d:
		br_if(g, in->imm.index);
		return 0;
	case 0x0e:
		br_table(g, &in->imm.br_table);
		g->dead = true;
		return 0;
	case 0x0f:
		emit_return(g);
		g->dead = true;
		return 0;
	case 0x10: {
		uint32_t f = in->imm.index;

		gen_call(g, gate__func_type(g->m, f),
			 f < g->m->nfunc_imports ? CALL_IMPORT : CALL_DIRECT, f, 0, 0);
		return 0;
	}
	case 0x11:
		gen_call(g, &g->m->types[in->imm.pair.a], CALL_INDIRECT, 0, in->imm.pair.b,
			 in->imm.pair.a);
		return 0;
	case 0x1a:
		gen_pop(g);
		return 0;
	case 0x1b:
	case 0x1c:
		if (in->imm.type == GATE__V128 || in->push[0] == GATE__V128)
			return gen_fail(g, GATE_UNSUPPORTED,
					"SIMD code generation not implemented");
		select_op(g, in->push[0] ? in->push[0] : in->imm.type);
		return 0;
	case 0x20: {
		struct vval *v;
		uint8_t t = in->push[0];

		if (t == GATE__V128)
			return gen_fail(g, GATE_UNSUPPORTED,
					"SIMD code generation not implemented");
		v = push(g);
		*v = (struct vval){.kind = V_LOCAL, .type = t, .local = in->imm.index};
		g->nlocalrefs++;
		return 0;
	}
	case 0x21:
	case 0x22:
		local_set(g, in->imm.index, op == 0x22);
		return 0;
	case 0x23:
		if (g->m->globals[in->imm.index].type == GATE__V128)
			return gen_fail(g, GATE_UNSUPPORTED,
					"SIMD code generation not implemented");
		global_get(g, in->imm.index);
		return 0;
	case 0x24:
		global_set(g, in->imm.index);
		return 0;
	}
	return gen_op(g, in);
}

static int end_function(void *ctx, const struct gate__body *b)
{
	struct gen *g = ctx;
	uint32_t frame;
	const struct gate__code *code = &g->m->code[g->func - g->m->nfunc_imports];

	(void)b;
	for (uint32_t i = 0; i < g->nool; i++) {
		struct ool *o = &g->ool[i];

		gate__x64_bind(&g->a, &o->label);
		g->offset = o->offset;
		switch (o->what) {
		case OOL_TRAP:
			gate__x64_mov_ri(&g->a, X64_S32, X64_RDI, o->trap);
			gate__x64_call(&g->a, &g->trap_common);
			site(g, GATE__SITE_TRAP, o->offset, GATE__NONE, 0, 0, 0);
			break;
		case OOL_TRAP_EAX:
			/* the helper's frame state: a suspension inside it
			 * (GATE_TRAP_SUSPENDED) resumes at the helper's call */
			gate__x64_mov_rr(&g->a, X64_S32, X64_RDI, X64_RAX);
			gate__x64_call(&g->a, &g->trap_common);
			site(g, GATE__SITE_HELPER_TRAP, o->offset, o->map, 0, 0, o->helper);
			break;
		case OOL_LOOP:
			/* at a loop head every pinned local is in its register */
			g->pin_valid = ~0u;
			pin_store(g, true);
			gate__x64_mov_rr(&g->a, X64_S64, X64_RDI, X64_R14);
			gate__x64_mov_rr(&g->a, X64_S64, X64_RSI, X64_RBP);
			gate__x64_call_m(&g->a, x64_mem(X64_R14, GATE__VM_SAFEPOINT));
			site(g, GATE__SITE_LOOP, o->offset, o->map, 0, 0, 0);
			gate__x64_mov_rr(&g->a, X64_S64, X64_R13, X64_RAX);
			/* a request made after the runtime looked */
			gen_or_suspend(g, SCRATCH);
			pin_load(g);
			gate__x64_jmp(&g->a, &o->back);
			break;
		default: {
			/* function entry: rsp is below the limit, or a suspend was requested */
			struct x64_label ovf = {0};

			/* compare against the limit without the suspend bit */
			gate__x64_mov_rr(&g->a, X64_S64, SCRATCH, X64_R13);
			gate__x64_shift_ri(&g->a, X64_SHL, X64_S64, SCRATCH, 1);
			gate__x64_shift_ri(&g->a, X64_SHR, X64_S64, SCRATCH, 1);
			gate__x64_alu_rr(&g->a, X64_CMP, X64_S64, X64_RSP, SCRATCH);
			gate__x64_jcc(&g->a, X64_B, &ovf);
			entry_init(g);
			gate__x64_mov_rr(&g->a, X64_S64, X64_RDI, X64_R14);
			gate__x64_mov_rr(&g->a, X64_S64, X64_RSI, X64_RBP);
			gate__x64_call_m(&g->a, x64_mem(X64_R14, GATE__VM_SAFEPOINT));
			/* a resumed frame "about to run the first instruction" */
			site(g, GATE__SITE_ENTRY, g->first, gate__map_begin(g->sites, 0), 0, 0, 0);
			gate__x64_mov_rr(&g->a, X64_S64, X64_R13, X64_RAX);
			gen_or_suspend(g, SCRATCH);
			pin_load(g);
			gate__x64_jmp(&g->a, &o->back);
			gate__x64_bind(&g->a, &ovf);
			/* back to the frame's top, where the red zone below the
			 * limit leaves room for the trap handler */
			gate__x64_mov_rr(&g->a, X64_S64, X64_RSP, X64_RBP);
			gate__x64_mov_ri(&g->a, X64_S32, X64_RDI, GATE_TRAP_CALL_STACK_EXHAUSTED);
			gate__x64_call(&g->a, &g->trap_common);
			site(g, GATE__SITE_TRAP, code->off, GATE__NONE, 0, 0, 0);
			break;
		}
		}
	}
	frame = 8 + 8 * (g->nlocals + g->max_sp) + 8 * g->max_out;
	frame = (frame + 15) & ~15u;
	g->frame = frame;
	if (gate__x64_error(&g->a) == X64_OK)
		gate__x64_patch32(&g->a, g->frame_patch, frame);
	if (g->oom || g->sites->oom)
		return gen_fail(g, GATE_OUT_OF_MEMORY, "out of memory");
	if (g->internal)
		return gen_fail(g, GATE_INTERNAL, "register allocation failed");
	return 0;
}

const struct gate__visitor gate__x64_visitor = {
    .begin_function = begin_function,
    .instr = on_instr,
    .end_function = end_function,
};
