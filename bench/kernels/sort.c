/*
 * sort: quicksort (median of three, insertion sort for short runs) and
 * heapsort of 256 Ki pseudo-random integers. Data-dependent branches.
 */
#include "kernel.h"

#define LEN (256u << 10)

static u32 data[LEN];

static void insertion(u32 *v, i32 lo, i32 hi) {
	for (i32 i = lo + 1; i <= hi; i++) {
		u32 x = v[i];
		i32 j = i - 1;
		while (j >= lo && v[j] > x) {
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
}

static void swap(u32 *v, i32 i, i32 j) {
	u32 t = v[i];
	v[i] = v[j];
	v[j] = t;
}

static void quicksort(u32 *v, i32 lo, i32 hi) {
	while (hi - lo > 16) {
		i32 mid = lo + (hi - lo) / 2;
		if (v[mid] < v[lo])
			swap(v, mid, lo);
		if (v[hi] < v[lo])
			swap(v, hi, lo);
		if (v[hi] < v[mid])
			swap(v, hi, mid);
		u32 pivot = v[mid];
		i32 i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j)
				swap(v, i++, j--);
		}
		/* Recurse into the smaller half so the stack stays O(log n). */
		if (j - lo < hi - i) {
			quicksort(v, lo, j);
			lo = i;
		} else {
			quicksort(v, i, hi);
			hi = j;
		}
	}
	insertion(v, lo, hi);
}

static void sift(u32 *v, u32 root, u32 len) {
	for (;;) {
		u32 child = 2 * root + 1;
		if (child >= len)
			return;
		if (child + 1 < len && v[child + 1] > v[child])
			child++;
		if (v[root] >= v[child])
			return;
		u32 t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

static void heapsort(u32 *v, u32 len) {
	for (u32 i = len / 2; i-- > 0;)
		sift(v, i, len);
	for (u32 end = len - 1; end > 0; end--) {
		u32 t = v[0];
		v[0] = v[end];
		v[end] = t;
		sift(v, 0, end);
	}
}

static u32 fill_and_sort(u32 seed, int use_heap) {
	u32 state = seed | 1;
	for (u32 i = 0; i < LEN; i++)
		data[i] = xorshift32(&state) % 1000003u;
	if (use_heap)
		heapsort(data, LEN);
	else
		quicksort(data, 0, (i32)LEN - 1);
	u32 h = 2166136261u;
	for (u32 i = 0; i < LEN; i += 97)
		h = mix32(h, data[i] ^ i);
	for (u32 i = 1; i < LEN; i++)
		if (data[i - 1] > data[i])
			return 0; /* unsorted: a checksum no correct run produces */
	return h;
}

u32 run(u32 n) {
	u32 h = 2166136261u;
	for (u32 r = 0; r < n; r++)
		h = mix32(h, fill_and_sort(r * 2654435761u, (int)(r & 1)));
	return h;
}
