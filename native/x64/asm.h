/*
 * x86-64 machine-code encoder: the layer beneath the single-pass code
 * generator. See docs/x64.md.
 *
 * An assembler owns one growable code buffer. Encoders never fail and never
 * abort: running out of memory (or past the size bound) sets an error that
 * sticks, and further output goes to a scratch area. Check gate__x64_error()
 * once, after the last instruction, before using the code.
 *
 *	struct x64_asm a;
 *	struct x64_label loop = { 0 };
 *
 *	gate__x64_init(&a, 1 << 20);
 *	gate__x64_bind(&a, &loop);
 *	gate__x64_alu_ri(&a, X64_SUB, X64_S32, X64_RDI, 1);
 *	gate__x64_jcc(&a, X64_NE, &loop);
 *	gate__x64_ret(&a);
 *	if (gate__x64_error(&a) == X64_OK)
 *		use(a.code, a.len);
 *	gate__x64_free(&a);
 *
 * Operands are written destination first, as in Intel syntax.
 */
#ifndef GATE_X64_ASM_H
#define GATE_X64_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* General-purpose registers, numbered as the hardware encodes them. */
enum x64_reg {
	X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
	X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15,
	X64_NOREG, /* no base or no index in a memory operand */
	X64_RIP,   /* base of a RIP-relative memory operand */
};

enum x64_xmm {
	X64_XMM0, X64_XMM1, X64_XMM2, X64_XMM3, X64_XMM4, X64_XMM5, X64_XMM6, X64_XMM7,
	X64_XMM8, X64_XMM9, X64_XMM10, X64_XMM11, X64_XMM12, X64_XMM13, X64_XMM14, X64_XMM15,
};

/*
 * Operand size in bytes. ALU, shift and move encoders take all four; 8-bit
 * operations on SPL, BPL, SIL and DIL get the REX prefix they need. Where a
 * size is not meaningful (lea, imul, cmov, bit counts) S8 is a usage error.
 */
enum x64_size { X64_S8 = 1, X64_S16 = 2, X64_S32 = 4, X64_S64 = 8 };

/* Condition codes in hardware order, so that negation flips the low bit. */
enum x64_cond {
	X64_O, X64_NO, X64_B, X64_AE, X64_E, X64_NE, X64_BE, X64_A,
	X64_S, X64_NS, X64_P, X64_NP, X64_L, X64_GE, X64_LE, X64_G,
};

/* The condition that holds exactly when c does not. */
static inline enum x64_cond x64_cond_negate(enum x64_cond c)
{
	return (enum x64_cond)(c ^ 1);
}

/* The condition for the same comparison with its operands swapped (a < b iff b > a). */
static inline enum x64_cond x64_cond_swap(enum x64_cond c)
{
	switch (c) {
	case X64_B: return X64_A;
	case X64_AE: return X64_BE;
	case X64_BE: return X64_AE;
	case X64_A: return X64_B;
	case X64_L: return X64_G;
	case X64_GE: return X64_LE;
	case X64_LE: return X64_GE;
	case X64_G: return X64_L;
	default: return c;
	}
}

/* The two-operand integer group, valued as the /digit of opcodes 0x80-0x83. */
enum x64_alu { X64_ADD, X64_OR, X64_ADC, X64_SBB, X64_AND, X64_SUB, X64_XOR, X64_CMP };

/* Shifts and rotates, valued as the /digit of opcodes 0xc0-0xd3. */
enum x64_shift { X64_ROL = 0, X64_ROR = 1, X64_SHL = 4, X64_SHR = 5, X64_SAR = 7 };

/* One-operand group 3 (and inc/dec), valued as the /digit of 0xf7 (0xff for inc/dec). */
enum x64_unary { X64_NOT = 2, X64_NEG = 3, X64_MUL = 4, X64_IMUL1 = 5, X64_DIV = 6, X64_IDIV = 7,
		 X64_INC = 0x10, X64_DEC = 0x11 };

/*
 * Bit scans and counts: the value packs the mandatory prefix (bits 16-23)
 * and the opcode after 0x0f.
 */
enum x64_bitop {
	X64_BSF = 0x0bc, X64_BSR = 0x0bd,
	X64_TZCNT = 0xf300bc, X64_LZCNT = 0xf300bd, X64_POPCNT = 0xf300b8,
};

/*
 * SSE instructions on xmm registers (scalar float, bitwise, a few integer).
 * The value is the encoding: mandatory prefix in bits 16-23, 0x0f escape in
 * bit 8, 0x0f38 in bit 9, 0x0f3a in bit 10, opcode in bits 0-7.
 */
#define X64_SSE_(pfx, map, op) ((pfx) << 16 | (map) | (op))
enum x64_sse {
	X64_MOVSS = X64_SSE_(0xf3, 0x100, 0x10), X64_MOVSD = X64_SSE_(0xf2, 0x100, 0x10),
	X64_MOVUPS = X64_SSE_(0, 0x100, 0x10),
	X64_MOVAPS = X64_SSE_(0, 0x100, 0x28), X64_MOVAPD = X64_SSE_(0x66, 0x100, 0x28),
	X64_ADDSS = X64_SSE_(0xf3, 0x100, 0x58), X64_ADDSD = X64_SSE_(0xf2, 0x100, 0x58),
	X64_MULSS = X64_SSE_(0xf3, 0x100, 0x59), X64_MULSD = X64_SSE_(0xf2, 0x100, 0x59),
	X64_SUBSS = X64_SSE_(0xf3, 0x100, 0x5c), X64_SUBSD = X64_SSE_(0xf2, 0x100, 0x5c),
	X64_MINSS = X64_SSE_(0xf3, 0x100, 0x5d), X64_MINSD = X64_SSE_(0xf2, 0x100, 0x5d),
	X64_DIVSS = X64_SSE_(0xf3, 0x100, 0x5e), X64_DIVSD = X64_SSE_(0xf2, 0x100, 0x5e),
	X64_MAXSS = X64_SSE_(0xf3, 0x100, 0x5f), X64_MAXSD = X64_SSE_(0xf2, 0x100, 0x5f),
	X64_SQRTSS = X64_SSE_(0xf3, 0x100, 0x51), X64_SQRTSD = X64_SSE_(0xf2, 0x100, 0x51),
	X64_CVTSS2SD = X64_SSE_(0xf3, 0x100, 0x5a), X64_CVTSD2SS = X64_SSE_(0xf2, 0x100, 0x5a),
	X64_UCOMISS = X64_SSE_(0, 0x100, 0x2e), X64_UCOMISD = X64_SSE_(0x66, 0x100, 0x2e),
	X64_ANDPS = X64_SSE_(0, 0x100, 0x54), X64_ANDPD = X64_SSE_(0x66, 0x100, 0x54),
	X64_ANDNPS = X64_SSE_(0, 0x100, 0x55), X64_ANDNPD = X64_SSE_(0x66, 0x100, 0x55),
	X64_ORPS = X64_SSE_(0, 0x100, 0x56), X64_ORPD = X64_SSE_(0x66, 0x100, 0x56),
	X64_XORPS = X64_SSE_(0, 0x100, 0x57), X64_XORPD = X64_SSE_(0x66, 0x100, 0x57),
	X64_PAND = X64_SSE_(0x66, 0x100, 0xdb), X64_POR = X64_SSE_(0x66, 0x100, 0xeb),
	X64_PXOR = X64_SSE_(0x66, 0x100, 0xef),
	X64_PCMPEQD = X64_SSE_(0x66, 0x100, 0x76), X64_PCMPEQQ = X64_SSE_(0x66, 0x200, 0x29),
	/* These take an immediate: use gate__x64_sse_rri(). */
	X64_CMPSS = X64_SSE_(0xf3, 0x100, 0xc2), X64_CMPSD = X64_SSE_(0xf2, 0x100, 0xc2),
	X64_ROUNDSS = X64_SSE_(0x66, 0x400, 0x0a), X64_ROUNDSD = X64_SSE_(0x66, 0x400, 0x0b),
};

/* Shifts of xmm registers by an immediate: opcode after 0x66 0x0f, and /digit << 8. */
enum x64_sse_shift {
	X64_PSRLD = 0x272, X64_PSLLD = 0x672, X64_PSRLQ = 0x273, X64_PSLLQ = 0x673,
};

/* Rounding-control immediates of roundss/roundsd (SSE4.1), with precision exceptions. */
enum x64_round { X64_ROUND_NEAREST = 0, X64_ROUND_DOWN = 1, X64_ROUND_UP = 2, X64_ROUND_TRUNC = 3 };

/*
 * A label: a code position that may be referenced before it is known.
 * Zero-initialise it ({ 0 }) before first use. Unresolved references live
 * in the label (X64_LABEL_INLINE of them) and then in a pool owned by the
 * assembler, so a label needs no cleanup of its own. Binding patches every
 * reference. The assembler keeps no pointer to a label between calls, so a
 * label may live in an array that is reallocated (a control stack).
 */
#define X64_LABEL_INLINE 3

struct x64_use {
	uint32_t at;  /* offset of the field to patch */
	uint32_t end; /* the field receives target - end (plus what it already holds) */
	uint32_t size; /* 1 or 4 bytes */
};

struct x64_label {
	uint32_t pos;   /* offset, once bound */
	uint8_t bound;
	uint8_t ninline;
	uint32_t more;  /* 1 + index of the first pooled use, or 0 */
	struct x64_use uses[X64_LABEL_INLINE];
};

static inline bool x64_label_bound(const struct x64_label *l)
{
	return l->bound;
}

/*
 * A memory operand [base + index * scale + disp]. base may be X64_NOREG
 * (absolute disp32) or X64_RIP: then the target is label + disp when label
 * is set, else the buffer offset disp. index may be X64_NOREG but never RSP.
 */
struct x64_mem {
	uint8_t base;
	uint8_t index;
	uint8_t shift; /* log2 of the scale: 0..3 */
	int32_t disp;
	struct x64_label *label;
};

static inline struct x64_mem x64_mem(enum x64_reg base, int32_t disp)
{
	return (struct x64_mem){ .base = base, .index = X64_NOREG, .disp = disp };
}

/* scale is 1, 2, 4 or 8. */
static inline struct x64_mem x64_mem_index(enum x64_reg base, enum x64_reg index, unsigned scale,
					   int32_t disp)
{
	unsigned shift = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;

	return (struct x64_mem){ .base = base, .index = index, .shift = shift, .disp = disp };
}

/* [rip + label + disp]: constants placed in the code buffer. */
static inline struct x64_mem x64_mem_label(struct x64_label *l, int32_t disp)
{
	return (struct x64_mem){ .base = X64_RIP, .index = X64_NOREG, .disp = disp, .label = l };
}

enum x64_error {
	X64_OK,
	X64_ENOMEM,  /* malloc failed */
	X64_ELIMIT,  /* the code would exceed the size bound */
	X64_ERANGE,  /* a short jump was bound more than 127 bytes away */
	X64_EINVAL,  /* a usage error: bad operand, label bound twice, patch out of range */
};

/* Room every encoder may write without checking: the longest instruction is 15 bytes. */
#define X64_RESERVE 16
/* rel32 and the uint32_t offsets in labels bound the buffer. */
#define X64_MAX_CODE ((size_t)INT32_MAX)

struct x64_asm {
	uint8_t *code; /* owned; code[0..len) is the output */
	size_t len;
	size_t cap;
	size_t max;    /* size bound, at most X64_MAX_CODE */
	int error;     /* enum x64_error: the first error, sticky */
	struct x64_pooled_use *pool; /* overflow label uses, owned */
	uint32_t npool, cappool, freepool;
	uint8_t scratch[X64_RESERVE]; /* receives output after running out of room */
};

/* Buffer and label management (asm.c). */

/* Starts an empty buffer that may grow to max bytes. Allocates lazily, cannot fail. */
void gate__x64_init(struct x64_asm *a, size_t max);
/* Frees the buffer and the label pool. Accepts a zeroed or freed assembler. */
void gate__x64_free(struct x64_asm *a);
/* X64_OK, or the first error since init. On X64_OK, code[0..len) is complete. */
int gate__x64_error(const struct x64_asm *a);
const char *gate__x64_error_name(int error);

static inline size_t gate__x64_offset(const struct x64_asm *a)
{
	return a->len;
}

/* Binds l to the current offset and patches its references. */
void gate__x64_bind(struct x64_asm *a, struct x64_label *l);
/* Overwrites 4 bytes at off (little-endian); off + 4 must be within len. */
void gate__x64_patch32(struct x64_asm *a, size_t off, uint32_t v);

/* Data. */
void gate__x64_emit8(struct x64_asm *a, uint8_t v);
void gate__x64_emit32(struct x64_asm *a, uint32_t v);
void gate__x64_emit64(struct x64_asm *a, uint64_t v);
/* A 32-bit value label - base_off, as in a jump table of offsets from its start. */
void gate__x64_emit_label_delta(struct x64_asm *a, struct x64_label *l, size_t base_off);
/* n bytes of the recommended multi-byte nops (Intel SDM, NOP). */
void gate__x64_nop(struct x64_asm *a, size_t n);
/* Nops up to the next multiple of align (a power of two), e.g. before a loop head. */
void gate__x64_align(struct x64_asm *a, size_t align);

/* Moves, loads, stores (asm.c). */

/* mov dst, src (S32 zero-extends into the upper half). */
void gate__x64_mov_rr(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_reg src);
/*
 * mov dst, imm with the shortest encoding that does not touch flags:
 * mov r32, imm32 when the value fits unsigned 32 bits (or sz is S32),
 * mov r64, simm32 when it fits signed, movabs otherwise.
 */
void gate__x64_mov_ri(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, int64_t imm);
/* xor r32, r32: the shortest zeroing, but it clobbers flags. */
void gate__x64_zero(struct x64_asm *a, enum x64_reg dst);
/* mov dst, [m] at any size (S8 and S16 merge into the low bits). */
void gate__x64_load(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, struct x64_mem m);
/* mov [m], src */
void gate__x64_store(struct x64_asm *a, enum x64_size sz, struct x64_mem m, enum x64_reg src);
/* mov [m], imm: imm is truncated to sz, and sign-extended from 32 bits for S64. */
void gate__x64_store_imm(struct x64_asm *a, enum x64_size sz, struct x64_mem m, int32_t imm);
/* movzx dst, src: from is S8 or S16, to is S32 or S64 (S32 already clears bits 32-63). */
void gate__x64_movzx_rr(struct x64_asm *a, enum x64_size to, enum x64_size from, enum x64_reg dst,
			enum x64_reg src);
void gate__x64_movzx_rm(struct x64_asm *a, enum x64_size to, enum x64_size from, enum x64_reg dst,
			struct x64_mem m);
/* movsx/movsxd dst, src: from is S8, S16 or S32 (to S64 only). */
void gate__x64_movsx_rr(struct x64_asm *a, enum x64_size to, enum x64_size from, enum x64_reg dst,
			enum x64_reg src);
void gate__x64_movsx_rm(struct x64_asm *a, enum x64_size to, enum x64_size from, enum x64_reg dst,
			struct x64_mem m);
/* lea dst, [m] (S32 or S64). */
void gate__x64_lea(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, struct x64_mem m);
void gate__x64_push(struct x64_asm *a, enum x64_reg r);
void gate__x64_pop(struct x64_asm *a, enum x64_reg r);

/* Integer arithmetic (asm.c). */

/* op dst, src / imm / [m]; immediates use the imm8 and accumulator short forms. */
void gate__x64_alu_rr(struct x64_asm *a, enum x64_alu op, enum x64_size sz, enum x64_reg dst,
		      enum x64_reg src);
void gate__x64_alu_ri(struct x64_asm *a, enum x64_alu op, enum x64_size sz, enum x64_reg dst,
		      int32_t imm);
void gate__x64_alu_rm(struct x64_asm *a, enum x64_alu op, enum x64_size sz, enum x64_reg dst,
		      struct x64_mem m);
void gate__x64_alu_mr(struct x64_asm *a, enum x64_alu op, enum x64_size sz, struct x64_mem m,
		      enum x64_reg src);
void gate__x64_alu_mi(struct x64_asm *a, enum x64_alu op, enum x64_size sz, struct x64_mem m,
		      int32_t imm);
void gate__x64_test_rr(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_reg src);
void gate__x64_test_ri(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, int32_t imm);
void gate__x64_test_mi(struct x64_asm *a, enum x64_size sz, struct x64_mem m, int32_t imm);
/* not, neg, mul, imul, div, idiv (rdx:rax implied), inc, dec on a register. */
void gate__x64_unary(struct x64_asm *a, enum x64_unary op, enum x64_size sz, enum x64_reg r);
/* imul dst, src; imul dst, src, imm (sz S16..S64). */
void gate__x64_imul_rr(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_reg src);
void gate__x64_imul_rri(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_reg src,
			int32_t imm);
/* cdq (S32) or cqo (S64): sign-extend rax into rdx before idiv. */
void gate__x64_cdq(struct x64_asm *a, enum x64_size sz);
/* shift r by cl; by imm (masked to the operand width by hardware; 1 uses the short form). */
void gate__x64_shift_cl(struct x64_asm *a, enum x64_shift op, enum x64_size sz, enum x64_reg r);
void gate__x64_shift_ri(struct x64_asm *a, enum x64_shift op, enum x64_size sz, enum x64_reg r,
			uint8_t imm);
/* lzcnt/tzcnt/popcnt/bsf/bsr dst, src (sz S16..S64). */
void gate__x64_bitop(struct x64_asm *a, enum x64_bitop op, enum x64_size sz, enum x64_reg dst,
		     enum x64_reg src);
void gate__x64_bswap(struct x64_asm *a, enum x64_size sz, enum x64_reg r);
/* setcc r8 (only the low byte is written). */
void gate__x64_setcc(struct x64_asm *a, enum x64_cond cc, enum x64_reg r);
void gate__x64_cmov_rr(struct x64_asm *a, enum x64_cond cc, enum x64_size sz, enum x64_reg dst,
		       enum x64_reg src);
void gate__x64_cmov_rm(struct x64_asm *a, enum x64_cond cc, enum x64_size sz, enum x64_reg dst,
		       struct x64_mem m);

/* Control flow (asm.c). */

/* jmp/jcc to l: rel8 when l is bound and near, else rel32. */
void gate__x64_jmp(struct x64_asm *a, struct x64_label *l);
void gate__x64_jcc(struct x64_asm *a, enum x64_cond cc, struct x64_label *l);
/* Always rel8; binding l more than 127 bytes ahead sets X64_ERANGE. */
void gate__x64_jmp_short(struct x64_asm *a, struct x64_label *l);
void gate__x64_jcc_short(struct x64_asm *a, enum x64_cond cc, struct x64_label *l);
/* call rel32 to l. */
void gate__x64_call(struct x64_asm *a, struct x64_label *l);
void gate__x64_call_r(struct x64_asm *a, enum x64_reg r);
void gate__x64_call_m(struct x64_asm *a, struct x64_mem m);
void gate__x64_jmp_r(struct x64_asm *a, enum x64_reg r);
/* jmp qword [m], e.g. a jump table: x64_mem_index(table, index, 8, 0). */
void gate__x64_jmp_m(struct x64_asm *a, struct x64_mem m);
void gate__x64_ret(struct x64_asm *a);
void gate__x64_ud2(struct x64_asm *a);
void gate__x64_int3(struct x64_asm *a);

/* SSE (asm_sse.c). */

/* op dst, src / [m] for every enum x64_sse value without an immediate. */
void gate__x64_sse_rr(struct x64_asm *a, enum x64_sse op, enum x64_xmm dst, enum x64_xmm src);
void gate__x64_sse_rm(struct x64_asm *a, enum x64_sse op, enum x64_xmm dst, struct x64_mem m);
/* cmpss/cmpsd/roundss/roundsd dst, src, imm. */
void gate__x64_sse_rri(struct x64_asm *a, enum x64_sse op, enum x64_xmm dst, enum x64_xmm src,
		       uint8_t imm);
/* Store with movss/movsd/movups/movaps: op names the load; the store opcode is op + 1. */
void gate__x64_sse_store(struct x64_asm *a, enum x64_sse op, struct x64_mem m, enum x64_xmm src);
void gate__x64_sse_shift_ri(struct x64_asm *a, enum x64_sse_shift op, enum x64_xmm r, uint8_t imm);
/* movd (S32) / movq (S64) between a general register and an xmm register. */
void gate__x64_movd_xr(struct x64_asm *a, enum x64_size sz, enum x64_xmm dst, enum x64_reg src);
void gate__x64_movd_rx(struct x64_asm *a, enum x64_size sz, enum x64_reg dst, enum x64_xmm src);
/* movmskps (fsz S32) / movmskpd (S64) dst, src: sign bits into a general register. */
void gate__x64_movmsk(struct x64_asm *a, enum x64_size fsz, enum x64_reg dst, enum x64_xmm src);
/* cvtsi2ss/cvtsi2sd: fsz S32 is float, S64 double; isz the integer size (S32, S64). */
void gate__x64_cvt_i2f(struct x64_asm *a, enum x64_size fsz, enum x64_size isz, enum x64_xmm dst,
		       enum x64_reg src);
/* cvttss2si/cvttsd2si: truncating float to integer. */
void gate__x64_cvtt_f2i(struct x64_asm *a, enum x64_size fsz, enum x64_size isz, enum x64_reg dst,
			enum x64_xmm src);

#endif
