/*
 * The instance's state for STATE (docs/protocol.md, "Suspend and resume"):
 * the program's outcome, memory 0, defined globals and tables, dropped
 * segments and the suspended stack, laid out as the state wire
 * (docs/snapshot.md, "The state wire"; parsed by gate_snapshot_new in
 * native/lib/snapshot_new.c).
 *
 * state.c builds everything but the memory bytes, which instance.c sends
 * straight from linear memory. It uses the snapshot codec's helpers, whose
 * headers cannot meet protocol.h in one file (both define a
 * struct gate__reader); this header includes neither.
 */
#ifndef GATE_EXECUTOR_STATE_H
#define GATE_EXECUTOR_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "../snapshot/host_state.h"
#include "../snapshot/portable.h"
#include "../lib/state_wire.h"

struct gate__store;

/* What the last INVOKE or RESUME of the program left. */
struct gate__outcome {
	uint32_t trap;		  /* traps.def kind; 0 after a return, or before any run */
	int32_t result;		  /* proc_exit code when trap is EXIT, else 0 */
	uint64_t monotonic;	  /* the program's clock when the run ended (ns) */
	struct gate_pstack stack; /* when trap is SUSPENDED; else empty */
};

/* The state wire of one instance, less the memory bytes: head (magic to
 * pages), the runs of memory [start, end) to send with a header each, and
 * tail (the run list's end to the input). malloc'd; gate__state_free. */
struct gate__state {
	uint8_t *head, *tail;
	size_t head_len, tail_len;
	uint64_t (*runs)[2];
	uint32_t nruns;
	const uint8_t *mem; /* linear memory 0, lent */
};

/*
 * Builds the state of instance (a program) in store s after outcome o, with
 * input[0..input_len) the stdin bytes the instance holds that the program
 * has not read (lent for the call, copied into tail; pass 0 bytes unless o
 * is SUSPENDED) and host the host's state (empty unless o is SUSPENDED). Returns GATE_OK, GATE_UNSUPPORTED (a reference without a
 * portable form: a non-null externref), GATE_OUT_OF_MEMORY, with a message.
 */
int gate__state_build(struct gate__store *s, uint32_t instance, const struct gate__outcome *o,
		      const uint8_t *input, uint32_t input_len, const struct gate_host_state *host,
		      struct gate__state *out, char *err, size_t err_len);
void gate__state_free(struct gate__state *st);

/* Parses a RESUME's gate.stack payload (GATE_MALFORMED with a message);
 * the runtime checks it against the code. nfuncs: the module's functions. */
int gate__state_stack_parse(const uint8_t *p, size_t len, uint32_t nfuncs, struct gate_pstack *out,
			    char *err, size_t err_len);

#endif
