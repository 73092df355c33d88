/*
 * WASI without descriptors: args, environ, clocks, random_get, proc_exit,
 * proc_raise, sched_yield, sock_* (docs/abi.md has the table).
 */
#include <time.h>

#include "host.h"

/* Writes the pointer array and the NUL-terminated strings. */
static uint32_t strings_get(struct gate__host *h, const char **list, uint32_t n, uint32_t size,
			    uint32_t ptrs, uint32_t buf)
{
	uint8_t *p = host_mem(h, ptrs, 4ull * n), *b = host_mem(h, buf, size);

	if (p == NULL || b == NULL)
		return W_EFAULT;
	for (uint32_t i = 0, off = 0; i < n; i++) {
		size_t len = strlen(list[i]) + 1;

		memcpy(b + off, list[i], len);
		gate__put32(p + 4 * i, buf + off);
		off += (uint32_t)len;
	}
	return 0;
}

static uint32_t sizes_get(struct gate__host *h, uint32_t n, uint32_t size, uint32_t np,
			  uint32_t sp)
{
	uint8_t *a = host_mem(h, np, 4), *b = host_mem(h, sp, 4);

	if (a == NULL || b == NULL)
		return W_EFAULT;
	gate__put32(a, n);
	gate__put32(b, size);
	return 0;
}

uint32_t gate__wasi_args_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);

	slots[0] = strings_get(h, h->args, h->nargs, h->args_size, arg32(slots, 0), arg32(slots, 1));
	return 0;
}

uint32_t gate__wasi_args_sizes_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);

	slots[0] = sizes_get(h, h->nargs, h->args_size, arg32(slots, 0), arg32(slots, 1));
	return 0;
}

uint32_t gate__wasi_environ_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);

	slots[0] = strings_get(h, h->env, h->nenv, h->env_size, arg32(slots, 0), arg32(slots, 1));
	return 0;
}

uint32_t gate__wasi_environ_sizes_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);

	slots[0] = sizes_get(h, h->nenv, h->env_size, arg32(slots, 0), arg32(slots, 1));
	return 0;
}

uint64_t gate__host_monotonic(const struct gate__host *h)
{
	return h->monotonic + (gate__host_now() - h->start_ns);
}

/* Clock id -> ns, rounded down to the resolution; false for an unknown id.
 * 0 realtime, 1 monotonic (continues across suspension), 2 process and
 * 3 thread CPU time. */
bool gate__host_clock(struct gate__host *h, uint32_t id, uint64_t *out)
{
	static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
					 CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
	struct timespec ts;
	uint64_t v;

	if (id > 3)
		return false;
	if (id == 1) {
		v = gate__host_monotonic(h);
	} else {
		clock_gettime(ids[id], &ts);
		v = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	*out = v - v % h->resolution;
	return true;
}

uint32_t gate__wasi_clock_res_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);
	uint8_t *p = host_mem(h, arg32(slots, 1), 8);

	if (arg32(slots, 0) > 3)
		slots[0] = W_EINVAL;
	else if (p == NULL)
		slots[0] = W_EFAULT;
	else
		put64(p, h->resolution), slots[0] = 0;
	return 0;
}

uint32_t gate__wasi_clock_time_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);
	uint8_t *p = host_mem(h, arg32(slots, 2), 8);
	uint64_t v;

	if (!gate__host_clock(h, arg32(slots, 0), &v))
		slots[0] = W_EINVAL;
	else if (p == NULL)
		slots[0] = W_EFAULT;
	else
		put64(p, v), slots[0] = 0;
	return 0;
}

uint32_t gate__wasi_random_get(struct gate__hostfunc *hf, uint64_t *slots)
{
	struct gate__host *h = host_of(hf);
	uint8_t *p = host_mem(h, arg32(slots, 0), arg32(slots, 1));

	if (p == NULL) {
		slots[0] = W_EFAULT;
		return 0;
	}
	gate__chacha20_stream(&h->random, p, arg32(slots, 1));
	slots[0] = 0;
	return 0;
}

/* Ends the invoke with trap EXIT and the code (rt: trap_code). */
uint32_t gate__wasi_proc_exit(struct gate__hostfunc *hf, uint64_t *slots)
{
	host_of(hf)->store->trap_code = arg32(slots, 0);
	return GATE_TRAP_EXIT;
}

uint32_t gate__wasi_proc_raise(struct gate__hostfunc *hf, uint64_t *slots)
{
	(void)hf;
	slots[0] = W_ENOSYS;
	return 0;
}

uint32_t gate__wasi_sched_yield(struct gate__hostfunc *hf, uint64_t *slots)
{
	(void)hf;
	slots[0] = 0;
	return 0;
}

#define NOSYS(name)                                                             \
	uint32_t gate__wasi_##name(struct gate__hostfunc *hf, uint64_t *slots) \
	{                                                                       \
		(void)hf;                                                       \
		slots[0] = W_ENOSYS;                                            \
		return 0;                                                       \
	}

NOSYS(sock_accept)
NOSYS(sock_recv)
NOSYS(sock_send)
NOSYS(sock_shutdown)
