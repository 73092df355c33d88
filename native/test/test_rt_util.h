/*
 * Helpers for the compiler and runtime tests: WAT text to a module with
 * wat2wasm (wabt), compile to an image, load and instantiate it in a store,
 * and invoke exports. wat2wasm missing is a failure, never a skip.
 */
#ifndef GATE_TEST_RT_UTIL_H
#define GATE_TEST_RT_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../rt/rt.h"
#include "../wasm/module.h"

#define UNUSED __attribute__((unused))

/* Runs wat2wasm --debug-names on text; returns the binary (malloc) or NULL. */
/* A new empty store, or NULL. */
static UNUSED struct gate__store *store(void)
{
	struct gate__store *s = NULL;
	char err[128];

	if (gate__store_new(&s, err, sizeof(err)))
		return NULL;
	return s;
}

/*
 * Writes src to a temporary file named in_name, runs tool (a NULL-terminated
 * argv prefix) with "-o OUT IN" appended, and returns OUT's bytes (malloc) in
 * *len, or NULL on any failure (the tool's output is shown).
 */
static UNUSED uint8_t *convert(const char *src, const char *in_name, const char *const *tool,
			       size_t *len)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], in[300], out[300];
	const char *argv[16];
	uint8_t *buf = NULL;
	size_t n = 0;
	FILE *f;
	pid_t pid;
	int st;

	while (tool[n] && n < 12) {
		argv[n] = tool[n];
		n++;
	}
	snprintf(dir, sizeof(dir), "%s/gate-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(in, sizeof(in), "%s/%s", dir, in_name);
	snprintf(out, sizeof(out), "%s/out.wasm", dir);
	argv[n++] = "-o";
	argv[n++] = out;
	argv[n++] = in;
	argv[n] = NULL;
	f = fopen(in, "w");
	if (f == NULL)
		goto out_rmdir;
	fputs(src, f);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "  %s failed on:\n%s\n", argv[0], src);
		goto out_unlink;
	}
	f = fopen(out, "rb");
	if (f == NULL)
		goto out_unlink;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len ? *len : 1);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
out_unlink:
	unlink(out);
	unlink(in);
out_rmdir:
	rmdir(dir);
	return buf;
}

/* WebAssembly text to binary with wabt, keeping names. */
static UNUSED uint8_t *wat2wasm(const char *wat, size_t *len)
{
	static const char *const tool[] = { "wat2wasm", "--debug-names", NULL };

	return convert(wat, "m.wat", tool, len);
}

/* C to a wasm32 module exporting run, with clang (wasm-ld keeps names). */
static UNUSED uint8_t *clang_wasm(const char *src, size_t *len)
{
	static const char *const tool[] = { "clang",	      "--target=wasm32", "-O2",
					    "-nostdlib",      "-Wl,--no-entry",	 "-Wl,--export=run",
					    NULL };

	return convert(src, "p.c", tool, len);
}

/* WAT -> serialized image (malloc); status in *status, message in err. */
static UNUSED uint8_t *wat_image(const char *wat, size_t *len, int *status, char *err,
				 size_t err_len)
{
	size_t n;
	uint8_t *w = wat2wasm(wat, &n), *out = NULL;
	gate_module *m;
	gate_image *img;
	const uint8_t *b;
	uint64_t l;

	*status = GATE_INTERNAL;
	if (w == NULL)
		return NULL;
	*status = gate_module_new(w, n, NULL, &m, err, err_len);
	free(w);
	if (*status)
		return NULL;
	*status = gate_image_new(m, &img, err, err_len);
	gate_module_free(m);
	if (*status)
		return NULL;
	b = gate_image_bytes(img, &l);
	out = malloc(l);
	if (out) {
		memcpy(out, b, l);
		*len = l;
	}
	gate_image_free(img);
	return out;
}

/* Loads and instantiates wat in s with the given imports; returns the
 * instance index or UINT32_MAX (status in *status when not NULL). */
static UNUSED uint32_t wat_instance(struct gate__store *s, const char *wat,
				    const struct gate__extern *imports, uint32_t nimports,
				    int *status)
{
	char err[256] = "";
	size_t len = 0;
	int st;
	uint8_t *img = wat_image(wat, &len, &st, err, sizeof(err));
	uint32_t idx, inst = UINT32_MAX;
	struct gate__trap trap;

	if (img == NULL) {
		fprintf(stderr, "  compile: %s\n", err);
		if (status)
			*status = st;
		return UINT32_MAX;
	}
	st = gate__store_load(s, img, len, &idx, err, sizeof(err));
	free(img);
	if (st == GATE_OK)
		st = gate__store_instantiate(s, idx, imports, nimports, &inst, &trap, err,
					     sizeof(err));
	if (st && !status)
		fprintf(stderr, "  instantiate: %s\n", err);
	if (status)
		*status = st;
	return st ? UINT32_MAX : inst;
}

static UNUSED uint32_t export_addr(struct gate__store *s, uint32_t inst, const char *name)
{
	struct gate__extern e = {0, UINT32_MAX};
	char err[128];

	if (gate__store_export(s, inst, name, strlen(name), &e, err, sizeof(err)))
		return UINT32_MAX;
	return e.addr;
}

static UNUSED struct gate__value vi32(uint32_t v)
{
	return (struct gate__value){.type = 0x7f, .of.i32 = v};
}

static UNUSED struct gate__value vi64(uint64_t v)
{
	return (struct gate__value){.type = 0x7e, .of.i64 = v};
}

static UNUSED struct gate__value vf32(float f)
{
	struct gate__value v = {.type = 0x7d};

	memcpy(&v.of.f32, &f, 4);
	return v;
}

static UNUSED struct gate__value vf64(double d)
{
	struct gate__value v = {.type = 0x7c};

	memcpy(&v.of.f64, &d, 8);
	return v;
}

/* Invokes export name; returns the status, results in res, trap in *trap. */
static UNUSED int call(struct gate__store *s, uint32_t inst, const char *name,
		       const struct gate__value *args, uint32_t nargs, struct gate__value *res,
		       struct gate__trap *trap)
{
	char err[256];
	uint32_t f = export_addr(s, inst, name);
	struct gate__trap sink;

	if (f == UINT32_MAX)
		return -1;
	return gate__store_invoke(s, f, args, nargs, res, 16, trap ? trap : &sink, err,
				  sizeof(err));
}

/* Calls an export taking up to 4 i32 (or i64) and returning one integer. */
static UNUSED uint64_t call_int(struct gate__store *s, uint32_t inst, const char *name, int n,
				uint64_t a, uint64_t b)
{
	struct gate__value args[2], res[16];
	uint32_t np, nr;
	const uint8_t *pt, *rt;
	uint32_t f = export_addr(s, inst, name);

	if (f == UINT32_MAX || gate__store_func_type(s, f, &np, &pt, &nr, &rt))
		return 0xdeadbeef;
	for (int i = 0; i < n; i++)
		args[i] = pt[i] == 0x7f ? vi32((uint32_t)(i ? b : a)) : vi64(i ? b : a);
	if (call(s, inst, name, args, (uint32_t)n, res, NULL))
		return 0xdeadbeef;
	return res[0].type == 0x7f ? res[0].of.i32 : res[0].of.i64;
}

#endif
