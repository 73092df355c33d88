/*
 * gate_image_new() and friends (libgate.h): compiles a validated module with
 * the body decoder driving the code generator, then writes the image.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/error.h"
#include "x64_gen.h"

extern const struct gate__visitor gate__x64_visitor;

struct gate_image {
	uint8_t *bytes;
	size_t len;
};

/* Index of the first type structurally equal to type i (stubs are shared). */
static uint32_t canonical_type(const struct gate_module *m, uint32_t i, const uint32_t *first,
			       uint32_t *hash_tab, uint32_t hash_cap)
{
	const struct gate__functype *t = &m->types[i];
	uint64_t h = 1469598103934665603ull;
	uint32_t n = t->nparams + t->nresults, slot;

	h = (h ^ t->nparams) * 1099511628211ull;
	for (uint32_t k = 0; k < n; k++)
		h = (h ^ t->types[k]) * 1099511628211ull;
	for (slot = (uint32_t)h & (hash_cap - 1);; slot = (slot + 1) & (hash_cap - 1)) {
		uint32_t j = hash_tab[slot];
		const struct gate__functype *u;

		if (j == GATE__NONE) {
			hash_tab[slot] = i;
			return i;
		}
		u = &m->types[j];
		if (u->nparams == t->nparams && u->nresults == t->nresults &&
		    memcmp(u->types, t->types, n) == 0)
			return first[j];
	}
}

void gate__compiled_free(struct gate__compiled *c)
{
	free(c->code);
	free(c->func_off);
	free(c->func_len);
	free(c->func_frame);
	free(c->entry_stub);
	free(c->host_stub);
	free(c->host_ret);
	gate__sites_free(&c->sites);
	memset(c, 0, sizeof(*c));
}

int gate__compile_module(const struct gate_module *m, struct gate__compiled *out, char *err,
			 size_t err_len)
{
	return gate__compile_module_opts(m, NULL, out, err, err_len);
}

int gate__compile_module_opts(const struct gate_module *m, const struct gate__compile_opts *opts,
			      struct gate__compiled *out, char *err, size_t err_len)
{
	struct gen g;
	struct gate__ctx ctx = {.m = (struct gate_module *)m,
				.lim = &m->limits,
				.err = err,
				.err_len = err_len,
				.func = GATE__NO_FUNC};
	struct gate__body body;
	struct gate__visitor visitor;
	uint32_t *canon = NULL, *hash = NULL, hcap = 16;
	int ret = GATE_OK;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	g.m = m;
	if (opts)
		g.opts = *opts;
	g.sites = &out->sites;
	gate__vmctx_layout(m->nfuncs, m->ntables, m->ntypes, m->nglobals, &g.vm);
	gate__x64_init(&g.a, (size_t)1 << 30);
	{
		/* machine code is about 2-3x the bytecode: start big enough that
		 * the buffer rarely moves */
		size_t est = 65536;

		for (uint32_t i = 0; i < m->ncode; i++)
			est += 3 * (size_t)m->code[i].size + 64;
		g.a.code = malloc(est);
		g.a.cap = g.a.code ? est : 0;
	}
	while (hcap < 2 * m->ntypes)
		hcap *= 2;
	g.funcs = calloc(m->nfuncs ? m->nfuncs : 1, sizeof(*g.funcs));
	canon = malloc(sizeof(*canon) * (m->ntypes ? m->ntypes : 1));
	hash = malloc(sizeof(*hash) * hcap);
	out->func_off = malloc(sizeof(uint32_t) * (m->nfuncs ? m->nfuncs : 1));
	out->func_len = malloc(sizeof(uint32_t) * (m->nfuncs ? m->nfuncs : 1));
	out->func_frame = calloc(m->nfuncs ? m->nfuncs : 1, sizeof(uint32_t));
	out->entry_stub = malloc(sizeof(uint32_t) * (m->ntypes ? m->ntypes : 1));
	out->host_stub = malloc(sizeof(uint32_t) * (m->ntypes ? m->ntypes : 1));
	out->host_ret = malloc(sizeof(uint32_t) * (m->ntypes ? m->ntypes : 1));
	if (!g.funcs || !canon || !hash || !out->func_off || !out->func_len || !out->func_frame ||
	    !out->entry_stub || !out->host_stub || !out->host_ret) {
		ret = gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				   "Cannot compile module: out of memory");
		goto out_free;
	}
	memset(hash, 0xff, sizeof(*hash) * hcap);

	gen_trap_common(&g);
	/* entry stubs per distinct signature; host stubs for imported ones */
	for (uint32_t i = 0; i < m->ntypes; i++) {
		canon[i] = canonical_type(m, i, canon, hash, hcap);
		out->host_stub[i] = GATE__NONE;
		out->host_ret[i] = GATE__NONE;
		if (canon[i] == i) {
			gate__x64_align(&g.a, 16);
			out->entry_stub[i] = (uint32_t)gate__x64_offset(&g.a);
			gen_entry_stub(&g, &m->types[i]);
		} else {
			out->entry_stub[i] = out->entry_stub[canon[i]];
		}
	}
	for (uint32_t f = 0; f < m->nfunc_imports; f++) {
		uint32_t t = m->func_types[f], c = canon[t];

		if (out->host_stub[c] == GATE__NONE) {
			gate__x64_align(&g.a, 16);
			out->host_stub[c] = (uint32_t)gate__x64_offset(&g.a);
			out->host_ret[c] = gen_host_stub(&g, &m->types[c]);
		}
		out->host_stub[t] = out->host_stub[c];
		out->host_ret[t] = out->host_ret[c];
	}
	for (uint32_t f = 0; f < m->nfunc_imports; f++) {
		out->func_off[f] = GATE__NONE;
		out->func_len[f] = 0;
	}

	gate__body_init(&body, &ctx);
	visitor = gate__x64_visitor;
	visitor.ctx = &g;
	for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
		uint32_t start;

		gate__x64_align(&g.a, 16);
		start = (uint32_t)gate__x64_offset(&g.a);
		ret = gate__body_run(&body, f, &visitor);
		if (ret)
			break;
		out->func_off[f] = start;
		out->func_len[f] = (uint32_t)gate__x64_offset(&g.a) - start;
		out->func_frame[f] = g.frame;
	}
	gate__body_free(&body);
	if (ret)
		goto out_free;
	gen_kpool(&g);
	if (gate__x64_error(&g.a) != X64_OK || g.oom || out->sites.oom) {
		int e = gate__x64_error(&g.a);

		ret = gate__errorf(err, err_len,
				   e == X64_ELIMIT		    ? GATE_LIMIT
				   : e == X64_OK || e == X64_ENOMEM ? GATE_OUT_OF_MEMORY
								    : GATE_INTERNAL,
				   "Cannot compile module: code buffer: %s",
				   e == X64_OK ? "out of memory" : gate__x64_error_name(e));
		goto out_free;
	}
	/* function entries are bound at their own offsets (after alignment) */
	for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++)
		out->func_off[f] = g.funcs[f].pos;
	out->code = g.a.code;
	out->code_len = (uint32_t)g.a.len;
	g.a.code = NULL;
	g.a.len = g.a.cap = 0;

out_free:
	gate__x64_free(&g.a);
	free(g.funcs);
	free(g.st);
	free(g.cf);
	free(g.ool);
	free(g.mv);
	free(g.locs);
	free(g.pin);
	free(g.weights);
	free(canon);
	free(hash);
	if (ret)
		gate__compiled_free(out);
	return ret;
}

int gate__image_new_opts(const struct gate_module *m, const struct gate__compile_opts *opts,
			 uint8_t **out, size_t *out_len, char *err, size_t err_len)
{
	struct gate__compiled c;
	int ret;

	ret = gate__compile_module_opts(m, opts, &c, err, err_len);
	if (ret)
		return ret;
	ret = gate__image_write(m, &c, out, out_len);
	gate__compiled_free(&c);
	if (ret)
		return gate__errorf(err, err_len, ret, "Cannot write image: out of memory");
	return GATE_OK;
}

GATE_API int gate_image_new(const gate_module *module, gate_image **out, char *err, size_t err_len)
{
	return gate_image_new_flags(module, 0, out, err, err_len);
}

GATE_API int gate_image_new_flags(const gate_module *module, uint32_t flags, gate_image **out,
				  char *err, size_t err_len)
{
	const uint32_t known = GATE_COMPILE_NO_LOOP_CHECKS | GATE_COMPILE_NO_PINS;
	struct gate__compile_opts opts = {
		.no_loop_checks = flags & GATE_COMPILE_NO_LOOP_CHECKS,
		.no_pins = flags & GATE_COMPILE_NO_PINS,
	};
	gate_image *img;
	int ret;

	if (module == NULL || out == NULL)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot compile module: no module or no output handle");
	if (flags & ~known)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot compile module: unknown code generation flags 0x%x",
				    flags & ~known);
	img = calloc(1, sizeof(*img));
	if (img == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot compile module: out of memory");
	ret = gate__image_new_opts(module, &opts, &img->bytes, &img->len, err, err_len);
	if (ret) {
		free(img);
		return ret;
	}
	*out = img;
	return GATE_OK;
}

GATE_API void gate_image_free(gate_image *image)
{
	if (image == NULL)
		return;
	free(image->bytes);
	free(image);
}

GATE_API const uint8_t *gate_image_bytes(const gate_image *image, uint64_t *len)
{
	if (image == NULL) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = image->len;
	return image->bytes;
}

GATE_API uint32_t gate_compiler_version(void)
{
	return GATE__COMPILER_VERSION;
}
