/*
 * The x86-64 encoder checked against an independent oracle, GNU as.
 *
 * Each instruction is emitted with the encoder and written, in Intel syntax,
 * to an assembly file between numbered labels. as assembles the file;
 * objcopy extracts .text and a .lens section that holds every label's
 * offset, so each instruction's bytes are compared on their own, and one
 * wrong length does not hide the rest. A missing `as` is a failure, never a
 * skip. See docs/x64.md.
 */
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../x64/asm.h"
#include "test.h"

extern char **environ;

enum { NLABELS = 32, MAX_REPORTS = 20 };

struct oracle {
	struct x64_asm a;
	FILE *src; /* the assembly file, built in memory */
	char *srcbuf;
	size_t srclen;
	uint32_t *starts; /* our offset of each instruction; starts[n] is the end */
	char **texts;
	size_t n, cap;
	size_t pending; /* offset before the instruction being emitted */
	int oom;
	struct x64_label labels[NLABELS];
};

static const char *const r64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
				   "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const r32[] = { "eax", "ecx", "edx",  "ebx",  "esp",  "ebp",  "esi",  "edi",
				   "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const r16[] = { "ax",  "cx",  "dx",   "bx",   "sp",   "bp",   "si",   "di",
				   "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const r8[] = { "al",  "cl",  "dl",   "bl",   "spl",  "bpl",  "sil",  "dil",
				  "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const cc_names[] = { "o", "no", "b", "ae", "e",  "ne", "be", "a",
					"s", "ns", "p", "np", "l", "ge", "le", "g" };
static const char *const alu_names[] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
static const enum x64_size sizes[] = { X64_S8, X64_S16, X64_S32, X64_S64 };

/* gate__x64_nop(n) for n = 1..9, as as must be told to encode them. */
static const char *const nop_forms[] = {
	"nop",
	"xchg ax, ax",
	"nop dword ptr [rax]",
	"{disp8} nop dword ptr [rax+0]",
	"{disp8} nop dword ptr [rax+rax*1+0]",
	"{disp8} nop word ptr [rax+rax*1+0]",
	"{disp32} nop dword ptr [rax+0]",
	"{disp32} nop dword ptr [rax+rax*1+0]",
	"{disp32} nop word ptr [rax+rax*1+0]",
};

static const char *reg(enum x64_size sz, unsigned r)
{
	switch (sz) {
	case X64_S8:
		return r8[r];
	case X64_S16:
		return r16[r];
	case X64_S32:
		return r32[r];
	case X64_S64:
		break;
	}
	return r64[r];
}

static const char *ptr(enum x64_size sz)
{
	switch (sz) {
	case X64_S8:
		return "byte ptr ";
	case X64_S16:
		return "word ptr ";
	case X64_S32:
		return "dword ptr ";
	case X64_S64:
		break;
	}
	return "qword ptr ";
}

static int32_t narrow(enum x64_size sz, int32_t v)
{
	return sz == X64_S8 ? (int8_t)v : sz == X64_S16 ? (int16_t)v : v;
}

/* The operand text; a static buffer per slot so two can appear in one printf. */
static const char *mem(struct oracle *o, struct x64_mem m, int slot)
{
	static char bufs[2][96];
	char *b = bufs[slot];
	int n = 0;

	if (m.base == X64_RIP) {
		if (m.label)
			snprintf(b, 96, "[rip+.Lt%d%+d]", (int)(m.label - o->labels), m.disp);
		else
			snprintf(b, 96, "[rip+.Li0%+d]", m.disp);
		return b;
	}
	n += snprintf(b + n, 96 - n, "[");
	if (m.base != X64_NOREG)
		n += snprintf(b + n, 96 - n, "%s", r64[m.base]);
	if (m.index != X64_NOREG)
		n += snprintf(b + n, 96 - n, "%s%s*%d", m.base != X64_NOREG ? "+" : "",
			      r64[m.index], 1 << m.shift);
	if (m.disp || m.base == X64_NOREG)
		n += snprintf(b + n, 96 - n, "%+d", m.disp);
	snprintf(b + n, 96 - n, "]");
	return b;
}

static void start(struct oracle *o)
{
	o->pending = o->a.len;
}

static void done(struct oracle *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void done(struct oracle *o, const char *fmt, ...)
{
	char text[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (o->n + 1 >= o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4096;
		uint32_t *starts = realloc(o->starts, cap * sizeof(*starts));
		char **texts;

		if (starts)
			o->starts = starts;
		texts = realloc(o->texts, cap * sizeof(*texts));
		if (texts)
			o->texts = texts;
		if (!starts || !texts) {
			o->oom = 1;
			return;
		}
		o->cap = cap;
	}
	o->starts[o->n] = (uint32_t)o->pending;
	o->texts[o->n] = strdup(text);
	if (o->texts[o->n] == NULL)
		o->oom = 1;
	fprintf(o->src, ".Li%zu:\n\t%s\n", o->n, text);
	o->n++;
}

/* One instruction: the encoder call, then the text as must assemble it. */
#define I(call, ...)                                                                              \
	do {                                                                                      \
		start(o);                                                                         \
		call;                                                                             \
		done(o, __VA_ARGS__);                                                             \
	} while (0)

static void bind(struct oracle *o, int k)
{
	gate__x64_bind(&o->a, &o->labels[k]);
	fprintf(o->src, ".Lt%d:\n", k);
}

/* Labels used by the generator. */
enum { L_START, L_DATA, L_FWD, L_FWD_SHORT, L_BACK, L_FAR, L_MANY, L_TABLE, L_CALL };

/*
 * Memory operands: every base with displacements at the disp8/disp32
 * boundaries, every index with every scale, no base, RIP-relative
 * (backward, forward to a label with an addend, and a plain buffer offset).
 */
static size_t all_mems(struct oracle *o, struct x64_mem *out)
{
	static const int32_t disps[] = { 0, 1, 127, -128, 128, -129, 0x12345678, INT32_MIN };
	static const unsigned scales[] = { 1, 2, 4, 8 };
	size_t n = 0;

	for (unsigned b = 0; b < 16; b++)
		for (size_t d = 0; d < sizeof(disps) / sizeof(disps[0]); d++)
			out[n++] = x64_mem(b, disps[d]);
	for (unsigned b = 0; b < 16; b++)
		for (unsigned i = 0; i < 16; i++)
			if (i != X64_RSP)
				out[n++] = x64_mem_index(b, i, scales[(b + i) % 4],
							 (int32_t)(b * 16 + i) * (i & 1 ? 1 : -40));
	for (unsigned i = 0; i < 16; i++)
		if (i != X64_RSP)
			for (unsigned s = 0; s < 4; s++)
				out[n++] = x64_mem_index(X64_NOREG, i, scales[s], (int32_t)i * 8);
	out[n++] = x64_mem(X64_NOREG, 0x1000);
	out[n++] = x64_mem_label(&o->labels[L_START], 0);
	out[n++] = x64_mem_label(&o->labels[L_DATA], 0);
	out[n++] = x64_mem_label(&o->labels[L_DATA], 8);
	out[n++] = x64_mem_label(&o->labels[L_DATA], -4);
	out[n++] = (struct x64_mem){ .base = X64_RIP, .index = X64_NOREG, .disp = 16 };
	return n;
}

/* A smaller set that still hits every quirk, for instructions with many variants. */
static size_t some_mems(struct oracle *o, struct x64_mem *out)
{
	size_t n = 0;

	out[n++] = x64_mem(X64_RAX, 0);
	out[n++] = x64_mem(X64_RSP, 0);
	out[n++] = x64_mem(X64_RBP, 0);
	out[n++] = x64_mem(X64_R12, -128);
	out[n++] = x64_mem(X64_R13, 128);
	out[n++] = x64_mem(X64_R15, 0x10000);
	out[n++] = x64_mem_index(X64_RSP, X64_RAX, 8, -8);
	out[n++] = x64_mem_index(X64_R13, X64_R12, 2, 0);
	out[n++] = x64_mem_index(X64_RBP, X64_R8, 1, 0);
	out[n++] = x64_mem_index(X64_NOREG, X64_RCX, 4, 16);
	out[n++] = x64_mem_label(&o->labels[L_DATA], 4);
	return n;
}

static void gen_moves(struct oracle *o, const struct x64_mem *am, size_t nam,
		      const struct x64_mem *sm, size_t nsm)
{
	static const int64_t imms[] = {
		0, 1, -1, 127, 128, -128, -129, 0x7fffffff, 0x80000000, 0xffffffff, -0x80000000LL,
		-0x80000001LL, 0x100000000LL, INT64_MAX, INT64_MIN, 0x123456789abcdefLL,
	};
	static const int32_t simms[] = { 0, 1, -1, 127, 128, -128, 255, 32767, -32768, 65535,
					 0x12345678, INT32_MIN };

	for (size_t s = 0; s < 4; s++) {
		enum x64_size sz = sizes[s];

		for (unsigned d = 0; d < 16; d++)
			for (unsigned r = 0; r < 16; r++)
				I(gate__x64_mov_rr(&o->a, sz, d, r), "mov %s, %s", reg(sz, d),
				  reg(sz, r));
		for (unsigned d = 0; d < 16; d++)
			for (size_t k = 0; k < sizeof(simms) / sizeof(simms[0]); k++)
				if (sz != X64_S64)
					I(gate__x64_mov_ri(&o->a, sz, d, simms[k]), "mov %s, %d",
					  reg(sz, d), narrow(sz, simms[k]));
		for (unsigned d = 0; d < 16; d++)
			for (size_t m = 0; m < nsm; m++) {
				I(gate__x64_load(&o->a, sz, d, sm[m]), "mov %s, %s%s", reg(sz, d),
				  ptr(sz), mem(o, sm[m], 0));
				I(gate__x64_store(&o->a, sz, sm[m], d), "mov %s%s, %s", ptr(sz),
				  mem(o, sm[m], 0), reg(sz, d));
			}
		for (size_t m = 0; m < nsm; m++)
			for (size_t k = 0; k < sizeof(simms) / sizeof(simms[0]); k++)
				I(gate__x64_store_imm(&o->a, sz, sm[m], simms[k]), "mov %s%s, %d",
				  ptr(sz), mem(o, sm[m], 0), sz == X64_S64 ? simms[k] : narrow(sz, simms[k]));
	}
	/* The shortest mov r64, imm: zero-extending imm32, sign-extending imm32, or movabs. */
	for (unsigned d = 0; d < 16; d++)
		for (size_t k = 0; k < sizeof(imms) / sizeof(imms[0]); k++) {
			int64_t v = imms[k];

			if ((uint64_t)v <= UINT32_MAX)
				I(gate__x64_mov_ri(&o->a, X64_S64, d, v), "mov %s, %lld", r32[d],
				  (long long)v);
			else if (v == (int32_t)v)
				I(gate__x64_mov_ri(&o->a, X64_S64, d, v), "mov %s, %lld", r64[d],
				  (long long)v);
			else
				I(gate__x64_mov_ri(&o->a, X64_S64, d, v), "movabs %s, %lld", r64[d],
				  (long long)v);
			I(gate__x64_mov_ri(&o->a, X64_S32, d, v), "mov %s, %u", r32[d], (uint32_t)v);
		}
	for (unsigned d = 0; d < 16; d++)
		I(gate__x64_zero(&o->a, d), "xor %s, %s", r32[d], r32[d]);
	/* Every addressing form, with a low and a high register in the reg field. */
	for (size_t m = 0; m < nam; m++) {
		I(gate__x64_load(&o->a, X64_S64, X64_RAX, am[m]), "mov rax, qword ptr %s",
		  mem(o, am[m], 0));
		I(gate__x64_load(&o->a, X64_S32, X64_R9, am[m]), "mov r9d, dword ptr %s",
		  mem(o, am[m], 0));
		I(gate__x64_store(&o->a, X64_S8, am[m], X64_RSI), "mov byte ptr %s, sil",
		  mem(o, am[m], 0));
		I(gate__x64_store_imm(&o->a, X64_S16, am[m], -2), "mov word ptr %s, -2",
		  mem(o, am[m], 0));
		I(gate__x64_lea(&o->a, X64_S64, X64_R14, am[m]), "lea r14, %s", mem(o, am[m], 0));
	}
	for (unsigned d = 0; d < 16; d++)
		for (unsigned r = 0; r < 16; r++) {
			I(gate__x64_movzx_rr(&o->a, X64_S32, X64_S8, d, r), "movzx %s, %s", r32[d],
			  r8[r]);
			I(gate__x64_movzx_rr(&o->a, X64_S32, X64_S16, d, r), "movzx %s, %s", r32[d],
			  r16[r]);
			I(gate__x64_movzx_rr(&o->a, X64_S64, X64_S8, d, r), "movzx %s, %s", r64[d],
			  r8[r]);
			I(gate__x64_movsx_rr(&o->a, X64_S32, X64_S8, d, r), "movsx %s, %s", r32[d],
			  r8[r]);
			I(gate__x64_movsx_rr(&o->a, X64_S64, X64_S16, d, r), "movsx %s, %s", r64[d],
			  r16[r]);
			I(gate__x64_movsx_rr(&o->a, X64_S64, X64_S32, d, r), "movsxd %s, %s", r64[d],
			  r32[r]);
		}
	for (unsigned d = 0; d < 16; d += 3)
		for (size_t m = 0; m < nsm; m++) {
			I(gate__x64_movzx_rm(&o->a, X64_S32, X64_S8, d, sm[m]),
			  "movzx %s, byte ptr %s", r32[d], mem(o, sm[m], 0));
			I(gate__x64_movzx_rm(&o->a, X64_S32, X64_S16, d, sm[m]),
			  "movzx %s, word ptr %s", r32[d], mem(o, sm[m], 0));
			I(gate__x64_movsx_rm(&o->a, X64_S32, X64_S8, d, sm[m]),
			  "movsx %s, byte ptr %s", r32[d], mem(o, sm[m], 0));
			I(gate__x64_movsx_rm(&o->a, X64_S64, X64_S8, d, sm[m]),
			  "movsx %s, byte ptr %s", r64[d], mem(o, sm[m], 0));
			I(gate__x64_movsx_rm(&o->a, X64_S64, X64_S16, d, sm[m]),
			  "movsx %s, word ptr %s", r64[d], mem(o, sm[m], 0));
			I(gate__x64_movsx_rm(&o->a, X64_S64, X64_S32, d, sm[m]),
			  "movsxd %s, dword ptr %s", r64[d], mem(o, sm[m], 0));
			I(gate__x64_lea(&o->a, X64_S32, d, sm[m]), "lea %s, %s", r32[d],
			  mem(o, sm[m], 0));
		}
	for (unsigned r = 0; r < 16; r++) {
		I(gate__x64_push(&o->a, r), "push %s", r64[r]);
		I(gate__x64_pop(&o->a, r), "pop %s", r64[r]);
	}
}

static void gen_alu(struct oracle *o, const struct x64_mem *sm, size_t nsm)
{
	static const int32_t imms[] = { 0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, -32768,
					0x12345678, INT32_MIN, INT32_MAX };
	static const unsigned regs[] = { X64_RAX, X64_RCX, X64_RSP, X64_RBP, X64_RSI,
					 X64_RDI, X64_R8, X64_R12, X64_R13, X64_R15 };
	const size_t nimms = sizeof(imms) / sizeof(imms[0]);

	for (unsigned op = 0; op < 8; op++)
		for (size_t s = 0; s < 4; s++) {
			enum x64_size sz = sizes[s];

			for (unsigned d = 0; d < 16; d++)
				for (unsigned r = 0; r < 16; r++)
					I(gate__x64_alu_rr(&o->a, op, sz, d, r), "%s %s, %s",
					  alu_names[op], reg(sz, d), reg(sz, r));
			for (unsigned d = 0; d < 16; d++)
				for (size_t k = 0; k < nimms; k++)
					I(gate__x64_alu_ri(&o->a, op, sz, d, imms[k]), "%s %s, %d",
					  alu_names[op], reg(sz, d), narrow(sz, imms[k]));
			for (size_t m = 0; m < nsm; m++) {
				for (size_t d = 0; d + 1 < sizeof(regs) / sizeof(regs[0]); d += 3) {
					I(gate__x64_alu_rm(&o->a, op, sz, regs[d], sm[m]),
					  "%s %s, %s%s", alu_names[op], reg(sz, regs[d]), ptr(sz),
					  mem(o, sm[m], 0));
					I(gate__x64_alu_mr(&o->a, op, sz, sm[m], regs[d + 1]),
					  "%s %s%s, %s", alu_names[op], ptr(sz), mem(o, sm[m], 0),
					  reg(sz, regs[d + 1]));
				}
				for (size_t k = 0; k < nimms; k += 2)
					I(gate__x64_alu_mi(&o->a, op, sz, sm[m], imms[k]),
					  "%s %s%s, %d", alu_names[op], ptr(sz), mem(o, sm[m], 0),
					  narrow(sz, imms[k]));
			}
		}
	for (size_t s = 0; s < 4; s++) {
		enum x64_size sz = sizes[s];

		for (unsigned d = 0; d < 16; d++) {
			for (unsigned r = 0; r < 16; r++)
				I(gate__x64_test_rr(&o->a, sz, d, r), "test %s, %s", reg(sz, d),
				  reg(sz, r));
			for (size_t k = 0; k < nimms; k++)
				I(gate__x64_test_ri(&o->a, sz, d, imms[k]), "test %s, %d",
				  reg(sz, d), narrow(sz, imms[k]));
		}
		for (size_t m = 0; m < nsm; m++)
			for (size_t k = 0; k < nimms; k += 3)
				I(gate__x64_test_mi(&o->a, sz, sm[m], imms[k]), "test %s%s, %d",
				  ptr(sz), mem(o, sm[m], 0), narrow(sz, imms[k]));
	}
}

static void gen_int(struct oracle *o, const struct x64_mem *sm, size_t nsm)
{
	static const char *const unary_names[] = { [X64_NOT] = "not", [X64_NEG] = "neg",
						   [X64_MUL] = "mul", [X64_IMUL1] = "imul",
						   [X64_DIV] = "div", [X64_IDIV] = "idiv" };
	static const char *const shift_names[] = { [X64_ROL] = "rol", [X64_ROR] = "ror",
						   [X64_SHL] = "shl", [X64_SHR] = "shr",
						   [X64_SAR] = "sar" };
	static const enum x64_shift shifts[] = { X64_ROL, X64_ROR, X64_SHL, X64_SHR, X64_SAR };
	static const uint8_t counts[] = { 1, 2, 7, 31, 63 };
	static const int32_t imms[] = { 0, -1, 127, -128, 128, 1000, -32768, INT32_MIN };
	static const struct {
		enum x64_bitop op;
		const char *name;
	} bitops[] = { { X64_BSF, "bsf" },     { X64_BSR, "bsr" },       { X64_TZCNT, "tzcnt" },
		       { X64_LZCNT, "lzcnt" }, { X64_POPCNT, "popcnt" } };

	for (size_t s = 0; s < 4; s++) {
		enum x64_size sz = sizes[s];

		for (unsigned r = 0; r < 16; r++) {
			for (unsigned op = X64_NOT; op <= X64_IDIV; op++)
				I(gate__x64_unary(&o->a, op, sz, r), "%s %s", unary_names[op],
				  reg(sz, r));
			I(gate__x64_unary(&o->a, X64_INC, sz, r), "inc %s", reg(sz, r));
			I(gate__x64_unary(&o->a, X64_DEC, sz, r), "dec %s", reg(sz, r));
			for (size_t k = 0; k < 5; k++) {
				I(gate__x64_shift_cl(&o->a, shifts[k], sz, r), "%s %s, cl",
				  shift_names[shifts[k]], reg(sz, r));
				for (size_t c = 0; c < sizeof(counts); c++)
					I(gate__x64_shift_ri(&o->a, shifts[k], sz, r, counts[c]),
					  "%s %s, %u", shift_names[shifts[k]], reg(sz, r), counts[c]);
			}
		}
		if (sz == X64_S8)
			continue;
		for (unsigned d = 0; d < 16; d++)
			for (unsigned r = 0; r < 16; r++) {
				I(gate__x64_imul_rr(&o->a, sz, d, r), "imul %s, %s", reg(sz, d),
				  reg(sz, r));
				for (size_t b = 0; b < 5; b++)
					if ((d + r + b) % 3 == 0)
						I(gate__x64_bitop(&o->a, bitops[b].op, sz, d, r),
						  "%s %s, %s", bitops[b].name, reg(sz, d), reg(sz, r));
				for (unsigned cc = 0; cc < 16; cc++)
					if ((d * 16 + r + cc) % 7 == 0)
						I(gate__x64_cmov_rr(&o->a, cc, sz, d, r),
						  "cmov%s %s, %s", cc_names[cc], reg(sz, d),
						  reg(sz, r));
			}
		for (unsigned d = 0; d < 16; d++)
			for (size_t k = 0; k < sizeof(imms) / sizeof(imms[0]); k++)
				I(gate__x64_imul_rri(&o->a, sz, d, 15 - d, imms[k]),
				  "imul %s, %s, %d", reg(sz, d), reg(sz, 15 - d),
				  narrow(sz, imms[k]));
		for (size_t m = 0; m < nsm; m++)
			I(gate__x64_cmov_rm(&o->a, (enum x64_cond)(m % 16), sz, (unsigned)m, sm[m]),
			  "cmov%s %s, %s%s", cc_names[m % 16], reg(sz, (unsigned)m), ptr(sz),
			  mem(o, sm[m], 0));
	}
	for (unsigned b = 0; b < 5; b++)
		for (unsigned r = 0; r < 16; r++)
			I(gate__x64_bitop(&o->a, bitops[b].op, X64_S64, r, r ^ 9), "%s %s, %s",
			  bitops[b].name, r64[r], r64[r ^ 9]);
	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned d = 0; d < 16; d++)
			I(gate__x64_cmov_rr(&o->a, cc, X64_S32, d, d ^ 5), "cmov%s %s, %s",
			  cc_names[cc], r32[d], r32[d ^ 5]);
	I(gate__x64_cdq(&o->a, X64_S32), "cdq");
	I(gate__x64_cdq(&o->a, X64_S64), "cqo");
	for (unsigned r = 0; r < 16; r++) {
		I(gate__x64_bswap(&o->a, X64_S32, r), "bswap %s", r32[r]);
		I(gate__x64_bswap(&o->a, X64_S64, r), "bswap %s", r64[r]);
		for (unsigned cc = 0; cc < 16; cc++)
			I(gate__x64_setcc(&o->a, cc, r), "set%s %s", cc_names[cc], r8[r]);
	}
}

static void gen_control(struct oracle *o, const struct x64_mem *am, size_t nam)
{
	struct x64_label *l = o->labels;
	size_t table, pad;

	/* Backward: near uses rel8, far uses rel32. */
	bind(o, L_BACK);
	I(gate__x64_jmp(&o->a, &l[L_BACK]), "{disp8} jmp .Lt%d", L_BACK);
	for (unsigned cc = 0; cc < 16; cc++)
		I(gate__x64_jcc(&o->a, cc, &l[L_BACK]), "{disp8} j%s .Lt%d", cc_names[cc], L_BACK);
	/* Now too far for rel8 (the exact boundary is a unit test in test_x64_asm.c). */
	for (int k = 0; k < 14; k++)
		I(gate__x64_load(&o->a, X64_S64, X64_RAX, x64_mem(X64_RAX, 0x1000)),
		  "mov rax, qword ptr [rax+4096]");
	I(gate__x64_jmp(&o->a, &l[L_BACK]), "{disp32} jmp .Lt%d", L_BACK);
	I(gate__x64_jcc(&o->a, X64_NE, &l[L_BACK]), "{disp32} jne .Lt%d", L_BACK);
	I(gate__x64_jmp_short(&o->a, &l[L_FWD_SHORT]), "{disp8} jmp .Lt%d", L_FWD_SHORT);
	I(gate__x64_jcc_short(&o->a, X64_L, &l[L_FWD_SHORT]), "{disp8} jl .Lt%d", L_FWD_SHORT);
	I(gate__x64_nop(&o->a, 1), "nop");
	I(gate__x64_ud2(&o->a), "ud2");
	I(gate__x64_int3(&o->a), "int3");
	I(gate__x64_ret(&o->a), "ret");
	bind(o, L_FWD_SHORT);
	/* Forward rel32, and more uses than fit inline in a label, from both sides. */
	for (int k = 0; k < 40; k++)
		I(gate__x64_jcc(&o->a, (enum x64_cond)(k % 16), &l[L_MANY]), "{disp32} j%s .Lt%d",
		  cc_names[k % 16], L_MANY);
	I(gate__x64_jmp(&o->a, &l[L_FWD]), "{disp32} jmp .Lt%d", L_FWD);
	I(gate__x64_call(&o->a, &l[L_CALL]), "call .Lt%d", L_CALL);
	bind(o, L_MANY);
	bind(o, L_CALL);
	I(gate__x64_call(&o->a, &l[L_CALL]), "call .Lt%d", L_CALL);
	bind(o, L_FWD);
	for (int k = 0; k < 20; k++)
		I(gate__x64_jmp(&o->a, &l[L_MANY]), "{disp8} jmp .Lt%d", L_MANY);
	bind(o, L_FAR);
	for (int k = 0; k < 40; k++)
		I(gate__x64_store_imm(&o->a, X64_S32, x64_mem(X64_RBX, 0x100), k),
		  "mov dword ptr [rbx+256], %d", k);
	I(gate__x64_jcc(&o->a, X64_E, &l[L_FAR]), "{disp32} je .Lt%d", L_FAR);
	for (unsigned r = 0; r < 16; r++) {
		I(gate__x64_call_r(&o->a, r), "call %s", r64[r]);
		I(gate__x64_jmp_r(&o->a, r), "jmp %s", r64[r]);
	}
	for (size_t m = 0; m < nam; m++) {
		I(gate__x64_call_m(&o->a, am[m]), "call qword ptr %s", mem(o, am[m], 0));
		I(gate__x64_jmp_m(&o->a, am[m]), "jmp qword ptr %s", mem(o, am[m], 0));
	}
	for (unsigned n = 1; n <= 9; n++)
		I(gate__x64_nop(&o->a, n), "%s", nop_forms[n - 1]);
	/* A jump table of offsets from its start, with one entry before the target is bound. */
	I(gate__x64_emit8(&o->a, 0x90), "nop");
	pad = -gate__x64_offset(&o->a) & 7;
	I(gate__x64_align(&o->a, 8), "%s", pad ? nop_forms[pad - 1] : "");
	table = gate__x64_offset(&o->a);
	bind(o, L_TABLE);
	I(gate__x64_emit_label_delta(&o->a, &l[L_TABLE], table), ".long .Lt%d-.Lt%d", L_TABLE,
	  L_TABLE);
	I(gate__x64_emit_label_delta(&o->a, &l[L_FAR], table), ".long .Lt%d-.Lt%d", L_FAR, L_TABLE);
	I(gate__x64_emit_label_delta(&o->a, &l[L_DATA], table), ".long .Lt%d-.Lt%d", L_DATA,
	  L_TABLE);
	I(gate__x64_emit8(&o->a, 0xab), ".byte 0xab");
	I(gate__x64_emit32(&o->a, 0xdeadbeef), ".long 0xdeadbeef");
	I(gate__x64_emit64(&o->a, 0x1122334455667788ull), ".quad 0x1122334455667788");
}

static void gen_sse(struct oracle *o, const struct x64_mem *am, size_t nam,
		    const struct x64_mem *sm, size_t nsm)
{
	static const struct {
		enum x64_sse op;
		const char *name;
	} ops[] = {
		{ X64_MOVSS, "movss" },       { X64_MOVSD, "movsd" },     { X64_MOVUPS, "movups" },
		{ X64_MOVAPS, "movaps" },     { X64_MOVAPD, "movapd" },   { X64_ADDSS, "addss" },
		{ X64_ADDSD, "addsd" },       { X64_SUBSS, "subss" },     { X64_SUBSD, "subsd" },
		{ X64_MULSS, "mulss" },       { X64_MULSD, "mulsd" },     { X64_DIVSS, "divss" },
		{ X64_DIVSD, "divsd" },       { X64_SQRTSS, "sqrtss" },   { X64_SQRTSD, "sqrtsd" },
		{ X64_MINSS, "minss" },       { X64_MINSD, "minsd" },     { X64_MAXSS, "maxss" },
		{ X64_MAXSD, "maxsd" },       { X64_CVTSS2SD, "cvtss2sd" }, { X64_CVTSD2SS, "cvtsd2ss" },
		{ X64_UCOMISS, "ucomiss" },   { X64_UCOMISD, "ucomisd" }, { X64_ANDPS, "andps" },
		{ X64_ANDPD, "andpd" },       { X64_ANDNPS, "andnps" },   { X64_ANDNPD, "andnpd" },
		{ X64_ORPS, "orps" },         { X64_ORPD, "orpd" },       { X64_XORPS, "xorps" },
		{ X64_XORPD, "xorpd" },       { X64_PAND, "pand" },       { X64_POR, "por" },
		{ X64_PXOR, "pxor" },         { X64_PCMPEQD, "pcmpeqd" }, { X64_PCMPEQQ, "pcmpeqq" },
	};
	static const struct {
		enum x64_sse op;
		const char *name;
	} iops[] = { { X64_CMPSS, "cmpss" },
		     { X64_CMPSD, "cmpsd" },
		     { X64_ROUNDSS, "roundss" },
		     { X64_ROUNDSD, "roundsd" } };
	static const struct {
		enum x64_sse_shift op;
		const char *name;
	} shifts[] = {
		{ X64_PSRLD, "psrld" }, { X64_PSLLD, "pslld" }, { X64_PSRLQ, "psrlq" }, { X64_PSLLQ, "psllq" }
	};
	static const enum x64_sse stores[] = { X64_MOVSS, X64_MOVSD, X64_MOVUPS, X64_MOVAPS };
	static const char *const store_names[] = { "movss", "movsd", "movups", "movaps" };

	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		for (unsigned d = 0; d < 16; d++)
			for (unsigned s = 0; s < 16; s++)
				I(gate__x64_sse_rr(&o->a, ops[k].op, d, s), "%s xmm%u, xmm%u",
				  ops[k].name, d, s);
		for (size_t m = 0; m < nsm; m++)
			I(gate__x64_sse_rm(&o->a, ops[k].op, (unsigned)(m + k) % 16, sm[m]),
			  "%s xmm%u, %s", ops[k].name, (unsigned)(m + k) % 16, mem(o, sm[m], 0));
	}
	for (size_t m = 0; m < nam; m++)
		I(gate__x64_sse_rm(&o->a, X64_ADDSD, X64_XMM13, am[m]), "addsd xmm13, %s",
		  mem(o, am[m], 0));
	for (size_t k = 0; k < 4; k++) {
		for (unsigned d = 0; d < 16; d++)
			for (unsigned imm = 0; imm < 8; imm++)
				I(gate__x64_sse_rri(&o->a, iops[k].op, d, (d + imm) % 16, (uint8_t)imm),
				  "%s xmm%u, xmm%u, %u", iops[k].name, d, (d + imm) % 16, imm);
		for (unsigned d = 0; d < 16; d++)
			I(gate__x64_sse_shift_ri(&o->a, shifts[k].op, d, (uint8_t)(d * 4 + 1)),
			  "%s xmm%u, %u", shifts[k].name, d, d * 4 + 1);
		for (size_t m = 0; m < nsm; m++)
			I(gate__x64_sse_store(&o->a, stores[k], sm[m], (unsigned)(m * 3 + k) % 16),
			  "%s %s, xmm%u", store_names[k], mem(o, sm[m], 0),
			  (unsigned)(m * 3 + k) % 16);
	}
	for (unsigned x = 0; x < 16; x++)
		for (unsigned r = 0; r < 16; r++) {
			I(gate__x64_movd_xr(&o->a, X64_S32, x, r), "movd xmm%u, %s", x, r32[r]);
			I(gate__x64_movd_xr(&o->a, X64_S64, x, r), "movq xmm%u, %s", x, r64[r]);
			I(gate__x64_movd_rx(&o->a, X64_S32, r, x), "movd %s, xmm%u", r32[r], x);
			I(gate__x64_movd_rx(&o->a, X64_S64, r, x), "movq %s, xmm%u", r64[r], x);
			I(gate__x64_cvt_i2f(&o->a, X64_S32, X64_S32, x, r), "cvtsi2ss xmm%u, %s", x,
			  r32[r]);
			I(gate__x64_cvt_i2f(&o->a, X64_S32, X64_S64, x, r), "cvtsi2ss xmm%u, %s", x,
			  r64[r]);
			I(gate__x64_cvt_i2f(&o->a, X64_S64, X64_S32, x, r), "cvtsi2sd xmm%u, %s", x,
			  r32[r]);
			I(gate__x64_cvt_i2f(&o->a, X64_S64, X64_S64, x, r), "cvtsi2sd xmm%u, %s", x,
			  r64[r]);
			I(gate__x64_cvtt_f2i(&o->a, X64_S32, X64_S32, r, x), "cvttss2si %s, xmm%u",
			  r32[r], x);
			I(gate__x64_cvtt_f2i(&o->a, X64_S32, X64_S64, r, x), "cvttss2si %s, xmm%u",
			  r64[r], x);
			I(gate__x64_cvtt_f2i(&o->a, X64_S64, X64_S32, r, x), "cvttsd2si %s, xmm%u",
			  r32[r], x);
			I(gate__x64_cvtt_f2i(&o->a, X64_S64, X64_S64, r, x), "cvttsd2si %s, xmm%u",
			  r64[r], x);
			I(gate__x64_movmsk(&o->a, X64_S32, r, x), "movmskps %s, xmm%u", r32[r], x);
			I(gate__x64_movmsk(&o->a, X64_S64, r, x), "movmskpd %s, xmm%u", r32[r], x);
		}
}

/* Runs argv[0] with argv and waits; 0 on exit status 0. */
static int run(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "  x64 oracle: cannot run \"%s\" (install binutils)\n", argv[0]);
		return -1;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "  x64 oracle: \"%s\" failed\n", argv[0]);
		return -1;
	}
	return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static void hex(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t k = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && k + 4 < cap; i++)
		k += (size_t)snprintf(out + k, cap - k, "%02x ", p[i]);
}

/* Compares every instruction; returns the number of mismatches. */
static size_t compare(const struct oracle *o, const uint8_t *text, size_t text_len,
		      const uint32_t *lens, size_t nlens)
{
	size_t bad = 0;

	if (nlens != o->n + 1 || text_len != lens[o->n]) {
		fprintf(stderr, "  x64 oracle: as produced %zu offsets and %zu bytes, expected %zu\n",
			nlens, text_len, o->n + 1);
		return 1;
	}
	for (size_t k = 0; k < o->n; k++) {
		size_t ours = o->starts[k + 1] - o->starts[k], theirs = lens[k + 1] - lens[k];
		char h1[64], h2[64];

		if (ours == theirs && lens[k] + theirs <= text_len &&
		    memcmp(o->a.code + o->starts[k], text + lens[k], ours) == 0)
			continue;
		if (++bad > MAX_REPORTS)
			continue;
		hex(h1, sizeof(h1), o->a.code + o->starts[k], ours);
		hex(h2, sizeof(h2), text + lens[k], theirs);
		fprintf(stderr, "  x64 oracle: #%zu \"%s\"\n    ours: %s\n    as:   %s\n", k,
			o->texts[k], h1, h2);
	}
	if (bad > MAX_REPORTS)
		fprintf(stderr, "  x64 oracle: %zu more mismatches\n", bad - MAX_REPORTS);
	return bad;
}

static size_t check_with_as(struct oracle *o)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], s[300], obj[300], text[300], lensf[300];
	char *as_argv[] = { "as", "--64", "-o", obj, s, NULL };
	char *text_argv[] = { "objcopy", "-O", "binary", "-j", ".text", obj, text, NULL };
	char *lens_argv[] = { "objcopy", "-O", "binary", "-j", ".lens", obj, lensf, NULL };
	uint8_t *code = NULL, *lens = NULL;
	size_t code_len = 0, lens_len = 0, bad = 1;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/gate-x64-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "  x64 oracle: cannot create a directory in %s\n", dir);
		return 1;
	}
	snprintf(s, sizeof(s), "%s/x64.s", dir);
	snprintf(obj, sizeof(obj), "%s/x64.o", dir);
	snprintf(text, sizeof(text), "%s/text.bin", dir);
	snprintf(lensf, sizeof(lensf), "%s/lens.bin", dir);
	f = fopen(s, "w");
	if (f == NULL)
		goto out_rmdir;
	fwrite(o->srcbuf, 1, o->srclen, f);
	fclose(f);
	if (run(as_argv) || run(text_argv) || run(lens_argv))
		goto out_unlink;
	code = slurp(text, &code_len);
	lens = slurp(lensf, &lens_len);
	if (code && lens)
		bad = compare(o, code, code_len, (const uint32_t *)(void *)lens, lens_len / 4);
	free(code);
	free(lens);
out_unlink:
	unlink(lensf);
	unlink(text);
	unlink(obj);
	if (bad == 0)
		unlink(s);
	else
		fprintf(stderr, "  x64 oracle: source kept in %s\n", s);
out_rmdir:
	if (bad == 0)
		rmdir(dir);
	return bad;
}

TEST(x64_encodings_match_gnu_as)
{
	static struct oracle o_;
	struct oracle *o = &o_;
	struct x64_mem am[512], sm[16];
	size_t nam, nsm, bad;

	memset(o, 0, sizeof(*o));
	gate__x64_init(&o->a, 64 << 20);
	o->src = open_memstream(&o->srcbuf, &o->srclen);
	CHECK(o->src != NULL);
	fprintf(o->src, "\t.intel_syntax noprefix\n\t.text\n");
	nam = all_mems(o, am);
	nsm = some_mems(o, sm);
	CHECK(nam <= sizeof(am) / sizeof(am[0]));
	bind(o, L_START);
	gen_moves(o, am, nam, sm, nsm);
	gen_alu(o, sm, nsm);
	gen_int(o, sm, nsm);
	gen_control(o, am, nam);
	gen_sse(o, am, nam, sm, nsm);
	/* The RIP-relative operands above point here, forward. */
	bind(o, L_DATA);
	I(gate__x64_emit64(&o->a, 0), ".quad 0");
	I(gate__x64_emit64(&o->a, 0), ".quad 0");
	fprintf(o->src, ".Li%zu:\n\t.section .lens,\"a\"\n", o->n);
	for (size_t k = 0; k <= o->n; k++)
		fprintf(o->src, "\t.long .Li%zu-.Li0\n", k);
	fclose(o->src);
	if (!o->oom)
		o->starts[o->n] = (uint32_t)o->a.len;

	bad = o->oom ? 1 : check_with_as(o);
	if (bad == 0)
		printf("  x64 oracle: %zu instructions match GNU as\n", o->n);
	CHECK_EQ(gate__x64_error(&o->a), X64_OK);
	for (size_t k = 0; k < o->n; k++)
		free(o->texts[k]);
	free(o->texts);
	free(o->starts);
	free(o->srcbuf);
	gate__x64_free(&o->a);
	CHECK(!o->oom);
	CHECK_EQ(bad, 0);
	CHECK(o->n > 50000);
}
