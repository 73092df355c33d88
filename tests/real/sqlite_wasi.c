/* The two POSIX calls SQLite's shell.c links against that wasi-libc lacks.
 * Both fail with ENOSYS: the shell then reports realpath() and writefile()
 * with a mode as unsupported instead of linking an import from outside WASI. */
#include <errno.h>
#include <stddef.h>

#include "sqlite_wasi.h"

char *realpath(const char *restrict path, char *restrict resolved) {
  (void)path;
  (void)resolved;
  errno = ENOSYS;
  return NULL;
}

int chmod(const char *path, mode_t mode) {
  (void)path;
  (void)mode;
  errno = ENOSYS;
  return -1;
}
