/*
 * FS request decoding and WASI structure encoding (docs/protocol.md, "FS"):
 * pure code. The request comes from an untrusted instance process, so every
 * read goes through the bounds-checked gate__reader and anything that is not
 * exactly the op's shape is EINVAL.
 */
#include <string.h>

#include "../executor/protocol.h"
#include "fs.h"

/* Indexed by op (enum gate_fs_op); nin, nbufs, nout, data. */
static const struct gate__fs_shape shapes[GATE_FS_OP_COUNT] = {
	[GATE_FS_FD_CLOSE] = { 1, 0, 0, false },
	[GATE_FS_FD_READ] = { 2, 0, 0, true },
	[GATE_FS_FD_PREAD] = { 3, 0, 0, true },
	[GATE_FS_FD_WRITE] = { 1, 1, 1, false },
	[GATE_FS_FD_PWRITE] = { 2, 1, 1, false },
	[GATE_FS_FD_SEEK] = { 3, 0, 1, false },
	[GATE_FS_FD_TELL] = { 1, 0, 1, false },
	[GATE_FS_FD_FDSTAT_GET] = { 1, 0, 0, true },
	[GATE_FS_FD_FDSTAT_SET_FLAGS] = { 2, 0, 0, false },
	[GATE_FS_FD_FILESTAT_GET] = { 1, 0, 0, true },
	[GATE_FS_FD_FILESTAT_SET_SIZE] = { 2, 0, 0, false },
	[GATE_FS_FD_FILESTAT_SET_TIMES] = { 4, 0, 0, false },
	[GATE_FS_FD_PRESTAT_GET] = { 1, 0, 0, true },
	[GATE_FS_FD_PRESTAT_DIR_NAME] = { 2, 0, 0, true },
	[GATE_FS_FD_READDIR] = { 3, 0, 0, true },
	[GATE_FS_FD_SYNC] = { 1, 0, 0, false },
	[GATE_FS_FD_DATASYNC] = { 1, 0, 0, false },
	[GATE_FS_FD_ADVISE] = { 4, 0, 0, false },
	[GATE_FS_FD_ALLOCATE] = { 3, 0, 0, false },
	[GATE_FS_FD_RENUMBER] = { 2, 0, 0, false },
	[GATE_FS_PATH_OPEN] = { 6, 1, 1, false },
	[GATE_FS_PATH_FILESTAT_GET] = { 2, 1, 0, true },
	[GATE_FS_PATH_FILESTAT_SET_TIMES] = { 5, 1, 0, false },
	[GATE_FS_PATH_CREATE_DIRECTORY] = { 1, 1, 0, false },
	[GATE_FS_PATH_REMOVE_DIRECTORY] = { 1, 1, 0, false },
	[GATE_FS_PATH_UNLINK_FILE] = { 1, 1, 0, false },
	[GATE_FS_PATH_RENAME] = { 2, 2, 0, false },
	[GATE_FS_PATH_READLINK] = { 2, 1, 0, true },
	[GATE_FS_PATH_SYMLINK] = { 1, 2, 0, false },
	[GATE_FS_PATH_LINK] = { 3, 2, 0, false },
};

const struct gate__fs_shape *gate__fs_shape(uint32_t op)
{
	if (op == 0 || op >= GATE_FS_OP_COUNT)
		return NULL;
	return &shapes[op];
}

void gate__fs_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

uint32_t gate__fs_decode(const uint8_t *req, size_t len, struct gate__fs_req *q)
{
	struct gate__reader r = gate__reader(req, len);
	const struct gate__fs_shape *s;

	memset(q, 0, sizeof(*q));
	q->op = gate__read32(&r);
	if (!r.ok)
		return W_EINVAL;
	s = gate__fs_shape(q->op);
	if (s == NULL)
		return W_ENOSYS;
	for (unsigned i = 0; i < s->nin; i++) {
		const uint8_t *p = gate__read(&r, 8);

		if (p)
			memcpy(&q->in[i], p, 8);
	}
	for (unsigned i = 0; i < s->nbufs; i++) {
		q->len[i] = gate__read32(&r);
		/* Bounded before reading: no buffer of any op is larger. */
		if (q->len[i] > GATE__FS_DATA_MAX)
			return W_EINVAL;
		q->buf[i] = gate__read(&r, q->len[i]);
	}
	if (!r.ok || r.left != 0)
		return W_EINVAL;
	return 0;
}

void gate__fs_put_filestat(uint8_t out[64], uint64_t dev, uint64_t ino, uint8_t filetype,
			   uint64_t nlink, uint64_t size, uint64_t atim, uint64_t mtim,
			   uint64_t ctim)
{
	memset(out, 0, 64);
	gate__fs_put64(out + 0, dev);
	gate__fs_put64(out + 8, ino);
	out[16] = filetype;
	gate__fs_put64(out + 24, nlink);
	gate__fs_put64(out + 32, size);
	gate__fs_put64(out + 40, atim);
	gate__fs_put64(out + 48, mtim);
	gate__fs_put64(out + 56, ctim);
}

void gate__fs_put_fdstat(uint8_t out[24], uint8_t filetype, uint16_t flags, uint64_t rights,
			 uint64_t inheriting)
{
	memset(out, 0, 24);
	out[0] = filetype;
	gate__put16(out + 2, flags);
	gate__fs_put64(out + 8, rights);
	gate__fs_put64(out + 16, inheriting);
}

void gate__fs_put_dirent(uint8_t out[24], uint64_t next, uint64_t ino, uint32_t namlen,
			 uint8_t filetype)
{
	memset(out, 0, 24);
	gate__fs_put64(out + 0, next);
	gate__fs_put64(out + 8, ino);
	gate__put32(out + 16, namlen);
	out[20] = filetype;
}
