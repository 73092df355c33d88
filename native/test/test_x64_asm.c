/*
 * Unit tests of the x86-64 encoder's own logic: the buffer, errors, labels,
 * short/long jump selection, and a few encodings written out from the
 * Intel SDM. Instruction bytes at large are checked against GNU as in
 * test_x64_oracle.c.
 */
#include <string.h>

#include "../x64/asm.h"
#include "test.h"

/* Emits via the statement s into a fresh assembler and compares the bytes. */
#define CHECK_BYTES(s, ...)                                                                       \
	do {                                                                                      \
		static const uint8_t want_[] = { __VA_ARGS__ };                                   \
		struct x64_asm a_;                                                                \
		int same_;                                                                        \
		gate__x64_init(&a_, 4096);                                                        \
		{                                                                                 \
			struct x64_asm *a = &a_;                                                  \
			s;                                                                        \
		}                                                                                 \
		same_ = a_.len == sizeof(want_) && memcmp(a_.code, want_, sizeof(want_)) == 0;    \
		gate__x64_free(&a_);                                                              \
		CHECK(same_ && #s);                                                               \
	} while (0)

TEST(x64_no_needless_rex)
{
	CHECK_BYTES(gate__x64_mov_rr(a, X64_S32, X64_RAX, X64_RCX), 0x89, 0xc8);
	CHECK_BYTES(gate__x64_alu_rr(a, X64_ADD, X64_S32, X64_RDI, X64_RSI), 0x01, 0xf7);
	CHECK_BYTES(gate__x64_mov_ri(a, X64_S64, X64_RAX, 0), 0xb8, 0, 0, 0, 0);
	CHECK_BYTES(gate__x64_zero(a, X64_RDI), 0x31, 0xff);
	CHECK_BYTES(gate__x64_push(a, X64_RBP), 0x55);
	CHECK_BYTES(gate__x64_call_r(a, X64_RAX), 0xff, 0xd0);
	/* A byte access to DH without REX, but SIL needs a REX to not mean DH. */
	CHECK_BYTES(gate__x64_setcc(a, X64_E, X64_RDX), 0x0f, 0x94, 0xc2);
	CHECK_BYTES(gate__x64_setcc(a, X64_E, X64_RSI), 0x40, 0x0f, 0x94, 0xc6);
	CHECK_BYTES(gate__x64_movzx_rr(a, X64_S32, X64_S8, X64_RSI, X64_RAX), 0x0f, 0xb6, 0xf0);
	CHECK_BYTES(gate__x64_movzx_rr(a, X64_S32, X64_S8, X64_RAX, X64_RDI), 0x40, 0x0f, 0xb6,
		    0xc7);
}

TEST(x64_mov_ri_picks_shortest)
{
	CHECK_BYTES(gate__x64_mov_ri(a, X64_S64, X64_R8, 0xffffffff), 0x41, 0xb8, 0xff, 0xff,
		    0xff, 0xff);
	CHECK_BYTES(gate__x64_mov_ri(a, X64_S64, X64_RCX, -1), 0x48, 0xc7, 0xc1, 0xff, 0xff, 0xff,
		    0xff);
	CHECK_BYTES(gate__x64_mov_ri(a, X64_S64, X64_RDX, 0x100000000), 0x48, 0xba, 0, 0, 0, 0, 1,
		    0, 0, 0);
	CHECK_BYTES(gate__x64_mov_ri(a, X64_S32, X64_RDX, -1), 0xba, 0xff, 0xff, 0xff, 0xff);
}

TEST(x64_addressing_quirks)
{
	/* [rsp] needs a SIB; [rbp] and [r13] need a disp8 of 0; [r12] needs a SIB too. */
	CHECK_BYTES(gate__x64_load(a, X64_S64, X64_RAX, x64_mem(X64_RSP, 0)), 0x48, 0x8b, 0x04,
		    0x24);
	CHECK_BYTES(gate__x64_load(a, X64_S64, X64_RAX, x64_mem(X64_RBP, 0)), 0x48, 0x8b, 0x45,
		    0x00);
	CHECK_BYTES(gate__x64_load(a, X64_S32, X64_RAX, x64_mem(X64_R13, 0)), 0x41, 0x8b, 0x45,
		    0x00);
	CHECK_BYTES(gate__x64_load(a, X64_S32, X64_RAX, x64_mem(X64_R12, 0)), 0x41, 0x8b, 0x04,
		    0x24);
	/* disp8 covers -128..127. */
	CHECK_BYTES(gate__x64_load(a, X64_S32, X64_RAX, x64_mem(X64_RCX, 127)), 0x8b, 0x41, 0x7f);
	CHECK_BYTES(gate__x64_load(a, X64_S32, X64_RAX, x64_mem(X64_RCX, -128)), 0x8b, 0x41, 0x80);
	CHECK_BYTES(gate__x64_load(a, X64_S32, X64_RAX, x64_mem(X64_RCX, 128)), 0x8b, 0x81, 0x80,
		    0, 0, 0);
	/* The jump-table form. */
	CHECK_BYTES(gate__x64_jmp_m(a, x64_mem_index(X64_RAX, X64_RCX, 8, 0)), 0xff, 0x24, 0xc8);
	/* r12 is a valid index (REX.X); rsp is not. */
	CHECK_BYTES(gate__x64_lea(a, X64_S64, X64_RAX, x64_mem_index(X64_RAX, X64_R12, 1, 0)),
		    0x4a, 0x8d, 0x04, 0x20);
}

TEST(x64_rsp_index_is_invalid)
{
	struct x64_asm a;

	gate__x64_init(&a, 4096);
	gate__x64_lea(&a, X64_S64, X64_RAX, x64_mem_index(X64_RAX, X64_RSP, 1, 0));
	CHECK_EQ(gate__x64_error(&a), X64_EINVAL);
	gate__x64_free(&a);
}

TEST(x64_cond_negate_and_swap)
{
	CHECK_EQ(x64_cond_negate(X64_E), X64_NE);
	CHECK_EQ(x64_cond_negate(X64_L), X64_GE);
	CHECK_EQ(x64_cond_negate(X64_BE), X64_A);
	CHECK_EQ(x64_cond_negate(X64_P), X64_NP);
	for (int c = 0; c < 16; c++) {
		CHECK_EQ(x64_cond_negate(x64_cond_negate((enum x64_cond)c)), c);
		CHECK_EQ(x64_cond_swap(x64_cond_swap((enum x64_cond)c)), c);
	}
	CHECK_EQ(x64_cond_swap(X64_L), X64_G);
	CHECK_EQ(x64_cond_swap(X64_AE), X64_BE);
	CHECK_EQ(x64_cond_swap(X64_E), X64_E);
}

TEST(x64_backward_jump_rel8_boundary)
{
	struct x64_asm a;
	struct x64_label l = { 0 };

	gate__x64_init(&a, 4096);
	gate__x64_bind(&a, &l);
	gate__x64_nop(&a, 126);
	/* 126 + 2 = 128 bytes back: the last distance rel8 reaches. */
	gate__x64_jmp(&a, &l);
	CHECK_EQ(a.len, 128);
	CHECK_EQ(a.code[126], 0xeb);
	CHECK_EQ(a.code[127], 0x80);
	/* One byte further needs rel32. */
	gate__x64_jcc(&a, X64_NE, &l);
	CHECK_EQ(a.len, 128 + 6);
	CHECK_EQ(a.code[128], 0x0f);
	CHECK_EQ(a.code[129], 0x85);
	CHECK_EQ((int32_t)(a.code[130] | a.code[131] << 8 | a.code[132] << 16 |
			   (uint32_t)a.code[133] << 24),
		 -134);
	CHECK_EQ(gate__x64_error(&a), X64_OK);
	gate__x64_free(&a);
}

TEST(x64_forward_jumps_patched_at_bind)
{
	struct x64_asm a;
	struct x64_label l = { 0 }, s = { 0 };

	gate__x64_init(&a, 4096);
	gate__x64_jmp(&a, &l);           /* 0: e9 rel32 */
	gate__x64_jcc_short(&a, X64_B, &s); /* 5: 72 rel8 */
	gate__x64_int3(&a);              /* 7 */
	gate__x64_bind(&a, &s);          /* 8 */
	gate__x64_bind(&a, &l);          /* 8 */
	CHECK_EQ(a.code[0], 0xe9);
	CHECK_EQ(a.code[1], 3);
	CHECK_EQ(a.code[5], 0x72);
	CHECK_EQ(a.code[6], 1);
	CHECK(x64_label_bound(&l));
	CHECK_EQ(gate__x64_error(&a), X64_OK);
	gate__x64_free(&a);
}

TEST(x64_short_promise_broken_is_erange)
{
	struct x64_asm a;
	struct x64_label l = { 0 };

	gate__x64_init(&a, 4096);
	gate__x64_jmp_short(&a, &l);
	gate__x64_nop(&a, 127);
	gate__x64_bind(&a, &l);
	CHECK_EQ(gate__x64_error(&a), X64_OK);
	CHECK_EQ(a.code[1], 127);

	struct x64_label m = { 0 };

	gate__x64_jmp_short(&a, &m);
	gate__x64_nop(&a, 128);
	gate__x64_bind(&a, &m);
	CHECK_EQ(gate__x64_error(&a), X64_ERANGE);
	gate__x64_free(&a);
}

TEST(x64_label_overflow_pool_reused)
{
	struct x64_asm a;
	struct x64_label l[3] = { { 0 } };

	gate__x64_init(&a, 1 << 16);
	for (int round = 0; round < 3; round++) {
		size_t first = a.len;

		for (int k = 0; k < 100; k++)
			gate__x64_jmp(&a, &l[round]);
		gate__x64_bind(&a, &l[round]);
		/* Every jump lands on the label. */
		for (int k = 0; k < 100; k++) {
			size_t at = first + 5 * (size_t)k;
			int32_t rel;

			memcpy(&rel, a.code + at + 1, 4);
			CHECK_EQ(at + 5 + rel, a.len);
		}
	}
	/* Bound labels give their pool entries back. */
	CHECK_EQ(a.npool, 100 - X64_LABEL_INLINE);
	CHECK_EQ(gate__x64_error(&a), X64_OK);
	gate__x64_free(&a);
}

TEST(x64_rip_label_with_immediate_tail)
{
	struct x64_asm a;
	struct x64_label c = { 0 };
	int32_t disp;

	gate__x64_init(&a, 4096);
	/* cmp dword [rip + c + 4], 1000: the disp counts from after the imm32. */
	gate__x64_alu_mi(&a, X64_CMP, X64_S32, x64_mem_label(&c, 4), 1000);
	CHECK_EQ(a.len, 10);
	gate__x64_bind(&a, &c);
	gate__x64_emit64(&a, 0);
	memcpy(&disp, a.code + 2, 4);
	CHECK_EQ(disp, 4);
	gate__x64_free(&a);
}

TEST(x64_bind_twice_is_einval)
{
	struct x64_asm a;
	struct x64_label l = { 0 };

	gate__x64_init(&a, 4096);
	gate__x64_bind(&a, &l);
	gate__x64_bind(&a, &l);
	CHECK_EQ(gate__x64_error(&a), X64_EINVAL);
	CHECK(strcmp(gate__x64_error_name(X64_EINVAL), "invalid operand") == 0);
	gate__x64_free(&a);
}

TEST(x64_patch32_checks_bounds)
{
	struct x64_asm a;

	gate__x64_init(&a, 4096);
	gate__x64_emit64(&a, 0);
	gate__x64_patch32(&a, 4, 0x11223344);
	CHECK_EQ(a.code[4], 0x44);
	CHECK_EQ(a.code[7], 0x11);
	CHECK_EQ(gate__x64_error(&a), X64_OK);
	gate__x64_patch32(&a, 5, 0);
	CHECK_EQ(gate__x64_error(&a), X64_EINVAL);
	gate__x64_free(&a);
}

TEST(x64_size_limit_sticks_without_crashing)
{
	struct x64_asm a;
	struct x64_label l = { 0 };

	gate__x64_init(&a, 100);
	for (int k = 0; k < 1000; k++) {
		gate__x64_jmp(&a, &l);
		gate__x64_mov_ri(&a, X64_S64, X64_R11, INT64_MIN);
	}
	gate__x64_bind(&a, &l);
	gate__x64_patch32(&a, 0, 0);
	CHECK_EQ(gate__x64_error(&a), X64_ELIMIT);
	gate__x64_free(&a);
	gate__x64_free(&a); /* idempotent */
}

TEST(x64_grows_past_initial_capacity)
{
	struct x64_asm a;

	gate__x64_init(&a, 1 << 20);
	for (int k = 0; k < 100000; k++)
		gate__x64_alu_ri(&a, X64_ADD, X64_S64, X64_R9, 1000);
	CHECK_EQ(gate__x64_error(&a), X64_OK);
	CHECK_EQ(a.len, 700000);
	CHECK_EQ(a.code[699993], 0x49);
	gate__x64_free(&a);
}

TEST(x64_code_exactly_at_limit_is_ok)
{
	struct x64_asm a;

	gate__x64_init(&a, 8);
	gate__x64_emit64(&a, 1);
	CHECK_EQ(gate__x64_error(&a), X64_OK);
	gate__x64_emit8(&a, 1);
	CHECK_EQ(gate__x64_error(&a), X64_ELIMIT);
	gate__x64_free(&a);
}

TEST(x64_align_pads_with_nops)
{
	struct x64_asm a;

	gate__x64_init(&a, 4096);
	gate__x64_ret(&a);
	gate__x64_align(&a, 16);
	CHECK_EQ(a.len, 16);
	/* 15 bytes: a 9-byte nop and a 6-byte nop, not 15 one-byte nops. */
	CHECK_EQ(a.code[1], 0x66);
	CHECK_EQ(a.code[10], 0x66);
	CHECK_EQ(a.code[11], 0x0f);
	gate__x64_align(&a, 16);
	CHECK_EQ(a.len, 16);
	gate__x64_align(&a, 3);
	CHECK_EQ(gate__x64_error(&a), X64_EINVAL);
	gate__x64_free(&a);
}
