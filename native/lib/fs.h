/*
 * The FS server inside libgate (docs/files.md): serves the FS frames of a
 * program's instance process (docs/protocol.md, "Programs") on preopened host
 * directories, with every path resolved beneath its directory.
 *
 *   fs.c        the object, the descriptor table, preopens, gate_fs_call
 *   fs_wire.c   request decoding and reply encoding, WASI structures (pure)
 *   fs_errno.c  Linux errno -> WASI errno (pure)
 *   fs_path.c   beneath resolution with openat2
 *   fs_ops.c    fd_* operations
 *   fs_ops_path.c  path_* operations
 */
#ifndef GATE_LIB_FS_H
#define GATE_LIB_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libgate.h"

/* WASI preview1 errno values (wasi_snapshot_preview1 `errno`). */
enum {
	W_SUCCESS = 0,
	W_E2BIG = 1,
	W_EACCES = 2,
	W_EAGAIN = 6,
	W_EBADF = 8,
	W_EBUSY = 10,
	W_EDQUOT = 19,
	W_EEXIST = 20,
	W_EFAULT = 21,
	W_EFBIG = 22,
	W_EILSEQ = 25,
	W_EINTR = 27,
	W_EINVAL = 28,
	W_EIO = 29,
	W_EISDIR = 31,
	W_ELOOP = 32,
	W_EMFILE = 33,
	W_EMLINK = 34,
	W_ENAMETOOLONG = 37,
	W_ENFILE = 41,
	W_ENODEV = 43,
	W_ENOENT = 44,
	W_ENOMEM = 48,
	W_ENOSPC = 51,
	W_ENOSYS = 52,
	W_ENOTDIR = 54,
	W_ENOTEMPTY = 55,
	W_ENOTSUP = 58,
	W_ENOTTY = 59,
	W_ENXIO = 60,
	W_EOVERFLOW = 61,
	W_EPERM = 63,
	W_EPIPE = 64,
	W_EROFS = 69,
	W_ESPIPE = 70,
	W_ETIMEDOUT = 73,
	W_ETXTBSY = 74,
	W_EXDEV = 75,
	W_ENOTCAPABLE = 76,
};

/* WASI filetype. */
enum {
	W_FT_UNKNOWN = 0,
	W_FT_BLOCK_DEVICE = 1,
	W_FT_CHARACTER_DEVICE = 2,
	W_FT_DIRECTORY = 3,
	W_FT_REGULAR_FILE = 4,
	W_FT_SOCKET_DGRAM = 5,
	W_FT_SOCKET_STREAM = 6,
	W_FT_SYMBOLIC_LINK = 7,
};

/* WASI fdflags, oflags, lookupflags, fstflags, whence. */
#define W_FDFLAG_APPEND 0x1
#define W_FDFLAG_DSYNC 0x2
#define W_FDFLAG_NONBLOCK 0x4
#define W_FDFLAG_RSYNC 0x8
#define W_FDFLAG_SYNC 0x10
#define W_OFLAG_CREAT 0x1
#define W_OFLAG_DIRECTORY 0x2
#define W_OFLAG_EXCL 0x4
#define W_OFLAG_TRUNC 0x8
#define W_LOOKUP_SYMLINK_FOLLOW 0x1
#define W_FST_ATIM 0x1
#define W_FST_ATIM_NOW 0x2
#define W_FST_MTIM 0x4
#define W_FST_MTIM_NOW 0x8

/* WASI rights. */
#define W_R_FD_DATASYNC (1ull << 0)
#define W_R_FD_READ (1ull << 1)
#define W_R_FD_SEEK (1ull << 2)
#define W_R_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define W_R_FD_SYNC (1ull << 4)
#define W_R_FD_TELL (1ull << 5)
#define W_R_FD_WRITE (1ull << 6)
#define W_R_FD_ADVISE (1ull << 7)
#define W_R_FD_ALLOCATE (1ull << 8)
#define W_R_PATH_CREATE_DIRECTORY (1ull << 9)
#define W_R_PATH_CREATE_FILE (1ull << 10)
#define W_R_PATH_LINK_SOURCE (1ull << 11)
#define W_R_PATH_LINK_TARGET (1ull << 12)
#define W_R_PATH_OPEN (1ull << 13)
#define W_R_FD_READDIR (1ull << 14)
#define W_R_PATH_READLINK (1ull << 15)
#define W_R_PATH_RENAME_SOURCE (1ull << 16)
#define W_R_PATH_RENAME_TARGET (1ull << 17)
#define W_R_PATH_FILESTAT_GET (1ull << 18)
#define W_R_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define W_R_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define W_R_FD_FILESTAT_GET (1ull << 21)
#define W_R_FD_FILESTAT_SET_SIZE (1ull << 22)
#define W_R_FD_FILESTAT_SET_TIMES (1ull << 23)
#define W_R_PATH_SYMLINK (1ull << 24)
#define W_R_PATH_REMOVE_DIRECTORY (1ull << 25)
#define W_R_PATH_UNLINK_FILE (1ull << 26)
#define W_R_POLL_FD_READWRITE (1ull << 27)

/* Rights a regular file can have, and those of them that change something. */
#define W_R_FILE                                                                         \
	(W_R_FD_DATASYNC | W_R_FD_READ | W_R_FD_SEEK | W_R_FD_FDSTAT_SET_FLAGS | W_R_FD_SYNC | \
	 W_R_FD_TELL | W_R_FD_WRITE | W_R_FD_ADVISE | W_R_FD_ALLOCATE | W_R_FD_FILESTAT_GET |    \
	 W_R_FD_FILESTAT_SET_SIZE | W_R_FD_FILESTAT_SET_TIMES | W_R_POLL_FD_READWRITE)
#define W_R_FILE_WRITE                                                             \
	(W_R_FD_DATASYNC | W_R_FD_WRITE | W_R_FD_ALLOCATE | W_R_FD_FILESTAT_SET_SIZE | \
	 W_R_FD_FILESTAT_SET_TIMES)
/* Rights a directory can have, and those of them that change something. */
#define W_R_DIR                                                                                \
	(W_R_FD_FDSTAT_SET_FLAGS | W_R_FD_SYNC | W_R_FD_ADVISE | W_R_PATH_CREATE_DIRECTORY |    \
	 W_R_PATH_CREATE_FILE | W_R_PATH_LINK_SOURCE | W_R_PATH_LINK_TARGET | W_R_PATH_OPEN |   \
	 W_R_FD_READDIR | W_R_PATH_READLINK | W_R_PATH_RENAME_SOURCE | W_R_PATH_RENAME_TARGET |  \
	 W_R_PATH_FILESTAT_GET | W_R_PATH_FILESTAT_SET_SIZE | W_R_PATH_FILESTAT_SET_TIMES |     \
	 W_R_FD_FILESTAT_GET | W_R_FD_FILESTAT_SET_TIMES | W_R_FD_DATASYNC | W_R_PATH_SYMLINK |  \
	 W_R_PATH_REMOVE_DIRECTORY | W_R_PATH_UNLINK_FILE)
#define W_R_DIR_WRITE                                                                         \
	(W_R_PATH_CREATE_DIRECTORY | W_R_PATH_CREATE_FILE | W_R_PATH_LINK_SOURCE |             \
	 W_R_PATH_LINK_TARGET | W_R_PATH_RENAME_SOURCE | W_R_PATH_RENAME_TARGET |              \
	 W_R_PATH_FILESTAT_SET_SIZE | W_R_PATH_FILESTAT_SET_TIMES | W_R_FD_FILESTAT_SET_TIMES | \
	 W_R_FD_DATASYNC | W_R_PATH_SYMLINK | W_R_PATH_REMOVE_DIRECTORY | W_R_PATH_UNLINK_FILE)

/* Bounds. */
#define GATE__FS_MAX_FILES 1024   /* open descriptors, preopens included: then EMFILE */
#define GATE__FS_MAX_PREOPENS 256 /* far more than a command line holds */
#define GATE__FS_DATA_MAX 60000   /* data per FS frame (docs/protocol.md) */
#define GATE__FS_PATH_MAX 4096    /* PATH_MAX: longer paths get ENAMETOOLONG */
/* The largest FS_REPLY payload: a frame less its header. */
#define GATE__FS_REPLY_MAX GATE_FS_REPLY_MAX

/* One open descriptor of the program. */
struct gate__fs_file {
	int fd;              /* host descriptor, O_CLOEXEC; O_PATH when no data access */
	uint8_t filetype;    /* W_FT_* */
	bool read_only;      /* from a read-only preopen: nothing may change through it */
	uint16_t fdflags;    /* W_FDFLAG_* as the program set them */
	uint64_t rights;     /* base rights */
	uint64_t inheriting; /* rights of descriptors opened through it */
	char *preopen;       /* guest path of a preopen, else NULL */
	uint64_t dir_cookie; /* fd_readdir: the cookie of the entry at the host position */
};

struct gate_fs {
	struct gate__fs_file **files; /* by guest descriptor number; NULL: free */
	uint32_t nfiles;              /* slots in files */
	uint32_t open;                /* descriptors open */
	uint32_t npreopens;
	uint32_t gate_fd; /* max(4, 3 + npreopens): never ours */
	bool started;     /* a call was served: no more preopens */
};

/* A decoded request. Buffers point into the request bytes. */
struct gate__fs_req {
	uint32_t op;
	uint64_t in[6];
	const uint8_t *buf[2];
	uint32_t len[2];
};

/* A reply being built: data points into the reply buffer, data_cap bytes. */
struct gate__fs_res {
	uint64_t out;
	uint8_t *data;
	uint32_t data_len;
	uint32_t data_cap;
};

/* Shape of an op's payloads (docs/protocol.md, FS op table). */
struct gate__fs_shape {
	uint8_t nin;   /* u64 scalars in */
	uint8_t nbufs; /* u32-len buffers in */
	uint8_t nout;  /* u64 scalars out (0 or 1) */
	bool data;     /* an output buffer follows */
};

/* fs_wire.c */
const struct gate__fs_shape *gate__fs_shape(uint32_t op);
/* Decodes req[0..len) into *q: 0, W_ENOSYS for an unknown op, W_EINVAL for
 * anything malformed (short, long, a buffer over its bound). */
uint32_t gate__fs_decode(const uint8_t *req, size_t len, struct gate__fs_req *q);
/* Writes the WASI structures (little-endian, WASI preview1 layout). */
void gate__fs_put_filestat(uint8_t out[64], uint64_t dev, uint64_t ino, uint8_t filetype,
			   uint64_t nlink, uint64_t size, uint64_t atim, uint64_t mtim,
			   uint64_t ctim);
void gate__fs_put_fdstat(uint8_t out[24], uint8_t filetype, uint16_t flags, uint64_t rights,
			 uint64_t inheriting);
void gate__fs_put_dirent(uint8_t out[24], uint64_t next, uint64_t ino, uint32_t namlen,
			 uint8_t filetype);
void gate__fs_put64(uint8_t *p, uint64_t v);

/* fs_errno.c: a Linux errno as a WASI errno (EIO for unknown ones). */
uint32_t gate__fs_errno(int e);
/* st_mode / d_type as a WASI filetype. */
uint8_t gate__fs_filetype_mode(unsigned mode);
uint8_t gate__fs_filetype_dtype(unsigned char d_type);

/* fs_path.c */
/* A path argument split for an op on its last component. */
struct gate__fs_path {
	char parent[GATE__FS_PATH_MAX + 1]; /* "." when none */
	char last[GATE__FS_PATH_MAX + 1];   /* never empty, never contains '/' */
	bool trailing_slash;                /* the path ended in '/': a directory */
};
/* Checks a path from a request (no NUL, not absolute, not empty, not too
 * long) and splits it. Returns 0 or a WASI errno. */
uint32_t gate__fs_path_split(const uint8_t *p, uint32_t len, struct gate__fs_path *out);
/* Copies a checked path (as above, not split) into a C string. */
uint32_t gate__fs_path_copy(const uint8_t *p, uint32_t len, char out[GATE__FS_PATH_MAX + 1]);
/* openat2(dirfd, path, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), with
 * O_CLOEXEC, retried on EAGAIN. Returns a descriptor or a negated WASI
 * errno; escapes are -W_ENOTCAPABLE. */
int gate__fs_open_beneath(int dirfd, const char *path, uint64_t flags, uint64_t mode);
/* Opens the parent directory of p beneath dirfd (O_PATH). Returns a
 * descriptor or a negated WASI errno. A last component of ".." is checked
 * to stay beneath too. */
int gate__fs_open_parent(int dirfd, const struct gate__fs_path *p);

/* fs.c */
struct gate__fs_file *gate__fs_get(struct gate_fs *fs, uint64_t fd);
/* Adds a file at the lowest free number above the Gate fd; takes f on
 * success. Returns the number or -W_EMFILE / -W_ENOMEM. */
int64_t gate__fs_add(struct gate_fs *fs, struct gate__fs_file *f);
void gate__fs_file_free(struct gate__fs_file *f);
uint32_t gate__fs_close(struct gate_fs *fs, uint64_t fd);
uint32_t gate__fs_renumber(struct gate_fs *fs, uint64_t from, uint64_t to);

/* fs_ops.c: fstat as a WASI filestat into data[0..64); WASI (atim, mtim,
 * fstflags) as utimensat's times. Shared with the path ops. */
struct timespec;
uint32_t gate__fs_stat_fd(int fd, uint8_t *data);
uint32_t gate__fs_times(uint64_t atim, uint64_t mtim, uint64_t fst, struct timespec ts[2]);

/* fs_ops.c, fs_ops_path.c: one handler per op; each returns a WASI errno and
 * fills r (out, data) on success. NULL for an op the file does not serve. */
typedef uint32_t (*gate__fs_op_fn)(struct gate_fs *fs, const struct gate__fs_req *q,
				   struct gate__fs_res *r);
gate__fs_op_fn gate__fs_fd_op(uint32_t op);
gate__fs_op_fn gate__fs_path_op(uint32_t op);

#endif
