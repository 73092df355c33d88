/*
 * The snapshot codec: a suspended program's whole state as a valid
 * WebAssembly module (docs/snapshot.md).
 *
 * Any engine can instantiate a snapshot and get the program's memory,
 * globals, tables and segment state exactly; the call stack is in the
 * custom section gate.stack, in WebAssembly terms (portable.h), and Gate
 * resumes it. The encoder takes the module the program runs (the original,
 * or a snapshot it was resumed from) and the state; the decoder validates a
 * snapshot strictly (an untrusted upload) and gives the state back.
 *
 * Pure code: no I/O and no global state, so calls on different objects may
 * run in parallel. Statuses from errors.def; messages "Cannot encode
 * snapshot: ..." and "Cannot decode snapshot: ...".
 */
#ifndef GATE_SNAPSHOT_SNAPSHOT_H
#define GATE_SNAPSHOT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "portable.h"

/* Version in gate.snapshot. The original Gate writes 0 with another stack
 * format; 1 is ours, so neither reads the other's snapshots. */
#define GATE_SNAPSHOT_VERSION 1

#define GATE_SNAPSHOT_FINAL 0x1u /* flags: halted, must not resume */

#define GATE_SNAPSHOT_MAX_SERVICES 256 /* services per instance (docs/services.md) */
#define GATE_SNAPSHOT_MAX_NAME 127     /* service name bytes, as the original (reference b.12) */

/* Zero runs in linear memory of at least this many bytes split data
 * segments: a segment header costs at most 13 bytes (typically 8), so a
 * split saves at least 51 bytes; shorter runs would multiply segments,
 * which every engine bounds (100,000 in V8 and here). docs/snapshot.md. */
#define GATE_SNAPSHOT_ZERO_RUN 64

struct gate_snapshot_service {
	char name[128];	  /* not NUL-terminated */
	uint8_t name_len; /* 1 .. GATE_SNAPSHOT_MAX_NAME */
	const uint8_t *state;
	uint32_t state_len;
};

/*
 * A program's state. The encoder only reads it (every pointer is lent for
 * the call); the decoder fills it and owns everything it points to until
 * gate_snapshot_free().
 */
struct gate_snapshot {
	uint32_t flags;	    /* GATE_SNAPSHOT_FINAL; other bits must be 0 */
	uint32_t trap;	    /* traps.def kind: SUSPENDED 15, EXIT 12, NONE 0, ... */
	int32_t result;	    /* proc_exit status when trap is EXIT, else 0 */
	uint64_t monotonic; /* ns of the program's monotonic clock, carried across suspend */

	/* Linear memory 0: memory_len is pages * 65536 (0 without a memory). */
	const uint8_t *memory;
	uint64_t memory_len;

	/* Defined globals (imported ones are not the program's state), in
	 * index order, with their types: funcref as a function index or
	 * GATE_PNULL, externref only GATE_PNULL. */
	uint32_t nglobals;
	struct gate_pvalue *globals;

	/* Defined tables: current length and elements (function index or
	 * GATE_PNULL; an externref table holds only GATE_PNULL). */
	uint32_t ntables;
	uint32_t *table_len;
	uint64_t **tables;

	/* Per segment of the program, 1 if dropped. Only passive segments
	 * matter: active and declarative ones are dropped by instantiation
	 * whatever the entry says, and the decoder reports them as 1. The
	 * encoder needs at least the program's segments (the module's, or
	 * for a snapshot module its first gate.snapshot counts) and ignores
	 * entries past them, so a runtime can pass the instance's array of a
	 * resumed snapshot as is; the decoder gives exactly the program's. */
	uint32_t ndata;
	uint8_t *data_dropped;
	uint32_t nelem;
	uint8_t *elem_dropped;

	/* Buffers (docs/protocol.md): packets for the program not yet read,
	 * packets from it not yet handled, and each service's state. */
	const uint8_t *input;
	uint32_t input_len;
	const uint8_t *output;
	uint32_t output_len;
	uint32_t nservices; /* at most GATE_SNAPSHOT_MAX_SERVICES, unique names */
	struct gate_snapshot_service *services;

	/* Empty when the program is not in the middle of a call (before
	 * its entry, or halted). Otherwise checked against the code. */
	struct gate_pstack stack;

	void *blob; /* decoder: holds input, output and service states */
};

/*
 * Encodes st as a snapshot of module[0..module_len) (the original module, or
 * a snapshot module it was resumed from: its gate sections are replaced and
 * its exports and segments recovered). The state must fit the module: sizes
 * within its limits, values of the right types, the stack valid for the code
 * (the decoder's rules). On success *out is a new malloc'd buffer (the
 * caller frees it) of *out_len bytes. On failure returns GATE_INVALID_ARGUMENT
 * (state does not fit), the module's decoding status, GATE_UNSUPPORTED (an
 * imported memory, a v128 global), GATE_LIMIT (the snapshot would exceed 4
 * GiB or a segment count) or GATE_OUT_OF_MEMORY, with a message, and leaves
 * *out untouched. Memory is scanned 8 bytes at a time and copied once.
 */
int gate_snapshot_encode(const uint8_t *module, size_t module_len, const struct gate_snapshot *st,
			 uint8_t **out, size_t *out_len, char *err, size_t err_len);

/*
 * Decodes and validates a snapshot: a valid module (decoder and validator),
 * gate sections at most once, in their places, of a known version, exactly
 * consumed; segments and tables in the snapshot layout; the stack consistent
 * with the code. On success fills *out (the caller frees it with
 * gate_snapshot_free) and returns GATE_OK. On failure returns GATE_MALFORMED
 * (anything wrong, with a message that names the section or frame and the
 * problem), GATE_LIMIT or GATE_OUT_OF_MEMORY, and leaves *out zeroed.
 * bytes is lent for the call.
 */
int gate_snapshot_decode(const uint8_t *bytes, size_t len, struct gate_snapshot *out, char *err,
			 size_t err_len);

/* Frees what gate_snapshot_decode() allocated and zeroes *st. Accepts NULL
 * and a zeroed struct; never call it on a state the caller built. */
void gate_snapshot_free(struct gate_snapshot *st);

/*
 * Describes a snapshot's state as JSON, for people and the CLI: the header
 * fields, sizes, and the stack with function names (from the snapshot's
 * name section), offsets and typed values:
 *
 *   {"version":1,"final":false,"trap":15,"result":0,"monotonic":1340000000,
 *    "memory":65536,"input":0,"output":0,"services":["origin"],
 *    "frames":[{"kind":"at","function":1,"name":"loop","offset":12,
 *               "locals":["i32:3"],"stack":["i64:-1"]}, ...]}
 *
 * Decodes and validates bytes first (gate_snapshot_decode's statuses).
 * Writes at most len bytes into buf (not NUL-terminated) and returns the
 * full length, so a caller whose buffer was too small calls again with a
 * larger one; returns a negated status on failure.
 */
int64_t gate_snapshot_describe(const uint8_t *bytes, size_t len, char *buf, size_t buf_len,
			       char *err, size_t err_len);

#endif
