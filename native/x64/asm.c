/* x86-64 encoder: the code buffer, labels, data, and control flow. See asm.h. */
#include <stdlib.h>

#include "asm_enc.h"

/* A label use that did not fit in the label: a node in the assembler's pool. */
struct x64_pooled_use {
	struct x64_use use;
	uint32_t next; /* 1 + index of the next node, or 0 */
};

/* The first allocation: big enough for most functions, small enough to not matter. */
#define INITIAL_CAP 4096

void gate__x64_init(struct x64_asm *a, size_t max)
{
	memset(a, 0, sizeof(*a));
	a->max = max < X64_MAX_CODE ? max : X64_MAX_CODE;
}

void gate__x64_free(struct x64_asm *a)
{
	if (!lost(a))
		free(a->code);
	free(a->pool);
	a->code = NULL;
	a->pool = NULL;
	a->len = a->cap = 0;
	a->npool = a->cappool = a->freepool = 0;
}

int gate__x64_error(const struct x64_asm *a)
{
	if (a->error == X64_OK && a->len > a->max)
		return X64_ELIMIT;
	return a->error;
}

const char *gate__x64_error_name(int error)
{
	switch (error) {
	case X64_OK:
		return "ok";
	case X64_ENOMEM:
		return "out of memory";
	case X64_ELIMIT:
		return "code size limit exceeded";
	case X64_ERANGE:
		return "short jump out of range";
	case X64_EINVAL:
		return "invalid operand";
	}
	return "unknown error";
}

void gate__x64_fail(struct x64_asm *a, int error)
{
	if (a->error == X64_OK)
		a->error = error;
	if ((error == X64_ENOMEM || error == X64_ELIMIT) && !lost(a)) {
		free(a->code);
		a->code = a->scratch;
		a->cap = sizeof(a->scratch);
		a->len = 0;
	}
}

void gate__x64_grow(struct x64_asm *a)
{
	size_t cap, limit = a->max + X64_RESERVE;
	uint8_t *code;

	if (lost(a)) {
		/* Keep writing over the scratch area; the error is already recorded. */
		a->len = 0;
		return;
	}
	cap = a->cap ? a->cap * 2 : INITIAL_CAP;
	if (cap > limit)
		cap = limit;
	if (cap - a->len < X64_RESERVE) {
		gate__x64_fail(a, X64_ELIMIT);
		return;
	}
	code = realloc(a->code, cap);
	if (code == NULL) {
		gate__x64_fail(a, X64_ENOMEM);
		return;
	}
	a->code = code;
	a->cap = cap;
}

void gate__x64_use(struct x64_asm *a, struct x64_label *l, uint32_t at, uint32_t end,
		   uint32_t size)
{
	struct x64_pooled_use *n;
	uint32_t i;

	if (lost(a))
		return;
	if (l->ninline < X64_LABEL_INLINE) {
		l->uses[l->ninline++] = (struct x64_use){ at, end, size };
		return;
	}
	if (a->freepool) {
		i = a->freepool - 1;
		a->freepool = a->pool[i].next;
	} else {
		if (a->npool == a->cappool) {
			uint32_t cap = a->cappool ? a->cappool * 2 : 64;
			struct x64_pooled_use *pool = realloc(a->pool, cap * sizeof(*pool));

			if (pool == NULL) {
				/*
				 * Not gate__x64_fail(): the caller is mid-instruction
				 * with a pointer into the buffer, so keep it alive.
				 */
				if (a->error == X64_OK)
					a->error = X64_ENOMEM;
				return;
			}
			a->pool = pool;
			a->cappool = cap;
		}
		i = a->npool++;
	}
	n = &a->pool[i];
	n->use = (struct x64_use){ at, end, size };
	n->next = l->more;
	l->more = i + 1;
}

static void patch(struct x64_asm *a, const struct x64_use *u, uint32_t target)
{
	uint8_t *p = a->code + u->at;
	uint32_t v;

	/* Fields hold an addend (0 for jumps), as relocations with addends do. */
	if (u->size == 1) {
		int64_t d = (int8_t)*p + (int64_t)target - u->end;

		if (!fits8(d))
			gate__x64_fail(a, X64_ERANGE);
		*p = (uint8_t)d;
		return;
	}
	memcpy(&v, p, 4);
	put32(p, v + target - u->end);
}

void gate__x64_bind(struct x64_asm *a, struct x64_label *l)
{
	uint32_t i, next;

	if (l->bound) {
		gate__x64_fail(a, X64_EINVAL);
		return;
	}
	l->bound = 1;
	l->pos = (uint32_t)a->len;
	for (i = 0; i < l->ninline && !lost(a); i++)
		patch(a, &l->uses[i], l->pos);
	for (i = l->more; i; i = next) {
		struct x64_pooled_use *n = &a->pool[i - 1];

		next = n->next;
		if (!lost(a))
			patch(a, &n->use, l->pos);
		n->next = a->freepool;
		a->freepool = i;
	}
	l->ninline = 0;
	l->more = 0;
}

void gate__x64_patch32(struct x64_asm *a, size_t off, uint32_t v)
{
	if (lost(a))
		return;
	if (off > a->len || a->len - off < 4) {
		gate__x64_fail(a, X64_EINVAL);
		return;
	}
	put32(a->code + off, v);
}

void gate__x64_emit8(struct x64_asm *a, uint8_t v)
{
	uint8_t *p = begin(a);

	*p++ = v;
	commit(a, p);
}

void gate__x64_emit32(struct x64_asm *a, uint32_t v)
{
	commit(a, put32(begin(a), v));
}

void gate__x64_emit64(struct x64_asm *a, uint64_t v)
{
	uint8_t *p = begin(a);

	memcpy(p, &v, 8);
	commit(a, p + 8);
}

void gate__x64_emit_label_delta(struct x64_asm *a, struct x64_label *l, size_t base_off)
{
	uint8_t *p = begin(a);

	if (l->bound) {
		p = put32(p, l->pos - (uint32_t)base_off);
	} else {
		gate__x64_use(a, l, here(a, p), (uint32_t)base_off, 4);
		p = put32(p, 0);
	}
	commit(a, p);
}

/* The recommended multi-byte nops, Intel SDM vol. 2B, table 4-12. */
static const uint8_t nops[9][9] = {
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

void gate__x64_nop(struct x64_asm *a, size_t n)
{
	while (n > 0) {
		size_t k = n < 9 ? n : 9;
		uint8_t *p = begin(a);

		memcpy(p, nops[k - 1], k);
		commit(a, p + k);
		n -= k;
	}
}

void gate__x64_align(struct x64_asm *a, size_t align)
{
	if (align == 0 || (align & (align - 1))) {
		gate__x64_fail(a, X64_EINVAL);
		return;
	}
	gate__x64_nop(a, -a->len & (align - 1));
}

/*
 * Jumps. A bound label is behind us, so its distance is known and rel8 is
 * used when it fits. An unbound label gets rel32 unless the caller promises
 * it is near (the _short variants); bind checks the promise.
 */
static void jump(struct x64_asm *a, unsigned op8, unsigned op32, struct x64_label *l, bool short_)
{
	uint8_t *p = begin(a);
	unsigned n32 = op32 > 0xff ? 2 : 1;

	if (l->bound) {
		int64_t d = (int64_t)l->pos - (here(a, p) + 2);

		if (fits8(d) || short_) {
			if (!fits8(d))
				gate__x64_fail(a, X64_ERANGE);
			*p++ = (uint8_t)op8;
			*p++ = (uint8_t)d;
		} else {
			if (n32 == 2)
				*p++ = 0x0f;
			*p++ = (uint8_t)op32;
			p = put32(p, l->pos - (here(a, p) + 4));
		}
	} else if (short_) {
		*p++ = (uint8_t)op8;
		gate__x64_use(a, l, here(a, p), here(a, p) + 1, 1);
		*p++ = 0;
	} else {
		if (n32 == 2)
			*p++ = 0x0f;
		*p++ = (uint8_t)op32;
		gate__x64_use(a, l, here(a, p), here(a, p) + 4, 4);
		p = put32(p, 0);
	}
	commit(a, p);
}

void gate__x64_jmp(struct x64_asm *a, struct x64_label *l)
{
	jump(a, 0xeb, 0xe9, l, false);
}

void gate__x64_jcc(struct x64_asm *a, enum x64_cond cc, struct x64_label *l)
{
	jump(a, 0x70 + cc, 0x180 + cc, l, false);
}

void gate__x64_jmp_short(struct x64_asm *a, struct x64_label *l)
{
	jump(a, 0xeb, 0xe9, l, true);
}

void gate__x64_jcc_short(struct x64_asm *a, enum x64_cond cc, struct x64_label *l)
{
	jump(a, 0x70 + cc, 0x180 + cc, l, true);
}

void gate__x64_call(struct x64_asm *a, struct x64_label *l)
{
	uint8_t *p = begin(a);

	*p++ = 0xe8;
	if (l->bound) {
		p = put32(p, l->pos - (here(a, p) + 4));
	} else {
		gate__x64_use(a, l, here(a, p), here(a, p) + 4, 4);
		p = put32(p, 0);
	}
	commit(a, p);
}

/* call and jmp through a register or memory default to 64-bit operands: no REX.W. */
void gate__x64_call_r(struct x64_asm *a, enum x64_reg r)
{
	commit(a, enc_rr(begin(a), 0xff, 0, 2, r, false));
}

void gate__x64_call_m(struct x64_asm *a, struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, 0xff, 0, 2, false, &m, 0));
}

void gate__x64_jmp_r(struct x64_asm *a, enum x64_reg r)
{
	commit(a, enc_rr(begin(a), 0xff, 0, 4, r, false));
}

void gate__x64_jmp_m(struct x64_asm *a, struct x64_mem m)
{
	uint8_t *p = begin(a);

	commit(a, enc_m(a, p, 0xff, 0, 4, false, &m, 0));
}

void gate__x64_ret(struct x64_asm *a)
{
	gate__x64_emit8(a, 0xc3);
}

void gate__x64_int3(struct x64_asm *a)
{
	gate__x64_emit8(a, 0xcc);
}

void gate__x64_ud2(struct x64_asm *a)
{
	uint8_t *p = begin(a);

	*p++ = 0x0f;
	*p++ = 0x0b;
	commit(a, p);
}

void gate__x64_push(struct x64_asm *a, enum x64_reg r)
{
	commit(a, enc_op(begin(a), 0x50 + (r & 7), 0, 0, 0, r, false));
}

void gate__x64_pop(struct x64_asm *a, enum x64_reg r)
{
	commit(a, enc_op(begin(a), 0x58 + (r & 7), 0, 0, 0, r, false));
}
