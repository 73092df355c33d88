/* x86-64 encoder: moves and integer instructions on general registers. See asm.h. */
#include "asm_enc.h"

/* Immediates are truncated to the operand size, then sign-extended, as the CPU reads them. */
static int32_t narrow(enum x64_size sz, int32_t imm)
{
	if (sz == X64_S8)
		return (int8_t)imm;
	if (sz == X64_S16)
		return (int16_t)imm;
	return imm;
}

static unsigned imm_len(enum x64_size sz)
{
	return sz == X64_S8 ? 1 : sz == X64_S16 ? 2 : 4;
}

static uint8_t *put_imm(uint8_t *p, enum x64_size sz, int32_t imm)
{
	if (sz == X64_S8) {
		*p++ = (uint8_t)imm;
		return p;
	}
	if (sz == X64_S16)
		return put16(p, (uint16_t)imm);
	return put32(p, (uint32_t)imm);
}

void gate__x64_mov_rr(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_reg src)
{
	bool force = rex8(sz, dst) || rex8(sz, src);

	commit(a, enc_rr(begin(a), op_w(sz, 0x88), rexw(sz), src, dst, force));
}

void gate__x64_mov_ri(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, int64_t imm)
{
	uint8_t *p = begin(a);

	if (sz == X64_S8) {
		p = enc_op(p, 0xb0 + (dst & 7), 0, 0, 0, dst, rex8(sz, dst));
		*p++ = (uint8_t)imm;
	} else if (sz == X64_S16) {
		p = enc_op(p, OP_16 | (0xb8 + (dst & 7)), 0, 0, 0, dst, false);
		p = put16(p, (uint16_t)imm);
	} else if (sz == X64_S32 || (uint64_t)imm <= UINT32_MAX) {
		/* Writing a 32-bit register zero-extends: 5 bytes, or 6 for r8-r15. */
		p = enc_op(p, 0xb8 + (dst & 7), 0, 0, 0, dst, false);
		p = put32(p, (uint32_t)imm);
	} else if (imm == (int32_t)imm) {
		p = enc_rr(p, 0xc7, 1, 0, dst, false);
		p = put32(p, (uint32_t)imm);
	} else {
		p = enc_op(p, 0xb8 + (dst & 7), 1, 0, 0, dst, false);
		memcpy(p, &imm, 8);
		p += 8;
	}
	commit(a, p);
}

void gate__x64_zero(struct x64_asm *a, enum x64_reg dst)
{
	commit(a, enc_rr(begin(a), 0x31, 0, dst, dst, false));
}

void gate__x64_load(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, op_w(sz, 0x8a), rexw(sz), dst, rex8(sz, dst), &m, 0));
}

void gate__x64_store(struct x64_asm *a, enum x64_size sz, struct x64_mem m, enum x64_reg src)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, op_w(sz, 0x88), rexw(sz), src, rex8(sz, src), &m, 0));
}

void gate__x64_store_imm(struct x64_asm *a, enum x64_size sz, struct x64_mem m, int32_t imm)
{
	uint8_t *p = begin(a);

	p = enc_m(a, p, op_w(sz, 0xc6), rexw(sz), 0, false, &m, imm_len(sz));
	commit(a, put_imm(p, sz, imm));
}

static uint32_t movzx_op(enum x64_size to, enum x64_size from)
{
	return op_v(to, OP_0F | (from == X64_S8 ? 0xb6 : 0xb7));
}

/* movsx from S32 is movsxd (0x63); from S8/S16 it is 0x0f 0xbe/0xbf. */
static uint32_t movsx_op(enum x64_size to, enum x64_size from)
{
	if (from == X64_S32)
		return 0x63;
	return op_v(to, OP_0F | (from == X64_S8 ? 0xbe : 0xbf));
}

void gate__x64_movzx_rr(struct x64_asm *a, enum x64_size to, enum x64_size from, enum x64_reg dst,
			enum x64_reg src)
{
	commit(a, enc_rr(begin(a), movzx_op(to, from), rexw(to), dst, src, rex8(from, src)));
}

void gate__x64_movzx_rm(struct x64_asm *a, enum x64_size to, enum x64_size from, enum x64_reg dst,
			struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, movzx_op(to, from), rexw(to), dst, false, &m, 0));
}

void gate__x64_movsx_rr(struct x64_asm *a, enum x64_size to, enum x64_size from, enum x64_reg dst,
			enum x64_reg src)
{
	commit(a, enc_rr(begin(a), movsx_op(to, from), rexw(to), dst, src, rex8(from, src)));
}

void gate__x64_movsx_rm(struct x64_asm *a, enum x64_size to, enum x64_size from, enum x64_reg dst,
			struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, movsx_op(to, from), rexw(to), dst, false, &m, 0));
}

void gate__x64_lea(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, op_v(sz, 0x8d), rexw(sz), dst, false, &m, 0));
}

/* The ALU group: op*8 + {0: r/m, r; 2: r, r/m; 4: al/ax, imm}, byte forms even. */
void gate__x64_alu_rr(struct x64_asm *a, enum x64_alu op, enum x64_size sz, enum x64_reg dst,
		      enum x64_reg src)
{
	bool force = rex8(sz, dst) || rex8(sz, src);

	commit(a, enc_rr(begin(a), op_w(sz, op * 8u), rexw(sz), src, dst, force));
}

void gate__x64_alu_ri(struct x64_asm *a, enum x64_alu op, enum x64_size sz, enum x64_reg dst,
		      int32_t imm)
{
	uint8_t *p = begin(a);

	imm = narrow(sz, imm);
	if (sz != X64_S8 && fits8(imm)) {
		p = enc_rr(p, op_v(sz, 0x83), rexw(sz), op, dst, false);
		*p++ = (uint8_t)imm;
	} else {
		/* The accumulator form saves the ModRM byte. */
		if (dst == X64_RAX)
			p = enc_op(p, op_w(sz, op * 8u + 4), rexw(sz), 0, 0, 0, false);
		else
			p = enc_rr(p, op_w(sz, 0x80), rexw(sz), op, dst, rex8(sz, dst));
		p = put_imm(p, sz, imm);
	}
	commit(a, p);
}

void gate__x64_alu_rm(struct x64_asm *a, enum x64_alu op, enum x64_size sz, enum x64_reg dst,
		      struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, op_w(sz, op * 8u + 2), rexw(sz), dst, rex8(sz, dst), &m, 0));
}

void gate__x64_alu_mr(struct x64_asm *a, enum x64_alu op, enum x64_size sz, struct x64_mem m,
		      enum x64_reg src)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, op_w(sz, op * 8u), rexw(sz), src, rex8(sz, src), &m, 0));
}

void gate__x64_alu_mi(struct x64_asm *a, enum x64_alu op, enum x64_size sz, struct x64_mem m,
		      int32_t imm)
{
	uint8_t *p = begin(a);

	imm = narrow(sz, imm);
	if (sz != X64_S8 && fits8(imm)) {
		p = enc_m(a, p, op_v(sz, 0x83), rexw(sz), op, false, &m, 1);
		*p++ = (uint8_t)imm;
	} else {
		p = enc_m(a, p, op_w(sz, 0x80), rexw(sz), op, false, &m, imm_len(sz));
		p = put_imm(p, sz, imm);
	}
	commit(a, p);
}

void gate__x64_test_rr(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_reg src)
{
	bool force = rex8(sz, dst) || rex8(sz, src);

	commit(a, enc_rr(begin(a), op_w(sz, 0x84), rexw(sz), src, dst, force));
}

/* test has no imm8 form: a full-width immediate, or the accumulator form. */
void gate__x64_test_ri(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, int32_t imm)
{
	uint8_t *p = begin(a);

	if (dst == X64_RAX)
		p = enc_op(p, op_w(sz, 0xa8), rexw(sz), 0, 0, 0, false);
	else
		p = enc_rr(p, op_w(sz, 0xf6), rexw(sz), 0, dst, rex8(sz, dst));
	commit(a, put_imm(p, sz, narrow(sz, imm)));
}

void gate__x64_test_mi(struct x64_asm *a, enum x64_size sz, struct x64_mem m, int32_t imm)
{
	uint8_t *p = begin(a);

	p = enc_m(a, p, op_w(sz, 0xf6), rexw(sz), 0, false, &m, imm_len(sz));
	commit(a, put_imm(p, sz, narrow(sz, imm)));
}

void gate__x64_unary(struct x64_asm *a, enum x64_unary op, enum x64_size sz, enum x64_reg r)
{
	/* inc/dec are /0 and /1 of 0xfe/0xff; the rest /digit of 0xf6/0xf7. */
	uint32_t opc = op >= X64_INC ? 0xfe : 0xf6;

	commit(a, enc_rr(begin(a), op_w(sz, opc), rexw(sz), op & 7, r, rex8(sz, r)));
}

void gate__x64_imul_rr(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_reg src)
{
	commit(a, enc_rr(begin(a), op_v(sz, OP_0F | 0xaf), rexw(sz), dst, src, false));
}

void gate__x64_imul_rri(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_reg src,
			int32_t imm)
{
	uint8_t *p = begin(a);

	imm = narrow(sz, imm);
	if (fits8(imm)) {
		p = enc_rr(p, op_v(sz, 0x6b), rexw(sz), dst, src, false);
		*p++ = (uint8_t)imm;
	} else {
		p = enc_rr(p, op_v(sz, 0x69), rexw(sz), dst, src, false);
		p = put_imm(p, sz, imm);
	}
	commit(a, p);
}

void gate__x64_cdq(struct x64_asm *a, enum x64_size sz)
{
	commit(a, enc_op(begin(a), op_v(sz, 0x99), rexw(sz), 0, 0, 0, false));
}

void gate__x64_shift_cl(struct x64_asm *a, enum x64_shift op, enum x64_size sz, enum x64_reg r)
{
	commit(a, enc_rr(begin(a), op_w(sz, 0xd2), rexw(sz), op, r, rex8(sz, r)));
}

void gate__x64_shift_ri(struct x64_asm *a, enum x64_shift op, enum x64_size sz, enum x64_reg r,
			uint8_t imm)
{
	uint8_t *p = begin(a);

	if (imm == 1) {
		p = enc_rr(p, op_w(sz, 0xd0), rexw(sz), op, r, rex8(sz, r));
	} else {
		p = enc_rr(p, op_w(sz, 0xc0), rexw(sz), op, r, rex8(sz, r));
		*p++ = imm;
	}
	commit(a, p);
}

void gate__x64_bitop(struct x64_asm *a, enum x64_bitop op, enum x64_size sz, enum x64_reg dst,
		     enum x64_reg src)
{
	commit(a, enc_rr(begin(a), op_v(sz, OP_0F | op), rexw(sz), dst, src, false));
}

void gate__x64_bswap(struct x64_asm *a, enum x64_size sz, enum x64_reg r)
{
	commit(a, enc_op(begin(a), OP_0F | (0xc8 + (r & 7)), rexw(sz), 0, 0, r, false));
}

void gate__x64_setcc(struct x64_asm *a, enum x64_cond cc, enum x64_reg r)
{
	commit(a, enc_rr(begin(a), OP_0F | (0x90 + cc), 0, 0, r, rex8(X64_S8, r)));
}

void gate__x64_cmov_rr(struct x64_asm *a, enum x64_cond cc, enum x64_size sz, enum x64_reg dst,
		       enum x64_reg src)
{
	commit(a, enc_rr(begin(a), op_v(sz, OP_0F | (0x40 + cc)), rexw(sz), dst, src, false));
}

void gate__x64_cmov_rm(struct x64_asm *a, enum x64_cond cc, enum x64_size sz, enum x64_reg dst,
		       struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, op_v(sz, OP_0F | (0x40 + cc)), rexw(sz), dst, false, &m, 0));
}
