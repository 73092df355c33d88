/*
 * The function-body decoder: one pass over a body that decodes every
 * instruction, validates it with the spec's algorithm (appendix "Validation
 * Algorithm": an operand stack of types with Unknown, a control stack of
 * frames) and, if given a visitor, reports it. Validation alone passes a NULL
 * visitor and runs without indirect calls; the code generator is a second
 * visitor. docs/validator.md describes the contract in full.
 */
#ifndef GATE_WASM_BODY_H
#define GATE_WASM_BODY_H

#include "leb128.h"
#include "module.h"

/* Normalized opcodes: one-byte opcodes as is, prefixed ones as prefix<<16|sub. */
#define GATE__OP_FC(sub) (0xfc0000u | (uint32_t)(sub))
#define GATE__OP_FD(sub) (0xfd0000u | (uint32_t)(sub))

enum gate__frame_kind {
	GATE__FRAME_FUNCTION,
	GATE__FRAME_BLOCK,
	GATE__FRAME_LOOP,
	GATE__FRAME_IF,
	GATE__FRAME_ELSE,
};

/* Parameter and result types of a block, loop, if or the function. */
struct gate__blocktype {
	uint32_t nparams;
	uint32_t nresults;
	const uint8_t *params;
	const uint8_t *results;
};

struct gate__frame {
	uint8_t kind;     /* enum gate__frame_kind */
	bool unreachable; /* the rest of this frame's code is unreachable */
	uint32_t height;  /* operand stack height below the frame's own values */
	uint32_t offset;  /* bytecode offset of the opening instruction */
	struct gate__blocktype type;
};

/* The types a branch to this frame carries: a loop's params, else results. */
static inline uint32_t gate__label_types(const struct gate__frame *f, const uint8_t **types)
{
	if (f->kind == GATE__FRAME_LOOP) {
		*types = f->type.params;
		return f->type.nparams;
	}
	*types = f->type.results;
	return f->type.nresults;
}

/* A run of declared locals of one type; first is the index of the first. */
struct gate__local_run {
	uint32_t first;
	uint32_t count;
	uint8_t type;
};

struct gate__memarg {
	uint32_t align; /* log2 of the alignment hint */
	uint32_t memory;
	uint64_t offset;
};

/*
 * br_table targets stay in the bytecode: `targets` points at `count` LEB128
 * label depths that the decoder has already checked; read them in order with
 * gate__br_table_next(&it). No array is ever allocated for them.
 */
struct gate__br_table {
	uint32_t count;
	uint32_t default_depth;
	const uint8_t *targets;
};

static inline uint32_t gate__br_table_next(const uint8_t **it)
{
	return gate__next_u32(it);
}

/* Immediates; which member is set depends on the opcode (docs/validator.md). */
union gate__imm {
	uint32_t index; /* local, global, function, label, table, elem, data, type */
	struct {
		uint32_t a, b; /* call_indirect (type, table), table.init (elem,
				  table), table.copy (dst, src), memory.init (data,
				  memory), memory.copy (dst, src) */
	} pair;
	struct gate__memarg mem;
	struct {
		struct gate__memarg mem;
		uint8_t lane;
	} mem_lane;
	struct gate__br_table br_table;
	struct gate__blocktype block;
	int32_t i32;
	int64_t i64;
	uint32_t f32; /* bit pattern */
	uint64_t f64; /* bit pattern */
	uint8_t v128[16];
	uint8_t shuffle[16];
	uint8_t lane;
	uint8_t type; /* select t, ref.null t */
};

/*
 * One decoded instruction, reported after it has been validated and applied
 * to the operand and control stacks.
 */
struct gate__instr {
	uint32_t op;      /* normalized opcode */
	uint32_t offset;  /* bytecode offset of the opcode in the module */
	bool unreachable; /* the instruction itself is in unreachable code */
	uint32_t npop;
	uint32_t npush;
	const uint8_t *pop;  /* types consumed, bottom first; GATE__UNKNOWN for
				values taken from an unreachable frame's bottom */
	const uint8_t *push; /* types produced, bottom first */
	/* The innermost frame: the new one after block, loop and if; the
	 * closed one (no longer on the stack) after end. */
	const struct gate__frame *frame;
	union gate__imm imm;
};

struct gate__body;

/*
 * A consumer of decoded bodies. Each callback returns 0 to go on, or a
 * nonzero status (e.g. GATE_OUT_OF_MEMORY) to stop; gate__body_fail() writes
 * the message. Every member may be NULL.
 */
struct gate__visitor {
	void *ctx;
	int (*begin_function)(void *ctx, const struct gate__body *b, uint32_t func,
			      const struct gate__functype *type, uint32_t nruns,
			      const struct gate__local_run *runs);
	int (*instr)(void *ctx, const struct gate__body *b, const struct gate__instr *in);
	int (*end_function)(void *ctx, const struct gate__body *b);
};

/* Decoder state; reusable across the bodies of one module. Read only to
 * visitors, through the accessors below. */
struct gate__body {
	struct gate__ctx *c;
	const struct gate_module *m;
	uint32_t func;
	const struct gate__functype *type;
	uint32_t instr_off; /* offset of the instruction being decoded */

	uint8_t *stack; /* operand types */
	uint32_t sp, stack_cap;

	struct gate__frame *frames;
	uint32_t nframes, frames_cap;
	struct gate__frame closed; /* the frame that the last end popped */

	uint32_t nlocals;   /* params included */
	uint32_t nexpanded; /* ltypes[0..nexpanded) holds the first locals */
	uint8_t *ltypes;
	uint32_t ltypes_cap;
	struct gate__local_run *runs; /* declared locals */
	uint32_t nruns, runs_cap;

	uint8_t scratch[4]; /* pop/push types of some instructions */
};

static inline uint32_t gate__body_height(const struct gate__body *b)
{
	return b->sp;
}

/* Type of the operand i places below the top (0 is the top). */
static inline uint8_t gate__body_operand(const struct gate__body *b, uint32_t i)
{
	return b->stack[b->sp - 1 - i];
}

static inline uint32_t gate__body_depth(const struct gate__body *b)
{
	return b->nframes;
}

/* The frame a branch with label depth `depth` targets (0 is innermost). */
static inline const struct gate__frame *gate__body_frame(const struct gate__body *b,
							 uint32_t depth)
{
	return &b->frames[b->nframes - 1 - depth];
}

/* Reads the local declarations at r (locals.c). */
int gate__body_read_locals(struct gate__body *b, struct gate__reader *r, size_t body_size);

/* Type of local i (params first); GATE__UNKNOWN if out of range. */
uint8_t gate__body_local_type(const struct gate__body *b, uint32_t i);

void gate__body_init(struct gate__body *b, struct gate__ctx *c);
void gate__body_free(struct gate__body *b);

/* Decodes and validates the body of defined function func (an index in the
 * function index space), reporting to v if not NULL. */
int gate__body_run(struct gate__body *b, uint32_t func, const struct gate__visitor *v);

/* Formats an error in the context of the current function and instruction. */
int gate__body_fail(const struct gate__body *b, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Validates every function body of c->m without a visitor. */
int gate__validate_code(struct gate__ctx *c);

#endif
