/*
 * The host modules without channel traffic: ChaCha20's RFC 8439 vectors,
 * import resolution, args/environ, clocks, random_get, proc_exit, bounds
 * checks (EFAULT), stdio fdstat/filestat (terminal or pipe), errno table.
 */
#include "test.h"
#include "test_host_util.h"

static const struct cfg plain = { .resolution = 1 };

TEST(host_chacha20_rfc8439_vectors)
{
	/* 2.3.2: the block function */
	static const uint8_t want[64] = {
		0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3,
		0x20, 0x71, 0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22,
		0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e, 0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa,
		0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2, 0xb5, 0x12, 0x9c, 0xd1,
		0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
	};
	/* 2.4.2: the first 16 bytes of the ciphertext of "Ladies and Gentl" */
	static const uint8_t ct[16] = { 0x6e, 0x2e, 0x35, 0x9a, 0x25, 0x68, 0xf9, 0x80,
					0x41, 0xba, 0x07, 0x28, 0xdd, 0x0d, 0x69, 0x81 };
	static const uint8_t nonce1[12] = { 0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
	static const uint8_t nonce2[12] = { 0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
	struct gate__chacha20 c;
	uint8_t key[32], out[64];
	const char *pt = "Ladies and Gentl";

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	gate__chacha20_init(&c, key, nonce1, 1);
	gate__chacha20_stream(&c, out, 64);
	CHECK(memcmp(out, want, 64) == 0);
	gate__chacha20_init(&c, key, nonce2, 1);
	gate__chacha20_stream(&c, out, 7); /* in pieces: the stream is continuous */
	gate__chacha20_stream(&c, out + 7, 9);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(out[i] ^ (uint8_t)pt[i], ct[i]);
}

static int try_link(const char *imports, char *msg, size_t len)
{
	char wat[2048];
	struct prog g;
	int st;

	snprintf(wat, sizeof wat, "(module %s (memory 1))", imports);
	st = prog_start(&g, wat, &plain, NULL);
	snprintf(msg, len, "%s", g.err);
	prog_end(&g);
	return st;
}

TEST(host_imports_resolve_by_name_with_aliases_and_numbering)
{
	char msg[256];

	CHECK(try_link("(import \"env\" \"__wasi_fd_write\" (func (param i32 i32 i32 i32) (result i32)))"
		      "(import \"env\" \"__gate_io_65536\" (func (param i32 i32 i32 i32 i32 i32 i64 i32)))"
		      "(import \"env\" \"__gate_fd_65537\" (func (result i32)))"
		      "(import \"gate\" \"fd_123456789012345678901234567890\" (func (result i32)))",
		      msg, sizeof msg) ==
		 GATE_OK);
	CHECK(try_link("(import \"gate\" \"fd_65535\" (func (result i32)))", msg, sizeof msg) ==
		 GATE_LINK);
	CHECK(strstr(msg, "import not supported: gate.fd_65535"));
	CHECK(try_link("(import \"gate\" \"fd_065536\" (func (result i32)))", msg, sizeof msg) ==
		 GATE_LINK);
	CHECK(try_link("(import \"gate\" \"fd_6553a\" (func (result i32)))", msg, sizeof msg) ==
		 GATE_LINK);
	CHECK(try_link("(import \"gate\" \"fd_\" (func (result i32)))", msg, sizeof msg) == GATE_LINK);
	CHECK(try_link("(import \"gate\" \"fd_99999\" (func (result i32)))", msg, sizeof msg) ==
		 GATE_OK);
	CHECK(try_link("(import \"env\" \"__wasi_fd_write_\" (func (param i32 i32 i32 i32) (result i32)))",
		      msg, sizeof msg) ==
		 GATE_LINK);
}

TEST(host_unknown_and_mistyped_imports_are_link_errors)
{
	char msg[256];

	CHECK(try_link("(import \"wasi_snapshot_preview1\" \"foo\" (func))", msg, sizeof msg) ==
		 GATE_LINK);
	CHECK(strcmp(msg, "import not supported: wasi_snapshot_preview1.foo") == 0);
	CHECK(try_link("(import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32 i64) (result i32)))",
		      msg, sizeof msg) ==
		 GATE_LINK);
	CHECK(strstr(msg, "wasi_snapshot_preview1.fd_write: wrong signature"));
	CHECK(try_link("(import \"wasi_snapshot_preview1\" \"proc_exit\" (func (param i32) (result i32)))",
		      msg, sizeof msg) ==
		 GATE_LINK);
	CHECK(try_link("(import \"spectest\" \"print\" (func))", msg, sizeof msg) == GATE_LINK);
	CHECK(strstr(msg, "spectest.print"));
	CHECK(try_link("(import \"wasi_snapshot_preview1\" \"g\" (global i32))", msg, sizeof msg) ==
		 GATE_LINK);
	CHECK(strstr(msg, "not a function"));
	CHECK(try_link("(import \"env\" \"__gate_io_65536\" (func (param i32 i32 i32 i32 i32 i32 i32 i32)))",
		      msg, sizeof msg) ==
		 GATE_LINK);
}

TEST(host_every_wasi_function_links_with_its_signature)
{
	struct prog g;

	CHECK_EQ(prog_start(&g, wasi_module(), &plain, NULL), GATE_OK);
	CHECK(g.mem != NULL);
	CHECK_EQ(pcall(&g, "gate_fd", 0), 4);
	CHECK_EQ(pcall(&g, "sched_yield", 0), 0);
	CHECK_EQ(pcall(&g, "proc_raise", 1, A(2)), W_ENOSYS);
	CHECK_EQ(pcall(&g, "sock_recv", 6, A(0), A(0), A(0), A(0), A(0), A(0)), W_ENOSYS);
	CHECK_EQ(pcall(&g, "sock_accept", 3, A(0), A(0), A(0)), W_ENOSYS);
	prog_end(&g);
}

TEST(host_config_is_checked)
{
	struct cfg c = plain;
	struct prog g;
	const char *env[] = { "NOEQUALS" };

	c.resolution = 2000000000ull;
	CHECK_EQ(prog_start(&g, wasi_module(), &c, NULL), GATE_INVALID_ARGUMENT);
	prog_end(&g);
	c = plain;
	c.flags = 0x40; /* the first unknown bit; 0x20 is RESUMED */
	CHECK_EQ(prog_start(&g, wasi_module(), &c, NULL), GATE_INVALID_ARGUMENT);
	prog_end(&g);
	c = plain;
	c.flags = GATE_PROGRAM_STDIN_TTY | GATE_PROGRAM_STDOUT_TTY | GATE_PROGRAM_STDERR_TTY;
	CHECK_EQ(prog_start(&g, wasi_module(), &c, NULL), GATE_OK);
	prog_end(&g);
	c = plain;
	c.env = env;
	c.nenv = 1;
	CHECK_EQ(prog_start(&g, wasi_module(), &c, NULL), GATE_INVALID_ARGUMENT);
	prog_end(&g);
}

TEST(host_args_and_environ)
{
	const char *args[] = { "prog", "-x" }, *env[] = { "A=1" };
	struct cfg c = { .resolution = 1, .npreopens = 2, .args = args, .nargs = 2, .env = env,
			 .nenv = 1 };
	static const char want_env[] = "GATE_ABI_VERSION=0\0GATE_FD=5\0GATE_MAX_SEND_SIZE=65536\0A=1";
	struct prog g;

	if (prog_start(&g, wasi_module(), &c, NULL) != GATE_OK)
		fprintf(stderr, "  %s\n", g.err);
	CHECK_EQ(g.status, GATE_OK);
	CHECK_EQ(pcall(&g, "args_sizes_get", 2, A(0), A(4)), 0);
	CHECK_EQ(gate__le32(g.mem), 2);
	CHECK_EQ(gate__le32(g.mem + 4), 8);
	CHECK_EQ(pcall(&g, "args_get", 2, A(100), A(200)), 0);
	CHECK_EQ(gate__le32(g.mem + 100), 200);
	CHECK_EQ(gate__le32(g.mem + 104), 205);
	CHECK(memcmp(g.mem + 200, "prog\0-x\0", 8) == 0);
	CHECK_EQ(pcall(&g, "environ_sizes_get", 2, A(0), A(4)), 0);
	CHECK_EQ(gate__le32(g.mem), 4);
	CHECK_EQ(gate__le32(g.mem + 4), sizeof want_env);
	CHECK_EQ(pcall(&g, "environ_get", 2, A(300), A(400)), 0);
	CHECK(memcmp(g.mem + 400, want_env, sizeof want_env) == 0);
	CHECK_EQ(gate__le32(g.mem + 304), 400 + 19);
	CHECK_EQ(gate__le32(g.mem + 312), 400 + 54);
	CHECK_EQ(pcall(&g, "gate_fd", 0), 5);
	/* the buffer runs past the end of memory */
	CHECK_EQ(pcall(&g, "environ_get", 2, A(300), A(8 * 65536 - 10)), W_EFAULT);
	CHECK_EQ(pcall(&g, "args_get", 2, A(8 * 65536 - 4), A(0)), W_EFAULT);
	CHECK_EQ(pcall(&g, "args_sizes_get", 2, A(0), A(0xfffffffe)), W_EFAULT);
	prog_end(&g);
}

TEST(host_clocks_monotonic_rounded_to_resolution)
{
	struct cfg c = { .resolution = 1000000, .monotonic = 5000000000000ull };
	struct prog g;
	uint64_t a, b, r;
	struct timespec ts;

	CHECK_EQ(prog_start(&g, wasi_module(), &c, NULL), GATE_OK);
	CHECK_EQ(pcall(&g, "clock_time_get", 3, A(1), A(0), A(8)), 0);
	a = le64(g.mem + 8);
	CHECK(a >= 5000000000000ull && a < 5000000000000ull + 10000000000ull);
	CHECK_EQ(a % 1000000, 0);
	ts = (struct timespec){ 0, 3000000 };
	nanosleep(&ts, NULL);
	CHECK_EQ(pcall(&g, "clock_time_get", 3, A(1), A(1), A(8)), 0);
	b = le64(g.mem + 8);
	CHECK(b >= a + 2000000);
	CHECK_EQ(pcall(&g, "clock_time_get", 3, A(0), A(0), A(16)), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	r = le64(g.mem + 16);
	CHECK_EQ(r % 1000000, 0);
	CHECK(r <= (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	CHECK(r + 1000000000u > (uint64_t)ts.tv_sec * 1000000000u);
	CHECK_EQ(pcall(&g, "clock_time_get", 3, A(2), A(0), A(16)), 0);
	CHECK_EQ(pcall(&g, "clock_time_get", 3, A(3), A(0), A(16)), 0);
	CHECK_EQ(pcall(&g, "clock_time_get", 3, A(4), A(0), A(16)), W_EINVAL);
	CHECK_EQ(pcall(&g, "clock_time_get", 3, A(1), A(0), A(8 * 65536 - 7)), W_EFAULT);
	CHECK_EQ(pcall(&g, "clock_res_get", 2, A(1), A(24)), 0);
	CHECK_EQ(le64(g.mem + 24), 1000000);
	CHECK_EQ(pcall(&g, "clock_res_get", 2, A(9), A(24)), W_EINVAL);
	prog_end(&g);
}

TEST(host_random_get_is_chacha20_of_the_seed)
{
	struct cfg c = { .resolution = 1, .seed = 0x42 };
	struct gate__chacha20 ref;
	uint8_t key[32], want[100];
	static const uint8_t nonce[12];
	struct prog g;

	memset(key, 0x42, 32);
	gate__chacha20_init(&ref, key, nonce, 0);
	gate__chacha20_stream(&ref, want, 100);
	CHECK_EQ(prog_start(&g, wasi_module(), &c, NULL), GATE_OK);
	CHECK_EQ(pcall(&g, "random_get", 2, A(1000), A(30)), 0);
	CHECK_EQ(pcall(&g, "random_get", 2, A(1030), A(70)), 0);
	CHECK(memcmp(g.mem + 1000, want, 100) == 0);
	CHECK_EQ(pcall(&g, "random_get", 2, A(0xfffffff0), A(0x20)), W_EFAULT);
	CHECK_EQ(pcall(&g, "random_get", 2, A(8 * 65536), A(1)), W_EFAULT);
	CHECK_EQ(pcall(&g, "random_get", 2, A(8 * 65536), A(0)), 0);
	prog_end(&g);
}

TEST(host_proc_exit_traps_exit_with_its_code)
{
	struct prog g;

	CHECK_EQ(prog_start(&g, wasi_module(), &plain, NULL), GATE_OK);
	CHECK_EQ(pcall(&g, "exit", 1, A(7)), 0xdeadbeef);
	CHECK_EQ(g.trap.kind, GATE_TRAP_EXIT);
	CHECK_EQ(g.trap.code, 7);
	CHECK(g.trap.nframes >= 1); /* the wrapper's frame */
	CHECK_EQ(pcall(&g, "proc_exit", 1, A(0xffffffff)), 0xdeadbeef);
	CHECK_EQ(g.trap.kind, GATE_TRAP_EXIT);
	CHECK_EQ(g.trap.code, 0xffffffff);
	/* the next trap has code 0 */
	CHECK_EQ(pcall(&g, "io", 8, A(0xfffffff8), A(2), A(0), A(0), A(0), A(0), A(0), A(0)),
		 0xdeadbeef);
	CHECK_EQ(g.trap.kind, GATE_TRAP_MEMORY_OUT_OF_BOUNDS);
	CHECK_EQ(g.trap.code, 0);
	prog_end(&g);
}

TEST(host_start_function_may_call_wasi_and_trap)
{
	struct prog g;
	int st = prog_start(&g,
			    "(module (import \"wasi_snapshot_preview1\" \"random_get\""
			    " (func $r (param i32 i32) (result i32)))"
			    " (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $e (param i32)))"
			    " (memory 1) (func $s (drop (call $r (i32.const 0) (i32.const 8)))"
			    " (call $e (i32.const 3))) (start $s))",
			    &plain, NULL);

	CHECK_EQ(st, GATE_TRAP);
	CHECK_EQ(g.trap.kind, GATE_TRAP_EXIT);
	CHECK_EQ(g.trap.code, 3);
	CHECK(g.h != NULL);
	prog_end(&g);
}

#define RIGHT_SEEK (1ull << 2)
#define RIGHT_TELL (1ull << 5)

/* isatty() in wasi-libc: a character device without seek or tell rights. */
static bool isatty_at(struct prog *g, uint32_t fd)
{
	uint64_t rights;

	if (pcall(g, "fd_fdstat_get", 2, A(fd), A(64)) != 0)
		return false;
	rights = le64(g->mem + 72);
	return g->mem[64] == 2 && (rights & (RIGHT_SEEK | RIGHT_TELL)) == 0;
}

TEST(host_stdio_is_a_terminal_only_when_the_config_says_so)
{
	static const uint32_t flags[] = {
		0,
		GATE_PROGRAM_STDIN_TTY,
		GATE_PROGRAM_STDOUT_TTY | GATE_PROGRAM_STDERR_TTY,
		GATE_PROGRAM_STDIN_TTY | GATE_PROGRAM_STDOUT_TTY | GATE_PROGRAM_STDERR_TTY,
	};

	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		struct cfg c = plain;
		struct prog g;

		c.flags = flags[i];
		CHECK_EQ(prog_start(&g, wasi_module(), &c, NULL), GATE_OK);
		for (uint32_t fd = 0; fd <= 2; fd++) {
			bool tty = flags[i] & (GATE_PROGRAM_STDIN_TTY << fd);

			CHECK_EQ(isatty_at(&g, fd), tty);
			CHECK_EQ(g.mem[64], tty ? 2 : 6);
			CHECK_EQ(pcall(&g, "fd_filestat_get", 2, A(fd), A(128)), 0);
			CHECK_EQ(g.mem[128 + 16], tty ? 2 : 6);
		}
		CHECK(!isatty_at(&g, 4)); /* the Gate fd never is */
		prog_end(&g);
	}
}

TEST(host_stdio_fdstat_filestat_and_errnos)
{
	struct prog g;

	CHECK_EQ(prog_start(&g, wasi_module(), &plain, NULL), GATE_OK);
	for (uint32_t fd = 0; fd <= 4; fd++) {
		if (fd == 3) {
			CHECK_EQ(pcall(&g, "fd_fdstat_get", 2, A(fd), A(64)), W_EBADF);
			continue;
		}
		memset(g.mem + 64, 0xff, 64);
		CHECK_EQ(pcall(&g, "fd_fdstat_get", 2, A(fd), A(64)), 0);
		CHECK_EQ(g.mem[64], 6); /* no terminal: a socket stream, as a pipe in node:wasi */
		CHECK(le64(g.mem + 72) & (fd == 0 || fd == 4 ? 2 : 64));
		CHECK_EQ(le64(g.mem + 72) & (RIGHT_SEEK | RIGHT_TELL), 0);
		CHECK_EQ(le64(g.mem + 80), 0);
		CHECK_EQ(pcall(&g, "fd_filestat_get", 2, A(fd), A(128)), 0);
		CHECK_EQ(g.mem[128 + 16], 6);
	}
	CHECK_EQ(pcall(&g, "fd_fdstat_get", 2, A(1), A(8 * 65536 - 23)), W_EFAULT);
	CHECK_EQ(pcall(&g, "fd_seek", 4, A(1), A(0), A(0), A(0)), W_ESPIPE);
	CHECK_EQ(pcall(&g, "fd_close", 1, A(1)), W_ENOTSUP);
	CHECK_EQ(pcall(&g, "fd_prestat_get", 2, A(3), A(0)), W_EBADF); /* no FS */
	CHECK_EQ(pcall(&g, "fd_prestat_get", 2, A(4), A(0)), W_EBADF);
	CHECK_EQ(pcall(&g, "path_open", 9, A(3), A(0), A(0), A(1), A(0), A(0), A(0), A(0), A(0)),
		 W_EBADF);
	CHECK_EQ(pcall(&g, "path_open", 9, A(1), A(0), A(0), A(1), A(0), A(0), A(0), A(0), A(0)),
		 W_ENOTDIR);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(0), A(0), A(0), A(0)), W_EBADF);
	CHECK_EQ(pcall(&g, "fd_read", 4, A(1), A(0), A(0), A(0)), W_EBADF);
	CHECK_EQ(pcall(&g, "fd_write", 4, A(9), A(0), A(0), A(0)), W_EBADF);
	prog_end(&g);
}
