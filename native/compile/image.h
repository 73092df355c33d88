/*
 * The serialized image (docs/image.md): written by image_write.c in the
 * Deno process, read and validated by native/rt/image_load.c in an instance
 * process. Little-endian, sections in a fixed order, each
 * "u32 tag, u32 length, payload"; nothing in it is an absolute address.
 */
#ifndef GATE_COMPILE_IMAGE_H
#define GATE_COMPILE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define GATE__IMAGE_MAGIC "GATEIMG\x01"
#define GATE__IMAGE_ARCH_X64 1

enum gate__image_sec {
	GATE__SEC_TYPES = 1,
	GATE__SEC_IMPORTS,
	GATE__SEC_FUNCS,
	GATE__SEC_TABLES,
	GATE__SEC_MEMS,
	GATE__SEC_GLOBALS,
	GATE__SEC_EXPORTS,
	GATE__SEC_START,
	GATE__SEC_ELEMS,
	GATE__SEC_DATAS,
	GATE__SEC_CODE,
	GATE__SEC_CALLSITES,
	GATE__SEC_MEMSITES,
	GATE__SEC_MAPS,
	GATE__SEC_END,
};

/* Bytes 0-7 magic, 8-11 compiler version, 12-15 arch, 16-23 this hash of
 * every byte from 24 on, so that a damaged cache file is never run. */
#define GATE__IMAGE_HEADER 24

static inline uint64_t gate__image_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		__builtin_memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 32);
}

/*
 * A call site (section GATE__SEC_CALLSITES): the return address of a call in
 * the code, what the call is, and the stack map that holds while it is in
 * progress. Written as 7 little-endian u32 (kind, helper and pad share one).
 * The runtime walks frames with these (backtraces) and suspends and resumes
 * at them (docs/runtime.md, "Suspend and resume").
 */
enum gate__site_kind {
	GATE__SITE_TRAP = 0,	    /* an out-of-line trap: a backtrace entry only */
	GATE__SITE_STUB_TRAP = 1,   /* the trap of a host-call stub: func is GATE__NONE */
	GATE__SITE_ENTRY = 2,	    /* safepoint at entry (offset: the first instruction) */
	GATE__SITE_LOOP = 3,	    /* safepoint at a loop head (offset: the loop) */
	GATE__SITE_CALL = 4,	    /* call: a = the callee's function index */
	GATE__SITE_CALL_INDIRECT = 5, /* call_indirect to this instance: a = type, b = table */
	GATE__SITE_CALL_INDIRECT_X = 6, /* the same, to another instance or the host */
	GATE__SITE_HELPER = 7,	    /* runtime helper `helper`: a, b its immediates */
	GATE__SITE_HELPER_TRAP = 8, /* the trap after helper `helper`, with its map */
	GATE__SITE_KINDS
};

struct gate__callsite {
	uint32_t ret;	 /* code offset of the return address */
	uint32_t func;	 /* function index, GATE__NONE for a stub */
	uint32_t offset; /* bytecode offset (module) of the instruction */
	uint32_t map;	 /* stack map offset in the blob, or GATE__NONE */
	uint8_t kind;	 /* enum gate__site_kind */
	uint8_t helper;	 /* enum gate__helper for the HELPER kinds */
	uint16_t pad;
	uint32_t a, b;
};

#define GATE__CALLSITE_SIZE 28

_Static_assert(sizeof(struct gate__callsite) == GATE__CALLSITE_SIZE, "packed as in the image");

/* A constant expression: op is the wasm opcode, v its immediate (the bits
 * of a constant, a reference type, a function or global index). */
struct gate__iexpr {
	uint8_t op;
	uint64_t v;
};

#endif
