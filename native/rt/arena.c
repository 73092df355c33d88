/*
 * Arenas for sandboxed instance processes (rt.h, docs/sandbox.md).
 *
 * Under the seccomp filter an instance process cannot call mmap: the only
 * way it changes its address space is mprotect, and only inside ranges the
 * filter names. So before the filter, gate__rt_arenas_reserve() reserves
 * one region, aligned to 4 GiB because the filter compares the high 32 bits
 * of an address:
 *
 *   code_lo              code_hi          mem_lo                  mem_hi
 *   | code: RW, sealed RX | gap: 4 GiB none | slot 0 | slot 1 | ... | tail: 4 GiB none |
 *     by image (bump)                          8 GiB each, PROT_NONE
 *
 * An mprotect the filter allows starts below code_hi (or mem_hi) and is
 * shorter than 4 GiB, so it ends in the gap (or the tail): never outside
 * the region. Nothing here is freed: slots and code live until the process
 * exits, which is when the store goes away. Without arenas (unit tests)
 * memories and code are mapped one by one, as before.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "../lib/error.h"
#include "rt_internal.h"

#define GIB4 (4ull << 30)

static struct {
	bool on;
	struct gate__rt_arenas a;
	uintptr_t code_next, code_end; /* bump pointer in the RW code part */
	uintptr_t mem_next;
	uint64_t pages_limit, pages_used; /* all linear memories; limit 0: none */
} arena;

static uint64_t round_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) / to * to;
}

int gate__rt_arenas_reserve(const struct gate__rt_limits *lim, struct gate__rt_arenas *out,
			    char *err, size_t err_len)
{
	uint64_t code = round_up(lim->code_bytes ? lim->code_bytes : 4096, 4096);
	uint64_t code_span = round_up(code, GIB4);
	uint64_t mem = (uint64_t)lim->max_memories * GATE__MEM_RESERVE;
	uint64_t total = code_span + GIB4 + mem + GIB4;
	uint8_t *p, *lo;

	if (arena.on)
		return gate__errorf(err, err_len, GATE_INTERNAL, "Arenas already reserved");
	if (lim->max_memories == 0 || lim->max_memories > GATE__RT_MAX_MEMORIES)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot reserve arenas: %u memories", lim->max_memories);
	/* 4 GiB more than needed, then trimmed to a 4 GiB boundary. */
	p = mmap(NULL, total + GIB4, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot reserve %llu bytes of address space",
				    (unsigned long long)total);
	lo = (uint8_t *)round_up((uintptr_t)p, GIB4);
	if (lo > p)
		munmap(p, (size_t)(lo - p));
	if (lo + total < p + total + GIB4)
		munmap(lo + total, (size_t)(p + total + GIB4 - (lo + total)));
	if (mprotect(lo, code, PROT_READ | PROT_WRITE) != 0) {
		munmap(lo, total);
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot reserve code arena");
	}
	arena.a.lo = (uintptr_t)lo;
	arena.a.hi = (uintptr_t)lo + total;
	arena.a.code_lo = (uintptr_t)lo;
	arena.a.code_hi = (uintptr_t)lo + code_span;
	arena.a.mem_lo = arena.a.code_hi + GIB4;
	arena.a.mem_hi = arena.a.mem_lo + mem;
	arena.code_next = arena.a.code_lo;
	arena.code_end = arena.a.code_lo + code;
	arena.mem_next = arena.a.mem_lo;
	arena.pages_limit = lim->memory_pages;
	arena.pages_used = 0;
	arena.on = true;
	*out = arena.a;
	return GATE_OK;
}

bool gate__rt_arenas_on(void)
{
	return arena.on;
}

uint8_t *gate__rt_arena_code(size_t len)
{
	uint64_t n = round_up(len, 4096);

	if (n > arena.code_end - arena.code_next)
		return NULL;
	arena.code_next += n;
	return (uint8_t *)(arena.code_next - n);
}

uint8_t *gate__rt_arena_slot(void)
{
	if (arena.mem_next >= arena.a.mem_hi)
		return NULL;
	arena.mem_next += GATE__MEM_RESERVE;
	return (uint8_t *)(arena.mem_next - GATE__MEM_RESERVE);
}

bool gate__rt_pages_take(uint64_t n)
{
	if (arena.pages_limit && n > arena.pages_limit - arena.pages_used)
		return false;
	arena.pages_used += n;
	return true;
}

void gate__rt_pages_give(uint64_t n)
{
	arena.pages_used -= n < arena.pages_used ? n : arena.pages_used;
}

void gate__rt_set_page_limit(uint64_t pages)
{
	arena.pages_limit = pages;
	arena.pages_used = 0;
}

int gate__rt_sandbox_prepare(const struct gate__rt_limits *lim, struct gate__rt_arenas *out,
			     char *err, size_t err_len)
{
	if (gate__rt_thread_setup() != 0)
		return gate__errorf(err, err_len, GATE_INTERNAL,
				    "Cannot set up the runtime's signal handlers and stack");
	return gate__rt_arenas_reserve(lim, out, err, err_len);
}

int gate__rt_prepare_process(void)
{
	return gate__rt_thread_setup();
}
