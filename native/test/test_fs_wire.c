/* FS requests as the untrusted instance may send them: malformed, truncated,
 * oversized, random; and descriptor exhaustion. */
#include <sys/resource.h>

#include "test.h"
#include "test_fs_util.h"

/* A well-formed request of op: scalars fd 3 and zeros, buffers "x". */
static void well_formed(struct fx *f, uint32_t op)
{
	const struct gate__fs_shape *s = gate__fs_shape(op);

	q_op(f, op);
	for (unsigned i = 0; i < s->nin; i++)
		q_u64(f, i == 0 ? 3 : 0);
	for (unsigned i = 0; i < s->nbufs; i++)
		q_str(f, "x");
}

TEST(fs_wire_rejects_truncated_and_long_requests_of_every_op)
{
	struct fx *f = fx_new();

	for (uint32_t op = 1; op < GATE_FS_OP_COUNT; op++) {
		size_t n;

		well_formed(f, op);
		n = f->n;
		for (size_t cut = 0; cut < n; cut++) {
			f->n = cut;
			CHECK_EQ(fx_send(f), W_EINVAL);
			CHECK_EQ(f->len, 4);
		}
		f->n = n;
		f->req[f->n++] = 0; /* one byte too many */
		CHECK_EQ(fx_send(f), W_EINVAL);
		CHECK_EQ(f->len, 4);
		/* a buffer length that runs past the end, or over the bound */
		if (gate__fs_shape(op)->nbufs) {
			size_t at = 4 + 8u * gate__fs_shape(op)->nin;

			f->n = n;
			gate__put32(f->req + at, 0xffffffff);
			CHECK_EQ(fx_send(f), W_EINVAL);
			gate__put32(f->req + at, 2);
			CHECK_EQ(fx_send(f), W_EINVAL);
		}
	}
	fx_free(f);
}

TEST(fs_wire_unknown_ops_are_enosys)
{
	struct fx *f = fx_new();
	static const uint32_t ops[] = { 0, 31, 100, 0xffffffff };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		q_op(f, ops[i]);
		q_u64(f, 3);
		CHECK_EQ(fx_send(f), W_ENOSYS);
		CHECK_EQ(f->len, 4);
	}
	/* an empty request: not even an op */
	f->len = gate_fs_call(f->fs, NULL, 0, f->reply, sizeof(f->reply));
	CHECK_EQ(f->len, 4);
	CHECK_EQ(gate__le32(f->reply), W_EINVAL);
	fx_free(f);
}

TEST(fs_wire_oversized_buffers_and_paths)
{
	struct fx *f = fx_new();
	static char big[GATE__FS_DATA_MAX + 1];

	memset(big, 'a', sizeof(big));
	/* a path over PATH_MAX */
	q_op(f, GATE_FS_PATH_CREATE_DIRECTORY);
	q_u64(f, 3);
	q_buf(f, big, GATE__FS_PATH_MAX + 1);
	CHECK_EQ(fx_send(f), W_ENAMETOOLONG);
	/* a data buffer over 60,000 */
	CHECK_EQ(fx_open(f, 3, "a.txt", 0, R_RW, 0), 0);
	q_op(f, GATE_FS_FD_WRITE);
	q_u64(f, f->out);
	q_buf(f, big, GATE__FS_DATA_MAX + 1);
	CHECK_EQ(fx_send(f), W_EINVAL);
	/* the largest write and read */
	CHECK_EQ(fx_open(f, 3, "big", W_OFLAG_CREAT, R_RW, 0), 0);
	{
		uint64_t fd = f->out;

		q_op(f, GATE_FS_FD_WRITE);
		q_u64(f, fd);
		q_buf(f, big, GATE__FS_DATA_MAX);
		CHECK_EQ(fx_send(f), 0);
		CHECK_EQ(f->out, GATE__FS_DATA_MAX);
		q_op(f, GATE_FS_FD_PREAD);
		q_u64(f, fd);
		q_u64(f, GATE__FS_DATA_MAX);
		q_u64(f, 0);
		CHECK_EQ(fx_send(f), 0);
		CHECK_EQ(f->data_len, GATE__FS_DATA_MAX);
		CHECK(f->len <= GATE_FS_REPLY_MAX);
	}
	/* scalars beyond the u32 of an fd */
	q_op(f, GATE_FS_FD_CLOSE);
	q_u64(f, (1ull << 32) + 3);
	CHECK_EQ(fx_send(f), W_EBADF);
	q_op(f, GATE_FS_FD_PREAD);
	q_u64(f, 3);
	q_u64(f, 1);
	q_u64(f, (uint64_t)-1);
	CHECK_EQ(fx_send(f), W_EISDIR);
	fx_free(f);
}

/* Random requests with valid ops: every reply is well-formed, nothing
 * crashes (run under ASan by `make asan`). */
TEST(fs_wire_random_requests)
{
	struct fx *f = fx_new();
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (int i = 0; i < 20000; i++) {
		const struct gate__fs_shape *s;
		uint32_t op;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		op = 1 + (uint32_t)(x % (GATE_FS_OP_COUNT - 1));
		s = gate__fs_shape(op);
		q_op(f, op);
		for (unsigned k = 0; k < s->nin; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* small values often, so fds and flags hit real cases */
			q_u64(f, k == 0 ? 3 + (x >> 60) % 6 : (x & 1 ? x >> 40 : (x >> 8) % 70));
		}
		for (unsigned k = 0; k < s->nbufs; k++) {
			static const char *names[] = { "a.txt", "d", "..", "d/../a.txt", "z", ".", "d/z",
						       "/", "" };

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			q_str(f, names[x % 9]);
		}
		if (x % 5 == 0 && f->n > 4)
			f->n -= 1 + x % (f->n - 4);
		f->len = gate_fs_call(f->fs, f->req, f->n, f->reply, sizeof(f->reply));
		CHECK(f->len >= 4 && f->len <= GATE_FS_REPLY_MAX);
		if (gate__le32(f->reply) != 0)
			CHECK_EQ(f->len, 4);
	}
	CHECK(fx_exists(f->tmp, "outside/secret.txt"));
	fx_free(f);
}

TEST(fs_descriptors_are_bounded)
{
	struct fx *f = fx_new();
	struct rlimit rl;
	uint64_t first = 0, last = 0;
	int opened = 0;

	/* The process's own limit must not be what stops us. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (;;) {
		uint32_t e = fx_open(f, 3, "a.txt", 0, R_READ, 0);

		if (e) {
			CHECK_EQ(e, W_EMFILE);
			break;
		}
		if (opened++ == 0)
			first = f->out;
		last = f->out;
		CHECK(opened <= GATE__FS_MAX_FILES);
	}
	CHECK_EQ(first, 6);
	if (rl.rlim_cur >= 2048) {
		CHECK_EQ(opened, GATE__FS_MAX_FILES - 2);
		CHECK_EQ(last, 6 + GATE__FS_MAX_FILES - 3);
	}
	CHECK_EQ(fx_close(f, 100), 0);
	CHECK_EQ(fx_open(f, 3, "a.txt", 0, R_READ, 0), 0);
	CHECK_EQ(f->out, 100);
	fx_free(f);
}
