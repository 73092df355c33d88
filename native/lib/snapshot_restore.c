/*
 * What restoring a snapshot needs besides gate_snapshot_open()'s blob
 * (libgate.h, gate_snapshot_open_parts): the program module, which is the
 * snapshot without its memory, and the memory in a sealed memfd that the
 * instance process reads with RESTORE (docs/protocol.md).
 *
 * Compiling the snapshot as it is put all of memory through the compiler,
 * the image and instantiation: 15 ms per MB, and past the instance's 1 GiB
 * heap the image could not load at all. Without its memory the module is
 * the program's code, globals and tables; the memory goes from the memfd
 * into linear memory in one copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../libgate.h"
#include "../snapshot/snapshot_internal.h"
#include "../wasm/leb128.h"
#include "error.h"
#include "snapshot_restore.h"

#define SEC_DATA 11
#define SEC_DATACOUNT 12

/* Skips a constant expression (the snapshot is valid: its forms are). */
static bool skip_expr(struct gate__reader *r)
{
	for (;;) {
		uint8_t op;
		int64_t s;
		uint32_t u;

		if (gate__read_u8(r, &op))
			return false;
		switch (op) {
		case 0x0b: /* end */
			return true;
		case 0x41: /* i32.const */
			if (gate__leb_s(r, 32, &s))
				return false;
			break;
		case 0x42: /* i64.const */
			if (gate__leb_s(r, 64, &s))
				return false;
			break;
		case 0x23: /* global.get */
			if (gate__read_u32(r, &u))
				return false;
			break;
		case 0x6a: /* extended constants: i32.add, sub, mul; i64 the same */
		case 0x6b:
		case 0x6c:
		case 0x7c:
		case 0x7d:
		case 0x7e:
			break;
		default:
			return false;
		}
	}
}

/* Skips one data segment. */
static bool skip_data(struct gate__reader *r)
{
	uint32_t flags, x, n;

	if (gate__read_u32(r, &flags) || flags > 2)
		return false;
	if (flags == 2 && gate__read_u32(r, &x))
		return false;
	if (flags != 1 && !skip_expr(r))
		return false;
	if (gate__read_u32(r, &n) || n > gate__left(r))
		return false;
	r->p += n;
	return true;
}

static void put_section(struct gate__sbuf *b, uint8_t id, const uint8_t *p, size_t n)
{
	gate__sbuf_u8(b, id);
	gate__sbuf_u32(b, (uint32_t)n);
	gate__sbuf_put(b, p, n);
}

int gate__snapshot_program(const uint8_t *snap, size_t len, uint32_t ndata, uint8_t **out,
			   size_t *out_len, char *err, size_t err_len)
{
	struct gate__ssec *secs = NULL;
	struct gate__sbuf b = { 0 }, data = { 0 };
	uint32_t n = 0;
	int ret;

	ret = gate__ssec_split(snap, len, &secs, &n, "restore", err, err_len);
	if (ret)
		return ret;
	gate__sbuf_put(&b, snap, 8);
	for (uint32_t i = 0; i < n && ret == 0; i++) {
		const struct gate__ssec *s = &secs[i];

		if (s->id == 0 && gate__sgate_of(s->name, s->name_len) != GATE__S_NONE)
			continue; /* gate.*: the state, which RESTORE and RESUME carry */
		if (s->id == SEC_DATACOUNT) {
			uint8_t leb[5];

			put_section(&b, SEC_DATACOUNT, leb, gate__leb_put_u64(leb, ndata));
		} else if (s->id == SEC_DATA) {
			struct gate__reader r = { snap + s->off, snap + s->off + s->len, snap + s->off };
			const uint8_t *segs;
			uint32_t count;

			/* the program's segments come first; then memory's */
			if (gate__read_u32(&r, &count) || count < ndata) {
				ret = GATE_MALFORMED;
				break;
			}
			segs = r.p;
			for (uint32_t k = 0; k < ndata && ret == 0; k++)
				if (!skip_data(&r))
					ret = GATE_MALFORMED;
			if (ret)
				break;
			/* the new count, then the program's segments as they are */
			gate__sbuf_u32(&data, ndata);
			gate__sbuf_put(&data, segs, (size_t)(r.p - segs));
			put_section(&b, SEC_DATA, data.p, data.n);
		} else {
			gate__sbuf_put(&b, snap + s->start, s->off + s->len - s->start);
		}
	}
	free(secs);
	gate__sbuf_free(&data);
	if (ret == 0 && b.oom)
		ret = GATE_OUT_OF_MEMORY;
	if (ret) {
		gate__sbuf_free(&b);
		return gate__errorf(err, err_len, ret,
				    ret == GATE_OUT_OF_MEMORY
					    ? "Cannot restore snapshot: out of memory"
					    : "Cannot restore snapshot: malformed data section");
	}
	*out = b.p;
	*out_len = b.n;
	return GATE_OK;
}

/* Writes p[0..n) to fd; false on an error. */
static bool put_all(int fd, const void *p, uint64_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t k = write(fd, q, n < (1u << 30) ? (size_t)n : (1u << 30));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		q += k;
		n -= (uint64_t)k;
	}
	return true;
}

int gate__snapshot_memory_fd(const struct gate__smem_segs *segs, const uint8_t *host,
			     uint32_t host_len, int32_t *fd_out, char *err, size_t err_len)
{
	uint64_t end[2] = { 0, 0 };
	bool ok = true;
	int fd;

	*fd_out = -1;
	if (segs->n == 0 && host_len == 0)
		return GATE_OK;
	fd = memfd_create("gate-memory", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return gate__errorf(err, err_len, GATE_IO,
				    "Cannot restore snapshot: cannot create a memfd: %s",
				    strerror(errno));
	/* Straight from the snapshot's segments: the encoder already left
	 * out the zero pages, and copying memory out first cost a page fault
	 * per page (docs/performance.md, "Snapshots"). */
	for (uint32_t i = 0; ok && i < segs->n; i++) {
		uint64_t hdr[2] = { segs->v[i].at, segs->v[i].len };

		ok = put_all(fd, hdr, sizeof hdr) && put_all(fd, segs->v[i].bytes, hdr[1]);
	}
	ok = ok && put_all(fd, end, sizeof end) && put_all(fd, &host_len, 4) &&
	     put_all(fd, host, host_len) &&
	     fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
	if (!ok) {
		int saved = errno;

		close(fd);
		return gate__errorf(err, err_len, GATE_IO,
				    "Cannot restore snapshot: cannot write its memory to a memfd: %s",
				    strerror(saved));
	}
	*fd_out = fd;
	return GATE_OK;
}
