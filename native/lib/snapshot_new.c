/*
 * Snapshots for the Deno side (libgate.h): gate_snapshot_new() turns the
 * state wire of an instance (native/lib/state_wire.h) and the module it ran
 * into a snapshot with the codec (native/snapshot); gate_snapshot_open()
 * validates an untrusted snapshot and gives what resuming it needs. Both
 * read untrusted bytes through bounds-checked readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../libgate.h"
#include "../snapshot/host_state.h"
#include "../snapshot/snapshot_internal.h"
#include "../wasm/leb128.h"
#include "error.h"
#include "snapshot_restore.h"
#include "state_wire.h"

struct gate_blob {
	uint8_t *p;
	uint64_t len;
};

GATE_API const uint8_t *gate_blob_bytes(const gate_blob *blob, uint64_t *len)
{
	if (len)
		*len = blob ? blob->len : 0;
	return blob ? blob->p : NULL;
}

/*
 * Maps the pages of p[0..n) in one system call before they are written,
 * as huge pages where the kernel has them: a page fault costs 1.5-15 us on
 * a virtual machine (bench limits), so a memcpy into fresh memory runs at a
 * tenth of memcpy's speed when each 4 KiB page faults on its own. Best
 * effort: an older kernel faults as before.
 */
static void prefault(void *p, uint64_t n)
{
	uintptr_t lo = (uintptr_t)p & ~(uintptr_t)4095, hi = (uintptr_t)p + n;

	if (n < (1u << 20))
		return;
	madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
	madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#endif
}

GATE_API uint64_t gate_blob_copy(const gate_blob *blob, uint8_t *dst, uint64_t len)
{
	uint64_t n = blob == NULL ? 0 : blob->len < len ? blob->len : len;

	if (n == 0)
		return 0;
	/* dst is fresh memory of the caller's (a new ArrayBuffer): untouched
	 * zero pages, which the madvise keeps zero */
	prefault(dst, n);
	memcpy(dst, blob->p, n);
	return n;
}

GATE_API void gate_blob_free(gate_blob *blob)
{
	if (blob == NULL)
		return;
	free(blob->p);
	free(blob);
}

static int blob_wrap(uint8_t *p, uint64_t len, gate_blob **out, const char *verb, char *err,
		     size_t err_len)
{
	gate_blob *b = malloc(sizeof(*b));

	if (b == NULL) {
		free(p);
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot %s snapshot: out of memory",
				    verb);
	}
	b->p = p;
	b->len = len;
	*out = b;
	return GATE_OK;
}

/* A fixed-width little-endian reader over the state wire. */
struct wire {
	const uint8_t *p;
	size_t left;
	bool ok;
};

static const uint8_t *take(struct wire *w, size_t n)
{
	const uint8_t *p = w->p;

	if (!w->ok || n > w->left) {
		w->ok = false;
		return NULL;
	}
	w->p += n;
	w->left -= n;
	return p;
}

static uint32_t u32(struct wire *w)
{
	const uint8_t *p = take(w, 4);
	uint32_t v = 0;

	if (p)
		memcpy(&v, p, 4);
	return v;
}

static uint64_t u64(struct wire *w)
{
	const uint8_t *p = take(w, 8);
	uint64_t v = 0;

	if (p)
		memcpy(&v, p, 8);
	return v;
}

static uint8_t u8(struct wire *w)
{
	const uint8_t *p = take(w, 1);

	return p ? *p : 0;
}

#define BAD(...) gate__errorf(err, err_len, GATE_MALFORMED, "Cannot make snapshot: " __VA_ARGS__)


/* Everything the state wire holds, into st (which then owns memory,
 * globals, tables, segment flags and the stack); *input points at the
 * state's unread stdin in p, *input_len bytes, and host at its gate.host
 * entry (state_len 0: none). */
static int parse_state(const uint8_t *p, size_t len, struct gate_snapshot *st,
		       const uint8_t **input, uint32_t *input_len,
		       struct gate_snapshot_service *host, char *err, size_t err_len)
{
	struct wire w = { p, len, true };
	uint32_t pages, n, slen;
	uint64_t mlen, end = 0;
	uint8_t *mem = NULL;
	const uint8_t *b;
	int ret;

	if (u32(&w) != GATE_STATE_MAGIC || !w.ok)
		return BAD("the state does not start with the state wire's magic");
	st->trap = u32(&w);
	st->result = (int32_t)u32(&w);
	st->monotonic = u64(&w);
	pages = u32(&w);
	if (!w.ok)
		return BAD("the state is truncated in its header");
	if (st->trap > gate__strap_max() || (st->result != 0 && st->trap != 12 /* EXIT */))
		return BAD("the state has trap %u with result %d", st->trap, st->result);
	if (pages > 65536)
		return BAD("the state has %u pages of memory", pages);
	mlen = (uint64_t)pages * 65536;
	if (mlen) {
		mem = calloc(1, mlen); /* zero pages stay untouched: the kernel's zero page */
		if (mem == NULL)
			return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
					    "Cannot make snapshot: out of memory for %u pages", pages);
	}
	st->memory = mem;
	st->memory_len = mlen;
	for (;;) {
		uint64_t at = u64(&w), n64 = u64(&w);

		if (!w.ok)
			return BAD("the state's memory is truncated");
		if (n64 == 0)
			break;
		if (at < end || at > mlen || n64 > mlen - at || (b = take(&w, n64)) == NULL)
			return BAD("the state's memory run at %llu of %llu bytes is out of order, "
				   "out of bounds or truncated",
				   (unsigned long long)at, (unsigned long long)n64);
		prefault(mem + at, n64);
		memcpy(mem + at, b, n64);
		end = at + n64;
	}
	n = u32(&w);
	if (!w.ok || n > w.left / 9)
		return BAD("the state's globals are truncated");
	st->nglobals = n;
	st->globals = calloc(n ? n : 1, sizeof(*st->globals));
	if (st->globals == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot make snapshot: out of memory");
	for (uint32_t i = 0; i < n; i++) {
		st->globals[i].type = u8(&w);
		st->globals[i].bits = u64(&w);
	}
	n = u32(&w);
	if (!w.ok || n > w.left / 5)
		return BAD("the state's tables are truncated");
	st->ntables = n;
	st->table_len = calloc(n ? n : 1, sizeof(*st->table_len));
	st->tables = calloc(n ? n : 1, sizeof(*st->tables));
	if (st->table_len == NULL || st->tables == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot make snapshot: out of memory");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t tlen;

		u8(&w); /* the type: the module's table type decides, the encoder checks */
		tlen = u32(&w);
		if (!w.ok || tlen > w.left / 4)
			return BAD("the state's table %u is truncated", i);
		st->table_len[i] = tlen;
		st->tables[i] = malloc(((size_t)tlen + 1) * sizeof(uint64_t));
		if (st->tables[i] == NULL)
			return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
					    "Cannot make snapshot: out of memory");
		for (uint32_t k = 0; k < tlen; k++) {
			uint32_t x = u32(&w);

			st->tables[i][k] = x == GATE_STATE_NULL ? GATE_PNULL : x;
		}
	}
	for (int seg = 0; seg < 2; seg++) {
		uint8_t **flags = seg ? &st->elem_dropped : &st->data_dropped;

		n = u32(&w);
		b = take(&w, n);
		if (b == NULL)
			return BAD("the state's segment flags are truncated");
		*flags = malloc(n ? n : 1);
		if (*flags == NULL)
			return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
					    "Cannot make snapshot: out of memory");
		memcpy(*flags, b, n);
		if (seg)
			st->nelem = n;
		else
			st->ndata = n;
	}
	slen = u32(&w);
	b = take(&w, slen);
	if (b == NULL)
		return BAD("the state's stack is truncated");
	if ((slen != 0) != (st->trap == 15 /* SUSPENDED */))
		return BAD("the state has trap %u and %s stack", st->trap, slen ? "a" : "no");
	*input_len = u32(&w);
	*input = take(&w, *input_len);
	if (*input == NULL)
		return BAD("the state's input is truncated");
	if (*input_len != 0 && st->trap != 15)
		return BAD("the state has trap %u and %u bytes of input", st->trap, *input_len);
	host->state_len = u32(&w);
	host->state = take(&w, host->state_len);
	if (host->state == NULL || w.left != 0)
		return BAD("the state's host state is truncated, or bytes follow it");
	if (host->state_len != 0) {
		struct gate_host_state hs;
		const char *why = gate_host_state_get(host->state, host->state_len, &hs);

		if (st->trap != 15)
			return BAD("the state has trap %u and a host state", st->trap);
		if (why)
			return BAD("the state's host state: %s", why);
	}
	if (slen) {
		/* function indices and the code: the encoder checks the stack */
		ret = gate__sstack_get(b, slen, UINT32_MAX, &st->stack, err, err_len);
		if (ret)
			return ret == GATE_OUT_OF_MEMORY ? ret : GATE_MALFORMED;
	}
	st->flags = st->trap == 15 ? 0 : GATE_SNAPSHOT_FINAL;
	return GATE_OK;
}

/* A gate.buffer payload (docs/snapshot.md) into st's input, output and
 * services, pointing into p (lent for the call). */
static int parse_buffers(const uint8_t *p, size_t len, struct gate_snapshot *st, char *err,
			 size_t err_len)
{
	struct gate__reader r;
	uint64_t total;

	if (len == 0)
		return GATE_OK;
	r = (struct gate__reader){ p, p + len, p };
	if (gate__read_u32(&r, &st->input_len) || gate__read_u32(&r, &st->output_len) ||
	    gate__read_u32(&r, &st->nservices))
		return BAD("buffers: truncated header");
	if (st->nservices > GATE_SNAPSHOT_MAX_SERVICES) {
		uint32_t n = st->nservices;

		st->nservices = 0;
		return BAD("buffers: %u services, at most %u", n, GATE_SNAPSHOT_MAX_SERVICES);
	}
	/* room for the host's entry (add_host) */
	st->services = calloc(st->nservices + 1, sizeof(*st->services));
	if (st->services == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot make snapshot: out of memory");
	total = (uint64_t)st->input_len + st->output_len;
	for (uint32_t i = 0; i < st->nservices; i++) {
		struct gate_snapshot_service *sv = &st->services[i];

		if (gate__read_u8(&r, &sv->name_len) || sv->name_len == 0 ||
		    sv->name_len > GATE_SNAPSHOT_MAX_NAME ||
		    gate__read_bytes(&r, sv->name, sv->name_len) ||
		    gate__read_u32(&r, &sv->state_len))
			return BAD("buffers: service %u is truncated or has a bad name", i);
		total += sv->state_len;
	}
	if (total != gate__left(&r))
		return BAD("buffers: %llu bytes of buffers, %zu given", (unsigned long long)total,
			   gate__left(&r));
	st->input = r.p;
	st->output = r.p + st->input_len;
	p = r.p + st->input_len + st->output_len;
	for (uint32_t i = 0; i < st->nservices; i++) {
		st->services[i].state = p;
		p += st->services[i].state_len;
	}
	return GATE_OK;
}

/*
 * The snapshot's input: the state's unread stdin (what the instance had
 * received), then the buffers' (what Deno read for the program and did not
 * send), in that order (docs/protocol.md, "Suspend and resume"). Allocates
 * *joined when both have bytes (the caller frees it).
 */
static int join_input(struct gate_snapshot *st, const uint8_t *input, uint32_t input_len,
		      uint8_t **joined, char *err, size_t err_len)
{
	uint8_t *p;

	*joined = NULL;
	if (input_len == 0)
		return GATE_OK;
	if (st->input_len == 0) {
		st->input = input;
		st->input_len = input_len;
		return GATE_OK;
	}
	if (st->input_len > UINT32_MAX - input_len)
		return BAD("%u bytes of input in the state and %u in the buffers", input_len,
			   st->input_len);
	p = malloc((size_t)input_len + st->input_len);
	if (p == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot make snapshot: out of memory");
	memcpy(p, input, input_len);
	memcpy(p + input_len, st->input, st->input_len);
	st->input = p;
	st->input_len += input_len;
	*joined = p;
	return GATE_OK;
}

/* The instance's host state as the gate.host entry, after the buffers'
 * services (Deno never passes one: the encoder refuses a name twice). */
static int add_host(struct gate_snapshot *st, const struct gate_snapshot_service *host, char *err,
		    size_t err_len)
{
	if (host->state_len == 0)
		return GATE_OK;
	if (st->services == NULL) {
		st->services = calloc(1, sizeof(*st->services));
		if (st->services == NULL)
			return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
					    "Cannot make snapshot: out of memory");
	}
	st->services[st->nservices++] = *host;
	return GATE_OK;
}

/* Frees what parse_state() and parse_buffers() allocated. */
static void state_free(struct gate_snapshot *st)
{
	free((void *)st->memory);
	free(st->globals);
	for (uint32_t k = 0; st->tables && k < st->ntables; k++)
		free(st->tables[k]);
	free(st->tables);
	free(st->table_len);
	free(st->data_dropped);
	free(st->elem_dropped);
	free(st->services);
	gate_pstack_clear(&st->stack);
}

GATE_API int gate_snapshot_new(const uint8_t *module, size_t module_len, const uint8_t *state,
			       size_t state_len, const uint8_t *buffers, size_t buffers_len,
			       gate_blob **out, char *err, size_t err_len)
{
	struct gate_snapshot st;
	struct gate_snapshot_service host = { .name = GATE_HOST_STATE_NAME,
					      .name_len = sizeof GATE_HOST_STATE_NAME - 1 };
	const uint8_t *input = NULL;
	uint8_t *snap = NULL, *joined = NULL;
	size_t snap_len = 0;
	uint32_t input_len = 0;
	int ret;

	if (out == NULL || module == NULL || (state == NULL && state_len) ||
	    (buffers == NULL && buffers_len))
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot make snapshot: no module, state or output");
	memset(&st, 0, sizeof(st));
	ret = parse_state(state, state_len, &st, &input, &input_len, &host, err, err_len);
	if (!ret)
		ret = parse_buffers(buffers, buffers_len, &st, err, err_len);
	if (!ret)
		ret = add_host(&st, &host, err, err_len);
	if (!ret)
		ret = join_input(&st, input, input_len, &joined, err, err_len);
	if (!ret)
		ret = gate_snapshot_encode(module, module_len, &st, &snap, &snap_len, err, err_len);
	free(joined);
	state_free(&st);
	if (ret)
		return ret;
	return blob_wrap(snap, snap_len, out, "make", err, err_len);
}

GATE_API int gate_snapshot_new_fd(const uint8_t *module, size_t module_len, int32_t state_fd,
				  uint64_t state_len, const uint8_t *buffers, size_t buffers_len,
				  gate_blob **out, char *err, size_t err_len)
{
	const int seals = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL;
	struct stat sb;
	void *state = NULL;
	int ret;

	if (state_fd < 0)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot make snapshot: no state descriptor");
	/* The instance process wrote the file and may still hold it: sealed,
	 * its bytes cannot change while the parser reads them. */
	if (fcntl(state_fd, F_ADD_SEALS, seals) != 0 || fstat(state_fd, &sb) != 0) {
		ret = gate__errorf(err, err_len, GATE_IO,
				   "Cannot make snapshot: cannot seal the state's memfd: %s",
				   strerror(errno));
		goto out_close;
	}
	if ((uint64_t)sb.st_size != state_len) {
		ret = BAD("the state's memfd has %lld bytes, the instance wrote %llu",
			  (long long)sb.st_size, (unsigned long long)state_len);
		goto out_close;
	}
	if (state_len) {
		state = mmap(NULL, state_len, PROT_READ, MAP_SHARED | MAP_POPULATE, state_fd, 0);
		if (state == MAP_FAILED) {
			ret = gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
					   "Cannot make snapshot: cannot map %llu bytes of state: %s",
					   (unsigned long long)state_len, strerror(errno));
			goto out_close;
		}
	}
	ret = gate_snapshot_new(module, module_len, state, state_len, buffers, buffers_len, out,
				err, err_len);
	if (state_len)
		munmap(state, state_len);
out_close:
	close(state_fd);
	return ret;
}

static void put32(struct gate__sbuf *b, uint32_t v)
{
	gate__sbuf_put(b, &v, 4);
}

GATE_API int gate_snapshot_open(const uint8_t *snapshot, size_t len, gate_blob **out, char *err,
				size_t err_len)
{
	return gate_snapshot_open_parts(snapshot, len, out, NULL, NULL, err, err_len);
}

/* The program module and the memory memfd of a decoded snapshot. */
static int restore_parts(const uint8_t *snapshot, size_t len, const struct gate_snapshot *st,
			 const struct gate__smem_segs *segs, gate_blob **program,
			 int32_t *memory_fd, char *err, size_t err_len)
{
	const struct gate_snapshot_service *host = NULL;
	uint8_t *p;
	size_t n;
	int ret;

	ret = gate__snapshot_program(snapshot, len, st->ndata, &p, &n, err, err_len);
	if (ret)
		return ret;
	ret = blob_wrap(p, n, program, "restore", err, err_len);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < st->nservices; i++) {
		const struct gate_snapshot_service *sv = &st->services[i];

		if (gate_host_state_named(sv->name, sv->name_len))
			host = sv;
	}
	ret = gate__snapshot_memory_fd(segs, host ? host->state : NULL, host ? host->state_len : 0,
				       memory_fd, err, err_len);
	if (ret) {
		gate_blob_free(*program);
		*program = NULL;
	}
	return ret;
}

GATE_API int gate_snapshot_open_parts(const uint8_t *snapshot, size_t len, gate_blob **out,
				      gate_blob **program, int32_t *memory_fd, char *err,
				      size_t err_len)
{
	struct gate_snapshot st;
	struct gate__smem_segs segs = { NULL, 0 };
	struct gate__ssec *secs = NULL;
	struct gate__sbuf b = { 0 };
	const struct gate__ssec *part[GATE__S_COUNT] = { 0 };
	uint32_t n = 0;
	int ret;

	if (out == NULL || (snapshot == NULL && len))
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot decode snapshot: no snapshot or no output");
	/* Memory stays in place as segments: only RESTORE's memfd needs it. */
	ret = gate__snapshot_decode_segs(snapshot, len, &st, &segs, err, err_len);
	if (ret)
		return ret;
	/* valid: the gate sections are where the decoder found them */
	ret = gate__ssec_split(snapshot, len, &secs, &n, "decode", err, err_len);
	if (ret)
		goto out_free;
	for (uint32_t i = 0; i < n; i++) {
		int g = secs[i].id ? GATE__S_NONE : gate__sgate_of(secs[i].name, secs[i].name_len);

		if (g >= 0 && g < GATE__S_COUNT)
			part[g] = &secs[i];
	}
	put32(&b, st.flags);
	put32(&b, st.trap);
	put32(&b, (uint32_t)st.result);
	gate__sbuf_put(&b, &st.monotonic, 8);
	for (int g = GATE__S_BUFFER; g <= GATE__S_STACK; g++) {
		const struct gate__ssec *s = part[g];

		put32(&b, s ? (uint32_t)s->body_len : 0);
		if (s)
			gate__sbuf_put(&b, snapshot + s->body, s->body_len);
	}
	if (b.oom) {
		gate__sbuf_free(&b);
		ret = gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot decode snapshot: out of memory");
		goto out_free;
	}
	if (program != NULL && memory_fd != NULL) {
		ret = restore_parts(snapshot, len, &st, &segs, program, memory_fd, err, err_len);
		if (ret) {
			gate__sbuf_free(&b);
			goto out_free;
		}
	}
	ret = blob_wrap(b.p, b.n, out, "decode", err, err_len);
	if (ret && program != NULL && memory_fd != NULL) {
		gate_blob_free(*program);
		*program = NULL;
		if (*memory_fd >= 0)
			close(*memory_fd);
		*memory_fd = -1;
	}
out_free:
	free(secs);
	free(segs.v);
	gate_snapshot_free(&st);
	return ret;
}
