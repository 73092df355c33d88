/*
 * Runs code from the x86-64 encoder: emit, copy into an RW mapping, flip it
 * to RX, call through a function pointer (System V ABI: integer arguments in
 * rdi, rsi, rdx; floats in xmm0, xmm1; results in rax or xmm0).
 */
#include <string.h>
#include <sys/mman.h>

#include "../x64/asm.h"
#include "test.h"

struct jit {
	void *mem;
	size_t size;
};

/* Copies the assembled code into fresh executable memory; NULL on any failure. */
static void *jit_load(struct jit *j, struct x64_asm *a)
{
	j->mem = NULL;
	if (gate__x64_error(a) != X64_OK || a->len == 0)
		return NULL;
	j->size = (a->len + 4095) & ~(size_t)4095;
	j->mem = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (j->mem == MAP_FAILED) {
		j->mem = NULL;
		return NULL;
	}
	memcpy(j->mem, a->code, a->len);
	if (mprotect(j->mem, j->size, PROT_READ | PROT_EXEC) != 0) {
		munmap(j->mem, j->size);
		j->mem = NULL;
	}
	return j->mem;
}

static void jit_unload(struct jit *j)
{
	if (j->mem)
		munmap(j->mem, j->size);
}

/* Converts an object pointer to a function pointer the way POSIX dlsym users do. */
#define AS_FN(type, p) ((type)(uintptr_t)(p))

TEST(x64_exec_add_two_args)
{
	struct x64_asm a;
	struct jit j;
	void *p;

	gate__x64_init(&a, 4096);
	gate__x64_lea(&a, X64_S64, X64_RAX, x64_mem_index(X64_RDI, X64_RSI, 1, 0));
	gate__x64_ret(&a);
	p = jit_load(&j, &a);
	gate__x64_free(&a);
	CHECK(p != NULL);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t, int64_t), p)(40, 2), 42);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t, int64_t), p)(-5, 3), -2);
	jit_unload(&j);
}

/* sum(n) = 1 + ... + n with a counted loop: a backward jcc and a forward exit. */
TEST(x64_exec_loop_sum)
{
	struct x64_asm a;
	struct x64_label loop = { 0 }, done = { 0 };
	struct jit j;
	void *p;

	gate__x64_init(&a, 4096);
	gate__x64_zero(&a, X64_RAX);
	gate__x64_test_rr(&a, X64_S64, X64_RDI, X64_RDI);
	gate__x64_jcc(&a, X64_LE, &done);
	gate__x64_align(&a, 16);
	gate__x64_bind(&a, &loop);
	gate__x64_alu_rr(&a, X64_ADD, X64_S64, X64_RAX, X64_RDI);
	gate__x64_unary(&a, X64_DEC, X64_S64, X64_RDI);
	gate__x64_jcc(&a, X64_NE, &loop);
	gate__x64_bind(&a, &done);
	gate__x64_ret(&a);
	p = jit_load(&j, &a);
	gate__x64_free(&a);
	CHECK(p != NULL);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(0), 0);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(10), 55);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(100000), 5000050000LL);
	jit_unload(&j);
}

TEST(x64_exec_float_min_and_sqrt)
{
	struct x64_asm a;
	struct x64_label sq = { 0 };
	struct jit j;
	uint8_t *p;

	gate__x64_init(&a, 4096);
	gate__x64_sse_rr(&a, X64_MINSS, X64_XMM0, X64_XMM1);
	gate__x64_ret(&a);
	gate__x64_align(&a, 16);
	gate__x64_bind(&a, &sq);
	/* sqrt(x) + 0.5 with the constant RIP-relative, placed after the code. */
	struct x64_label half = { 0 };

	gate__x64_sse_rr(&a, X64_SQRTSD, X64_XMM0, X64_XMM0);
	gate__x64_sse_rm(&a, X64_ADDSD, X64_XMM0, x64_mem_label(&half, 0));
	gate__x64_ret(&a);
	gate__x64_align(&a, 8);
	gate__x64_bind(&a, &half);
	{
		double v = 0.5;
		uint64_t bits;

		memcpy(&bits, &v, 8);
		gate__x64_emit64(&a, bits);
	}
	p = jit_load(&j, &a);
	gate__x64_free(&a);
	CHECK(p != NULL);
	CHECK(AS_FN(float (*)(float, float), p)(1.5f, -2.0f) == -2.0f);
	CHECK(AS_FN(float (*)(float, float), p)(3.0f, 7.25f) == 3.0f);
	CHECK(AS_FN(double (*)(double), p + sq.pos)(16.0) == 4.5);
	jit_unload(&j);
}

/* Integer/float conversion and truncation through the full round trip. */
TEST(x64_exec_convert)
{
	struct x64_asm a;
	struct jit j;
	void *p;

	gate__x64_init(&a, 4096);
	/* (int64)((double)x * 2.5) */
	gate__x64_cvt_i2f(&a, X64_S64, X64_S64, X64_XMM0, X64_RDI);
	gate__x64_mov_ri(&a, X64_S64, X64_RAX, 0x4004000000000000LL); /* 2.5 */
	gate__x64_movd_xr(&a, X64_S64, X64_XMM9, X64_RAX);
	gate__x64_sse_rr(&a, X64_MULSD, X64_XMM0, X64_XMM9);
	gate__x64_cvtt_f2i(&a, X64_S64, X64_S64, X64_RAX, X64_XMM0);
	gate__x64_ret(&a);
	p = jit_load(&j, &a);
	gate__x64_free(&a);
	CHECK(p != NULL);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(4), 10);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(-3), -7);
	jit_unload(&j);
}

/* A jump table of offsets (movsxd + add + jmp reg), an internal call, and a call into C. */
static int64_t c_triple(int64_t x)
{
	return 3 * x;
}

TEST(x64_exec_jump_table_and_calls)
{
	struct x64_asm a;
	struct x64_label table = { 0 }, cases[3] = { { 0 } }, dflt = { 0 }, helper = { 0 };
	struct jit j;
	void *p;
	size_t base;

	gate__x64_init(&a, 4096);
	/* f(i): i in 0..2 -> 10, 20, c_triple(7); otherwise -1 via helper. */
	gate__x64_push(&a, X64_RBX); /* realigns rsp to 16 for the calls */
	gate__x64_alu_ri(&a, X64_CMP, X64_S64, X64_RDI, 3);
	gate__x64_jcc(&a, X64_AE, &dflt);
	gate__x64_lea(&a, X64_S64, X64_RCX, x64_mem_label(&table, 0));
	gate__x64_movsx_rm(&a, X64_S64, X64_S32, X64_RDX, x64_mem_index(X64_RCX, X64_RDI, 4, 0));
	gate__x64_alu_rr(&a, X64_ADD, X64_S64, X64_RCX, X64_RDX);
	gate__x64_jmp_r(&a, X64_RCX);
	gate__x64_bind(&a, &cases[0]);
	gate__x64_mov_ri(&a, X64_S64, X64_RAX, 10);
	gate__x64_pop(&a, X64_RBX);
	gate__x64_ret(&a);
	gate__x64_bind(&a, &cases[1]);
	gate__x64_mov_ri(&a, X64_S64, X64_RAX, 20);
	gate__x64_pop(&a, X64_RBX);
	gate__x64_ret(&a);
	gate__x64_bind(&a, &cases[2]);
	gate__x64_mov_ri(&a, X64_S32, X64_RDI, 7);
	gate__x64_mov_ri(&a, X64_S64, X64_R11, (int64_t)(uintptr_t)&c_triple);
	gate__x64_call_r(&a, X64_R11);
	gate__x64_pop(&a, X64_RBX);
	gate__x64_ret(&a);
	gate__x64_bind(&a, &dflt);
	gate__x64_call(&a, &helper);
	gate__x64_pop(&a, X64_RBX);
	gate__x64_ret(&a);
	gate__x64_bind(&a, &helper);
	gate__x64_mov_ri(&a, X64_S64, X64_RAX, -1);
	gate__x64_ret(&a);
	gate__x64_align(&a, 4);
	base = gate__x64_offset(&a);
	gate__x64_bind(&a, &table);
	for (int k = 0; k < 3; k++)
		gate__x64_emit_label_delta(&a, &cases[k], base);
	p = jit_load(&j, &a);
	gate__x64_free(&a);
	CHECK(p != NULL);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(0), 10);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(1), 20);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(2), 21);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(3), -1);
	CHECK_EQ(AS_FN(int64_t(*)(int64_t), p)(-1), -1);
	jit_unload(&j);
}

/* Division, shifts, bit counts and setcc on real inputs. */
TEST(x64_exec_integer_ops)
{
	struct x64_asm a;
	struct x64_label f2 = { 0 }, f3 = { 0 };
	struct jit j;
	uint8_t *p;

	gate__x64_init(&a, 4096);
	/* f1(x, y) = x / y (signed 32-bit) */
	gate__x64_mov_rr(&a, X64_S32, X64_RAX, X64_RDI);
	gate__x64_cdq(&a, X64_S32);
	gate__x64_unary(&a, X64_IDIV, X64_S32, X64_RSI);
	gate__x64_ret(&a);
	/* f2(x) = clz64(x) * 256 + (x < 0), for x != 0 */
	gate__x64_bind(&a, &f2);
	gate__x64_bitop(&a, X64_BSR, X64_S64, X64_RAX, X64_RDI);
	gate__x64_alu_ri(&a, X64_XOR, X64_S32, X64_RAX, 63); /* clz for x != 0 */
	gate__x64_shift_ri(&a, X64_SHL, X64_S32, X64_RAX, 8);
	gate__x64_test_rr(&a, X64_S64, X64_RDI, X64_RDI);
	gate__x64_setcc(&a, X64_S, X64_RSI); /* sil: needs REX */
	gate__x64_movzx_rr(&a, X64_S32, X64_S8, X64_RSI, X64_RSI);
	gate__x64_alu_rr(&a, X64_OR, X64_S32, X64_RAX, X64_RSI);
	gate__x64_ret(&a);
	/* f3(x) = bswap32(x) */
	gate__x64_bind(&a, &f3);
	gate__x64_mov_rr(&a, X64_S32, X64_RAX, X64_RDI);
	gate__x64_bswap(&a, X64_S32, X64_RAX);
	gate__x64_ret(&a);
	p = jit_load(&j, &a);
	gate__x64_free(&a);
	CHECK(p != NULL);
	CHECK_EQ(AS_FN(int32_t(*)(int32_t, int32_t), p)(-100, 7), -14);
	CHECK_EQ(AS_FN(int32_t(*)(int64_t), p + f2.pos)(1), 63 * 256);
	CHECK_EQ(AS_FN(int32_t(*)(int64_t), p + f2.pos)(-1), 1);
	CHECK_EQ(AS_FN(uint32_t(*)(uint32_t), p + f3.pos)(0x11223344u), 0x44332211u);
	jit_unload(&j);
}
