/*
 * Linux errno and file types as WASI preview1 values (pure). The numbers
 * differ (Linux ENOENT is 2, WASI's is 44), so every errno the FS server
 * returns goes through this table.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "fs.h"

uint32_t gate__fs_errno(int e)
{
	switch (e) {
	case 0:
		return W_SUCCESS;
	case E2BIG:
		return W_E2BIG;
	case EACCES:
		return W_EACCES;
	case EAGAIN:
		return W_EAGAIN;
	case EBADF:
		return W_EBADF;
	case EBUSY:
		return W_EBUSY;
	case EDQUOT:
		return W_EDQUOT;
	case EEXIST:
		return W_EEXIST;
	case EFAULT:
		return W_EFAULT;
	case EFBIG:
		return W_EFBIG;
	case EILSEQ:
		return W_EILSEQ;
	case EINTR:
		return W_EINTR;
	case EINVAL:
		return W_EINVAL;
	case EIO:
		return W_EIO;
	case EISDIR:
		return W_EISDIR;
	case ELOOP:
		return W_ELOOP;
	case EMFILE:
		return W_EMFILE;
	case EMLINK:
		return W_EMLINK;
	case ENAMETOOLONG:
		return W_ENAMETOOLONG;
	case ENFILE:
		return W_ENFILE;
	case ENODEV:
		return W_ENODEV;
	case ENOENT:
		return W_ENOENT;
	case ENOMEM:
		return W_ENOMEM;
	case ENOSPC:
		return W_ENOSPC;
	case ENOSYS:
		return W_ENOSYS;
	case ENOTDIR:
		return W_ENOTDIR;
	case ENOTEMPTY:
		return W_ENOTEMPTY;
	case EOPNOTSUPP:
		return W_ENOTSUP;
	case ENOTTY:
		return W_ENOTTY;
	case ENXIO:
		return W_ENXIO;
	case EOVERFLOW:
		return W_EOVERFLOW;
	case EPERM:
		return W_EPERM;
	case EPIPE:
		return W_EPIPE;
	case EROFS:
		return W_EROFS;
	case ESPIPE:
		return W_ESPIPE;
	case ETIMEDOUT:
		return W_ETIMEDOUT;
	case ETXTBSY:
		return W_ETXTBSY;
	/* RESOLVE_BENEATH refuses an absolute path, a ".." above the
	 * directory or a symlink leading out with EXDEV: an escape. */
	case EXDEV:
		return W_ENOTCAPABLE;
	}
	return W_EIO;
}

uint8_t gate__fs_filetype_mode(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFBLK:
		return W_FT_BLOCK_DEVICE;
	case S_IFCHR:
		return W_FT_CHARACTER_DEVICE;
	case S_IFDIR:
		return W_FT_DIRECTORY;
	case S_IFREG:
		return W_FT_REGULAR_FILE;
	case S_IFSOCK:
		return W_FT_SOCKET_STREAM;
	case S_IFLNK:
		return W_FT_SYMBOLIC_LINK;
	}
	return W_FT_UNKNOWN; /* FIFOs have no WASI type */
}

uint8_t gate__fs_filetype_dtype(unsigned char d_type)
{
	switch (d_type) {
	case DT_BLK:
		return W_FT_BLOCK_DEVICE;
	case DT_CHR:
		return W_FT_CHARACTER_DEVICE;
	case DT_DIR:
		return W_FT_DIRECTORY;
	case DT_REG:
		return W_FT_REGULAR_FILE;
	case DT_SOCK:
		return W_FT_SOCKET_STREAM;
	case DT_LNK:
		return W_FT_SYMBOLIC_LINK;
	}
	return W_FT_UNKNOWN;
}
