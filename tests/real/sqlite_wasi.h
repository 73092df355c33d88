/* Declarations that SQLite's shell.c expects from <stdlib.h> and <sys/stat.h>
 * and that wasi-libc leaves out (WASI has no absolute paths and no file modes).
 * Force-included into shell.c by tests/real/sqlite.ts; sqlite_wasi.c defines
 * them. */
#include <sys/types.h>

char *realpath(const char *restrict path, char *restrict resolved);
int chmod(const char *path, mode_t mode);
