/*
 * The host modules with a fake Deno peer on the channel: stdout/stderr
 * OUTPUT, stdin PULL/INPUT and EOF, the ACK window, gate.io and the Gate fd
 * with packet header checks, FS forwarding, poll_oneoff, the busy reply and
 * a suspended wait.
 */
#include <signal.h>

#include "test.h"
#include "test_host_util.h"

static const struct cfg plain = { .resolution = 1 };

static uint64_t ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

TEST(host_stdout_and_stderr_go_out_as_output)
{
	struct cfg dbg = { .resolution = 1, .flags = GATE_PROGRAM_DEBUG };
	struct prog g;

	CHECK_EQ(prog_start(&g, wasi_module(), &plain, NULL), GATE_OK);
	memcpy(g.mem + 1000, "hello, world\n", 13);
	put_iov(g.mem, 16, 1000, 7);
	put_iov(g.mem, 24, 1007, 6);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(1), A(16), A(2), A(8)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 13);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(2), A(16), A(2), A(8)), 0); /* dropped */
	CHECK_EQ(gate__le32(g.mem + 8), 13);
	/* EFAULT: the iovec array, a buffer, 32-bit overflow of ptr + len */
	CHECK_EQ(pcall(&g, "fd_write", 4, A(1), A(8 * 65536 - 8), A(2), A(8)), W_EFAULT);
	put_iov(g.mem, 32, 8 * 65536 - 4, 5);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(1), A(32), A(1), A(8)), W_EFAULT);
	put_iov(g.mem, 32, 0xfffffff0, 0x20);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(1), A(32), A(1), A(8)), W_EFAULT);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(1), A(16), A(0x20000000), A(8)), W_EFAULT);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(1), A(16), A(2), A(0xffffffff)), W_EFAULT);
	prog_stop(&g);
	CHECK_EQ(g.p->outlen[1], 13);
	CHECK(memcmp(g.p->out[1], "hello, world\n", 13) == 0);
	CHECK_EQ(g.p->outlen[2], 0);
	CHECK_EQ(g.p->bad_seq, 0);
	prog_end(&g);

	CHECK_EQ(prog_start(&g, wasi_module(), &dbg, NULL), GATE_OK);
	memcpy(g.mem + 1000, "oops", 4);
	put_iov(g.mem, 16, 1000, 4);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(2), A(16), A(1), A(8)), 0);
	prog_stop(&g);
	CHECK_EQ(g.p->outlen[2], 4);
	CHECK(memcmp(g.p->out[2], "oops", 4) == 0);
	prog_end(&g);
}

TEST(host_stdin_reads_pulled_input_then_sticky_eof)
{
	struct peer script = { .stdin_data = "line one\nline two\n", .stdin_len = 18,
			       .stdin_chunk = 9, .stdin_eof = true };
	struct prog g;

	CHECK_EQ(prog_start(&g, wasi_module(), &plain, &script), GATE_OK);
	put_iov(g.mem, 16, 1000, 4);
	put_iov(g.mem, 24, 2000, 100);
	CHECK_EQ(pcall(&g, "fd_read", 4, A(0), A(16), A(2), A(8)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 9); /* scattered over both vectors */
	CHECK(memcmp(g.mem + 1000, "line", 4) == 0);
	CHECK(memcmp(g.mem + 2000, " one\n", 5) == 0);
	CHECK_EQ(pcall(&g, "fd_read", 4, A(0), A(24), A(1), A(8)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 9);
	CHECK(memcmp(g.mem + 2000, "line two\n", 9) == 0);
	for (int i = 0; i < 3; i++) {
		gate__put32(g.mem + 8, 99);
		CHECK_EQ(pcall(&g, "fd_read", 4, A(0), A(24), A(1), A(8)), 0);
		CHECK_EQ(gate__le32(g.mem + 8), 0);
	}
	CHECK_EQ(pcall(&g, "fd_read", 4, A(0), A(24), A(1), A(8 * 65536 - 3)), W_EFAULT);
	prog_stop(&g);
	CHECK_EQ(g.p->pulls[1], 3); /* two chunks, one EOF, then none */
	prog_end(&g);
}

TEST(host_output_waits_for_ack_beyond_the_window)
{
	struct peer script = { .delay_ack = true };
	uint32_t total = 300 * 1024;
	struct timespec t0;
	struct prog g;

	CHECK_EQ(prog_start(&g, wasi_module(), &plain, &script), GATE_OK);
	for (uint32_t i = 0; i < total; i++)
		g.mem[65536 + i] = (uint8_t)(i * 7);
	put_iov(g.mem, 16, 65536, total);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(1), A(16), A(1), A(8)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), GATE_OUTPUT_WINDOW); /* a short write, no wait */
	put_iov(g.mem, 16, 65536 + GATE_OUTPUT_WINDOW, total - GATE_OUTPUT_WINDOW);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(1), A(16), A(1), A(8)), 0);
	CHECK(ms_since(&t0) >= 40); /* waited for the peer's late ACK */
	CHECK_EQ(gate__le32(g.mem + 8), total - GATE_OUTPUT_WINDOW);
	prog_stop(&g);
	CHECK_EQ(g.p->outlen[1], total);
	CHECK(memcmp(g.p->out[1], g.mem + 65536, total) == 0);
	CHECK(g.p->max_unacked <= GATE_OUTPUT_WINDOW);
	CHECK_EQ(g.p->delayed, 1);
	prog_end(&g);
}

/* A packet header. */
static void header(uint8_t *p, uint32_t size, int16_t code, uint8_t domain, uint8_t index)
{
	gate__put32(p, size);
	memcpy(p + 4, &code, 2);
	p[6] = domain;
	p[7] = index;
}

TEST(host_gate_io_sends_and_receives_packets)
{
	static uint8_t in[24];
	struct peer script = { .packets = in, .packets_len = sizeof in };
	struct prog g;

	header(in, 20, 0, 3, 0);
	memcpy(in + 8, "datadatadata", 12);
	CHECK_EQ(prog_start(&g, wasi_module(), &plain, &script), GATE_OK);
	/* send a 13-byte packet padded to 16, in two calls split inside the header */
	header(g.mem + 1000, 13, -1, 0, 0);
	memcpy(g.mem + 1008, "hello\0\0\0", 8);
	put_iov(g.mem, 16, 1000, 5);  /* send 1 */
	put_iov(g.mem, 24, 1005, 11); /* send 2 */
	put_iov(g.mem, 32, 2000, 64); /* receive */
	CHECK_EQ(pcall(&g, "io", 8, A(0), A(0), A(0), A(16), A(1), A(8), A(0), A(12)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 5);
	CHECK_EQ(gate__le32(g.mem + 12), 1); /* started */
	CHECK_EQ(pcall(&g, "io", 8, A(32), A(1), A(4), A(24), A(1), A(8), A(-1), A(12)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 11);
	CHECK_EQ(gate__le32(g.mem + 12), 0); /* only once */
	if (gate__le32(g.mem + 4) == 0) /* sent before the packet arrived: wait for it */
		CHECK_EQ(pcall(&g, "io", 8, A(32), A(1), A(4), A(0), A(0), A(0), A(-1), A(0)), 0);
	CHECK_EQ(gate__le32(g.mem + 4), 24);
	CHECK(memcmp(g.mem + 2000, in, 24) == 0);
	/* nothing to do, short timeout: returns with nothing */
	CHECK_EQ(pcall(&g, "io", 8, A(32), A(1), A(4), A(0), A(0), A(0), A(500), A(0)), 0);
	CHECK_EQ(gate__le32(g.mem + 4), 0);
	/* the Gate fd: nothing to read */
	CHECK_EQ(pcall(&g, "fd_read", 4, A(4), A(32), A(1), A(8)), W_EAGAIN);
	header(g.mem + 1000, 8, 0, 1, 0);
	put_iov(g.mem, 16, 1000, 8);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(4), A(16), A(1), A(8)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 8);
	prog_stop(&g);
	CHECK_EQ(g.p->outlen[0], 24);
	CHECK_EQ(g.p->bad_seq, 0);
	prog_end(&g);
}

/* Sends one header through gate.io (via wasm) or fd_write on the Gate fd. */
static uint32_t send_header(uint32_t size, uint8_t domain, uint8_t index, bool fd,
			    struct gate__trap *trap)
{
	struct prog g;
	uint64_t r;

	if (prog_start(&g, wasi_module(), &plain, NULL) != GATE_OK)
		return 0xbad;
	header(g.mem + 1000, size, 0, domain, index);
	put_iov(g.mem, 16, 1000, 8);
	if (fd)
		r = pcall(&g, "fd_write", 4, A(4), A(16), A(1), A(8));
	else
		r = pcall(&g, "io", 8, A(0), A(0), A(0), A(16), A(1), A(8), A(0), A(0));
	*trap = g.trap;
	prog_stop(&g);
	if (r == 0xdeadbeef && g.p->outlen[0] != 0) /* nothing of a bad packet goes out */
		r = 0xbad;
	prog_end(&g);
	return (uint32_t)r;
}

TEST(host_bad_packet_headers_are_abi_violations)
{
	struct gate__trap t;

	CHECK_EQ(send_header(8, 0, 0, false, &t), 0);
	CHECK_EQ(send_header(65536, 0, 0, true, &t), 0);
	CHECK_EQ(send_header(7, 0, 0, false, &t), 0xdeadbeef);
	CHECK_EQ(t.kind, GATE_TRAP_ABI_VIOLATION);
	CHECK(t.nframes >= 1);
	CHECK_EQ(send_header(65537, 0, 0, false, &t), 0xdeadbeef);
	CHECK_EQ(t.kind, GATE_TRAP_ABI_VIOLATION);
	CHECK_EQ(send_header(16, 0x13, 0, true, &t), 0xdeadbeef);
	CHECK_EQ(t.kind, GATE_TRAP_ABI_VIOLATION);
	CHECK_EQ(send_header(16, 0, 1, false, &t), 0xdeadbeef);
	CHECK_EQ(t.kind, GATE_TRAP_ABI_VIOLATION);
}

TEST(host_packet_boundaries_are_tracked_across_calls)
{
	struct gate__packets pk = { 0 };
	uint8_t buf[40];

	header(buf, 9, 0, 0, 0); /* padded to 16 */
	memset(buf + 8, 0xee, 8);
	header(buf + 16, 8, 0, 2, 0);
	header(buf + 24, 4, 0, 0, 0); /* bad */
	CHECK(gate__host_packets_check(&pk, buf, 3, true));
	CHECK(gate__host_packets_check(&pk, buf + 3, 21, true));
	CHECK(!gate__host_packets_check(&pk, buf + 24, 8, true));
	CHECK(gate__host_packets_check(&pk, buf + 24, 4, true)); /* incomplete: not yet */
	CHECK_EQ(pk.have, 4);
}

static size_t fs_peer(struct peer *p, const uint8_t *req, size_t len, uint8_t *reply)
{
	uint32_t op = gate__le32(req);
	uint64_t fd = len >= 12 ? le64(req + 4) : 0;

	(void)p;
	gate__put32(reply, 0);
	switch (op) {
	case GATE_FS_FD_PRESTAT_GET:
		if (fd != 3)
			return gate__put32(reply, W_EBADF), 4;
		gate__put32(reply + 4, 8);
		memset(reply + 8, 0, 8);
		gate__put32(reply + 12, 4); /* name length */
		return 16;
	case GATE_FS_FD_PRESTAT_DIR_NAME:
		gate__put32(reply + 4, 4);
		memcpy(reply + 8, "/tmp", 4);
		return 12;
	case GATE_FS_FD_WRITE: /* echo nwritten = data length */
		put64(reply + 4, gate__le32(req + 12));
		return 12;
	case GATE_FS_FD_READ: {
		uint64_t max = le64(req + 12), n = max < 10 ? max : 10;

		gate__put32(reply + 4, (uint32_t)n);
		memcpy(reply + 8, "0123456789", n);
		return 8 + n;
	}
	case GATE_FS_PATH_OPEN:
		put64(reply + 4, 6);
		return 12;
	}
	gate__put32(reply, W_ENOSYS);
	return 4;
}

TEST(host_fs_calls_go_out_as_fs_frames)
{
	struct cfg c = { .resolution = 1, .flags = GATE_PROGRAM_FS, .npreopens = 1 };
	struct peer script = { .fs = fs_peer };
	struct prog g;

	CHECK_EQ(prog_start(&g, wasi_module(), &c, &script), GATE_OK);
	CHECK_EQ(pcall(&g, "gate_fd", 0), 4);
	CHECK_EQ(pcall(&g, "fd_prestat_get", 2, A(3), A(16)), 0);
	CHECK_EQ(gate__le32(g.mem + 20), 4);
	CHECK_EQ(pcall(&g, "fd_prestat_get", 2, A(4), A(16)), W_EBADF); /* the Gate fd */
	CHECK_EQ(pcall(&g, "fd_prestat_dir_name", 3, A(3), A(100), A(4)), 0);
	CHECK(memcmp(g.mem + 100, "/tmp", 4) == 0);
	memcpy(g.mem + 200, "f.txt", 5);
	CHECK_EQ(pcall(&g, "path_open", 9, A(3), A(0), A(200), A(5), A(0), A(0), A(0), A(0), A(24)),
		 0);
	CHECK_EQ(gate__le32(g.mem + 24), 6);
	CHECK_EQ(pcall(&g, "path_open", 9, A(3), A(0), A(0xfffffffc), A(5), A(0), A(0), A(0), A(0),
		       A(24)),
		 W_EFAULT);
	/* a 70,000-byte write goes out as 60,000 + 10,000 */
	put_iov(g.mem, 32, 65536, 70000);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(6), A(32), A(1), A(8)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 70000);
	/* reads scatter over the vectors; a short read ends the call */
	put_iov(g.mem, 32, 300, 3);
	put_iov(g.mem, 40, 400, 30);
	CHECK_EQ(pcall(&g, "fd_read", 4, A(6), A(32), A(2), A(8)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 10);
	CHECK(memcmp(g.mem + 300, "012", 3) == 0);
	CHECK(memcmp(g.mem + 400, "3456789", 7) == 0);
	CHECK_EQ(pcall(&g, "fd_sync", 1, A(6)), W_ENOSYS); /* the peer's answer */
	prog_stop(&g);
	CHECK_EQ(g.p->fs_count, 7);
	CHECK_EQ(g.p->fs_sizes[3], 4 + 8 + 4 + 60000);
	CHECK_EQ(g.p->fs_sizes[4], 4 + 8 + 4 + 10000);
	prog_end(&g);
}

TEST(host_poll_oneoff_relative_clock_and_ready_fds)
{
	struct prog g;
	struct timespec t0;
	uint8_t *s;

	CHECK_EQ(prog_start(&g, wasi_module(), &plain, NULL), GATE_OK);
	s = g.mem + 1024;
	memset(s, 0, 96);
	put64(s, 0x1111);
	s[8] = 0;		     /* clock */
	gate__put32(s + 16, 1);      /* monotonic */
	put64(s + 24, 20000000);     /* 20 ms, relative */
	put64(s + 48, 0x2222);
	s[56] = 1;		     /* fd_read */
	gate__put32(s + 64, 0);      /* stdin: nothing comes */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(pcall(&g, "poll_oneoff", 4, A(1024), A(2048), A(2), A(8)), 0);
	CHECK(ms_since(&t0) >= 19);
	CHECK_EQ(gate__le32(g.mem + 8), 1);
	CHECK_EQ(le64(g.mem + 2048), 0x1111);
	CHECK_EQ(g.mem[2048 + 10], 0);
	/* stdout is writable at once */
	s[56] = 2;
	gate__put32(s + 64, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(pcall(&g, "poll_oneoff", 4, A(1024), A(2048), A(2), A(8)), 0);
	CHECK(ms_since(&t0) < 15);
	CHECK_EQ(gate__le32(g.mem + 8), 1);
	CHECK_EQ(le64(g.mem + 2048), 0x2222);
	CHECK_EQ(g.mem[2048 + 10], 2);
	CHECK(le64(g.mem + 2048 + 16) > 0);
	/* bad fd: an event with EBADF; unknown clock: EINVAL */
	gate__put32(s + 64, 99);
	CHECK_EQ(pcall(&g, "poll_oneoff", 4, A(1024 + 48), A(2048), A(1), A(8)), 0);
	CHECK_EQ(gate__le16(g.mem + 2048 + 8), W_EBADF);
	CHECK_EQ(pcall(&g, "poll_oneoff", 4, A(1024), A(2048), A(0), A(8)), W_EINVAL);
	CHECK_EQ(pcall(&g, "poll_oneoff", 4, A(1024), A(2048), A(0x10000000), A(8)), W_EFAULT);
	prog_end(&g);
}

TEST(host_requests_during_a_program_get_busy)
{
	struct peer script = { .stdin_data = "x", .stdin_len = 1, .busy_probe = true };
	struct prog g;

	CHECK_EQ(prog_start(&g, wasi_module(), &plain, &script), GATE_OK);
	put_iov(g.mem, 16, 1000, 10);
	CHECK_EQ(pcall(&g, "fd_read", 4, A(0), A(16), A(1), A(8)), 0);
	CHECK_EQ(gate__le32(g.mem + 8), 1);
	prog_stop(&g);
	CHECK(strcmp(g.p->busy, "busy: a program is running") == 0);
	prog_end(&g);
}

static void on_usr1(int sig)
{
	(void)sig;
}

TEST(host_interrupted_wait_with_suspend_traps_suspended_and_changes_nothing)
{
	struct peer script = { .signal_on_pull = true };
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	struct prog g;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	CHECK_EQ(prog_start(&g, wasi_module(), &plain, &script), GATE_OK);
	put_iov(g.mem, 16, 1000, 10);
	gate__put32(g.mem + 8, 1234);
	g.s->suspend = true;
	CHECK_EQ(pcall(&g, "fd_read", 4, A(0), A(16), A(1), A(8)), 0xdeadbeef);
	g.s->suspend = false;
	CHECK_EQ(g.trap.kind, GATE_TRAP_SUSPENDED);
	CHECK_EQ(gate__le32(g.mem + 8), 1234);
	prog_end(&g);
	sigaction(SIGUSR1, &old, NULL);
}
