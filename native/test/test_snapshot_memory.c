/* The memory scanner of the snapshot encoder (snapshot_memory.c): exact runs
 * against a byte-at-a-time reference, zero runs at the threshold, every
 * alignment, the edges of memory and the segment cap. */
#include <stdlib.h>
#include <string.h>

#include "../snapshot/snapshot_internal.h"
#include "test.h"

#define T GATE_SNAPSHOT_ZERO_RUN

/* The definition, one byte at a time: non-zero bytes, split where at least
 * T zero bytes lie between two of them. */
static uint32_t reference(const uint8_t *m, uint64_t len, struct gate__srun *out, uint32_t cap)
{
	uint32_t n = 0;
	uint64_t i = 0;

	while (i < len) {
		uint64_t start, end;

		while (i < len && !m[i])
			i++;
		if (i == len)
			break;
		start = i;
		end = i + 1;
		for (i++; i < len; i++) {
			if (!m[i])
				continue;
			if (i - end >= T)
				break;
			end = i + 1;
		}
		if (n < cap)
			out[n] = (struct gate__srun){start, end};
		n++;
	}
	return n;
}

/* Scans m and compares with the reference; returns false on a difference. */
static bool same_as_reference(const uint8_t *m, uint64_t len)
{
	static struct gate__srun want[4096];
	struct gate__sruns got;
	uint32_t n = reference(m, len, want, 4096);
	bool ok;

	if (gate__smem_scan(m, len, 100000, &got))
		return false;
	ok = got.n == n && n <= 4096;
	for (uint32_t i = 0; ok && i < n; i++)
		ok = got.v[i].start == want[i].start && got.v[i].end == want[i].end;
	if (!ok) {
		fprintf(stderr, "  %u runs, reference %u\n", got.n, n);
		for (uint32_t i = 0; i < got.n && i < n && i < 4096; i++)
			if (got.v[i].start != want[i].start || got.v[i].end != want[i].end) {
				fprintf(stderr, "  run %u: [%llu, %llu), reference [%llu, %llu)\n",
					i, (unsigned long long)got.v[i].start,
					(unsigned long long)got.v[i].end,
					(unsigned long long)want[i].start,
					(unsigned long long)want[i].end);
				break;
			}
	}
	free(got.v);
	return ok;
}

TEST(snapshot_memory_all_zero_has_no_runs)
{
	uint8_t *m = calloc(1, 65536);
	struct gate__sruns r;

	CHECK(m != NULL);
	CHECK_EQ(gate__smem_scan(m, 65536, 10, &r), 0);
	CHECK_EQ(r.n, 0);
	free(r.v);
	CHECK_EQ(gate__smem_scan(m, 0, 10, &r), 0);
	CHECK_EQ(r.n, 0);
	free(r.v);
	free(m);
}

TEST(snapshot_memory_none_zero_is_one_run)
{
	uint8_t *m = malloc(65536);
	struct gate__sruns r;

	CHECK(m != NULL);
	memset(m, 0xa5, 65536);
	CHECK_EQ(gate__smem_scan(m, 65536, 10, &r), 0);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.v[0].start, 0);
	CHECK_EQ(r.v[0].end, 65536);
	free(r.v);
	free(m);
}

/* Two non-zero bytes with a zero run of T - 1, T and T + 1 bytes between
 * them, at every alignment of the first byte within a word and a block. */
TEST(snapshot_memory_splits_exactly_at_the_threshold)
{
	uint8_t *m = calloc(1, 65536);

	CHECK(m != NULL);
	for (uint64_t align = 0; align < 128; align++) {
		for (uint64_t gap = T - 9; gap <= T + 9; gap++) {
			uint64_t a = 1000 + align, b = a + 1 + gap;
			struct gate__sruns r;

			m[a] = 1;
			m[b] = 0xff;
			CHECK_EQ(gate__smem_scan(m, 65536, 10, &r), 0);
			if (gap >= T) {
				CHECK_EQ(r.n, 2);
				CHECK_EQ(r.v[0].start, a);
				CHECK_EQ(r.v[0].end, a + 1);
				CHECK_EQ(r.v[1].start, b);
				CHECK_EQ(r.v[1].end, b + 1);
			} else {
				CHECK_EQ(r.n, 1);
				CHECK_EQ(r.v[0].start, a);
				CHECK_EQ(r.v[0].end, b + 1);
			}
			free(r.v);
			m[a] = m[b] = 0;
		}
	}
	free(m);
}

TEST(snapshot_memory_trims_to_the_byte_at_both_ends_of_memory)
{
	uint8_t *m = calloc(1, 2 * 65536);
	struct gate__sruns r;

	CHECK(m != NULL);
	m[0] = 7;
	m[2 * 65536 - 1] = 9; /* the last byte of the last page */
	CHECK_EQ(gate__smem_scan(m, 2 * 65536, 10, &r), 0);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.v[0].start, 0);
	CHECK_EQ(r.v[0].end, 1);
	CHECK_EQ(r.v[1].start, 2 * 65536 - 1);
	CHECK_EQ(r.v[1].end, 2 * 65536);
	free(r.v);
	free(m);
}

/* Random memories of zero and non-zero stretches whose lengths cluster
 * around the threshold and the word and block sizes. */
TEST(snapshot_memory_matches_the_byte_reference_on_random_memories)
{
	static const uint32_t lens[] = {1,  2,	7,  8,	9,  15, 16,  55,  56,  57,  62,	  63,	64,
					65, 66, 70, 71, 72, 73, 120, 128, 129, 500, 4096, 10000};
	uint64_t len = 4 * 65536;
	uint8_t *m = malloc(len);
	uint32_t seed = 12345;

	CHECK(m != NULL);
	for (int round = 0; round < 200; round++) {
		uint64_t i = 0;
		bool zero = round & 1;

		while (i < len) {
			uint32_t n;

			seed = seed * 1103515245u + 12345u;
			n = lens[(seed >> 8) % (sizeof(lens) / sizeof(lens[0]))];
			if (i + n > len)
				n = (uint32_t)(len - i);
			for (uint32_t k = 0; k < n; k++) {
				seed = seed * 1103515245u + 12345u;
				/* non-zero stretches hold some zero bytes inside */
				m[i + k] =
				    zero ? 0 : (uint8_t)((seed >> 16) % 4 ? (seed >> 20) | 1 : 0);
			}
			i += n;
			zero = !zero;
		}
		if (!same_as_reference(m, len)) {
			fprintf(stderr, "  round %d\n", round);
			CHECK(false);
		}
	}
	/* and memory of isolated bytes and words */
	memset(m, 0, len);
	for (uint64_t i = 3; i < len; i += 97)
		m[i] = 1;
	CHECK(same_as_reference(m, len));
	memset(m, 0, len);
	for (uint64_t i = 0; i < len; i += 8 * 9)
		memset(m + i, 0xff, 8);
	CHECK(same_as_reference(m, len));
	free(m);
}

/* More runs than segments allowed: the threshold doubles, the closest runs
 * merge, every non-zero byte stays covered and the ends stay trimmed. */
TEST(snapshot_memory_caps_the_number_of_runs)
{
	uint64_t len = 16 * 65536;
	uint8_t *m = calloc(1, len);
	struct gate__sruns r;
	uint64_t covered = 0;

	CHECK(m != NULL);
	for (uint64_t i = 100; i < len; i += 200 + (i % 7) * 50)
		m[i] = 1;
	CHECK_EQ(gate__smem_scan(m, len, 37, &r), 0);
	CHECK(r.n <= 37);
	CHECK(r.n > 1);
	CHECK_EQ(r.v[0].start, 100);
	for (uint32_t i = 0; i < r.n; i++) {
		CHECK(r.v[i].start < r.v[i].end);
		CHECK(m[r.v[i].start] && m[r.v[i].end - 1]);
		if (i)
			CHECK(r.v[i].start >= r.v[i - 1].end + T);
		for (uint64_t k = r.v[i].start; k < r.v[i].end; k++)
			covered += m[k];
	}
	{
		uint64_t all = 0;

		for (uint64_t k = 0; k < len; k++)
			all += m[k];
		CHECK_EQ(covered, all);
	}
	free(r.v);
	/* one run allowed: everything from the first to the last byte */
	CHECK_EQ(gate__smem_scan(m, len, 1, &r), 0);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.v[0].start, 100);
	CHECK(m[r.v[0].end - 1]);
	free(r.v);
	free(m);
}
