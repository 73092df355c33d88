/*
 * The x86-64 code generator, part 2: numeric, memory, reference, table and
 * bulk-memory instructions (see x64_gen.c for the operand stack).
 *
 * Folding: two constant operands of an integer operation give a constant;
 * a constant right operand becomes an immediate, an operand in a slot or a
 * local a memory operand. Compares leave their result in the flags
 * (V_FLAGS) for br_if, if, select and eqz to consume.
 */
#include <string.h>

#include "../rt/rt.h"
#include "x64_gen.h"

#define TOP(g) (&(g)->st[(g)->sp - 1])
#define NEXT(g) (&(g)->st[(g)->sp - 2])

static bool fits_imm(const struct vval *v)
{
	return v->kind == V_CONST && (v->type == GATE__I32 || (int64_t)v->k == (int32_t)v->k);
}

/* ---- integer arithmetic ---- */

enum iop {
	I_ADD,
	I_SUB,
	I_MUL,
	I_DIVS,
	I_DIVU,
	I_REMS,
	I_REMU,
	I_AND,
	I_OR,
	I_XOR,
	I_SHL,
	I_SHRS,
	I_SHRU,
	I_ROTL,
	I_ROTR
};

static bool fold_int(enum iop op, bool w, uint64_t a, uint64_t b, uint64_t *out)
{
	unsigned bits = w ? 64 : 32, k = (unsigned)(b & (bits - 1));
	uint64_t mask = w ? ~0ull : 0xffffffffull, r;

	a &= mask;
	b &= mask;
	switch (op) {
	case I_ADD:
		r = a + b;
		break;
	case I_SUB:
		r = a - b;
		break;
	case I_MUL:
		r = a * b;
		break;
	case I_AND:
		r = a & b;
		break;
	case I_OR:
		r = a | b;
		break;
	case I_XOR:
		r = a ^ b;
		break;
	case I_SHL:
		r = a << k;
		break;
	case I_SHRU:
		r = a >> k;
		break;
	case I_SHRS:
		r = w ? (uint64_t)((int64_t)a >> k)
		      : (uint64_t)(uint32_t)((int32_t)(uint32_t)a >> k);
		break;
	case I_ROTL:
		r = k ? (a << k | a >> (bits - k)) : a;
		break;
	case I_ROTR:
		r = k ? (a >> k | a << (bits - k)) : a;
		break;
	default:
		return false;
	}
	*out = r & mask;
	return true;
}

static void alu(struct gen *g, enum x64_alu op, uint8_t t, bool commutative)
{
	enum x64_size sz = isz(t);
	struct vval *r = TOP(g), *l = NEXT(g);
	uint8_t dst;

	if (commutative && l->kind == V_CONST && r->kind != V_CONST && r->kind != V_SLOT &&
	    fits_imm(l)) {
		struct vval tmp = *l;

		*l = *r;
		*r = tmp;
	}
	/* a local in a register stays untouched: lea computes into a new one */
	if ((op == X64_ADD || op == X64_SUB) && l->kind == V_LOCAL && !gen_is_mem(g, l) &&
	    (fits_imm(r) || (op == X64_ADD && r->kind != V_CONST && !gen_is_mem(g, r))) &&
	    !(op == X64_SUB && fits_imm(r) && (int32_t)r->k == INT32_MIN)) {
		if (fits_imm(r)) {
			int32_t k = (int32_t)gen_pop(g).k;
			uint8_t base = gen_pop_src(g);

			dst = gen_alloc(g, false);
			gate__x64_lea(&g->a, sz, GP(dst),
				      x64_mem(GP(base), op == X64_SUB ? -k : k));
		} else {
			bool temp = r->kind == V_REG;
			uint8_t src = gen_pop_src(g), base = gen_pop_src(g);

			dst = temp ? src : gen_alloc(g, false);
			gate__x64_lea(&g->a, sz, GP(dst), x64_mem_index(GP(base), GP(src), 1, 0));
		}
		gen_push_reg(g, t, dst);
		return;
	}
	if (fits_imm(r)) {
		int32_t k = (int32_t)gen_pop(g).k;

		dst = gen_pop_reg(g);
		gate__x64_alu_ri(&g->a, op, sz, GP(dst), k);
	} else if (gen_is_mem(g, r)) {
		struct x64_mem m;

		gen_mem_operand(g, r, g->sp - 1, &m);
		gen_pop(g);
		dst = gen_pop_reg(g);
		gate__x64_alu_rm(&g->a, op, sz, GP(dst), m);
	} else {
		uint8_t src = gen_pop_src(g);

		dst = gen_pop_reg(g);
		gate__x64_alu_rr(&g->a, op, sz, GP(dst), GP(src));
	}
	gen_push_reg(g, t, dst);
}

static void mul(struct gen *g, uint8_t t)
{
	enum x64_size sz = isz(t);
	uint8_t dst, src;

	if (fits_imm(TOP(g))) {
		int32_t k = (int32_t)gen_pop(g).k;

		src = gen_pop_reg(g);
		gate__x64_imul_rri(&g->a, sz, GP(src), GP(src), k);
		gen_push_reg(g, t, src);
		return;
	}
	src = gen_pop_src(g);
	dst = gen_pop_reg(g);
	gate__x64_imul_rr(&g->a, sz, GP(dst), GP(src));
	gen_push_reg(g, t, dst);
}

static void shift(struct gen *g, enum x64_shift op, uint8_t t)
{
	enum x64_size sz = isz(t);
	uint8_t dst;

	if (TOP(g)->kind == V_CONST) {
		uint8_t k = (uint8_t)(gen_pop(g).k & (t == GATE__I32 ? 31 : 63));

		dst = gen_pop_reg(g);
		if (k)
			gate__x64_shift_ri(&g->a, op, sz, GP(dst), k);
		gen_push_reg(g, t, dst);
		return;
	}
	gen_pop_to(g, X64_RCX);
	dst = gen_pop_reg(g);
	gate__x64_shift_cl(&g->a, op, sz, GP(dst));
	gen_push_reg(g, t, dst);
}

static void divide(struct gen *g, enum iop op, uint8_t t)
{
	enum x64_size sz = isz(t);
	struct vval *r = TOP(g);
	bool sgn = op == I_DIVS || op == I_REMS, rem = op == I_REMS || op == I_REMU;
	bool known = r->kind == V_CONST && (t == GATE__I32 ? (uint32_t)r->k : r->k) != 0;
	uint64_t k = r->kind == V_CONST ? r->k : 0;
	bool minus1 = known && (t == GATE__I32 ? (uint32_t)k == 0xffffffffu : k == ~0ull);
	struct x64_label not_m1 = {0}, done = {0};
	struct vval dv;
	uint8_t d;

	/* unsigned by a power of two: a shift or a mask */
	if (known && !sgn && (k & (k - 1)) == 0) {
		uint8_t x;

		gen_pop(g);
		x = gen_pop_reg(g);
		if (rem) {
			if (t == GATE__I32 || k - 1 <= 0x7fffffff) {
				gate__x64_alu_ri(&g->a, X64_AND, sz, GP(x), (int32_t)(k - 1));
			} else {
				gate__x64_mov_ri(&g->a, X64_S64, SCRATCH, (int64_t)(k - 1));
				gate__x64_alu_rr(&g->a, X64_AND, sz, GP(x), SCRATCH);
			}
		} else if (k > 1) {
			gate__x64_shift_ri(&g->a, X64_SHR, sz, GP(x), (uint8_t)__builtin_ctzll(k));
		}
		gen_push_reg(g, t, x);
		return;
	}
	/* the divisor in any register but rax and rdx */
	dv = gen_pop(g);
	if (dv.kind == V_REG && dv.reg != X64_RAX && dv.reg != X64_RDX) {
		d = dv.reg;
	} else {
		d = gen_alloc_except(g, false, (1u << X64_RAX) | (1u << X64_RDX));
		gen_load(g, &dv, g->sp, d);
	}
	gen_pop_to(g, X64_RAX);
	gen_claim(g, X64_RDX);
	if (!known) {
		gate__x64_test_rr(&g->a, sz, GP(d), GP(d));
		gen_trap_if(g, X64_E, GATE_TRAP_INTEGER_DIVIDE_BY_ZERO);
	}
	if (sgn && (!known || minus1)) {
		if (!known) {
			gate__x64_alu_ri(&g->a, X64_CMP, sz, GP(d), -1);
			gate__x64_jcc(&g->a, X64_NE, &not_m1);
		}
		if (rem) {
			gate__x64_mov_ri(&g->a, X64_S32, X64_RDX, 0);
			gate__x64_jmp(&g->a, &done);
		} else {
			/* INT_MIN / -1 overflows; anything else / -1 negates */
			if (t == GATE__I32) {
				gate__x64_alu_ri(&g->a, X64_CMP, X64_S32, X64_RAX, INT32_MIN);
			} else {
				gate__x64_mov_ri(&g->a, X64_S64, SCRATCH, INT64_MIN);
				gate__x64_alu_rr(&g->a, X64_CMP, X64_S64, X64_RAX, SCRATCH);
			}
			gen_trap_if(g, X64_E, GATE_TRAP_INTEGER_OVERFLOW);
		}
		gate__x64_bind(&g->a, &not_m1);
	}
	if (sgn) {
		gate__x64_cdq(&g->a, sz);
		gate__x64_unary(&g->a, X64_IDIV, sz, GP(d));
	} else {
		gate__x64_mov_ri(&g->a, X64_S32, X64_RDX, 0);
		gate__x64_unary(&g->a, X64_DIV, sz, GP(d));
	}
	gate__x64_bind(&g->a, &done);
	gen_push_reg(g, t, rem ? X64_RDX : X64_RAX);
}

static void int_binop(struct gen *g, enum iop op, uint8_t t)
{
	struct vval *r = TOP(g), *l = NEXT(g);
	uint64_t k;

	if (l->kind == V_CONST && r->kind == V_CONST &&
	    fold_int(op, t == GATE__I64, l->k, r->k, &k)) {
		gen_pop(g);
		gen_pop(g);
		gen_push_const(g, t, k);
		return;
	}
	switch (op) {
	case I_ADD:
		alu(g, X64_ADD, t, true);
		return;
	case I_SUB:
		alu(g, X64_SUB, t, false);
		return;
	case I_AND:
		alu(g, X64_AND, t, true);
		return;
	case I_OR:
		alu(g, X64_OR, t, true);
		return;
	case I_XOR:
		alu(g, X64_XOR, t, true);
		return;
	case I_MUL:
		mul(g, t);
		return;
	case I_SHL:
		shift(g, X64_SHL, t);
		return;
	case I_SHRS:
		shift(g, X64_SAR, t);
		return;
	case I_SHRU:
		shift(g, X64_SHR, t);
		return;
	case I_ROTL:
		shift(g, X64_ROL, t);
		return;
	case I_ROTR:
		shift(g, X64_ROR, t);
		return;
	default:
		divide(g, op, t);
		return;
	}
}

static const uint8_t cmp_cond[10] = {X64_E, X64_NE, X64_L,  X64_B,  X64_G,
				     X64_A, X64_LE, X64_BE, X64_GE, X64_AE};

static bool eval_cond(uint8_t c, bool w, uint64_t a, uint64_t b)
{
	int64_t sa = w ? (int64_t)a : (int32_t)a, sb = w ? (int64_t)b : (int32_t)b;

	if (!w) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	switch (c) {
	case X64_E:
		return a == b;
	case X64_NE:
		return a != b;
	case X64_L:
		return sa < sb;
	case X64_B:
		return a < b;
	case X64_G:
		return sa > sb;
	case X64_A:
		return a > b;
	case X64_LE:
		return sa <= sb;
	case X64_BE:
		return a <= b;
	case X64_GE:
		return sa >= sb;
	default:
		return a >= b;
	}
}

static void int_compare(struct gen *g, uint8_t c, uint8_t t)
{
	enum x64_size sz = isz(t);
	struct vval *r = TOP(g), *l = NEXT(g);
	uint8_t a;

	if (l->kind == V_CONST && r->kind == V_CONST) {
		bool v = eval_cond(c, t == GATE__I64, l->k, r->k);

		gen_pop(g);
		gen_pop(g);
		gen_push_const(g, GATE__I32, v);
		return;
	}
	if (fits_imm(l) && r->kind != V_CONST) {
		/* k < x is x > k */
		int32_t k = (int32_t)l->k;

		if (gen_is_mem(g, r)) {
			struct x64_mem m;

			gen_mem_operand(g, r, g->sp - 1, &m);
			gen_pop(g);
			gen_pop(g);
			gate__x64_alu_mi(&g->a, X64_CMP, sz, m, k);
		} else {
			a = gen_pop_src(g);
			gen_pop(g);
			gate__x64_alu_ri(&g->a, X64_CMP, sz, GP(a), k);
		}
		gen_push_flags(g, x64_cond_swap((enum x64_cond)c));
		return;
	}
	if (fits_imm(r)) {
		int32_t k = (int32_t)gen_pop(g).k;

		l = TOP(g);
		if (gen_is_mem(g, l)) {
			struct x64_mem m;

			gen_mem_operand(g, l, g->sp - 1, &m);
			gen_pop(g);
			gate__x64_alu_mi(&g->a, X64_CMP, sz, m, k);
		} else {
			a = gen_pop_src(g);
			gate__x64_alu_ri(&g->a, X64_CMP, sz, GP(a), k);
		}
	} else if (gen_is_mem(g, r)) {
		struct x64_mem m;

		gen_mem_operand(g, r, g->sp - 1, &m);
		gen_pop(g);
		a = gen_pop_src(g);
		gate__x64_alu_rm(&g->a, X64_CMP, sz, GP(a), m);
	} else {
		uint8_t b = gen_pop_src(g);

		a = gen_pop_src(g);
		gate__x64_alu_rr(&g->a, X64_CMP, sz, GP(a), GP(b));
	}
	gen_push_flags(g, c);
}

static void eqz(struct gen *g, uint8_t t)
{
	struct vval *v = TOP(g);

	if (v->kind == V_FLAGS) {
		v->cond = gen_negate(v->cond);
		return;
	}
	if (v->kind == V_CONST) {
		uint64_t k = t == GATE__I32 ? (uint32_t)v->k : v->k;

		gen_pop(g);
		gen_push_const(g, GATE__I32, k == 0);
		return;
	}
	if (gen_is_mem(g, v)) {
		struct x64_mem m;

		gen_mem_operand(g, v, g->sp - 1, &m);
		gen_pop(g);
		gate__x64_alu_mi(&g->a, X64_CMP, isz(t), m, 0);
	} else {
		uint8_t r = gen_pop_src(g);

		gate__x64_test_rr(&g->a, isz(t), GP(r), GP(r));
	}
	gen_push_flags(g, X64_E);
}

static void bitcount(struct gen *g, int which, uint8_t t)
{
	enum x64_size sz = isz(t);
	uint8_t src = gen_pop_src(g), dst = gen_alloc(g, false);
	unsigned bits = t == GATE__I32 ? 32 : 64;

	switch (which) {
	case 0: /* clz: bsr, with 2 * bits - 1 for zero, then xor bits - 1 */
		gate__x64_mov_ri(&g->a, X64_S32, SCRATCH, 2 * bits - 1);
		gate__x64_bitop(&g->a, X64_BSR, sz, GP(dst), GP(src));
		gate__x64_cmov_rr(&g->a, X64_E, sz, GP(dst), SCRATCH);
		gate__x64_alu_ri(&g->a, X64_XOR, sz, GP(dst), (int32_t)bits - 1);
		break;
	case 1: /* ctz: bsf, with bits for zero */
		gate__x64_mov_ri(&g->a, X64_S32, SCRATCH, bits);
		gate__x64_bitop(&g->a, X64_BSF, sz, GP(dst), GP(src));
		gate__x64_cmov_rr(&g->a, X64_E, sz, GP(dst), SCRATCH);
		break;
	default:
		gate__x64_bitop(&g->a, X64_POPCNT, sz, GP(dst), GP(src));
	}
	gen_push_reg(g, t, dst);
}

/* ---- floating point ---- */

static void fbin(struct gen *g, enum x64_sse op, uint8_t t)
{
	struct vval *r = TOP(g);
	uint8_t dst;

	if (gen_is_mem(g, r)) {
		struct x64_mem m;

		gen_mem_operand(g, r, g->sp - 1, &m);
		gen_pop(g);
		dst = gen_pop_reg(g);
		gate__x64_sse_rm(&g->a, op, XMM(dst), m);
	} else {
		uint8_t src = gen_pop_src(g);

		dst = gen_pop_reg(g);
		gate__x64_sse_rr(&g->a, op, XMM(dst), XMM(src));
	}
	gen_push_reg(g, t, dst);
}

static void fminmax(struct gen *g, bool max, uint8_t t)
{
	bool d = t == GATE__F64;
	uint8_t b = gen_pop_src(g), a = gen_pop_reg(g);
	struct x64_label nan = {0}, normal = {0}, done = {0};

	gate__x64_sse_rr(&g->a, d ? X64_UCOMISD : X64_UCOMISS, XMM(a), XMM(b));
	gate__x64_jcc_short(&g->a, X64_P, &nan);
	gate__x64_jcc_short(&g->a, X64_NE, &normal);
	/* equal: only the signs of zeros can differ */
	gate__x64_sse_rr(&g->a, max ? (d ? X64_ANDPD : X64_ANDPS) : (d ? X64_ORPD : X64_ORPS),
			 XMM(a), XMM(b));
	gate__x64_jmp_short(&g->a, &done);
	gate__x64_bind(&g->a, &nan);
	/* a NaN operand: the sum is a quiet NaN */
	gate__x64_sse_rr(&g->a, d ? X64_ADDSD : X64_ADDSS, XMM(a), XMM(b));
	gate__x64_jmp_short(&g->a, &done);
	gate__x64_bind(&g->a, &normal);
	gate__x64_sse_rr(&g->a, max ? (d ? X64_MAXSD : X64_MAXSS) : (d ? X64_MINSD : X64_MINSS),
			 XMM(a), XMM(b));
	gate__x64_bind(&g->a, &done);
	gen_push_reg(g, t, a);
}

static void funary(struct gen *g, int which, uint8_t t)
{
	bool d = t == GATE__F64;
	uint8_t r = gen_pop_reg(g);

	switch (which) {
	case 0: /* abs */
		gate__x64_sse_rm(&g->a, d ? X64_ANDPD : X64_ANDPS, XMM(r),
				 kmem(g, d ? K_F64_ABS : K_F32_ABS));
		break;
	case 1: /* neg */
		gate__x64_sse_rm(&g->a, d ? X64_XORPD : X64_XORPS, XMM(r),
				 kmem(g, d ? K_F64_SIGN : K_F32_SIGN));
		break;
	case 2:
		gate__x64_sse_rri(&g->a, d ? X64_ROUNDSD : X64_ROUNDSS, XMM(r), XMM(r),
				  X64_ROUND_UP);
		break;
	case 3:
		gate__x64_sse_rri(&g->a, d ? X64_ROUNDSD : X64_ROUNDSS, XMM(r), XMM(r),
				  X64_ROUND_DOWN);
		break;
	case 4:
		gate__x64_sse_rri(&g->a, d ? X64_ROUNDSD : X64_ROUNDSS, XMM(r), XMM(r),
				  X64_ROUND_TRUNC);
		break;
	case 5:
		gate__x64_sse_rri(&g->a, d ? X64_ROUNDSD : X64_ROUNDSS, XMM(r), XMM(r),
				  X64_ROUND_NEAREST);
		break;
	default:
		gate__x64_sse_rr(&g->a, d ? X64_SQRTSD : X64_SQRTSS, XMM(r), XMM(r));
	}
	gen_push_reg(g, t, r);
}

static void copysign_op(struct gen *g, uint8_t t)
{
	bool d = t == GATE__F64;
	uint8_t b = gen_pop_reg(g), a = gen_pop_reg(g);

	gate__x64_sse_rm(&g->a, d ? X64_ANDPD : X64_ANDPS, XMM(a),
			 kmem(g, d ? K_F64_ABS : K_F32_ABS));
	gate__x64_sse_rm(&g->a, d ? X64_ANDPD : X64_ANDPS, XMM(b),
			 kmem(g, d ? K_F64_SIGN : K_F32_SIGN));
	gate__x64_sse_rr(&g->a, d ? X64_ORPD : X64_ORPS, XMM(a), XMM(b));
	gen_push_reg(g, t, a);
}

/* eq ne lt gt le ge: ucomis a, b unless swapped (lt, le compare b with a). */
static void fcompare(struct gen *g, int which, uint8_t t)
{
	enum x64_sse op = t == GATE__F64 ? X64_UCOMISD : X64_UCOMISS;
	static const uint8_t cond[6] = {C_FEQ, C_FNE, X64_A, X64_A, X64_AE, X64_AE};
	bool swap = which == 2 || which == 4;
	struct vval *r = TOP(g);

	if (!swap && gen_is_mem(g, r)) {
		struct x64_mem m;
		uint8_t a;

		gen_mem_operand(g, r, g->sp - 1, &m);
		gen_pop(g);
		a = gen_pop_src(g);
		gate__x64_sse_rm(&g->a, op, XMM(a), m);
	} else {
		uint8_t b = gen_pop_src(g), a = gen_pop_src(g);

		if (swap)
			gate__x64_sse_rr(&g->a, op, XMM(b), XMM(a));
		else
			gate__x64_sse_rr(&g->a, op, XMM(a), XMM(b));
	}
	gen_push_flags(g, cond[which]);
}

/* ---- conversions ---- */

/* Float to integer: trapping (sat false) or saturating. */
static void trunc_op(struct gen *g, bool i64, bool f64, bool uns, bool sat)
{
	enum x64_sse ucom = f64 ? X64_UCOMISD : X64_UCOMISS;
	enum x64_size fsz = f64 ? X64_S64 : X64_S32;
	int32_t kb = K_BOUNDS + 16 * ((i64 ? 4 : 0) + (f64 ? 2 : 0) + (uns ? 1 : 0));
	uint8_t x = gen_pop_reg(g), dst = gen_alloc(g, false);
	struct x64_label nan = {0}, lo = {0}, hi = {0}, done = {0};

	gate__x64_sse_rr(&g->a, ucom, XMM(x), XMM(x));
	if (sat)
		gate__x64_jcc(&g->a, X64_P, &nan);
	else
		gen_trap_if(g, X64_P, GATE_TRAP_INVALID_CONVERSION);
	gate__x64_sse_rm(&g->a, ucom, XMM(x), kmem(g, kb));
	if (sat)
		gate__x64_jcc(&g->a, X64_BE, &lo);
	else
		gen_trap_if(g, X64_BE, GATE_TRAP_INTEGER_OVERFLOW);
	gate__x64_sse_rm(&g->a, ucom, XMM(x), kmem(g, kb + 8));
	if (sat)
		gate__x64_jcc(&g->a, X64_AE, &hi);
	else
		gen_trap_if(g, X64_AE, GATE_TRAP_INTEGER_OVERFLOW);
	if (!i64) {
		gate__x64_cvtt_f2i(&g->a, fsz, uns ? X64_S64 : X64_S32, GP(dst), XMM(x));
		if (uns)
			gate__x64_mov_rr(&g->a, X64_S32, GP(dst), GP(dst));
	} else if (!uns) {
		gate__x64_cvtt_f2i(&g->a, fsz, X64_S64, GP(dst), XMM(x));
	} else {
		struct x64_label big = {0}, ok = {0};
		int32_t k63 = f64 ? K_F64_2P63 : K_F32_2P63;

		gate__x64_sse_rm(&g->a, ucom, XMM(x), kmem(g, k63));
		gate__x64_jcc_short(&g->a, X64_AE, &big);
		gate__x64_cvtt_f2i(&g->a, fsz, X64_S64, GP(dst), XMM(x));
		gate__x64_jmp_short(&g->a, &ok);
		gate__x64_bind(&g->a, &big);
		gate__x64_sse_rm(&g->a, f64 ? X64_SUBSD : X64_SUBSS, XMM(x), kmem(g, k63));
		gate__x64_cvtt_f2i(&g->a, fsz, X64_S64, GP(dst), XMM(x));
		gate__x64_mov_ri(&g->a, X64_S64, SCRATCH, INT64_MIN);
		gate__x64_alu_rr(&g->a, X64_XOR, X64_S64, GP(dst), SCRATCH);
		gate__x64_bind(&g->a, &ok);
	}
	if (sat) {
		int64_t mn = uns ? 0 : i64 ? INT64_MIN : INT32_MIN;
		int64_t mx = uns ? (i64 ? -1 : (int64_t)UINT32_MAX) : i64 ? INT64_MAX : INT32_MAX;

		gate__x64_jmp(&g->a, &done);
		gate__x64_bind(&g->a, &nan);
		gate__x64_mov_ri(&g->a, X64_S32, GP(dst), 0);
		gate__x64_jmp(&g->a, &done);
		gate__x64_bind(&g->a, &lo);
		gate__x64_mov_ri(&g->a, i64 ? X64_S64 : X64_S32, GP(dst), i64 ? mn : (uint32_t)mn);
		gate__x64_jmp(&g->a, &done);
		gate__x64_bind(&g->a, &hi);
		gate__x64_mov_ri(&g->a, i64 ? X64_S64 : X64_S32, GP(dst), i64 ? mx : (uint32_t)mx);
		gate__x64_bind(&g->a, &done);
	}
	gen_push_reg(g, i64 ? GATE__I64 : GATE__I32, dst);
}

/* Integer to float. */
static void convert_op(struct gen *g, bool f64, bool i64, bool uns)
{
	enum x64_size fsz = f64 ? X64_S64 : X64_S32;
	uint8_t src = gen_pop_reg(g), dst = gen_alloc(g, true);

	gate__x64_sse_rr(&g->a, X64_XORPS, XMM(dst), XMM(dst));
	if (!i64) {
		/* an i32 register is zero-extended: unsigned converts as 64-bit */
		gate__x64_cvt_i2f(&g->a, fsz, uns ? X64_S64 : X64_S32, XMM(dst), GP(src));
	} else if (!uns) {
		gate__x64_cvt_i2f(&g->a, fsz, X64_S64, XMM(dst), GP(src));
	} else {
		struct x64_label big = {0}, done = {0};

		gate__x64_test_rr(&g->a, X64_S64, GP(src), GP(src));
		gate__x64_jcc_short(&g->a, X64_S, &big);
		gate__x64_cvt_i2f(&g->a, fsz, X64_S64, XMM(dst), GP(src));
		gate__x64_jmp_short(&g->a, &done);
		gate__x64_bind(&g->a, &big);
		/* halve with the low bit kept (round to odd), convert, double */
		gate__x64_mov_rr(&g->a, X64_S64, SCRATCH, GP(src));
		gate__x64_shift_ri(&g->a, X64_SHR, X64_S64, SCRATCH, 1);
		gate__x64_alu_ri(&g->a, X64_AND, X64_S32, GP(src), 1);
		gate__x64_alu_rr(&g->a, X64_OR, X64_S64, SCRATCH, GP(src));
		gate__x64_cvt_i2f(&g->a, fsz, X64_S64, XMM(dst), SCRATCH);
		gate__x64_sse_rr(&g->a, f64 ? X64_ADDSD : X64_ADDSS, XMM(dst), XMM(dst));
		gate__x64_bind(&g->a, &done);
	}
	gen_push_reg(g, f64 ? GATE__F64 : GATE__F32, dst);
}

/* Reinterprets the top operand as type t: slots and constants hold bits. */
static void reinterpret(struct gen *g, uint8_t t)
{
	struct vval *v = TOP(g);
	uint8_t src, dst;

	if (v->kind == V_CONST || gen_is_mem(g, v)) {
		v->type = t;
		return;
	}
	src = gen_pop_src(g);
	dst = gen_alloc(g, gate__is_float(t));
	if (gate__is_float(t))
		gate__x64_movd_xr(&g->a, t == GATE__F32 ? X64_S32 : X64_S64, XMM(dst), GP(src));
	else
		gate__x64_movd_rx(&g->a, t == GATE__I32 ? X64_S32 : X64_S64, GP(dst), XMM(src));
	gen_push_reg(g, t, dst);
}

static void extend(struct gen *g, enum x64_size to, enum x64_size from, uint8_t t)
{
	struct vval *v = TOP(g);
	uint8_t r;

	if (v->kind == V_CONST) {
		uint64_t k = v->k;

		k = from == X64_S8    ? (uint64_t)(int64_t)(int8_t)k
		    : from == X64_S16 ? (uint64_t)(int64_t)(int16_t)k
				      : (uint64_t)(int64_t)(int32_t)k;
		gen_pop(g);
		gen_push_const(g, t, k);
		return;
	}
	r = gen_pop_reg(g);
	gate__x64_movsx_rr(&g->a, to, from, GP(r), GP(r));
	gen_push_reg(g, t, r);
}

/* ---- memory ---- */

/* Pops the index and returns the operand [r15 + index + offset]. */
static struct x64_mem address(struct gen *g, const struct gate__memarg *ma, uint8_t *index)
{
	struct vval *v = TOP(g);
	uint64_t off = ma->offset;

	*index = 0xff;
	if (v->kind == V_CONST) {
		uint64_t ea = (uint32_t)gen_pop(g).k + off;

		if (ea <= INT32_MAX)
			return x64_mem(X64_R15, (int32_t)ea);
		gate__x64_mov_ri(&g->a, X64_S64, SCRATCH, (int64_t)ea);
		return x64_mem_index(X64_R15, SCRATCH, 1, 0);
	}
	*index = gen_pop_src(g);
	if (off <= INT32_MAX)
		return x64_mem_index(X64_R15, GP(*index), 1, (int32_t)off);
	gate__x64_mov_ri(&g->a, X64_S64, SCRATCH, (int64_t)off);
	gate__x64_alu_rr(&g->a, X64_ADD, X64_S64, SCRATCH, GP(*index));
	return x64_mem_index(X64_R15, SCRATCH, 1, 0);
}

static void load(struct gen *g, uint32_t op, const struct gate__memarg *ma)
{
	uint8_t idx, dst, t;
	struct x64_mem m = address(g, ma, &idx);
	bool fp = op == 0x2a || op == 0x2b;

	dst = (!fp && idx != 0xff && !(g->pin_mask & (1u << idx))) ? idx : gen_alloc(g, fp);
	gen_memsite(g);
	switch (op) {
	case 0x28:
		gate__x64_load(&g->a, X64_S32, GP(dst), m);
		t = GATE__I32;
		break;
	case 0x29:
		gate__x64_load(&g->a, X64_S64, GP(dst), m);
		t = GATE__I64;
		break;
	case 0x2a:
		gate__x64_sse_rm(&g->a, X64_MOVSS, XMM(dst), m);
		t = GATE__F32;
		break;
	case 0x2b:
		gate__x64_sse_rm(&g->a, X64_MOVSD, XMM(dst), m);
		t = GATE__F64;
		break;
	case 0x2c:
		gate__x64_movsx_rm(&g->a, X64_S32, X64_S8, GP(dst), m);
		t = GATE__I32;
		break;
	case 0x2d:
		gate__x64_movzx_rm(&g->a, X64_S32, X64_S8, GP(dst), m);
		t = GATE__I32;
		break;
	case 0x2e:
		gate__x64_movsx_rm(&g->a, X64_S32, X64_S16, GP(dst), m);
		t = GATE__I32;
		break;
	case 0x2f:
		gate__x64_movzx_rm(&g->a, X64_S32, X64_S16, GP(dst), m);
		t = GATE__I32;
		break;
	case 0x30:
		gate__x64_movsx_rm(&g->a, X64_S64, X64_S8, GP(dst), m);
		t = GATE__I64;
		break;
	case 0x31:
		gate__x64_movzx_rm(&g->a, X64_S32, X64_S8, GP(dst), m);
		t = GATE__I64;
		break;
	case 0x32:
		gate__x64_movsx_rm(&g->a, X64_S64, X64_S16, GP(dst), m);
		t = GATE__I64;
		break;
	case 0x33:
		gate__x64_movzx_rm(&g->a, X64_S32, X64_S16, GP(dst), m);
		t = GATE__I64;
		break;
	case 0x34:
		gate__x64_movsx_rm(&g->a, X64_S64, X64_S32, GP(dst), m);
		t = GATE__I64;
		break;
	default:
		gate__x64_load(&g->a, X64_S32, GP(dst), m);
		t = GATE__I64;
		break;
	}
	gen_push_reg(g, t, dst);
}

static void store(struct gen *g, uint32_t op, const struct gate__memarg *ma)
{
	static const uint8_t size[9] = {4, 8, 4, 8, 1, 2, 1, 2, 4};
	enum x64_size sz = (enum x64_size)size[op - 0x36];
	struct vval *v = TOP(g);
	struct x64_mem m;
	uint8_t idx, r = 0xff;
	bool imm = false;
	int32_t k = 0;

	if (v->kind == V_CONST && (sz != X64_S64 || (int64_t)v->k == (int32_t)v->k)) {
		imm = true;
		k = (int32_t)gen_pop(g).k;
	} else if (v->kind == V_CONST) {
		struct vval c = gen_pop(g);

		r = gen_alloc(g, false);
		gate__x64_mov_ri(&g->a, X64_S64, GP(r), (int64_t)c.k);
	} else {
		r = gen_pop_src(g);
	}
	m = address(g, ma, &idx);
	gen_memsite(g);
	if (imm)
		gate__x64_store_imm(&g->a, sz, m, k);
	else if (IS_XMM(r))
		gate__x64_sse_store(&g->a, op == 0x38 ? X64_MOVSS : X64_MOVSD, m, XMM(r));
	else
		gate__x64_store(&g->a, sz, m, GP(r));
}

/* ---- tables and references ---- */

static struct x64_mem table_ptr(struct gen *g, uint32_t t)
{
	return x64_mem(X64_R14, (int32_t)(g->vm.tables + 8 * t));
}

static void table_get(struct gen *g, uint32_t t)
{
	uint8_t i = gen_pop_reg(g);

	gate__x64_load(&g->a, X64_S64, SCRATCH, table_ptr(g, t));
	gate__x64_alu_rm(&g->a, X64_CMP, X64_S32, GP(i), x64_mem(SCRATCH, GATE__TABLE_SIZE));
	gen_trap_if(g, X64_AE, GATE_TRAP_TABLE_OUT_OF_BOUNDS);
	gate__x64_load(&g->a, X64_S64, SCRATCH, x64_mem(SCRATCH, GATE__TABLE_ELEMS));
	gate__x64_load(&g->a, X64_S64, GP(i), x64_mem_index(SCRATCH, GP(i), 8, 0));
	gen_push_reg(g, g->m->tables[t].elem, i);
}

static void table_set(struct gen *g, uint32_t t)
{
	uint8_t v = gen_pop_src(g), i = gen_pop_src(g);

	gate__x64_load(&g->a, X64_S64, SCRATCH, table_ptr(g, t));
	gate__x64_alu_rm(&g->a, X64_CMP, X64_S32, GP(i), x64_mem(SCRATCH, GATE__TABLE_SIZE));
	gen_trap_if(g, X64_AE, GATE_TRAP_TABLE_OUT_OF_BOUNDS);
	gate__x64_load(&g->a, X64_S64, SCRATCH, x64_mem(SCRATCH, GATE__TABLE_ELEMS));
	gate__x64_store(&g->a, X64_S64, x64_mem_index(SCRATCH, GP(i), 8, 0), GP(v));
}

static int op_fc(struct gen *g, const struct gate__instr *in)
{
	uint32_t sub = in->op & 0xffff;

	if (sub < 8) {
		trunc_op(g, sub >= 4, (sub & 2) != 0, (sub & 1) != 0, true);
		return 0;
	}
	switch (sub) {
	case 8:
		return gen_helper_imm(g, GATE__H_MEMORY_INIT, in->imm.pair.a, 0, 1, 3, true, 0);
	case 9:
		return gen_helper_imm(g, GATE__H_DATA_DROP, in->imm.index, 0, 1, 0, false, 0);
	case 10:
		gen_helper_call(g, GATE__H_MEMORY_COPY, 3, true, 0);
		return 0;
	case 11:
		gen_helper_call(g, GATE__H_MEMORY_FILL, 3, true, 0);
		return 0;
	case 12:
		return gen_helper_imm(g, GATE__H_TABLE_INIT, in->imm.pair.b, in->imm.pair.a, 2, 3,
				      true, 0);
	case 13:
		return gen_helper_imm(g, GATE__H_ELEM_DROP, in->imm.index, 0, 1, 0, false, 0);
	case 14:
		return gen_helper_imm(g, GATE__H_TABLE_COPY, in->imm.pair.a, in->imm.pair.b, 2, 3,
				      true, 0);
	case 15:
		return gen_helper_imm(g, GATE__H_TABLE_GROW, in->imm.index, 0, 1, 2, false,
				      GATE__I32);
	case 16: {
		uint8_t r = gen_alloc(g, false);

		gate__x64_load(&g->a, X64_S64, GP(r), table_ptr(g, in->imm.index));
		gate__x64_load(&g->a, X64_S32, GP(r), x64_mem(GP(r), GATE__TABLE_SIZE));
		gen_push_reg(g, GATE__I32, r);
		return 0;
	}
	case 17:
		return gen_helper_imm(g, GATE__H_TABLE_FILL, in->imm.index, 0, 1, 3, true, 0);
	}
	return gen_fail(g, GATE_INTERNAL, "cannot compile opcode 0xfc %u", sub);
}

int gen_op(struct gen *g, const struct gate__instr *in)
{
	uint32_t op = in->op;

	if (op >= 0xfd0000u)
		return gen_fail(g, GATE_UNSUPPORTED, "SIMD code generation not implemented");
	if (op >= 0xfc0000u)
		return op_fc(g, in);
	if (op >= 0x28 && op <= 0x35) {
		load(g, op, &in->imm.mem);
		return 0;
	}
	if (op >= 0x36 && op <= 0x3e) {
		store(g, op, &in->imm.mem);
		return 0;
	}
	if (op >= 0x46 && op <= 0x4f) {
		int_compare(g, cmp_cond[op - 0x46], GATE__I32);
		return 0;
	}
	if (op >= 0x51 && op <= 0x5a) {
		int_compare(g, cmp_cond[op - 0x51], GATE__I64);
		return 0;
	}
	if (op >= 0x5b && op <= 0x60) {
		fcompare(g, (int)(op - 0x5b), GATE__F32);
		return 0;
	}
	if (op >= 0x61 && op <= 0x66) {
		fcompare(g, (int)(op - 0x61), GATE__F64);
		return 0;
	}
	if (op >= 0x6a && op <= 0x78) {
		int_binop(g, (enum iop)(op - 0x6a), GATE__I32);
		return 0;
	}
	if (op >= 0x7c && op <= 0x8a) {
		int_binop(g, (enum iop)(op - 0x7c), GATE__I64);
		return 0;
	}
	if (op >= 0x8b && op <= 0x98) {
		uint32_t k = op - 0x8b;

		if (k <= 6)
			funary(g, (int)k, GATE__F32);
		else if (k <= 10)
			fbin(g, (enum x64_sse[]){X64_ADDSS, X64_SUBSS, X64_MULSS, X64_DIVSS}[k - 7],
			     GATE__F32);
		else if (k <= 12)
			fminmax(g, k == 12, GATE__F32);
		else
			copysign_op(g, GATE__F32);
		return 0;
	}
	if (op >= 0x99 && op <= 0xa6) {
		uint32_t k = op - 0x99;

		if (k <= 6)
			funary(g, (int)k, GATE__F64);
		else if (k <= 10)
			fbin(g, (enum x64_sse[]){X64_ADDSD, X64_SUBSD, X64_MULSD, X64_DIVSD}[k - 7],
			     GATE__F64);
		else if (k <= 12)
			fminmax(g, k == 12, GATE__F64);
		else
			copysign_op(g, GATE__F64);
		return 0;
	}
	switch (op) {
	case 0x25:
		table_get(g, in->imm.index);
		return 0;
	case 0x26:
		table_set(g, in->imm.index);
		return 0;
	case 0x3f: {
		uint8_t r = gen_alloc(g, false);

		gate__x64_load(&g->a, X64_S64, GP(r), x64_mem(X64_R14, GATE__VM_MEMORY));
		gate__x64_load(&g->a, X64_S32, GP(r), x64_mem(GP(r), GATE__MEMORY_PAGES));
		gen_push_reg(g, GATE__I32, r);
		return 0;
	}
	case 0x40:
		gen_helper_call(g, GATE__H_MEMORY_GROW, 1, false, GATE__I32);
		return 0;
	case 0x41:
		gen_push_const(g, GATE__I32, (uint32_t)in->imm.i32);
		return 0;
	case 0x42:
		gen_push_const(g, GATE__I64, (uint64_t)in->imm.i64);
		return 0;
	case 0x43:
		gen_push_const(g, GATE__F32, in->imm.f32);
		return 0;
	case 0x44:
		gen_push_const(g, GATE__F64, in->imm.f64);
		return 0;
	case 0x45:
		eqz(g, GATE__I32);
		return 0;
	case 0x50:
		eqz(g, GATE__I64);
		return 0;
	case 0x67:
	case 0x68:
	case 0x69:
		bitcount(g, (int)(op - 0x67), GATE__I32);
		return 0;
	case 0x79:
	case 0x7a:
	case 0x7b:
		bitcount(g, (int)(op - 0x79), GATE__I64);
		return 0;
	case 0xa7: { /* i32.wrap_i64 */
		struct vval *v = TOP(g);
		uint8_t r;

		if (v->kind == V_CONST || gen_is_mem(g, v)) {
			/* slots are little-endian: the low half is the i32 */
			v->type = GATE__I32;
			v->k = (uint32_t)v->k;
			return 0;
		}
		r = gen_pop_reg(g);
		gate__x64_mov_rr(&g->a, X64_S32, GP(r), GP(r));
		gen_push_reg(g, GATE__I32, r);
		return 0;
	}
	case 0xa8:
		trunc_op(g, false, false, false, false);
		return 0;
	case 0xa9:
		trunc_op(g, false, false, true, false);
		return 0;
	case 0xaa:
		trunc_op(g, false, true, false, false);
		return 0;
	case 0xab:
		trunc_op(g, false, true, true, false);
		return 0;
	case 0xac:
		extend(g, X64_S64, X64_S32, GATE__I64);
		return 0;
	case 0xad: { /* i64.extend_i32_u: registers are already zero-extended */
		struct vval *v = TOP(g);
		uint8_t r;

		if (v->kind == V_CONST) {
			v->type = GATE__I64;
			v->k = (uint32_t)v->k;
			return 0;
		}
		r = gen_pop_reg(g);
		gen_push_reg(g, GATE__I64, r);
		return 0;
	}
	case 0xae:
		trunc_op(g, true, false, false, false);
		return 0;
	case 0xaf:
		trunc_op(g, true, false, true, false);
		return 0;
	case 0xb0:
		trunc_op(g, true, true, false, false);
		return 0;
	case 0xb1:
		trunc_op(g, true, true, true, false);
		return 0;
	case 0xb2:
		convert_op(g, false, false, false);
		return 0;
	case 0xb3:
		convert_op(g, false, false, true);
		return 0;
	case 0xb4:
		convert_op(g, false, true, false);
		return 0;
	case 0xb5:
		convert_op(g, false, true, true);
		return 0;
	case 0xb6:
	case 0xbb: {
		uint8_t r = gen_pop_reg(g);

		gate__x64_sse_rr(&g->a, op == 0xb6 ? X64_CVTSD2SS : X64_CVTSS2SD, XMM(r), XMM(r));
		gen_push_reg(g, op == 0xb6 ? GATE__F32 : GATE__F64, r);
		return 0;
	}
	case 0xb7:
		convert_op(g, true, false, false);
		return 0;
	case 0xb8:
		convert_op(g, true, false, true);
		return 0;
	case 0xb9:
		convert_op(g, true, true, false);
		return 0;
	case 0xba:
		convert_op(g, true, true, true);
		return 0;
	case 0xbc:
		reinterpret(g, GATE__I32);
		return 0;
	case 0xbd:
		reinterpret(g, GATE__I64);
		return 0;
	case 0xbe:
		reinterpret(g, GATE__F32);
		return 0;
	case 0xbf:
		reinterpret(g, GATE__F64);
		return 0;
	case 0xc0:
		extend(g, X64_S32, X64_S8, GATE__I32);
		return 0;
	case 0xc1:
		extend(g, X64_S32, X64_S16, GATE__I32);
		return 0;
	case 0xc2:
		extend(g, X64_S64, X64_S8, GATE__I64);
		return 0;
	case 0xc3:
		extend(g, X64_S64, X64_S16, GATE__I64);
		return 0;
	case 0xc4:
		extend(g, X64_S64, X64_S32, GATE__I64);
		return 0;
	case 0xd0:
		gen_push_const(g, in->imm.type, 0);
		return 0;
	case 0xd1: {
		struct vval *v = TOP(g);

		if (v->kind == V_CONST) {
			bool z = v->k == 0;

			gen_pop(g);
			gen_push_const(g, GATE__I32, z);
			return 0;
		}
		if (gen_is_mem(g, v)) {
			struct x64_mem m;

			gen_mem_operand(g, v, g->sp - 1, &m);
			gen_pop(g);
			gate__x64_alu_mi(&g->a, X64_CMP, X64_S64, m, 0);
		} else {
			uint8_t r = gen_pop_src(g);

			gate__x64_test_rr(&g->a, X64_S64, GP(r), GP(r));
		}
		gen_push_flags(g, X64_E);
		return 0;
	}
	case 0xd2: {
		uint8_t r = gen_alloc(g, false);

		gate__x64_load(&g->a, X64_S64, GP(r),
			       x64_mem(X64_R14, (int32_t)(g->vm.funcs + 8 * in->imm.index)));
		gen_push_reg(g, GATE__FUNCREF, r);
		return 0;
	}
	}
	return gen_fail(g, GATE_INTERNAL, "cannot compile opcode 0x%02x", op);
}
