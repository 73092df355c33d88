/* The random key of hash.h. */
#include <stdatomic.h>
#include <sys/random.h>
#include <time.h>

#include "hash.h"

static _Atomic uint64_t key;

uint64_t gate__hash_key(void)
{
	uint64_t k = atomic_load_explicit(&key, memory_order_relaxed);
	struct timespec ts;

	if (k != 0)
		return k;
	if (getrandom(&k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		/* no entropy yet (early boot): time and ASLR are still unknown
		 * to the module's author */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		k = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)&ts;
	}
	k |= 1; /* never 0, which means "not drawn yet" */
	/* racing threads may draw different keys; each caller uses the one
	 * it read for the whole of one set */
	atomic_store_explicit(&key, k, memory_order_relaxed);
	return k;
}
