/*
 * hostile: programs that abuse their I/O, for tests/sandbox/hostile_program_test.ts.
 * Built by the test with `clang --target=wasm32-wasi -O2 -Iinclude`; argv[1]
 * picks the behaviour:
 *
 *   flood FD [S]  writes the counter pattern to FD (1 or 2) forever; when FD
 *                 is 2, one '.' to stdout after each MiB stderr accepted
 *   trap N        writes N bytes of the pattern to stdout, then traps
 *   read [S]      reads stdin forever and checks it is the pattern (exit 3 at
 *                 end of input, trap on a wrong byte); one '.' per MiB read
 *   poll          poll_oneoff on a clock with a zero timeout, forever; one
 *                 '.' per 65536 polls (exit 4 if a poll fails)
 *   exit DEPTH C  writes "deep\n", recurses DEPTH calls, then proc_exit(C)
 *                 from the deepest one
 *   echo          copies stdin to stdout until end of input, then returns 0
 *
 * With S, flood and read first spin for S ms of CPU time, so that a test's
 * CPU time limit comes sooner: flooding is fast in CPU time but slow in wall
 * time, as the program mostly waits for Deno.
 *
 * The counter pattern: byte i of a stream is byte i % 4 of the little-endian
 * u32 i / 4, so a reader can check any prefix of it.
 */
#include <gate.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 65536
#define MIB (1u << 20)

static unsigned char buf[CHUNK];

/* Byte pos of the counter pattern. */
static unsigned char pattern_at(uint64_t pos)
{
	return (unsigned char)((uint32_t)(pos / 4) >> (8 * (pos % 4)));
}

/* Fills buf with CHUNK bytes of the pattern from pos (a multiple of 4). */
static void fill(uint64_t pos)
{
	for (size_t i = 0; i < CHUNK; i += 4) {
		uint32_t word = (uint32_t)((pos + i) / 4);

		memcpy(buf + i, &word, 4); /* wasm32 is little-endian */
	}
}

/* Writes all of len bytes, retrying short writes; 0, or -1 on an error. */
static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Writes the pattern to fd from position 0, limit bytes (0: forever); when
 * progress is set, a '.' to stdout after each MiB.
 */
static int write_pattern(int fd, uint64_t limit, int progress)
{
	uint64_t pos = 0;   /* bytes written */
	uint64_t start = 0; /* stream position of buf[0] */

	fill(start);
	while (limit == 0 || pos < limit) {
		size_t off = (size_t)(pos - start);
		size_t len = CHUNK - off;
		ssize_t n;

		if (limit != 0 && len > limit - pos)
			len = (size_t)(limit - pos);
		n = write(fd, buf + off, len);
		if (n <= 0)
			return -1;
		if (progress && (pos + (uint64_t)n) / MIB != pos / MIB && write(1, ".", 1) != 1)
			return -1;
		pos += (uint64_t)n;
		if (pos - start == CHUNK) {
			start = pos;
			fill(start);
		}
	}
	return 0;
}

static int read_pattern(void)
{
	uint64_t pos = 0;

	for (;;) {
		ssize_t n = read(0, buf, CHUNK);

		if (n < 0)
			return 2;
		if (n == 0)
			return 3;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern_at(pos + (uint64_t)i))
				__builtin_trap();
		if ((pos + (uint64_t)n) / MIB != pos / MIB && write(1, ".", 1) != 1)
			return 2;
		pos += (uint64_t)n;
	}
}

static int poll_forever(void)
{
	__wasi_subscription_t sub = {
		.userdata = 7,
		.u = {.tag = __WASI_EVENTTYPE_CLOCK,
		      .u.clock = {.id = __WASI_CLOCKID_MONOTONIC, .timeout = 0}},
	};

	for (uint32_t polls = 1;; polls++) {
		__wasi_event_t event;
		__wasi_size_t nevents = 0;

		if (__wasi_poll_oneoff(&sub, &event, 1, &nevents) != 0 || nevents != 1 ||
		    event.userdata != 7 || event.error != 0)
			return 4;
		if (polls % 65536 == 0 && write(1, ".", 1) != 1)
			return 2;
	}
}

/* The process's CPU time in ns. */
static uint64_t cpu_time(void)
{
	__wasi_timestamp_t t = 0;

	if (__wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t) != 0)
		__builtin_trap();
	return t;
}

/* Uses ms milliseconds of the process's CPU time. */
static void spin(uint64_t ms)
{
	uint64_t start = cpu_time();

	while (cpu_time() - start < ms * 1000000)
		;
}

static volatile int exit_code;
static volatile int sink;

/* Not a tail call: the frames stay on the stack until proc_exit. */
__attribute__((noinline)) static int dive(int depth)
{
	int r;

	if (depth == 0)
		__wasi_proc_exit((__wasi_exitcode_t)exit_code);
	r = dive(depth - 1);
	sink = r;
	return r * 3 + depth;
}

static int echo(void)
{
	for (;;) {
		ssize_t n = read(0, buf, CHUNK);

		if (n < 0)
			return 2;
		if (n == 0)
			return 0;
		if (write_all(1, buf, (size_t)n) != 0)
			return 2;
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;

	if (strcmp(mode, "flood") == 0 && (n == 1 || n == 2)) {
		spin(argc > 3 ? strtoull(argv[3], NULL, 10) : 0);
		return write_pattern((int)n, 0, n == 2) == 0 ? 0 : 2;
	}
	if (strcmp(mode, "trap") == 0 && n > 0) {
		if (write_pattern(1, n, 0) != 0)
			return 2;
		__builtin_trap();
	}
	if (strcmp(mode, "read") == 0) {
		spin(n);
		return read_pattern();
	}
	if (strcmp(mode, "poll") == 0)
		return poll_forever();
	if (strcmp(mode, "exit") == 0 && argc > 3) {
		static const char deep[] = "deep\n";

		exit_code = atoi(argv[3]);
		if (write_all(1, (const unsigned char *)deep, sizeof deep - 1) != 0)
			return 2;
		return dive((int)n);
	}
	if (strcmp(mode, "echo") == 0)
		return echo();
	return 1;
}
