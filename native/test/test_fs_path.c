/* The path_* ops of the FS server and every escape attempt we know of. */
#include <errno.h>

#include "test.h"
#include "test_fs_util.h"

#define CHECK_OK(call)                  \
	do {                            \
		uint32_t _err = (call); \
		CHECK_EQ(_err, 0);      \
	} while (0)

TEST(fs_path_open_create_excl_trunc_directory)
{
	struct fx *f = fx_new();

	CHECK_EQ(fx_open(f, 3, "new.txt", 0, R_RW, 0), W_ENOENT);
	CHECK_OK(fx_open(f, 3, "new.txt", W_OFLAG_CREAT, R_RW, 0));
	CHECK_OK(fx_write_fd(f, f->out, "abc"));
	CHECK_EQ(fx_open(f, 3, "new.txt", W_OFLAG_CREAT | W_OFLAG_EXCL, R_RW, 0), W_EEXIST);
	CHECK_OK(fx_open(f, 3, "new.txt", W_OFLAG_TRUNC, R_RW, 0));
	CHECK_OK(fx_read(f, f->out, 10));
	CHECK_EQ(f->data_len, 0);
	CHECK_EQ(fx_open(f, 3, "a.txt", W_OFLAG_DIRECTORY, R_READ, 0), W_ENOTDIR);
	CHECK_EQ(fx_open(f, 3, "a.txt/", 0, R_READ, 0), W_ENOTDIR);
	CHECK_OK(fx_open(f, 3, "d/", 0, R_READ, 0));
	CHECK_OK(fx_open(f, 3, "./d/../a.txt", 0, R_READ, 0));
	CHECK_OK(fx_open(f, 3, ".", W_OFLAG_DIRECTORY, R_READ, 0));
	CHECK_EQ(fx_open(f, 3, "", 0, R_READ, 0), W_ENOENT);
	CHECK_EQ(fx_open(f, 3, "a.txt", 0x10, R_READ, 0), W_EINVAL);
	CHECK_EQ(fx_open(f, 3, "a.txt", 0, R_READ, W_FDFLAG_DSYNC), W_ENOTSUP);
	CHECK_EQ(fx_open(f, 3, "a.txt", 0, R_READ, 0x40), W_EINVAL);
	CHECK_EQ(fx_open(f, 5, "a.txt", 0, R_READ, 0), W_EBADF);   /* the Gate fd */
	CHECK_EQ(fx_open(f, 99, "a.txt", 0, R_READ, 0), W_EBADF);
	{
		char nul[] = { 'a', 0, 'b' };

		q_op(f, GATE_FS_PATH_OPEN);
		for (int i = 0; i < 6; i++)
			q_u64(f, i == 0 ? 3 : 0);
		q_buf(f, nul, 3);
		CHECK_EQ(fx_send(f), W_EINVAL);
	}
	/* opened through a file: ENOTDIR */
	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_READ, 0));
	CHECK_EQ(fx_open(f, (uint32_t)f->out, "x", 0, R_READ, 0), W_ENOTDIR);
	/* a directory fd opened from the preopen works as a base */
	CHECK_OK(fx_open(f, 3, "d", W_OFLAG_DIRECTORY, ~(uint64_t)0, 0));
	CHECK_OK(fx_open(f, (uint32_t)f->out, "in-d.txt", W_OFLAG_CREAT, R_RW, 0));
	CHECK(fx_exists(f->tmp, "root/d/in-d.txt"));
	fx_free(f);
}

TEST(fs_path_filestat_get_and_set_times)
{
	struct fx *f = fx_new();
	uint64_t v;

	fx_symlink(f->tmp, "a.txt", "root/link");
	CHECK_OK(fx_stat(f, 3, 0, "a.txt"));
	CHECK_EQ(f->data[16], W_FT_REGULAR_FILE);
	memcpy(&v, f->data + 32, 8);
	CHECK_EQ(v, 5);
	CHECK_OK(fx_stat(f, 3, 0, "link"));
	CHECK_EQ(f->data[16], W_FT_SYMBOLIC_LINK);
	CHECK_OK(fx_stat(f, 3, W_LOOKUP_SYMLINK_FOLLOW, "link"));
	CHECK_EQ(f->data[16], W_FT_REGULAR_FILE);
	CHECK_OK(fx_stat(f, 3, 0, "d"));
	CHECK_EQ(f->data[16], W_FT_DIRECTORY);
	CHECK_OK(fx_stat(f, 3, 0, "."));
	CHECK_EQ(fx_stat(f, 3, 0, "nope"), W_ENOENT);
	CHECK_EQ(fx_stat(f, 3, 2, "a.txt"), W_EINVAL);
	q_op(f, GATE_FS_PATH_FILESTAT_SET_TIMES);
	q_u64(f, 3);
	q_u64(f, 0);
	q_u64(f, 0);
	q_u64(f, 1000000000ull * 3000);
	q_u64(f, W_FST_MTIM | W_FST_ATIM_NOW);
	q_str(f, "a.txt");
	CHECK_OK(fx_send(f));
	CHECK_OK(fx_stat(f, 3, 0, "a.txt"));
	memcpy(&v, f->data + 48, 8);
	CHECK_EQ(v, 1000000000ull * 3000);
	q_op(f, GATE_FS_PATH_FILESTAT_SET_TIMES);
	q_u64(f, 3);
	q_u64(f, 0);
	q_u64(f, 0);
	q_u64(f, 0);
	q_u64(f, W_FST_MTIM | W_FST_MTIM_NOW);
	q_str(f, "a.txt");
	CHECK_EQ(fx_send(f), W_EINVAL);
	fx_free(f);
}

TEST(fs_path_create_remove_unlink_rename_readlink)
{
	struct fx *f = fx_new();

	CHECK_OK(fx_path1(f, GATE_FS_PATH_CREATE_DIRECTORY, 3, "n"));
	CHECK(fx_exists(f->tmp, "root/n"));
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_CREATE_DIRECTORY, 3, "n"), W_EEXIST);
	CHECK_OK(fx_path1(f, GATE_FS_PATH_CREATE_DIRECTORY, 3, "n/m/"));
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_REMOVE_DIRECTORY, 3, "n"), W_ENOTEMPTY);
	CHECK_OK(fx_path1(f, GATE_FS_PATH_REMOVE_DIRECTORY, 3, "n/m"));
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_REMOVE_DIRECTORY, 3, "a.txt"), W_ENOTDIR);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "n"), W_EISDIR);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "n/"), W_EISDIR);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "a.txt/"), W_ENOTDIR);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_REMOVE_DIRECTORY, 3, "."), W_EINVAL);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_REMOVE_DIRECTORY, 3, ".."), W_ENOTCAPABLE);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "d/../.."), W_ENOTCAPABLE);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_CREATE_DIRECTORY, 3, ""), W_ENOENT);
	CHECK_OK(fx_path1(f, GATE_FS_PATH_REMOVE_DIRECTORY, 3, "n/"));
	CHECK(!fx_exists(f->tmp, "root/n"));
	CHECK_OK(fx_rename(f, 3, "a.txt", 3, "d/b.txt"));
	CHECK(fx_exists(f->tmp, "root/d/b.txt") && !fx_exists(f->tmp, "root/a.txt"));
	CHECK_EQ(fx_rename(f, 3, "d/b.txt/", 3, "c"), W_ENOTDIR);
	CHECK_EQ(fx_rename(f, 3, "nope", 3, "c"), W_ENOENT);
	CHECK_EQ(fx_rename(f, 3, "d/b.txt", 5, "c"), W_EBADF);
	CHECK_OK(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "d/b.txt"));
	CHECK(!fx_exists(f->tmp, "root/d/b.txt"));
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "d/b.txt"), W_ENOENT);
	/* readlink: the link's text, cut to max */
	fx_symlink(f->tmp, "target/of/link", "root/l");
	q_op(f, GATE_FS_PATH_READLINK);
	q_u64(f, 3);
	q_u64(f, 100);
	q_str(f, "l");
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 14);
	CHECK(memcmp(f->data, "target/of/link", 14) == 0);
	q_op(f, GATE_FS_PATH_READLINK);
	q_u64(f, 3);
	q_u64(f, 6);
	q_str(f, "l");
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 6);
	q_op(f, GATE_FS_PATH_READLINK);
	q_u64(f, 3);
	q_u64(f, 100);
	q_str(f, "d");
	CHECK_EQ(fx_send(f), W_EINVAL);
	/* unlinking a link removes the link, not its target */
	fx_symlink(f->tmp, "../outside/secret.txt", "root/out");
	CHECK_OK(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "out"));
	CHECK(fx_exists(f->tmp, "outside/secret.txt"));
	fx_free(f);
}

TEST(fs_path_symlink_and_link_are_refused)
{
	struct fx *f = fx_new();

	q_op(f, GATE_FS_PATH_SYMLINK);
	q_u64(f, 3);
	q_str(f, "a.txt");
	q_str(f, "s");
	CHECK_EQ(fx_send(f), W_EPERM);
	q_op(f, GATE_FS_PATH_LINK);
	q_u64(f, 3);
	q_u64(f, 0);
	q_u64(f, 3);
	q_str(f, "a.txt");
	q_str(f, "h");
	CHECK_EQ(fx_send(f), W_EPERM);
	CHECK(!fx_exists(f->tmp, "root/s") && !fx_exists(f->tmp, "root/h"));
	fx_free(f);
}

TEST(fs_read_only_preopen_refuses_every_mutation)
{
	struct fx *f = fx_new();
	uint64_t rights;

	q_op(f, GATE_FS_FD_FDSTAT_GET);
	q_u64(f, 4);
	CHECK_OK(fx_send(f));
	memcpy(&rights, f->data + 8, 8);
	CHECK(rights & W_R_PATH_OPEN);
	CHECK(!(rights & W_R_PATH_CREATE_FILE));
	memcpy(&rights, f->data + 16, 8);
	CHECK(rights & W_R_FD_READ);
	CHECK(!(rights & W_R_FD_WRITE));
	CHECK_OK(fx_open(f, 4, "r.txt", 0, R_READ, 0));
	CHECK_OK(fx_read(f, f->out, 100));
	CHECK_EQ(f->data_len, 7);
	CHECK_EQ(fx_open(f, 4, "r.txt", 0, R_RW, 0), W_ENOTCAPABLE);
	CHECK_EQ(fx_open(f, 4, "r.txt", W_OFLAG_TRUNC, R_READ, 0), W_ENOTCAPABLE);
	CHECK_EQ(fx_open(f, 4, "n.txt", W_OFLAG_CREAT, R_READ, 0), W_ENOTCAPABLE);
	CHECK_EQ(fx_open(f, 4, "r.txt", 0, R_READ, W_FDFLAG_APPEND), W_ENOTCAPABLE);
	/* wasi-libc's broad mask: write rights not asked, so opened read-only */
	CHECK_OK(fx_open(f, 4, "r.txt", 0, ~(uint64_t)(W_R_FILE_WRITE), 0));
	{
		uint64_t fd = f->out;

		CHECK_EQ(fx_write_fd(f, fd, "x"), W_ENOTCAPABLE);
		q_op(f, GATE_FS_FD_FILESTAT_SET_SIZE);
		q_u64(f, fd);
		q_u64(f, 0);
		CHECK_EQ(fx_send(f), W_ENOTCAPABLE);
		q_op(f, GATE_FS_FD_FILESTAT_SET_TIMES);
		q_u64(f, fd);
		q_u64(f, 0);
		q_u64(f, 0);
		q_u64(f, W_FST_ATIM_NOW);
		CHECK_EQ(fx_send(f), W_ENOTCAPABLE);
		q_op(f, GATE_FS_FD_ALLOCATE);
		q_u64(f, fd);
		q_u64(f, 0);
		q_u64(f, 1);
		CHECK_EQ(fx_send(f), W_ENOTCAPABLE);
		q_op(f, GATE_FS_FD_FDSTAT_SET_FLAGS);
		q_u64(f, fd);
		q_u64(f, W_FDFLAG_APPEND);
		CHECK_EQ(fx_send(f), W_ENOTCAPABLE);
	}
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_CREATE_DIRECTORY, 4, "x"), W_ENOTCAPABLE);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 4, "r.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_REMOVE_DIRECTORY, 4, "."), W_ENOTCAPABLE);
	CHECK_EQ(fx_rename(f, 4, "r.txt", 4, "s.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_rename(f, 4, "r.txt", 3, "stolen.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_rename(f, 3, "a.txt", 4, "planted.txt"), W_ENOTCAPABLE);
	q_op(f, GATE_FS_PATH_FILESTAT_SET_TIMES);
	q_u64(f, 4);
	q_u64(f, 0);
	q_u64(f, 0);
	q_u64(f, 0);
	q_u64(f, W_FST_MTIM_NOW);
	q_str(f, "r.txt");
	CHECK_EQ(fx_send(f), W_ENOTCAPABLE);
	/* a directory opened through it is read-only too */
	CHECK_OK(fx_open(f, 4, ".", W_OFLAG_DIRECTORY, ~(uint64_t)W_R_FILE_WRITE, 0));
	CHECK_EQ(fx_open(f, (uint32_t)f->out, "n.txt", W_OFLAG_CREAT, R_READ, 0), W_ENOTCAPABLE);
	CHECK(fx_exists(f->tmp, "ro/r.txt") && !fx_exists(f->tmp, "ro/n.txt"));
	fx_free(f);
}

/* Every way out we know of: all end in ENOTCAPABLE (or ELOOP/ENOENT), and
 * nothing outside is read, created or removed. */
TEST(fs_escapes_are_refused)
{
	struct fx *f = fx_new();
	static const char *paths[] = {
		"..",
		"../outside/secret.txt",
		"d/../../outside/secret.txt",
		"d/../d/../../outside/secret.txt",
		"./../root/../outside/secret.txt",
		"up/secret.txt",        /* symlink "up" -> ../outside */
		"abs/secret.txt",       /* symlink "abs" -> <tmp>/outside */
		"absfile",              /* symlink -> <tmp>/outside/secret.txt */
		"chain1",               /* chain1 -> chain2 -> chain3 -> ../outside/secret.txt */
		"d/deep",               /* d/deep -> ../../outside/secret.txt */
		"slash/etc/passwd",     /* slash -> / */
		"procroot/etc/passwd",  /* procroot -> /proc/self/root */
	};
	char target[256];
	uint32_t e;

	fx_symlink(f->tmp, "../outside", "root/up");
	snprintf(target, sizeof(target), "%s/outside", f->tmp);
	fx_symlink(f->tmp, target, "root/abs");
	snprintf(target, sizeof(target), "%s/outside/secret.txt", f->tmp);
	fx_symlink(f->tmp, target, "root/absfile");
	fx_symlink(f->tmp, "chain2", "root/chain1");
	fx_symlink(f->tmp, "d/chain3", "root/chain2");
	fx_symlink(f->tmp, "../../outside/secret.txt", "root/d/chain3");
	fx_symlink(f->tmp, "../../outside/secret.txt", "root/d/deep");
	fx_symlink(f->tmp, "/", "root/slash");
	fx_symlink(f->tmp, "/proc/self/root", "root/procroot");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		e = fx_open(f, 3, paths[i], 0, R_READ, 0);
		if (e != W_ENOTCAPABLE)
			fprintf(stderr, "  open %s: %u\n", paths[i], e);
		CHECK_EQ(e, W_ENOTCAPABLE);
		e = fx_stat(f, 3, W_LOOKUP_SYMLINK_FOLLOW, paths[i]);
		CHECK_EQ(e, W_ENOTCAPABLE);
		e = fx_path1(f, GATE_FS_PATH_CREATE_DIRECTORY, 3, paths[i]);
		CHECK(e != 0);
	}
	/* readlink resolves the parent beneath too */
	q_op(f, GATE_FS_PATH_READLINK);
	q_u64(f, 3);
	q_u64(f, 100);
	q_str(f, "up/secret.txt");
	CHECK_EQ(fx_send(f), W_ENOTCAPABLE);
	/* absolute paths */
	CHECK_EQ(fx_open(f, 3, "/etc/passwd", 0, R_READ, 0), W_ENOTCAPABLE);
	CHECK_EQ(fx_stat(f, 3, 0, "/"), W_ENOTCAPABLE);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "/tmp/x"), W_ENOTCAPABLE);
	/* through a symlinked parent: create, remove, rename */
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_CREATE_DIRECTORY, 3, "up/made"), W_ENOTCAPABLE);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "up/secret.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, 3, "abs/secret.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_rename(f, 3, "up/secret.txt", 3, "got.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_rename(f, 3, "a.txt", 3, "up/planted.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_rename(f, 3, "a.txt", 3, "../planted.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_open(f, 3, "up/new.txt", W_OFLAG_CREAT, R_RW, 0), W_ENOTCAPABLE);
	/* without SYMLINK_FOLLOW a final link is not followed: ELOOP */
	CHECK_EQ(fx_open_nofollow(f, 3, "absfile"), W_ELOOP);
	CHECK(fx_exists(f->tmp, "outside/secret.txt"));
	CHECK(!fx_exists(f->tmp, "outside/made") && !fx_exists(f->tmp, "outside/new.txt"));
	CHECK(!fx_exists(f->tmp, "planted.txt") && !fx_exists(f->tmp, "outside/planted.txt"));
	/* a symlink loop is ELOOP, not an escape */
	fx_symlink(f->tmp, "loop2", "root/loop1");
	fx_symlink(f->tmp, "loop1", "root/loop2");
	CHECK_EQ(fx_open(f, 3, "loop1", 0, R_READ, 0), W_ELOOP);
	/* a symlink that stays inside works */
	fx_symlink(f->tmp, "d/../a.txt", "root/inside");
	CHECK_OK(fx_open(f, 3, "inside", 0, R_READ, 0));
	fx_free(f);
}

/* With /proc inside the preopen, its magic links still lead nowhere. */
TEST(fs_magic_links_are_refused)
{
	struct gate_fs *fs;
	char err[128];
	struct fx *f = fx_new();
	static const char *paths[] = { "proc/self/root/etc/passwd", "proc/self/cwd",
				       "proc/self/fd/0", "proc/1/root" };

	CHECK_EQ(gate_fs_new(&fs, err, sizeof(err)), GATE_OK);
	CHECK_EQ(gate_fs_preopen(fs, "/", "/", GATE_FS_READ_ONLY, err, sizeof(err)), GATE_OK);
	gate_fs_free(f->fs);
	f->fs = fs;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		uint32_t e = fx_open(f, 3, paths[i], 0, R_READ, 0);

		if (e != W_ENOTCAPABLE && e != W_EACCES && e != W_ENOENT)
			fprintf(stderr, "  %s: %u\n", paths[i], e);
		CHECK(e == W_ENOTCAPABLE || e == W_EACCES || e == W_ENOENT);
	}
	CHECK_EQ(fx_open(f, 3, "proc/self/root/etc/passwd", 0, R_READ, 0), W_ENOTCAPABLE);
	/* the plain path is fine: the preopen is "/" */
	CHECK_OK(fx_open(f, 3, "etc/passwd", 0, R_READ, 0));
	fx_free(f);
}

TEST(fs_directory_renamed_during_use)
{
	struct fx *f = fx_new();
	char from[256], to[256];
	uint64_t d;

	fx_mkdir(f->tmp, "root/d/e");
	fx_write(f->tmp, "root/d/e/f.txt", "f");
	CHECK_OK(fx_open(f, 3, "d/e", W_OFLAG_DIRECTORY, ~(uint64_t)0, 0));
	d = f->out;
	/* the host moves the opened directory out of the preopen */
	snprintf(from, sizeof(from), "%s/root/d/e", f->tmp);
	snprintf(to, sizeof(to), "%s/outside/e", f->tmp);
	CHECK_EQ(rename(from, to), 0);
	/* the descriptor still names that directory (a capability), but
	 * nothing above it: ".." from it is an escape */
	CHECK_OK(fx_open(f, (uint32_t)d, "f.txt", 0, R_READ, 0));
	CHECK_EQ(fx_open(f, (uint32_t)d, "../secret.txt", 0, R_READ, 0), W_ENOTCAPABLE);
	CHECK_EQ(fx_stat(f, d, 0, ".."), W_ENOTCAPABLE);
	CHECK_EQ(fx_path1(f, GATE_FS_PATH_UNLINK_FILE, d, "../secret.txt"), W_ENOTCAPABLE);
	CHECK_EQ(fx_open(f, 3, "d/e/f.txt", 0, R_READ, 0), W_ENOENT);
	/* the preopen itself renamed: paths keep resolving beneath it */
	snprintf(from, sizeof(from), "%s/root", f->tmp);
	snprintf(to, sizeof(to), "%s/outside/root2", f->tmp);
	CHECK_EQ(rename(from, to), 0);
	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_READ, 0));
	CHECK_EQ(fx_open(f, 3, "../secret.txt", 0, R_READ, 0), W_ENOTCAPABLE);
	fx_free(f);
}
