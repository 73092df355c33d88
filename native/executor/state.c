/*
 * The state wire of an instance (state.h, native/lib/state_wire.h): built
 * from the store after the program's last run, for STATE.
 */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/error.h"
#include "../rt/rt_internal.h"
#include "../snapshot/snapshot_internal.h"

/* Most runs of memory: each costs a 16-byte header on the wire and the
 * scanner merges the closest runs beyond it (snapshot_memory.c). */
#define MAX_RUNS 65536

static void le32(struct gate__sbuf *b, uint32_t v)
{
	gate__sbuf_put(b, &v, 4);
}

static void le64(struct gate__sbuf *b, uint64_t v)
{
	gate__sbuf_put(b, &v, 8);
}

/* A reference of instance in portable form: a function index, or
 * GATE_PNULL; false for one that has none. */
static bool portable(struct gate__store *s, uint32_t instance, uint8_t type, uint64_t ref,
		    uint64_t *out)
{
	return gate__store_ref_to_index(s, instance, type, ref, out) == GATE_OK;
}

int gate__state_build(struct gate__store *s, uint32_t instance, const struct gate__outcome *o,
		      const uint8_t *input, uint32_t input_len, const struct gate_host_state *host,
		      struct gate__state *out, char *err, size_t err_len)
{
	const struct rt_instance *inst = s->instances[instance];
	const struct rt_image *img = inst->img;
	struct gate__rt_memory *mem = gate__store_memory(s, instance, 0);
	struct gate__sbuf head = { 0 }, tail = { 0 };
	struct gate__sruns runs = { 0 };
	uint64_t len = mem ? (uint64_t)mem->pages * GATE__PAGE_SIZE : 0;
	int ret;

	memset(out, 0, sizeof(*out));
	le32(&head, GATE_STATE_MAGIC);
	le32(&head, o->trap);
	le32(&head, (uint32_t)o->result);
	le64(&head, o->monotonic);
	le32(&head, mem ? mem->pages : 0);

	/* the end of the run list */
	le64(&tail, 0);
	le64(&tail, 0);
	le32(&tail, img->nglobals - img->nglobal_imports);
	for (uint32_t g = img->nglobal_imports; g < img->nglobals; g++) {
		const struct rt_global *gl = &s->globals[inst->globals[g]];
		uint64_t v = *gl->cell;

		if (gl->type == GATE__I32 || gl->type == GATE__F32)
			v = (uint32_t)v;
		else if ((gl->type == GATE__FUNCREF || gl->type == GATE__EXTERNREF) &&
			 !portable(s, instance, gl->type, v, &v)) {
			ret = gate__errorf(err, err_len, GATE_UNSUPPORTED,
					   "Cannot save state: global %u holds a reference that has "
					   "no portable form",
					   g);
			goto out_free;
		}
		gate__sbuf_u8(&tail, gl->type);
		le64(&tail, v);
	}
	le32(&tail, img->ntables - img->ntable_imports);
	for (uint32_t t = img->ntable_imports; t < img->ntables; t++) {
		const struct gate__rt_table *tb = s->tables[inst->tables[t]];

		gate__sbuf_u8(&tail, tb->type);
		le32(&tail, tb->size);
		for (uint32_t k = 0; k < tb->size; k++) {
			uint64_t x;

			if (!portable(s, instance, tb->type, tb->elems[k], &x) ||
			    (x != GATE_PNULL && x >= GATE_STATE_NULL)) {
				ret = gate__errorf(err, err_len, GATE_UNSUPPORTED,
						   "Cannot save state: table %u element %u has no "
						   "portable form",
						   t, k);
				goto out_free;
			}
			le32(&tail, x == GATE_PNULL ? GATE_STATE_NULL : (uint32_t)x);
		}
	}
	le32(&tail, img->ndatas);
	for (uint32_t i = 0; i < img->ndatas; i++)
		gate__sbuf_u8(&tail, inst->data_dropped[i] ? 1 : 0);
	le32(&tail, img->nelems);
	for (uint32_t i = 0; i < img->nelems; i++)
		gate__sbuf_u8(&tail, inst->elems[i] == NULL ? 1 : 0);
	if (o->stack.nframes) {
		struct gate__sbuf st = { 0 };

		gate__sstack_put(&st, &o->stack);
		le32(&tail, (uint32_t)st.n);
		gate__sbuf_put(&tail, st.p, st.n);
		if (st.oom)
			tail.oom = true;
		gate__sbuf_free(&st);
	} else {
		le32(&tail, 0);
	}
	le32(&tail, input_len);
	if (input_len)
		gate__sbuf_put(&tail, input, input_len);
	if (gate_host_state_empty(host)) {
		le32(&tail, 0);
	} else {
		uint8_t fixed[GATE_HOST_STATE_FIXED];
		struct gate_host_state head_only = *host;

		head_only.input_len = 0;
		gate_host_state_put(&head_only, fixed);
		le32(&tail, (uint32_t)gate_host_state_size(host));
		gate__sbuf_put(&tail, fixed, sizeof fixed);
		gate__sbuf_put(&tail, host->input, host->input_len);
	}
	if (len && gate__smem_scan(mem->base, len, MAX_RUNS, &runs) != GATE_OK)
		head.oom = true;
	if (head.oom || tail.oom) {
		ret = gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot save state: out of memory");
		goto out_free;
	}
	out->head = head.p;
	out->head_len = head.n;
	out->tail = tail.p;
	out->tail_len = tail.n;
	out->nruns = runs.n;
	out->runs = malloc((runs.n ? runs.n : 1) * sizeof(*out->runs));
	if (out->runs == NULL) {
		free(runs.v);
		gate__state_free(out);
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot save state: out of memory");
	}
	for (uint32_t i = 0; i < runs.n; i++) {
		out->runs[i][0] = runs.v[i].start;
		out->runs[i][1] = runs.v[i].end;
	}
	free(runs.v);
	out->mem = mem ? mem->base : NULL;
	return GATE_OK;
out_free:
	free(runs.v);
	gate__sbuf_free(&head);
	gate__sbuf_free(&tail);
	return ret;
}

void gate__state_free(struct gate__state *st)
{
	free(st->head);
	free(st->tail);
	free(st->runs);
	memset(st, 0, sizeof(*st));
}

int gate__state_stack_parse(const uint8_t *p, size_t len, uint32_t nfuncs, struct gate_pstack *out,
			    char *err, size_t err_len)
{
	int ret = gate__sstack_get(p, len, nfuncs, out, err, err_len);

	/* the codec says "Cannot decode snapshot"; the message is kept */
	return ret == GATE_OUT_OF_MEMORY ? ret : ret ? GATE_MALFORMED : GATE_OK;
}
