/* x86-64 encoder: SSE2/SSE4.1 scalar float and xmm bitwise instructions. See asm.h. */
#include "asm_enc.h"

/*
 * The mandatory prefix (0x66, 0xf2, 0xf3) precedes REX, which precedes the
 * 0x0f escape; enc_op emits them in that order from the packed opcode.
 */

void gate__x64_sse_rr(struct x64_asm *a, enum x64_sse op, enum x64_xmm dst, enum x64_xmm src)
{
	commit(a, enc_rr(begin(a), op, 0, dst, src, false));
}

void gate__x64_sse_rm(struct x64_asm *a, enum x64_sse op, enum x64_xmm dst, struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, op, 0, dst, false, &m, 0));
}

void gate__x64_sse_rri(struct x64_asm *a, enum x64_sse op, enum x64_xmm dst, enum x64_xmm src,
		       uint8_t imm)
{
	uint8_t *p = enc_rr(begin(a), op, 0, dst, src, false);

	*p++ = imm;
	commit(a, p);
}

void gate__x64_sse_store(struct x64_asm *a, enum x64_sse op, struct x64_mem m, enum x64_xmm src)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, op + 1, 0, src, false, &m, 0));
}

void gate__x64_sse_shift_ri(struct x64_asm *a, enum x64_sse_shift op, enum x64_xmm r, uint8_t imm)
{
	uint8_t *p = enc_rr(begin(a), 0x66u << 16 | OP_0F | (op & 0xff), 0, op >> 8, r, false);

	*p++ = imm;
	commit(a, p);
}

/* movd/movq xmm, r: 66 [REX.W] 0f 6e; the reverse direction is 0f 7e with the xmm in reg. */
void gate__x64_movd_xr(struct x64_asm *a, enum x64_size sz, enum x64_xmm dst, enum x64_reg src)
{
	commit(a, enc_rr(begin(a), 0x66u << 16 | OP_0F | 0x6e, rexw(sz), dst, src, false));
}

void gate__x64_movd_rx(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_xmm src)
{
	commit(a, enc_rr(begin(a), 0x66u << 16 | OP_0F | 0x7e, rexw(sz), src, dst, false));
}

void gate__x64_movmsk(struct x64_asm *a, enum x64_size fsz, enum x64_reg dst, enum x64_xmm src)
{
	uint32_t op = (fsz == X64_S64 ? 0x66u << 16 : 0) | OP_0F | 0x50;

	commit(a, enc_rr(begin(a), op, 0, dst, src, false));
}

/* f3 (single) or f2 (double), REX.W picks the 64-bit integer. */
static uint32_t cvt_op(enum x64_size fsz, uint32_t op)
{
	return (fsz == X64_S64 ? 0xf2u : 0xf3u) << 16 | OP_0F | op;
}

void gate__x64_cvt_i2f(struct x64_asm *a, enum x64_size fsz, enum x64_size isz, enum x64_xmm dst,
		       enum x64_reg src)
{
	commit(a, enc_rr(begin(a), cvt_op(fsz, 0x2a), rexw(isz), dst, src, false));
}

void gate__x64_cvtt_f2i(struct x64_asm *a, enum x64_size fsz, enum x64_size isz, enum x64_reg dst,
			enum x64_xmm src)
{
	commit(a, enc_rr(begin(a), cvt_op(fsz, 0x2c), rexw(isz), dst, src, false));
}
