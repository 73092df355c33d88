/*
 * PROGRAM (docs/protocol.md, "Programs (protocol 3)"): the host config,
 * import resolution by name against `gate` and `wasi_snapshot_preview1`
 * (with the `env.__gate_X` / `env.__wasi_X` aliases and gate.io_N/fd_N
 * numbering), then instantiation with the host functions bound to the
 * program's memory 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../executor/protocol.h"
#include "../lib/error.h"
#include "host.h"

#define WASI "wasi_snapshot_preview1"

static const struct gate__host_import imports[] = {
#define ENTRY(n, params, result) { WASI, #n, params, result, gate__wasi_##n },
	GATE__WASI_FUNCS(ENTRY)
#undef ENTRY
	{ "gate", "io_", "iiiiiiIi", 0, gate__host_gate_io },
	{ "gate", "fd_", "", 'i', gate__host_gate_fd },
};

#define NIMPORTS (sizeof imports / sizeof imports[0])
_Static_assert(NIMPORTS <= 64, "host_funcs has room for the import table");

static bool name_is(const struct rt_name *n, const char *s)
{
	return n->len == strlen(s) && memcmp(n->p, s, n->len) == 0;
}

/* "io_N"/"fd_N": N decimal, no leading zero, >= 65536. */
static bool abi_number(const char *p, uint32_t len)
{
	if (len < 5 || p[0] == '0')
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return len > 5 || memcmp(p, "65536", 5) >= 0;
}

/* The table entry an import names, or -1. */
static int resolve(const struct rt_import *im)
{
	const char *module, *name = im->name.p;
	uint32_t len = im->name.len;

	if (name_is(&im->module, "env") && len > 7 && memcmp(name, "__gate_", 7) == 0)
		module = "gate", name += 7, len -= 7;
	else if (name_is(&im->module, "env") && len > 7 && memcmp(name, "__wasi_", 7) == 0)
		module = WASI, name += 7, len -= 7;
	else if (name_is(&im->module, "gate"))
		module = "gate";
	else if (name_is(&im->module, WASI))
		module = WASI;
	else
		return -1;
	for (size_t i = 0; i < NIMPORTS; i++) {
		const struct gate__host_import *e = &imports[i];

		if (strcmp(e->module, module) != 0)
			continue;
		if (e->module[0] == 'g') {
			if (len > 3 && memcmp(name, e->name, 3) == 0 && abi_number(name + 3, len - 3))
				return (int)i;
		} else if (len == strlen(e->name) && memcmp(name, e->name, len) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Whether the image's function type t matches entry e. */
static bool type_matches(const struct rt_type *t, const struct gate__host_import *e)
{
	uint32_t np = (uint32_t)strlen(e->params), nr = e->result ? 1 : 0;

	if (t->np != np || t->nr != nr)
		return false;
	for (uint32_t i = 0; i < np; i++)
		if (t->types[i] != (e->params[i] == 'I' ? GATE_I64 : GATE_I32))
			return false;
	return nr == 0 || t->types[np] == GATE_I32;
}

/* Copies n length-prefixed strings into *dst (NUL-terminated) and points
 * list[i] at them; false if malformed, with a NUL inside, or (env) no '='. */
static bool read_strings(struct gate__reader *r, uint32_t n, const char **list, char **dst,
			 uint32_t *size, bool env)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = gate__read32(r);
		const uint8_t *p = gate__read(r, len);

		if (p == NULL || memchr(p, 0, len) || (env && !memchr(p, '=', len)))
			return false;
		memcpy(*dst, p, len);
		(*dst)[len] = 0;
		list[i] = *dst;
		*dst += len + 1;
		*size += len + 1;
	}
	return true;
}

static uint64_t read64(struct gate__reader *r)
{
	const uint8_t *p = gate__read(r, 8);

	return p ? le64(p) : 0;
}

/* The host config after PROGRAM's u32 image (docs/protocol.md). */
static int parse_config(struct gate__host *h, const uint8_t *config, size_t len, char *err,
			size_t err_len)
{
	static const uint8_t nonce[12];
	struct gate__reader r = gate__reader(config, len), strings;
	const uint8_t *seed;
	char fdvar[32];
	const char *fixed[3] = { "GATE_ABI_VERSION=0", fdvar, "GATE_MAX_SEND_SIZE=65536" };
	uint32_t nargs, nenv;
	char *dst;

	h->flags = gate__read32(&r);
	h->npreopens = gate__read32(&r);
	h->resolution = read64(&r);
	h->monotonic = read64(&r);
	seed = gate__read(&r, 32);
	nargs = gate__read32(&r);
	/* sizes first: every string takes at least its 4-byte length */
	strings = r;
	if (!r.ok || nargs > r.left / 4)
		goto malformed;
	for (uint32_t i = 0; i < nargs; i++)
		gate__read(&r, gate__read32(&r));
	nenv = gate__read32(&r);
	if (!r.ok || nenv > r.left / 4)
		goto malformed;
	for (uint32_t i = 0; i < nenv; i++)
		gate__read(&r, gate__read32(&r));
	if (!r.ok || r.left != 0)
		goto malformed;
	if (h->flags & ~(uint32_t)(GATE_PROGRAM_DEBUG | GATE_PROGRAM_FS | GATE_PROGRAM_STDIN_TTY |
				   GATE_PROGRAM_STDOUT_TTY | GATE_PROGRAM_STDERR_TTY |
				   GATE_PROGRAM_RESUMED))
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot start program: unknown flags 0x%x", h->flags);
	if (h->resolution < 1 || h->resolution > 1000000000u)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot start program: clock resolution %llu ns is not in 1..1e9",
				    (unsigned long long)h->resolution);
	if (h->npreopens > (1u << 20))
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot start program: %u preopens", h->npreopens);
	h->resumed = (h->flags & GATE_PROGRAM_RESUMED) != 0;
	h->gate_fd = h->npreopens + 3 > 4 ? h->npreopens + 3 : 4;
	snprintf(fdvar, sizeof fdvar, "GATE_FD=%u", h->gate_fd);

	h->nargs = nargs;
	h->nenv = nenv + 3;
	h->args = calloc(nargs + 1, sizeof *h->args);
	h->env = calloc(nenv + 3, sizeof *h->env);
	h->strings = malloc(len + 128);
	if (h->args == NULL || h->env == NULL || h->strings == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot start program: out of memory");
	dst = h->strings;
	for (uint32_t i = 0; i < 3; i++) {
		size_t n = strlen(fixed[i]) + 1;

		memcpy(dst, fixed[i], n);
		h->env[i] = dst;
		dst += n;
		h->env_size += (uint32_t)n;
	}
	if (!read_strings(&strings, nargs, h->args, &dst, &h->args_size, false))
		goto bad_string;
	gate__read32(&strings); /* nenv */
	if (!read_strings(&strings, nenv, h->env + 3, &dst, &h->env_size, true))
		goto bad_string;
	gate__chacha20_init(&h->random, seed, nonce, 0);
	return GATE_OK;
bad_string:
	return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
			    "Cannot start program: an argument contains NUL, or an environment "
			    "entry is not KEY=VALUE");
malformed:
	return gate__errorf(err, err_len, GATE_PROTOCOL, "Cannot start program: malformed config");
}

void gate__host_free(struct gate__host *h)
{
	if (h == NULL)
		return;
	free(h->args);
	free(h->env);
	free(h->strings);
	free(h->rx);
	free(h->tx);
	free(h->scratch);
	free(h->fs_reply);
	free(h->in[0].data);
	free(h->in[1].data);
	free(h);
}

int gate__host_program(struct gate__store *store, int fd, uint32_t chan_instance, uint32_t seq,
		       uint32_t image, const uint8_t *config, size_t len, struct gate__host **out,
		       uint32_t *instance, struct gate__trap *trap, char *err, size_t err_len)
{
	struct gate__host *h;
	struct gate__extern *ext = NULL;
	struct rt_image *img;
	int *which = NULL, status;

	*out = NULL;
	if (image >= store->nimages)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot start program: no image %u", image);
	img = store->images[image];
	h = calloc(1, sizeof *h);
	if (h == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot start program: out of memory");
	h->store = store;
	h->fd = fd;
	h->chan_instance = chan_instance;
	h->seq = seq;
	h->started = true;
	h->start_ns = gate__host_now();
	for (size_t i = 0; i < NIMPORTS; i++)
		h->host_funcs[i] = GATE__RT_NONE;
	status = parse_config(h, config, len, err, err_len);
	if (status)
		goto out_free;
	h->rx = malloc(GATE_FRAME_MAX);
	h->tx = malloc(GATE_FRAME_MAX);
	h->scratch = malloc(GATE_FRAME_MAX);
	h->fs_reply = malloc(GATE_FRAME_MAX);
	h->in[0].data = malloc(GATE_STREAM_CHUNK);
	h->in[1].data = malloc(GATE_STREAM_CHUNK);
	ext = calloc(img->nimports ? img->nimports : 1, sizeof *ext);
	which = calloc(img->nimports ? img->nimports : 1, sizeof *which);
	if (!h->rx || !h->tx || !h->scratch || !h->fs_reply || !h->in[0].data || !h->in[1].data ||
	    !ext || !which) {
		status = gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				      "Cannot start program: out of memory");
		goto out_free;
	}
	/* resolve every import before the store gets any host function */
	for (uint32_t i = 0; i < img->nimports; i++) {
		const struct rt_import *im = &img->imports[i];
		int k = im->kind == GATE_EXTERN_FUNC ? resolve(im) : -1;
		const char *why = k < 0 ? "" : ": wrong signature";

		if (k >= 0 && !type_matches(&img->types[img->funcs[im->index].type], &imports[k]))
			k = -1;
		if (k < 0) {
			status = gate__errorf(err, err_len, GATE_LINK, "import not supported: %.*s.%.*s%s",
					      (int)(im->module.len < 128 ? im->module.len : 128),
					      im->module.p,
					      (int)(im->name.len < 128 ? im->name.len : 128),
					      im->name.p,
					      im->kind != GATE_EXTERN_FUNC ? " (not a function)" : why);
			goto out_free;
		}
		which[i] = k;
	}
	for (uint32_t i = 0; i < img->nimports; i++) {
		const struct gate__host_import *e = &imports[which[i]];
		uint32_t *addr = &h->host_funcs[which[i]];

		if (*addr == GATE__RT_NONE) {
			uint8_t types[16];
			uint32_t np = (uint32_t)strlen(e->params);

			for (uint32_t j = 0; j < np; j++)
				types[j] = e->params[j] == 'I' ? GATE_I64 : GATE_I32;
			types[np] = GATE_I32;
			*addr = gate__store_host_func(store, np, e->result ? 1 : 0, types, e->call, h);
			if (*addr == GATE__RT_NONE) {
				status = gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
						      "Cannot start program: out of memory");
				goto out_free;
			}
		}
		ext[i] = (struct gate__extern){ GATE_EXTERN_FUNC, *addr };
	}
	/* the instance's index, so that a start function reaches memory 0 */
	h->instance = store->ninstances;
	status = gate__store_instantiate(store, image, ext, img->nimports, instance, trap, err,
					 err_len);
	/* whatever happened, the store now holds host functions bound to h
	 * (and, but for a link error, an instance importing them) */
	*out = h;
	h = NULL;
out_free:
	free(which);
	free(ext);
	gate__host_free(h);
	return status;
}
