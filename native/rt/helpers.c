/*
 * Runtime helpers called from generated code through the vmctx (vmctx.h):
 * memory.grow and the bulk memory and table instructions. Each checks its
 * bounds before touching anything, as the spec requires (no partial
 * writes), and returns a trap kind or 0.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../wasm/module.h"
#include "rt_internal.h"

/* Bounds tables so that a program cannot make the runtime allocate
 * without limit: 10M elements, as the decoder's table_size limit. */
#define TABLE_MAX 10000000u

static struct rt_instance *inst_of(void *vmctx)
{
	return ((struct gate__vmctx_head *)vmctx)->instance;
}

static struct gate__rt_table *table_of(struct rt_instance *inst, uint32_t t)
{
	struct gate__rt_table *p;

	memcpy(&p, (uint8_t *)inst->vmctx + inst->vm.tables + 8 * t, 8);
	return p;
}

static bool fits(uint64_t at, uint64_t n, uint64_t size)
{
	return at + n <= size;
}

static uint32_t memory_grow(void *vmctx, uint32_t delta)
{
	struct gate__rt_memory *m = ((struct gate__vmctx_head *)vmctx)->memory;
	uint32_t old = m->pages;

	if ((uint64_t)old + delta > m->max || !gate__rt_pages_take(delta))
		return UINT32_MAX;
	if (delta && mprotect(m->base + (size_t)old * GATE__PAGE_SIZE, (size_t)delta * GATE__PAGE_SIZE,
			      PROT_READ | PROT_WRITE) != 0) {
		gate__rt_pages_give(delta);
		return UINT32_MAX;
	}
	m->pages = old + delta;
	return old;
}

static uint64_t mem_bytes(void *vmctx)
{
	return (uint64_t)((struct gate__vmctx_head *)vmctx)->memory->pages * GATE__PAGE_SIZE;
}

/*
 * Bulk instructions run in pieces of GATE__RT_BULK_BYTES. After each piece
 * but the last, a suspend request stops them: the part not done is left in
 * store->pending and GATE_TRAP_SUSPENDED goes back to the code, which traps
 * with it; the suspension names the instruction with these operands
 * (portable.h), and a resume runs it again with them. Bounds are checked
 * for the whole instruction before the first piece, as the spec requires.
 */
static bool stop(void)
{
	struct gate__store *s = gate__rt_current;

	return s && s->suspend;
}

static uint32_t pending(uint32_t op, uint64_t a, uint8_t tb, uint64_t b, uint64_t c)
{
	gate__rt_current->pending = (struct gate__rt_pending){
		op, 3, { GATE__I32, tb, GATE__I32 }, { a, b, c } };
	return GATE_TRAP_SUSPENDED;
}

static uint32_t memory_fill(void *vmctx, uint32_t d, uint32_t val, uint32_t n)
{
	uint8_t *base = ((struct gate__vmctx_head *)vmctx)->membase;

	if (!fits(d, n, mem_bytes(vmctx)))
		return GATE_TRAP_MEMORY_OUT_OF_BOUNDS;
	for (;;) {
		uint32_t k = n < GATE__RT_BULK_BYTES ? n : GATE__RT_BULK_BYTES;

		memset(base + d, (int)(val & 0xff), k);
		d += k;
		n -= k;
		if (n == 0)
			return 0;
		if (stop())
			return pending(GATE_PHOST_MEMORY_FILL, d, GATE__I32, val, n);
	}
}

/* Forward when the destination is below the source, else from the end:
 * either way the source of the part not done is not yet overwritten, so
 * what is left is a plain copy of its own. */
static uint32_t memory_copy(void *vmctx, uint32_t d, uint32_t s, uint32_t n)
{
	uint8_t *base = ((struct gate__vmctx_head *)vmctx)->membase;
	uint64_t size = mem_bytes(vmctx);

	if (!fits(d, n, size) || !fits(s, n, size))
		return GATE_TRAP_MEMORY_OUT_OF_BOUNDS;
	for (;;) {
		uint32_t k = n < GATE__RT_BULK_BYTES ? n : GATE__RT_BULK_BYTES;

		if (d <= s) {
			memmove(base + d, base + s, k);
			d += k;
			s += k;
		} else {
			memmove(base + d + (n - k), base + s + (n - k), k);
		}
		n -= k;
		if (n == 0)
			return 0;
		if (stop())
			return pending(GATE_PHOST_MEMORY_COPY, d, GATE__I32, s, n);
	}
}

uint32_t gate__rt_memory_init(struct rt_instance *inst, uint32_t seg, uint32_t d, uint32_t s,
			      uint32_t n)
{
	const struct rt_datadef *dd = &inst->img->datas[seg];
	uint32_t len = inst->data_dropped[seg] ? 0 : dd->len;
	struct gate__vmctx_head *head = inst->vmctx;

	if (!fits(s, n, len) || head->memory == NULL ||
	    !fits(d, n, (uint64_t)head->memory->pages * GATE__PAGE_SIZE))
		return GATE_TRAP_MEMORY_OUT_OF_BOUNDS;
	if (n)
		memcpy(head->membase + d, dd->bytes + s, n);
	return 0;
}

static uint32_t memory_init(void *vmctx, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
	struct rt_instance *inst = inst_of(vmctx);
	uint32_t len = inst->data_dropped[seg] ? 0 : inst->img->datas[seg].len;

	if (!fits(s, n, len) || !fits(d, n, mem_bytes(vmctx)))
		return GATE_TRAP_MEMORY_OUT_OF_BOUNDS;
	for (;;) {
		uint32_t k = n < GATE__RT_BULK_BYTES ? n : GATE__RT_BULK_BYTES;

		gate__rt_memory_init(inst, seg, d, s, k);
		d += k;
		s += k;
		n -= k;
		if (n == 0)
			return 0;
		if (stop())
			return pending(GATE_PHOST_MEMORY_INIT, d, GATE__I32, s, n);
	}
}

static void data_drop(void *vmctx, uint32_t seg)
{
	inst_of(vmctx)->data_dropped[seg] = true;
}

static uint32_t table_grow(void *vmctx, uint32_t t, uint64_t ref, uint32_t delta)
{
	struct gate__rt_table *tb = table_of(inst_of(vmctx), t);
	uint64_t want = (uint64_t)tb->size + delta;
	uint32_t old = tb->size;

	if (want > tb->max || want > TABLE_MAX)
		return UINT32_MAX;
	if (want > tb->cap) {
		uint64_t cap = tb->cap * 2ull > want ? tb->cap * 2ull : want;
		uint64_t *p;

		if (cap > TABLE_MAX)
			cap = TABLE_MAX;
		p = realloc(tb->elems, cap * 8);
		if (p == NULL)
			return UINT32_MAX;
		tb->elems = p;
		tb->cap = (uint32_t)cap;
	}
	for (uint64_t i = old; i < want; i++)
		tb->elems[i] = ref;
	tb->size = (uint32_t)want;
	return old;
}

/* Table pieces: as many elements as GATE__RT_BULK_BYTES of memory. */
#define TABLE_PIECE (GATE__RT_BULK_BYTES / 8)

static uint32_t table_fill(void *vmctx, uint32_t t, uint32_t i, uint64_t ref, uint32_t n)
{
	struct gate__rt_table *tb = table_of(inst_of(vmctx), t);

	if (!fits(i, n, tb->size))
		return GATE_TRAP_TABLE_OUT_OF_BOUNDS;
	for (;;) {
		uint32_t k = n < TABLE_PIECE ? n : TABLE_PIECE;

		for (uint32_t e = 0; e < k; e++)
			tb->elems[i + e] = ref;
		i += k;
		n -= k;
		if (n == 0)
			return 0;
		if (stop())
			return pending(GATE_PHOST_TABLE_FILL, i, tb->type, ref, n);
	}
}

/* In pieces as memory_copy. */
static uint32_t table_copy(void *vmctx, uint32_t dt, uint32_t st, uint32_t d, uint32_t s, uint32_t n)
{
	struct rt_instance *inst = inst_of(vmctx);
	struct gate__rt_table *dst = table_of(inst, dt), *src = table_of(inst, st);

	if (!fits(d, n, dst->size) || !fits(s, n, src->size))
		return GATE_TRAP_TABLE_OUT_OF_BOUNDS;
	for (;;) {
		uint32_t k = n < TABLE_PIECE ? n : TABLE_PIECE;

		if (dst != src || d <= s) {
			memmove(dst->elems + d, src->elems + s, (size_t)k * 8);
			d += k;
			s += k;
		} else {
			memmove(dst->elems + d + (n - k), src->elems + s + (n - k), (size_t)k * 8);
		}
		n -= k;
		if (n == 0)
			return 0;
		if (stop())
			return pending(GATE_PHOST_TABLE_COPY, d, GATE__I32, s, n);
	}
}

uint32_t gate__rt_table_init(struct rt_instance *inst, uint32_t t, uint32_t seg, uint32_t d,
			     uint32_t s, uint32_t n)
{
	struct gate__rt_table *tb = table_of(inst, t);
	uint32_t len = inst->elems[seg] ? inst->elem_len[seg] : 0;

	if (!fits(s, n, len) || !fits(d, n, tb->size))
		return GATE_TRAP_TABLE_OUT_OF_BOUNDS;
	if (n)
		memcpy(tb->elems + d, inst->elems[seg] + s, (size_t)n * 8);
	return 0;
}

static uint32_t table_init(void *vmctx, uint32_t t, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
	struct rt_instance *inst = inst_of(vmctx);
	struct gate__rt_table *tb = table_of(inst, t);
	uint32_t len = inst->elems[seg] ? inst->elem_len[seg] : 0;

	if (!fits(s, n, len) || !fits(d, n, tb->size))
		return GATE_TRAP_TABLE_OUT_OF_BOUNDS;
	for (;;) {
		uint32_t k = n < TABLE_PIECE ? n : TABLE_PIECE;

		gate__rt_table_init(inst, t, seg, d, s, k);
		d += k;
		s += k;
		n -= k;
		if (n == 0)
			return 0;
		if (stop())
			return pending(GATE_PHOST_TABLE_INIT, d, GATE__I32, s, n);
	}
}

static void elem_drop(void *vmctx, uint32_t seg)
{
	struct rt_instance *inst = inst_of(vmctx);

	free(inst->elems[seg]);
	inst->elems[seg] = NULL;
	inst->elem_len[seg] = 0;
}

#define H(f) ((void *)(uintptr_t)(f))

void *const gate__rt_helpers[GATE__H_COUNT] = {
	[GATE__H_MEMORY_GROW] = H(memory_grow), [GATE__H_MEMORY_FILL] = H(memory_fill),
	[GATE__H_MEMORY_COPY] = H(memory_copy), [GATE__H_MEMORY_INIT] = H(memory_init),
	[GATE__H_DATA_DROP] = H(data_drop),     [GATE__H_TABLE_GROW] = H(table_grow),
	[GATE__H_TABLE_FILL] = H(table_fill),   [GATE__H_TABLE_COPY] = H(table_copy),
	[GATE__H_TABLE_INIT] = H(table_init),   [GATE__H_ELEM_DROP] = H(elem_drop),
};
