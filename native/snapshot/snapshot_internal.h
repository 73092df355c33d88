/*
 * Shared by the files of the snapshot codec (snapshot.h): a byte buffer with
 * LEB128 writers, the section walker, the gate.stack codec, the stack rules
 * and the memory scanner.
 */
#ifndef GATE_SNAPSHOT_INTERNAL_H
#define GATE_SNAPSHOT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../wasm/module.h"
#include "snapshot.h"

/* ---- writing ---- */

/* A growable byte buffer; a failed allocation sets oom and later writes
 * are dropped, so callers check once at the end. */
struct gate__sbuf {
	uint8_t *p;
	size_t n, cap;
	bool oom;
};

void gate__sbuf_put(struct gate__sbuf *b, const void *src, size_t n);
void gate__sbuf_u8(struct gate__sbuf *b, uint8_t v);
void gate__sbuf_u32(struct gate__sbuf *b, uint32_t v); /* unsigned LEB128 */
void gate__sbuf_u64(struct gate__sbuf *b, uint64_t v);
void gate__sbuf_s32(struct gate__sbuf *b, int32_t v); /* signed LEB128 */
void gate__sbuf_s64(struct gate__sbuf *b, int64_t v);
void gate__sbuf_free(struct gate__sbuf *b);

/*
 * Asks for huge pages for a large block that is about to be written (the
 * encoder's output, the decoder's memory): a page fault costs microseconds
 * on a virtual machine, 512 times fewer of them matter. Only libgate runs
 * the encoder and the decoder (the instance process, whose filter has no
 * madvise, never does); glibc maps large blocks on their own and free()
 * unmaps them whatever their page size.
 */
void gate__sadvise_huge(void *p, size_t n);

/* Writes v as unsigned LEB128 at p; returns the bytes written (<= 10). */
size_t gate__leb_put_u64(uint8_t *p, uint64_t v);
size_t gate__leb_put_s64(uint8_t *p, int64_t v);

/* Bytes of the LEB128 encodings of v. */
size_t gate__leb_size_u64(uint64_t v);
size_t gate__leb_size_s64(int64_t v);

/* ---- sections ---- */

/* One section of a module: id, the offset of its id byte, its payload; for
 * a custom section also its name and the payload after the name. */
struct gate__ssec {
	uint8_t id;
	size_t start; /* offset of the id byte */
	size_t off;   /* payload */
	size_t len;
	const uint8_t *name; /* custom only */
	uint32_t name_len;
	size_t body; /* custom only: payload after the name */
	size_t body_len;
};

/* The gate custom sections, in their order (and the ranks that order them
 * among the standard sections: docs/snapshot.md, "Layout"). */
enum gate__sgate {
	GATE__S_NONE = -1,
	GATE__S_SNAPSHOT = 0,
	GATE__S_EXPORT,
	GATE__S_BUFFER,
	GATE__S_STACK,
	GATE__S_COUNT,
};

/* Returns the gate section named name[0..len), GATE__S_NONE for another
 * name, or GATE__S_COUNT for an unknown name starting with "gate.". */
int gate__sgate_of(const uint8_t *name, uint32_t len);
extern const char *const gate__sgate_names[GATE__S_COUNT];

/*
 * Splits m[0..len) (after the 8-byte preamble) into sections, checking only
 * that each fits: *out is a malloc'd array of *n sections. Returns 0, or
 * GATE_MALFORMED / GATE_OUT_OF_MEMORY with a message ("Cannot <verb>
 * snapshot: ...").
 */
int gate__ssec_split(const uint8_t *m, size_t len, struct gate__ssec **out, uint32_t *n,
		     const char *verb, char *err, size_t err_len);

/* ---- module parts (snapshot_module.c) ---- */

/*
 * Walks the items of element segment i of m (decoded, so well formed): marks
 * the functions they name in funcs (a bitset over m->nfuncs; may be NULL)
 * and returns the offset just after the segment, or 0 if it is malformed.
 */
size_t gate__selem_walk(const struct gate_module *m, uint32_t i, uint8_t *funcs);

/* The offset of the first segment of a data or element section whose
 * payload is bytes[off..off+len) (after its count), or 0. */
size_t gate__sseg_first(const uint8_t *bytes, size_t off, size_t len);

/*
 * Checks an export section payload p[0..len) against m as the decoder would
 * (UTF-8 unique names, kinds, indices) and marks function exports in funcs
 * (may be NULL). Returns 0, or GATE_MALFORMED / GATE_OUT_OF_MEMORY with
 * "Cannot <verb> snapshot: gate.export: ...".
 */
int gate__sexports_check(const struct gate_module *m, const uint8_t *p, size_t len, uint8_t *funcs,
			 const char *verb, char *err, size_t err_len);

/* ---- gate.snapshot ---- */

struct gate__shead {
	uint32_t version, flags, trap;
	int32_t result;
	uint64_t monotonic;
	uint32_t ndata, nelem; /* the program's segments: the first of each section */
	uint32_t size;	       /* bytes of the whole snapshot */
};

#define GATE__SHEAD_SIZE_BYTES 5 /* the size is a padded LEB128, patched last */

/* The highest trap kind native/rt/traps.def knows. */
uint32_t gate__strap_max(void);

/* Appends a gate.snapshot payload to b; returns the offset in b of the
 * size field, for gate__shead_patch(). */
size_t gate__shead_put(struct gate__sbuf *b, const struct gate__shead *h);

/* Writes size as a 5-byte LEB128 at p. */
void gate__shead_patch(uint8_t *p, uint32_t size);
/* Parses and checks a gate.snapshot payload; GATE_MALFORMED on anything
 * wrong. */
int gate__shead_get(const uint8_t *p, size_t len, struct gate__shead *out, char *err,
		    size_t err_len);

/* ---- gate.stack ---- */

/* Appends the gate.stack payload of st (already checked) to b. */
void gate__sstack_put(struct gate__sbuf *b, const struct gate_pstack *st);

/* Parses a gate.stack payload into *out (owned, gate_pstack_clear): the
 * encoding only, with value types and function index ranges (nfuncs);
 * gate__sstack_check() then checks it against the code. */
int gate__sstack_get(const uint8_t *p, size_t len, uint32_t nfuncs, struct gate_pstack *out,
		     char *err, size_t err_len);

/*
 * Checks st against module m (the stack rules of docs/snapshot.md): frame
 * kinds and order, functions, instruction boundaries and kinds, locals and
 * operand types from the validator, callee consistency, value ranges. The
 * bodies of the functions on the stack are decoded and validated again.
 * Returns 0, or status with "Cannot <verb> snapshot: gate.stack frame N
 * (function F "name"): problem".
 */
int gate__sstack_check(struct gate_module *m, const struct gate_pstack *st, int status,
		       const char *verb, char *err, size_t err_len);

/* Name of a value type for messages. */
const char *gate__stype_name(uint8_t t);

/* ---- memory ---- */

/* A run of linear memory that becomes one data segment: [start, end). */
struct gate__srun {
	uint64_t start, end;
};

/* A memory data segment of a snapshot, in place in the snapshot's bytes. */
struct gate__smem_seg {
	uint64_t at;
	const uint8_t *bytes;
	uint64_t len;
};

struct gate__smem_segs {
	struct gate__smem_seg *v; /* malloc'd; in increasing order, apart */
	uint32_t n;
};

/* gate_snapshot_decode(), except that out->memory stays NULL (memory_len is
 * set): memory is the segments in segs, which point into bytes. After a
 * success the caller frees segs->v; a failure leaves it NULL. */
int gate__snapshot_decode_segs(const uint8_t *bytes, size_t len, struct gate_snapshot *out,
			       struct gate__smem_segs *segs, char *err, size_t err_len);

struct gate__sruns {
	struct gate__srun *v;
	uint32_t n, cap;
	uint64_t threshold; /* zero runs of at least this many bytes split */
};

/*
 * Finds the non-zero parts of mem[0..len) (len a multiple of 8), split at
 * zero runs of at least GATE_SNAPSHOT_ZERO_RUN bytes, leading and trailing
 * zeros trimmed. At most max_runs result (max_runs >= 1): when there would
 * be more, the threshold doubles until they fit, merging the closest runs.
 * Returns 0 or GATE_OUT_OF_MEMORY; out->v is malloc'd.
 */
int gate__smem_scan(const uint8_t *mem, uint64_t len, uint32_t max_runs, struct gate__sruns *out);

/* Bytes of the data segment (flags 0, i32.const start, bytes) of a run. */
static inline uint64_t gate__srun_seg_size(const struct gate__srun *r)
{
	uint64_t n = r->end - r->start;

	return 3 + gate__leb_size_s64((int32_t)(uint32_t)r->start) + gate__leb_size_u64(n) + n;
}

#endif
