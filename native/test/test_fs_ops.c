/* The fd_* ops of the FS server (native/lib/fs_ops.c): happy paths and errors. */
#include "test.h"
#include "test_fs_util.h"

#define CHECK_OK(call)                  \
	do {                            \
		uint32_t _err = (call); \
		CHECK_EQ(_err, 0);      \
	} while (0)

TEST(fs_prestat_names_preopens_and_gate_fd_is_not_ours)
{
	struct fx *f = fx_new();

	q_op(f, GATE_FS_FD_PRESTAT_GET);
	q_u64(f, 3);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 8);
	CHECK_EQ(f->data[0], 0);
	CHECK_EQ(gate__le32(f->data + 4), 5);
	q_op(f, GATE_FS_FD_PRESTAT_DIR_NAME);
	q_u64(f, 4);
	q_u64(f, 3);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 3);
	CHECK(memcmp(f->data, "/ro", 3) == 0);
	q_op(f, GATE_FS_FD_PRESTAT_DIR_NAME);
	q_u64(f, 4);
	q_u64(f, 2);
	CHECK_EQ(fx_send(f), W_ENAMETOOLONG);
	for (uint64_t fd = 0; fd < 8; fd++) {
		if (fd == 3 || fd == 4)
			continue;
		q_op(f, GATE_FS_FD_PRESTAT_GET);
		q_u64(f, fd);
		CHECK_EQ(fx_send(f), W_EBADF);
		q_op(f, GATE_FS_FD_FDSTAT_GET);
		q_u64(f, fd);
		CHECK_EQ(fx_send(f), W_EBADF); /* 5 is the Gate fd */
	}
	/* An opened file is no preopen, and is numbered after the Gate fd. */
	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_READ, 0));
	CHECK_EQ(f->out, 6);
	q_op(f, GATE_FS_FD_PRESTAT_GET);
	q_u64(f, 6);
	CHECK_EQ(fx_send(f), W_EBADF);
	fx_free(f);
}

TEST(fs_gate_fd_is_4_without_preopens_and_after_one)
{
	struct gate_fs *fs;
	char err[128];
	uint8_t req[64], reply[GATE_FS_REPLY_MAX];

	CHECK_EQ(gate_fs_new(&fs, err, sizeof(err)), GATE_OK);
	CHECK_EQ(fs->gate_fd, 4);
	CHECK_EQ(gate_fs_preopen(fs, "/tmp", ".", 0, err, sizeof(err)), GATE_OK);
	CHECK_EQ(fs->gate_fd, 4);
	CHECK_EQ(gate_fs_preopen(fs, "/tmp", "/b", GATE_FS_READ_ONLY, err, sizeof(err)), GATE_OK);
	CHECK_EQ(fs->gate_fd, 5);
	CHECK_EQ(gate_fs_preopen(fs, "/tmp", "", 0, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	CHECK_EQ(gate_fs_preopen(fs, "/tmp", "x", 2, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	CHECK_EQ(gate_fs_preopen(fs, "/nonexistent-gate", "x", 0, err, sizeof(err)), GATE_IO);
	CHECK(strstr(err, "/nonexistent-gate") != NULL);
	CHECK_EQ(gate_fs_preopen(fs, "/etc/hostname", "x", 0, err, sizeof(err)), GATE_IO);
	/* after the first call, no more preopens; reply_cap is a caller bug */
	gate__put32(req, GATE_FS_FD_CLOSE);
	memset(req + 4, 0, 8);
	CHECK_EQ(gate_fs_call(fs, req, 12, reply, 100), -GATE_BUFFER_TOO_SMALL);
	CHECK_EQ(gate_fs_call(fs, req, 12, reply, sizeof(reply)), 4);
	CHECK_EQ(gate_fs_preopen(fs, "/tmp", "/c", 0, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	CHECK_EQ(gate_fs_call(NULL, req, 12, reply, sizeof(reply)), -GATE_INVALID_ARGUMENT);
	gate_fs_free(fs);
	gate_fs_free(NULL);
}

TEST(fs_read_write_seek_tell)
{
	struct fx *f = fx_new();
	uint64_t fd;

	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_RW, 0));
	fd = f->out;
	CHECK_OK(fx_read(f, fd, 3));
	CHECK_EQ(f->data_len, 3);
	CHECK(memcmp(f->data, "hel", 3) == 0);
	q_op(f, GATE_FS_FD_TELL);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->out, 3);
	CHECK_OK(fx_write_fd(f, fd, "LO!"));
	CHECK_EQ(f->out, 3);
	q_op(f, GATE_FS_FD_SEEK);
	q_u64(f, fd);
	q_u64(f, (uint64_t)-6);
	q_u64(f, 2); /* END */
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->out, 0);
	CHECK_OK(fx_read(f, fd, 100));
	CHECK_EQ(f->data_len, 6);
	CHECK(memcmp(f->data, "helLO!", 6) == 0);
	CHECK_OK(fx_read(f, fd, 100));
	CHECK_EQ(f->data_len, 0); /* end of file */
	q_op(f, GATE_FS_FD_SEEK);
	q_u64(f, fd);
	q_u64(f, 0);
	q_u64(f, 3);
	CHECK_EQ(fx_send(f), W_EINVAL); /* bad whence */
	q_op(f, GATE_FS_FD_SEEK);
	q_u64(f, fd);
	q_u64(f, (uint64_t)-100);
	q_u64(f, 0);
	CHECK_EQ(fx_send(f), W_EINVAL);
	/* pread/pwrite leave the position alone */
	q_op(f, GATE_FS_FD_PWRITE);
	q_u64(f, fd);
	q_u64(f, 1);
	q_str(f, "E");
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->out, 1);
	q_op(f, GATE_FS_FD_PREAD);
	q_u64(f, fd);
	q_u64(f, 2);
	q_u64(f, 0);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 2);
	CHECK(memcmp(f->data, "hE", 2) == 0);
	q_op(f, GATE_FS_FD_TELL);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->out, 6);
	/* max over 60,000 is malformed */
	CHECK_EQ(fx_read(f, fd, 60001), W_EINVAL);
	CHECK_OK(fx_read(f, fd, 60000));
	/* closed: EBADF */
	CHECK_OK(fx_close(f, fd));
	CHECK_EQ(fx_read(f, fd, 1), W_EBADF);
	CHECK_EQ(fx_close(f, fd), W_EBADF);
	fx_free(f);
}

TEST(fs_rights_are_enforced)
{
	struct fx *f = fx_new();
	uint64_t fd;

	/* read only: no write */
	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_READ, 0));
	fd = f->out;
	CHECK_EQ(fx_write_fd(f, fd, "x"), W_ENOTCAPABLE);
	q_op(f, GATE_FS_FD_FDSTAT_GET);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 24);
	CHECK_EQ(f->data[0], W_FT_REGULAR_FILE);
	{
		uint64_t rights;

		memcpy(&rights, f->data + 8, 8);
		CHECK(rights & W_R_FD_READ);
		CHECK(!(rights & W_R_FD_WRITE));
		CHECK(!(rights & W_R_FD_READDIR)); /* a file: no directory rights */
	}
	/* write only: no read */
	CHECK_OK(fx_open(f, 3, "a.txt", 0, W_R_FD_WRITE, 0));
	CHECK_EQ(fx_read(f, f->out, 1), W_ENOTCAPABLE);
	/* no seek right: fd_seek refused, but a tell-only seek works with fd_tell */
	CHECK_OK(fx_open(f, 3, "a.txt", 0, W_R_FD_READ | W_R_FD_TELL, 0));
	fd = f->out;
	q_op(f, GATE_FS_FD_SEEK);
	q_u64(f, fd);
	q_u64(f, 1);
	q_u64(f, 0);
	CHECK_EQ(fx_send(f), W_ENOTCAPABLE);
	q_op(f, GATE_FS_FD_SEEK);
	q_u64(f, fd);
	q_u64(f, 0);
	q_u64(f, 1);
	CHECK_OK(fx_send(f));
	/* the preopen itself: a directory */
	CHECK_EQ(fx_read(f, 3, 1), W_EISDIR);
	CHECK_EQ(fx_write_fd(f, 3, "x"), W_EISDIR);
	q_op(f, GATE_FS_FD_FDSTAT_GET);
	q_u64(f, 3);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data[0], W_FT_DIRECTORY);
	fx_free(f);
}

TEST(fs_fdstat_set_flags_append)
{
	struct fx *f = fx_new();
	uint64_t fd;

	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_RW, 0));
	fd = f->out;
	q_op(f, GATE_FS_FD_FDSTAT_SET_FLAGS);
	q_u64(f, fd);
	q_u64(f, W_FDFLAG_APPEND);
	CHECK_OK(fx_send(f));
	CHECK_OK(fx_write_fd(f, fd, "+"));
	q_op(f, GATE_FS_FD_FDSTAT_GET);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	CHECK_EQ(gate__le16(f->data + 2), W_FDFLAG_APPEND);
	q_op(f, GATE_FS_FD_PREAD);
	q_u64(f, fd);
	q_u64(f, 10);
	q_u64(f, 0);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 6);
	CHECK_EQ(f->data[5], '+');
	q_op(f, GATE_FS_FD_FDSTAT_SET_FLAGS);
	q_u64(f, fd);
	q_u64(f, W_FDFLAG_SYNC);
	CHECK_EQ(fx_send(f), W_ENOTSUP);
	q_op(f, GATE_FS_FD_FDSTAT_SET_FLAGS);
	q_u64(f, fd);
	q_u64(f, 0x100);
	CHECK_EQ(fx_send(f), W_EINVAL);
	/* path_open with APPEND */
	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_RW, W_FDFLAG_APPEND));
	CHECK_OK(fx_write_fd(f, f->out, "#"));
	CHECK_OK(fx_read(f, fd, 10)); /* fd's position was 0? no: it appended */
	fx_free(f);
}

TEST(fs_filestat_size_times_allocate_sync_advise)
{
	struct fx *f = fx_new();
	uint64_t fd, v;

	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_RW, 0));
	fd = f->out;
	q_op(f, GATE_FS_FD_FILESTAT_GET);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 64);
	CHECK_EQ(f->data[16], W_FT_REGULAR_FILE);
	memcpy(&v, f->data + 32, 8);
	CHECK_EQ(v, 5);
	memcpy(&v, f->data + 24, 8);
	CHECK_EQ(v, 1); /* nlink */
	q_op(f, GATE_FS_FD_FILESTAT_SET_SIZE);
	q_u64(f, fd);
	q_u64(f, 2);
	CHECK_OK(fx_send(f));
	q_op(f, GATE_FS_FD_FILESTAT_SET_TIMES);
	q_u64(f, fd);
	q_u64(f, 1000000000ull * 1000 + 5);
	q_u64(f, 1000000000ull * 2000 + 7);
	q_u64(f, W_FST_ATIM | W_FST_MTIM);
	CHECK_OK(fx_send(f));
	q_op(f, GATE_FS_FD_FILESTAT_GET);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	memcpy(&v, f->data + 32, 8);
	CHECK_EQ(v, 2);
	memcpy(&v, f->data + 48, 8);
	CHECK_EQ(v, 1000000000ull * 2000 + 7);
	q_op(f, GATE_FS_FD_FILESTAT_SET_TIMES);
	q_u64(f, fd);
	q_u64(f, 0);
	q_u64(f, 0);
	q_u64(f, W_FST_ATIM | W_FST_ATIM_NOW);
	CHECK_EQ(fx_send(f), W_EINVAL);
	q_op(f, GATE_FS_FD_FILESTAT_SET_TIMES);
	q_u64(f, fd);
	q_u64(f, 0);
	q_u64(f, 0);
	q_u64(f, 0x10);
	CHECK_EQ(fx_send(f), W_EINVAL);
	q_op(f, GATE_FS_FD_ALLOCATE);
	q_u64(f, fd);
	q_u64(f, 0);
	q_u64(f, 100);
	CHECK_OK(fx_send(f));
	q_op(f, GATE_FS_FD_FILESTAT_GET);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	memcpy(&v, f->data + 32, 8);
	CHECK_EQ(v, 100);
	q_op(f, GATE_FS_FD_ALLOCATE);
	q_u64(f, fd);
	q_u64(f, (uint64_t)INT64_MAX);
	q_u64(f, 2);
	CHECK_EQ(fx_send(f), W_EFBIG);
	q_op(f, GATE_FS_FD_SYNC);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	q_op(f, GATE_FS_FD_DATASYNC);
	q_u64(f, fd);
	CHECK_OK(fx_send(f));
	q_op(f, GATE_FS_FD_ADVISE);
	q_u64(f, fd);
	q_u64(f, 0);
	q_u64(f, 10);
	q_u64(f, 1);
	CHECK_OK(fx_send(f));
	q_op(f, GATE_FS_FD_ADVISE);
	q_u64(f, fd);
	q_u64(f, 0);
	q_u64(f, 10);
	q_u64(f, 6);
	CHECK_EQ(fx_send(f), W_EINVAL);
	q_op(f, GATE_FS_FD_SYNC);
	q_u64(f, 99);
	CHECK_EQ(fx_send(f), W_EBADF);
	fx_free(f);
}

TEST(fs_renumber)
{
	struct fx *f = fx_new();
	uint64_t a, b;

	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_READ, 0));
	a = f->out;
	CHECK_OK(fx_open(f, 4, "r.txt", 0, R_READ, 0));
	b = f->out;
	CHECK_EQ(b, a + 1);
	q_op(f, GATE_FS_FD_RENUMBER);
	q_u64(f, a);
	q_u64(f, b);
	CHECK_OK(fx_send(f));
	CHECK_OK(fx_read(f, b, 10));
	CHECK_EQ(f->data_len, 5); /* a.txt now at b */
	CHECK_EQ(fx_read(f, a, 10), W_EBADF);
	q_op(f, GATE_FS_FD_RENUMBER);
	q_u64(f, b);
	q_u64(f, 5); /* the Gate fd */
	CHECK_EQ(fx_send(f), W_EBADF);
	q_op(f, GATE_FS_FD_RENUMBER);
	q_u64(f, b);
	q_u64(f, b);
	CHECK_OK(fx_send(f));
	/* the lowest free number is reused */
	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_READ, 0));
	CHECK_EQ(f->out, a);
	fx_free(f);
}

/* Parses a readdir buffer: counts whole entries, checks names exist. */
static int dirents(const uint8_t *p, uint32_t len, uint64_t *last_next, char names[][32])
{
	int n = 0;

	for (uint32_t off = 0; off + 24 <= len;) {
		uint32_t namlen = gate__le32(p + off + 16);

		if (off + 24 + namlen > len)
			break;
		memcpy(last_next, p + off, 8);
		if (names && namlen < 32) {
			memcpy(names[n], p + off + 24, namlen);
			names[n][namlen] = 0;
		}
		n++;
		off += 24 + namlen;
	}
	return n;
}

TEST(fs_readdir_cookies_and_truncation)
{
	struct fx *f = fx_new();
	char names[64][32];
	uint64_t next = 0, cookie = 0;
	int total = 0, seen_a = 0, seen_d = 0;

	for (int i = 0; i < 20; i++) {
		char n[32];

		snprintf(n, sizeof(n), "root/file%02d", i);
		fx_write(f->tmp, n, "");
	}
	/* all at once: . .. a.txt d file00..file19 = 24 */
	q_op(f, GATE_FS_FD_READDIR);
	q_u64(f, 3);
	q_u64(f, 60000);
	q_u64(f, 0);
	CHECK_OK(fx_send(f));
	CHECK_EQ(dirents(f->data, f->data_len, &next, names), 24);
	for (int i = 0; i < 24; i++) {
		seen_a |= strcmp(names[i], "a.txt") == 0;
		seen_d |= strcmp(names[i], "d") == 0;
	}
	CHECK(seen_a && seen_d);
	CHECK_EQ(next, 24);
	/* in small buffers that cut entries: every entry exactly once */
	for (int rounds = 0; rounds < 100; rounds++) {
		int n;

		q_op(f, GATE_FS_FD_READDIR);
		q_u64(f, 3);
		q_u64(f, 50);
		q_u64(f, cookie);
		CHECK_OK(fx_send(f));
		n = dirents(f->data, f->data_len, &next, NULL);
		total += n;
		if (f->data_len < 50)
			break;
		CHECK_EQ(f->data_len, 50); /* full: the last entry cut */
		if (n)
			cookie = next;
		else
			CHECK(0);
	}
	CHECK_EQ(total, 24);
	/* a cookie from before: rewinds */
	q_op(f, GATE_FS_FD_READDIR);
	q_u64(f, 3);
	q_u64(f, 60000);
	q_u64(f, 22);
	CHECK_OK(fx_send(f));
	CHECK_EQ(dirents(f->data, f->data_len, &next, NULL), 2);
	/* past the end: empty */
	q_op(f, GATE_FS_FD_READDIR);
	q_u64(f, 3);
	q_u64(f, 60000);
	q_u64(f, 1000);
	CHECK_OK(fx_send(f));
	CHECK_EQ(f->data_len, 0);
	/* a file: ENOTDIR; type of "d" is a directory */
	CHECK_OK(fx_open(f, 3, "a.txt", 0, R_READ, 0));
	q_op(f, GATE_FS_FD_READDIR);
	q_u64(f, f->out);
	q_u64(f, 100);
	q_u64(f, 0);
	CHECK_EQ(fx_send(f), W_ENOTDIR);
	CHECK_OK(fx_open(f, 3, "d", W_OFLAG_DIRECTORY, R_READ, 0));
	q_op(f, GATE_FS_FD_READDIR);
	q_u64(f, f->out);
	q_u64(f, 100);
	q_u64(f, 0);
	CHECK_OK(fx_send(f));
	CHECK_EQ(dirents(f->data, f->data_len, &next, NULL), 2); /* . and .. */
	CHECK_EQ(f->data[20], W_FT_DIRECTORY);
	q_op(f, GATE_FS_FD_READDIR);
	q_u64(f, 3);
	q_u64(f, 60001);
	q_u64(f, 0);
	CHECK_EQ(fx_send(f), W_EINVAL);
	fx_free(f);
}

TEST(fs_fifo_never_blocks)
{
	struct fx *f = fx_new();
	char p[512];
	uint64_t fd;

	snprintf(p, sizeof(p), "%s/root/fifo", f->tmp);
	CHECK_EQ(mkfifo(p, 0644), 0);
	CHECK_OK(fx_open(f, 3, "fifo", 0, R_READ, 0));
	fd = f->out;
	CHECK_EQ(fx_read(f, fd, 10), 0); /* no writer: end of file */
	CHECK_OK(fx_close(f, fd));
	CHECK_EQ(fx_open(f, 3, "fifo", 0, W_R_FD_WRITE, 0), W_ENXIO); /* no reader */
	/* with a reader and no data: EAGAIN, not a wait */
	CHECK_OK(fx_open(f, 3, "fifo", 0, R_READ, 0));
	{
		uint64_t rd = f->out, wr;

		CHECK_OK(fx_open(f, 3, "fifo", 0, W_R_FD_WRITE, 0));
		wr = f->out;
		CHECK_EQ(fx_read(f, rd, 10), W_EAGAIN);
		CHECK_OK(fx_write_fd(f, wr, "xy"));
		CHECK_OK(fx_read(f, rd, 10));
		CHECK_EQ(f->data_len, 2);
	}
	fx_free(f);
}
