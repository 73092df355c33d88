/*
 * The x86-64 code generator's private state, shared by x64_gen.c (value
 * stack, registers, control flow, calls) and x64_ops.c (the numeric, memory
 * and table instructions). docs/compiler.md explains the model.
 */
#ifndef GATE_COMPILE_X64_GEN_H
#define GATE_COMPILE_X64_GEN_H

#include "compile.h"

/* Register numbers: 0-15 general registers, 16-31 xmm0-xmm15. */
#define R_XMM(i) (16u + (i))
#define IS_XMM(r) ((r) >= 16)
#define XMM(r) ((enum x64_xmm)((r)-16))
#define GP(r) ((enum x64_reg)(r))

/* Never allocated: address arithmetic, memory-to-memory moves, cycles. */
#define SCRATCH X64_R11
#define FSCRATCH X64_XMM15

/* rax rcx rdx rbx rsi rdi r8 r9 r10 r12; r13 limit, r14 vmctx, r15 memory. */
#define GP_ALLOC 0x17cfu
#define FP_ALLOC 0x7fff0000u

/* Where an operand is. */
enum vkind {
	V_SLOT,	 /* its canonical operand slot */
	V_REG,	 /* a register */
	V_CONST, /* a constant (bits in k) */
	V_FLAGS, /* the flags of the last instruction, condition in cond */
	V_LOCAL, /* not yet read from local `local`'s slot */
};

/* Conditions beyond the hardware's: ordered-equal and unordered-or-unequal
 * after ucomiss/ucomisd (two flags each). */
#define C_FEQ 16
#define C_FNE 17

struct vval {
	uint8_t kind;
	uint8_t type;
	uint8_t reg;
	uint8_t cond;
	uint32_t local;
	uint64_t k;
};

struct cframe {
	uint8_t kind;	 /* enum gate__frame_kind */
	bool dead_entry; /* opened in unreachable code */
	bool used;	 /* some branch targets the label */
	uint32_t height; /* operand height below the params */
	struct gate__blocktype bt;
	struct x64_label label; /* end of block/if, head of loop */
	struct x64_label else_l;
};

/* Out-of-line code emitted after the function body. */
enum { OOL_TRAP, OOL_TRAP_EAX, OOL_LOOP };

struct ool {
	struct x64_label label, back;
	uint8_t what;
	uint8_t trap;
	uint8_t helper;	 /* OOL_TRAP_EAX: the helper whose status it is */
	uint32_t offset; /* bytecode offset */
	uint32_t map;
};

struct move {
	uint8_t dst;  /* register, or GATE__ABI_STACK */
	int32_t disp; /* for a stack destination: [base + disp] */
	uint8_t base;
	struct vval src;
	uint32_t h; /* height of the source (slot of V_SLOT) */
};

struct gen {
	const struct gate_module *m;
	struct gate__compile_opts opts;
	struct x64_asm a;
	struct gate__sites *sites;
	struct gate__vmctx_layout vm;
	struct x64_label *funcs; /* per function index */
	struct x64_label trap_common;
	struct x64_label kpool; /* constants, see x64_stubs.c */

	/* the function being compiled */
	const struct gate__body *b;
	uint32_t func;
	uint32_t offset; /* of the instruction being compiled */
	const struct gate__functype *type;
	uint32_t nlocals;
	struct vval *st;
	uint32_t sp, st_cap, max_sp;
	struct cframe *cf;
	uint32_t ncf, cf_cap;
	struct ool *ool;
	uint32_t nool, ool_cap;
	struct move *mv;
	uint32_t mv_cap;
	struct gate__abi_loc *locs;
	uint32_t locs_cap;
	uint32_t used, locked;
	uint32_t nlocalrefs;
	uint32_t max_out;
	uint32_t frame_patch;
	uint32_t frame;	 /* the finished function's frame size (bytes below rbp) */
	uint32_t first;	 /* bytecode offset of its first instruction */
	bool dead;
	bool oom;
	bool internal; /* a compiler bug was caught: refuse the module */

	/* locals kept in registers for the whole function (x64_gen.c) */
	uint8_t *pin; /* per local: its index in pin_local, or NOPIN */
	uint32_t pin_cap;
	uint32_t *weights;
	uint32_t weights_cap;
	uint32_t npin;
	uint32_t pin_local[12];
	uint8_t pin_reg[12], pin_type[12];
	uint32_t pin_mask;  /* registers that hold locals */
	uint32_t pin_dirty; /* bit i: the slot of pin_local[i] is stale */
	uint32_t pin_valid; /* bit i: its register holds it (calls clobber) */
};

#define NOPIN 0xff

/* A read of a local that lives in its slot: usable as a memory operand. */
static inline bool gen_is_mem(const struct gen *g, const struct vval *v)
{
	return v->kind == V_SLOT || (v->kind == V_LOCAL && g->pin[v->local] == NOPIN);
}

extern const struct gate__abi_regs gate__x64_abi;

/* Offsets in the constant pool (x64_stubs.c). */
enum kpool {
	K_F32_SIGN = 0,
	K_F32_ABS = 16,
	K_F64_SIGN = 32,
	K_F64_ABS = 48,
	K_BOUNDS = 64, /* 8 pairs of (lower, upper) bounds for trunc, 16 bytes each */
	K_F32_2P63 = 192,
	K_F64_2P63 = 200,
	K_F32_2P31 = 208,
	K_F64_2P32 = 216,
	K_SIZE = 224,
};

static inline struct x64_mem kmem(struct gen *g, int32_t off)
{
	return x64_mem_label(&g->kpool, off);
}

static inline struct x64_mem slot_mem(uint32_t slot)
{
	return x64_mem(X64_RBP, gate__slot_disp(slot));
}

static inline enum x64_size isz(uint8_t t)
{
	return t == GATE__I32 ? X64_S32 : X64_S64;
}

/* x64_gen.c */
bool gen_grow(void **p, uint32_t *cap, uint32_t need, size_t sz, bool *oom);
struct vval gen_pop(struct gen *g);
uint8_t gen_pop_reg(struct gen *g);
uint8_t gen_pop_src(struct gen *g);
void gen_pop_to(struct gen *g, uint8_t reg);
uint8_t gen_alloc(struct gen *g, bool fp);
uint8_t gen_alloc_except(struct gen *g, bool fp, uint32_t avoid);
void gen_claim(struct gen *g, uint8_t reg);
void gen_load(struct gen *g, const struct vval *v, uint32_t h, uint8_t reg);
void gen_push_reg(struct gen *g, uint8_t type, uint8_t reg);
void gen_push_const(struct gen *g, uint8_t type, uint64_t k);
void gen_push_flags(struct gen *g, uint8_t cond);
bool gen_mem_operand(struct gen *g, const struct vval *v, uint32_t h, struct x64_mem *m);
void gen_jcc(struct gen *g, uint8_t cond, struct x64_label *l);
uint8_t gen_negate(uint8_t cond);
void gen_trap_if(struct gen *g, uint8_t cond, uint8_t kind);
void gen_spill_all(struct gen *g, bool keep_consts);
void gen_helper_call(struct gen *g, enum gate__helper h, uint32_t nargs, bool traps,
		     uint8_t result);
/* The same with one or two immediates (nimm) before the operands. */
int gen_helper_imm(struct gen *g, enum gate__helper h, uint64_t a, uint64_t b, uint32_t nimm,
		   uint32_t nargs, bool traps, uint8_t result);
void gen_memsite(struct gen *g);
/* or r13 with the suspend bit if the store's flag is set (vmctx.h); uses
 * scratch, clobbers the flags. */
void gen_or_suspend(struct gen *g, enum x64_reg scratch);
int gen_fail(struct gen *g, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* x64_ops.c: returns 0, or a status for an instruction it cannot compile. */
int gen_op(struct gen *g, const struct gate__instr *in);

/* x64_stubs.c */
void gen_trap_common(struct gen *g);
void gen_kpool(struct gen *g);
void gen_entry_stub(struct gen *g, const struct gate__functype *t);
uint32_t gen_host_stub(struct gen *g, const struct gate__functype *t);

#endif
