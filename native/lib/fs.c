/*
 * The FS server object (docs/files.md): the program's descriptor table, its
 * preopens, and gate_fs_call(), which decodes one FS payload, runs the op
 * and encodes the FS_REPLY payload. Everything the instance sends is
 * untrusted: a malformed request is an errno reply, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../executor/protocol.h"
#include "error.h"
#include "fs.h"

GATE_API int gate_fs_new(struct gate_fs **out, char *err, size_t err_len)
{
	struct gate_fs *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot create filesystem: out of memory");
	fs->gate_fd = 4;
	*out = fs;
	return GATE_OK;
}

void gate__fs_file_free(struct gate__fs_file *f)
{
	if (f == NULL)
		return;
	close(f->fd);
	free(f->preopen);
	free(f);
}

GATE_API void gate_fs_free(struct gate_fs *fs)
{
	if (fs == NULL)
		return;
	for (uint32_t i = 0; i < fs->nfiles; i++)
		gate__fs_file_free(fs->files[i]);
	free(fs->files);
	free(fs);
}

/* Makes files[0..n) addressable. */
static bool grow(struct gate_fs *fs, uint32_t n)
{
	struct gate__fs_file **files;
	uint32_t cap;

	if (n <= fs->nfiles)
		return true;
	cap = fs->nfiles ? fs->nfiles : 16;
	while (cap < n)
		cap *= 2;
	files = realloc(fs->files, cap * sizeof(*files));
	if (files == NULL)
		return false;
	memset(files + fs->nfiles, 0, (cap - fs->nfiles) * sizeof(*files));
	fs->files = files;
	fs->nfiles = cap;
	return true;
}

GATE_API int gate_fs_preopen(struct gate_fs *fs, const char *host_path, const char *guest_path,
			     uint32_t flags, char *err, size_t err_len)
{
	struct gate__fs_file *f;
	struct stat st;
	uint32_t n;
	bool ro = flags & GATE_FS_READ_ONLY;

	if (fs == NULL || host_path == NULL || guest_path == NULL)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot preopen: missing argument");
	if (fs->started)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot preopen \"%s\": the filesystem already serves calls",
				    host_path);
	if (flags & ~(uint32_t)GATE_FS_READ_ONLY)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot preopen \"%s\": unknown flags 0x%x", host_path, flags);
	if (guest_path[0] == 0 || strlen(guest_path) > GATE__FS_PATH_MAX)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot preopen \"%s\": guest path must be 1 to %d bytes",
				    host_path, GATE__FS_PATH_MAX);
	if (fs->npreopens >= GATE__FS_MAX_PREOPENS)
		return gate__errorf(err, err_len, GATE_LIMIT,
				    "Cannot preopen \"%s\": more than %d directories", host_path,
				    GATE__FS_MAX_PREOPENS);
	n = 3 + fs->npreopens;
	if (!grow(fs, n + 2))
		goto out_of_memory;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto out_of_memory;
	f->preopen = strdup(guest_path);
	if (f->preopen == NULL)
		goto out_free_file;
	/* The host path is the user's choice: resolved normally. O_RDONLY, not
	 * O_PATH, so fd_readdir works on the preopen itself. */
	f->fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->fd < 0) {
		int e = errno;

		free(f->preopen);
		free(f);
		return gate__errorf(err, err_len, e == ENOMEM ? GATE_OUT_OF_MEMORY : GATE_IO,
				    "Cannot preopen \"%s\": %s", host_path, strerror(e));
	}
	if (fstat(f->fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
		gate__fs_file_free(f);
		return gate__errorf(err, err_len, GATE_IO, "Cannot preopen \"%s\": not a directory",
				    host_path);
	}
	f->filetype = W_FT_DIRECTORY;
	f->read_only = ro;
	f->rights = W_R_DIR & ~(ro ? (uint64_t)W_R_DIR_WRITE : 0);
	f->inheriting = (W_R_DIR | W_R_FILE) &
			~(ro ? (uint64_t)(W_R_DIR_WRITE | W_R_FILE_WRITE) : 0);
	fs->files[n] = f;
	fs->npreopens++;
	fs->open++;
	/* docs/protocol.md: the Gate fd follows the preopens. */
	fs->gate_fd = 3 + fs->npreopens > 4 ? 3 + fs->npreopens : 4;
	return GATE_OK;

out_free_file:
	free(f);
out_of_memory:
	return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY, "Cannot preopen \"%s\": out of memory",
			    host_path);
}

struct gate__fs_file *gate__fs_get(struct gate_fs *fs, uint64_t fd)
{
	if (fd >= fs->nfiles)
		return NULL;
	return fs->files[fd];
}

int64_t gate__fs_add(struct gate_fs *fs, struct gate__fs_file *f)
{
	uint32_t n;

	if (fs->open >= GATE__FS_MAX_FILES)
		return -W_EMFILE;
	for (n = fs->gate_fd + 1; n < fs->nfiles && fs->files[n]; n++)
		;
	if (!grow(fs, n + 1))
		return -W_ENOMEM;
	fs->files[n] = f;
	fs->open++;
	return n;
}

uint32_t gate__fs_close(struct gate_fs *fs, uint64_t fd)
{
	struct gate__fs_file *f = gate__fs_get(fs, fd);

	if (f == NULL)
		return W_EBADF;
	fs->files[fd] = NULL;
	fs->open--;
	gate__fs_file_free(f);
	return 0;
}

uint32_t gate__fs_renumber(struct gate_fs *fs, uint64_t from, uint64_t to)
{
	struct gate__fs_file *f = gate__fs_get(fs, from), *t = gate__fs_get(fs, to);

	/* As WASI implementations do: both must be open (to is replaced). */
	if (f == NULL || t == NULL)
		return W_EBADF;
	if (from == to)
		return 0;
	gate__fs_file_free(t);
	fs->files[to] = f;
	fs->files[from] = NULL;
	fs->open--;
	return 0;
}

GATE_API int64_t gate_fs_call(struct gate_fs *fs, const uint8_t *req, size_t req_len,
			      uint8_t *reply, size_t reply_cap)
{
	const struct gate__fs_shape *s;
	struct gate__fs_req q;
	struct gate__fs_res r = { 0 };
	gate__fs_op_fn fn;
	uint32_t err;
	size_t head;

	if (fs == NULL || (req == NULL && req_len != 0))
		return -GATE_INVALID_ARGUMENT;
	if (reply == NULL || reply_cap < GATE__FS_REPLY_MAX)
		return -GATE_BUFFER_TOO_SMALL;
	fs->started = true;
	err = gate__fs_decode(req ? req : (const uint8_t *)"", req_len, &q);
	if (err)
		goto out_errno;
	s = gate__fs_shape(q.op);
	head = 4 + 8u * s->nout + (s->data ? 4 : 0);
	r.data = reply + head;
	r.data_cap = GATE__FS_DATA_MAX;
	fn = q.op <= GATE_FS_FD_RENUMBER ? gate__fs_fd_op(q.op) : gate__fs_path_op(q.op);
	err = fn ? fn(fs, &q, &r) : W_ENOSYS;
	if (err)
		goto out_errno;
	gate__put32(reply, 0);
	if (s->nout)
		gate__fs_put64(reply + 4, r.out);
	if (s->data)
		gate__put32(reply + 4 + 8u * s->nout, r.data_len);
	return (int64_t)(head + (s->data ? r.data_len : 0));

out_errno:
	gate__put32(reply, err);
	return 4;
}
