/*
 * Linear memory to data segments: finds the non-zero parts of memory, split
 * at zero runs of at least GATE_SNAPSHOT_ZERO_RUN bytes (docs/snapshot.md,
 * "Memory").
 *
 * Memory is read 8 bytes at a time, in blocks of 8 words. A block that is
 * all zero or all non-zero costs one test; a zero run can only be long
 * enough to split where at least MIN_WORDS whole zero words lie between two
 * non-zero bytes (a run of 64 bytes spans at most 7 + 7 bytes of the words
 * at its ends), so only blocks where such a stretch ends take the exact,
 * word-by-word path. Byte positions come from counting zero bytes at the
 * ends of the boundary words, so runs are exact to the byte.
 */
#include <stdlib.h>
#include <string.h>

#include "snapshot_internal.h"

/* Whole zero words a zero run of GATE_SNAPSHOT_ZERO_RUN bytes contains at
 * least (it may start and end inside non-zero words, 7 bytes each). */
#define MIN_WORDS ((GATE_SNAPSHOT_ZERO_RUN - 14 + 7) / 8)

/* A zero stretch inside a block, between two non-zero words, has at most 6
 * words: the block scan relies on such stretches being too short to split. */
_Static_assert(MIN_WORDS >= 7, "the block scan needs zero runs of at least 7 words");

struct scan {
	struct gate__sruns *out;
	uint32_t max_runs;
	bool open;	   /* a run has started */
	uint64_t start;	   /* of the open run */
	uint64_t last_end; /* byte after the last non-zero byte seen */
	uint64_t zwords;   /* whole zero words since then */
	bool oom;
};

static inline uint64_t load(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* Memory is little-endian: byte k of a word is bits 8k..8k+7. */
static inline uint64_t first_nonzero(uint64_t at, uint64_t w)
{
	return at + (uint64_t)(__builtin_ctzll(w) >> 3);
}

static inline uint64_t end_nonzero(uint64_t at, uint64_t w)
{
	return at + 8 - (uint64_t)(__builtin_clzll(w) >> 3);
}

/* Merges runs separated by less than the threshold. */
static void merge(struct gate__sruns *r)
{
	uint32_t o = 0;

	for (uint32_t i = 1; i < r->n; i++) {
		if (r->v[i].start - r->v[o].end < r->threshold)
			r->v[o].end = r->v[i].end;
		else
			r->v[++o] = r->v[i];
	}
	if (r->n)
		r->n = o + 1;
}

/* Doubles the threshold until at most max runs remain. */
static void shrink(struct gate__sruns *r, uint32_t max)
{
	while (r->n > max) {
		r->threshold *= 2;
		merge(r);
	}
}

static void close_run(struct scan *s)
{
	struct gate__sruns *r = s->out;

	if (r->n == r->cap) {
		/* Twice the allowed runs, then merge: bounded memory however
		 * fragmented the memory is. */
		uint32_t cap = r->cap ? r->cap * 2 : 64;
		struct gate__srun *v;

		if (r->cap >= 2 * (uint64_t)s->max_runs) {
			shrink(r, s->max_runs);
			cap = r->cap;
		}
		if (cap != r->cap) {
			v = realloc(r->v, cap * sizeof(*v));
			if (v == NULL) {
				s->oom = true;
				return;
			}
			r->v = v;
			r->cap = cap;
		}
	}
	r->v[r->n++] = (struct gate__srun){s->start, s->last_end};
}

/* The exact path: one word at a time. */
static inline void word(struct scan *s, uint64_t at, uint64_t w)
{
	uint64_t first;

	if (w == 0) {
		s->zwords++;
		return;
	}
	first = first_nonzero(at, w);
	if (!s->open) {
		s->open = true;
		s->start = first;
	} else if (first - s->last_end >= s->out->threshold) {
		close_run(s);
		s->start = first;
	}
	s->last_end = end_nonzero(at, w);
	s->zwords = 0;
}

int gate__smem_scan(const uint8_t *mem, uint64_t len, uint32_t max_runs, struct gate__sruns *out)
{
	struct scan s = {.out = out, .max_runs = max_runs ? max_runs : 1};
	uint64_t at = 0, blocks = len & ~(uint64_t)63;

	*out = (struct gate__sruns){.threshold = GATE_SNAPSHOT_ZERO_RUN};
	for (; at < blocks && !s.oom; at += 64) {
		const uint8_t *p = mem + at;
		uint64_t w[8];
		unsigned zmask = 0, lead, last;

		for (int k = 0; k < 8; k++)
			w[k] = load(p + 8 * k);
		if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) == 0) {
			s.zwords += 8;
			continue;
		}
		for (int k = 0; k < 8; k++)
			zmask |= (unsigned)(w[k] == 0) << k;
		lead = (unsigned)__builtin_ctz(~zmask); /* zero words before the first non-zero */
		if (!s.open || s.zwords + lead >= MIN_WORDS) {
			/* a long zero run may end here, or the first run starts */
			for (int k = 0; k < 8; k++)
				word(&s, at + 8 * (uint64_t)k, w[k]);
			continue;
		}
		/* Every zero stretch in this block is shorter than MIN_WORDS
		 * (one longer would touch an end of the block: leading ones
		 * were just checked, trailing ones are checked by the next
		 * block), so no split: the open run extends to the last
		 * non-zero word. */
		last = 31u - (unsigned)__builtin_clz(~zmask & 0xffu);
		s.last_end = end_nonzero(at + 8 * (uint64_t)last, w[last]);
		s.zwords = 7 - last;
	}
	for (; at + 8 <= len && !s.oom; at += 8)
		word(&s, at, load(mem + at));
	if (s.open && !s.oom)
		close_run(&s);
	if (s.oom) {
		free(out->v);
		*out = (struct gate__sruns){0};
		return GATE_OUT_OF_MEMORY;
	}
	shrink(out, s.max_runs);
	return 0;
}
