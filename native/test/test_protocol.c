/*
 * The executor protocol: header parsing and bounds-checked readers as data,
 * and gate-executor itself answering malformed frames (it must be built:
 * native/build/gate-executor, or GATE_EXECUTOR).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../executor/protocol.h"
#include "../lib/executor.h"
#include "test.h"

TEST(protocol_frame_parse_requires_exact_size)
{
	uint8_t f[GATE_FRAME_HEADER + 4] = { 0 };
	struct gate__frame_header h;

	gate__frame_put(f, sizeof f, GATE_MSG_INVOKE, GATE_FRAME_FD, 7, 9);
	CHECK(gate__frame_parse(f, sizeof f, &h));
	CHECK_EQ(h.size, sizeof f);
	CHECK_EQ(h.type, GATE_MSG_INVOKE);
	CHECK_EQ(h.flags, GATE_FRAME_FD);
	CHECK_EQ(h.instance, 7);
	CHECK_EQ(h.seq, 9);
	CHECK(!gate__frame_parse(f, sizeof f - 1, &h)); /* size field says more */
	CHECK(!gate__frame_parse(f, GATE_FRAME_HEADER - 1, &h));
	gate__put32(f, GATE_FRAME_MAX + 1);
	CHECK(!gate__frame_parse(f, sizeof f, &h));
}

TEST(protocol_reader_stops_at_the_end)
{
	const uint8_t p[6] = { 1, 0, 0, 0, 0x7f, 2 };
	struct gate__reader r = gate__reader(p, sizeof p);

	CHECK_EQ(gate__read32(&r), 1);
	CHECK_EQ(gate__read8(&r), 0x7f);
	CHECK(r.ok);
	CHECK_EQ(gate__read32(&r), 0); /* 1 byte left: fails */
	CHECK(!r.ok);
	CHECK_EQ(r.left, 0);
	CHECK_EQ(gate__read8(&r), 0); /* stays failed */
	CHECK(gate__read(&r, 0) == NULL);
}

TEST(protocol_value_sizes_follow_types)
{
	CHECK_EQ(gate__value_size(GATE_I32), 4);
	CHECK_EQ(gate__value_size(GATE_F64), 8);
	CHECK_EQ(gate__value_size(GATE_V128), 16);
	CHECK_EQ(gate__value_size(GATE_EXTERNREF), 8);
	CHECK_EQ(gate__value_size(0x40), 0);
}

static const char *executor_path(void)
{
	const char *path = getenv("GATE_EXECUTOR");

	return path ? path : "native/build/gate-executor";
}

/* Receives the next frame within 5 s; returns its length or -1. */
static ssize_t next_frame(int sock, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };

	if (poll(&p, 1, 5000) != 1)
		return -1;
	return recv(sock, buf, len, 0);
}

/* Sends raw bytes (with an optional descriptor) and expects an ERROR frame
 * with status GATE_PROTOCOL and the given seq. */
static int expect_protocol_error(int sock, const uint8_t *data, size_t len, int fd,
				 uint32_t seq)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct gate__frame_header h;
	uint8_t reply[GATE_FRAME_MAX];
	ssize_t n;

	if (fd >= 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof control.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)len)
		return 0;
	n = next_frame(sock, reply, sizeof reply);
	return n > 0 && gate__frame_parse(reply, (size_t)n, &h) && h.type == GATE_MSG_ERROR &&
	       h.seq == seq && n >= GATE_FRAME_HEADER + 4 &&
	       gate__le32(reply + GATE_FRAME_HEADER) == GATE_PROTOCOL;
}

TEST(executor_rejects_malformed_frames_and_keeps_serving)
{
	gate_executor *ex = NULL;
	char err[256];
	uint8_t f[GATE_FRAME_HEADER + 8];
	uint8_t reply[GATE_FRAME_MAX];
	struct gate__frame_header h;
	int sock, fds[2];

	CHECK_EQ(gate_executor_spawn(executor_path(), &ex, err, sizeof err), GATE_OK);
	sock = gate__executor_socket(ex);

	/* Shorter than a header. */
	memset(f, 0, sizeof f);
	CHECK(expect_protocol_error(sock, f, 5, -1, 0));
	/* Size field larger than the datagram. */
	gate__frame_put(f, sizeof f + 1, GATE_MSG_SPAWN, 0, 1, 11);
	CHECK(expect_protocol_error(sock, f, sizeof f, -1, 11));
	/* A descriptor without the flag, and the flag without a descriptor. */
	CHECK_EQ(pipe(fds), 0);
	gate__frame_put(f, GATE_FRAME_HEADER, GATE_MSG_SPAWN, 0, 1, 12);
	CHECK(expect_protocol_error(sock, f, GATE_FRAME_HEADER, fds[0], 12));
	gate__frame_put(f, GATE_FRAME_HEADER, GATE_MSG_SPAWN, GATE_FRAME_FD, 1, 13);
	CHECK(expect_protocol_error(sock, f, GATE_FRAME_HEADER, -1, 13));
	close(fds[0]);
	close(fds[1]);
	/* A reply type only instances send. */
	gate__frame_put(f, GATE_FRAME_HEADER, GATE_MSG_OK, 0, 1, 14);
	CHECK(expect_protocol_error(sock, f, GATE_FRAME_HEADER, -1, 14));

	/* Still serving: a well-formed SPAWN is answered. */
	gate__frame_put(f, GATE_FRAME_HEADER, GATE_MSG_SPAWN, 0, 1, 15);
	CHECK_EQ(send(sock, f, GATE_FRAME_HEADER, MSG_NOSIGNAL), GATE_FRAME_HEADER);
	ssize_t n = next_frame(sock, reply, sizeof reply);
	CHECK(n > 0 && gate__frame_parse(reply, (size_t)n, &h));
	CHECK_EQ(h.type, GATE_MSG_SPAWNED);
	CHECK_EQ(h.seq, 15);
	gate_executor_free(ex);
}

TEST(executor_spawn_fails_cleanly_for_a_missing_binary)
{
	gate_executor *ex = NULL;
	char err[256];

	CHECK_EQ(gate_executor_spawn("/nonexistent/gate-executor", &ex, err, sizeof err), GATE_IO);
	CHECK(ex == NULL);
	CHECK(strstr(err, "No such file") != NULL);
}
