/*
 * The executor client inside the Deno process (libgate.h, docs/protocol.md).
 *
 * The Deno process is multi-threaded, so it never forks: posix_spawn (a
 * vfork-style clone plus exec in glibc) starts gate-executor with one end of
 * a SOCK_SEQPACKET socketpair as descriptor 3. Frames go out with send() on
 * the calling thread; replies come back through gate_executor_poll(), which
 * Deno runs as its one outstanding nonblocking call and which returns a
 * batch of whole frames. gate_executor_wake() ends a poll early.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../executor/protocol.h"
#include "../libgate.h"
#include "error.h"
#include "executor.h"

/* How long the executor may take to say hello, and to accept one frame. A
 * healthy executor needs microseconds; a stuck one must not hang Deno. */
#define HELLO_TIMEOUT_MS 5000
#define SEND_TIMEOUT_MS 5000
/* How long gate_executor_free() waits for the executor to reap its
 * instances and exit before it is killed. */
#define EXIT_TIMEOUT_MS 2000

extern char **environ;

struct gate_executor {
	pid_t pid;
	int sock;   /* control channel */
	int wakefd; /* eventfd: gate_executor_wake() ends a poll */
	bool reaped;
	int status; /* wait status once reaped */
};

static void msleep(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Reaps the executor if it has exited; waits up to ms milliseconds. */
static bool reap(struct gate_executor *ex, long ms)
{
	for (long waited = 0; !ex->reaped; waited++) {
		pid_t r = waitpid(ex->pid, &ex->status, WNOHANG);
		if (r == ex->pid || (r < 0 && errno == ECHILD)) {
			ex->reaped = true;
			break;
		}
		if (waited >= ms)
			break;
		msleep(1);
	}
	return ex->reaped;
}

static const char *describe_exit(struct gate_executor *ex, char *buf, size_t len)
{
	if (!reap(ex, 100))
		snprintf(buf, len, "still running");
	else if (WIFSIGNALED(ex->status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(ex->status));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(ex->status));
	return buf;
}

static int wait_hello(struct gate_executor *ex, const char *path, char *err, size_t err_len)
{
	struct pollfd p = { .fd = ex->sock, .events = POLLIN };
	struct gate__frame_header h;
	uint8_t buf[GATE_FRAME_HEADER + 12];
	char how[64];
	int r;
	ssize_t n;

	do
		r = poll(&p, 1, HELLO_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return gate__errorf(err, err_len, GATE_IO,
				    "Cannot start gate-executor \"%s\": no hello within %d ms", path,
				    HELLO_TIMEOUT_MS);
	n = recv(ex->sock, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
	/* An executor that cannot sandbox instances says so instead of HELLO
	 * (docs/sandbox.md), and exits. */
	if (n >= GATE_FRAME_HEADER + 4 && gate__le16(buf + 4) == GATE_MSG_ERROR)
		return gate__errorf(err, err_len, GATE_UNSUPPORTED,
				    "Cannot start gate-executor \"%s\": it cannot sandbox instances "
				    "(its stderr says why; docs/sandbox.md)",
				    path);
	if (n <= 0)
		return gate__errorf(err, err_len, GATE_IO,
				    "Cannot start gate-executor \"%s\": it ended (%s)", path,
				    describe_exit(ex, how, sizeof how));
	if ((size_t)n != sizeof buf || !gate__frame_parse(buf, sizeof buf, &h) ||
	    h.type != GATE_MSG_HELLO)
		return gate__errorf(err, err_len, GATE_PROTOCOL,
				    "Cannot start gate-executor \"%s\": malformed hello", path);
	uint32_t version = gate__le32(buf + GATE_FRAME_HEADER);
	uint32_t abi = gate__le32(buf + GATE_FRAME_HEADER + 4);
	if (version != GATE_PROTOCOL_VERSION || abi != GATE_ABI_VERSION)
		return gate__errorf(err, err_len, GATE_PROTOCOL,
				    "Cannot use gate-executor \"%s\": protocol %u and ABI %u, "
				    "expected protocol %d and ABI %d: rebuild it with make",
				    path, version, abi, GATE_PROTOCOL_VERSION, GATE_ABI_VERSION);
	return GATE_OK;
}

GATE_API int gate_executor_spawn(const char *path, gate_executor **out, char *err,
				 size_t err_len)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t all, none;
	struct gate_executor *ex;
	char *argv[] = { "gate-executor", "--serve", NULL };
	int sv[2], child_end, status;

	if (path == NULL || out == NULL)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot start gate-executor: no path");
	ex = calloc(1, sizeof *ex);
	if (ex == NULL)
		return gate__errorf(err, err_len, GATE_OUT_OF_MEMORY,
				    "Cannot start gate-executor: out of memory");
	ex->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ex->wakefd < 0) {
		status = gate__errorf(err, err_len, GATE_IO, "Cannot create eventfd: %s",
				      strerror(errno));
		goto out_free;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		status = gate__errorf(err, err_len, GATE_IO, "Cannot create socketpair: %s",
				      strerror(errno));
		goto out_close_wake;
	}
	/* dup2 onto the same number would leave close-on-exec set. */
	child_end = sv[1];
	if (child_end == GATE_CONTROL_FD) {
		child_end = fcntl(sv[1], F_DUPFD_CLOEXEC, GATE_CONTROL_FD + 1);
		close(sv[1]);
		if (child_end < 0) {
			status = gate__errorf(err, err_len, GATE_IO, "Cannot duplicate socket: %s",
					      strerror(errno));
			close(sv[0]);
			goto out_close_wake;
		}
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, child_end, GATE_CONTROL_FD);
	/* Deno ignores SIGPIPE and may block signals: the executor starts clean,
	 * in its own process group so a terminal's ^C reaches only Deno, whose
	 * exit then ends the executor through its control channel. */
	posix_spawnattr_init(&attr);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETPGROUP);
	status = posix_spawn(&ex->pid, path, &actions, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	close(child_end);
	if (status != 0) {
		status = gate__errorf(err, err_len, GATE_IO,
				      "Cannot start gate-executor \"%s\": %s: build it with `make`, "
				      "or set GATE_EXECUTOR to its path",
				      path, strerror(status));
		close(sv[0]);
		goto out_close_wake;
	}
	ex->sock = sv[0];
	fcntl(ex->sock, F_SETFL, fcntl(ex->sock, F_GETFL) | O_NONBLOCK);
	status = wait_hello(ex, path, err, err_len);
	if (status != GATE_OK) {
		gate_executor_free(ex);
		return status;
	}
	*out = ex;
	return GATE_OK;

out_close_wake:
	close(ex->wakefd);
out_free:
	free(ex);
	return status;
}

GATE_API void gate_executor_free(gate_executor *ex)
{
	if (ex == NULL)
		return;
	/* End of channel: the executor kills and reaps its instances, exits. */
	close(ex->sock);
	if (!reap(ex, EXIT_TIMEOUT_MS)) {
		kill(ex->pid, SIGKILL);
		while (waitpid(ex->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(ex->wakefd);
	free(ex);
}

GATE_API int32_t gate_executor_pid(const gate_executor *ex)
{
	return ex ? ex->pid : -1;
}

int gate__executor_socket(const gate_executor *ex)
{
	return ex->sock;
}

/* A sealed memfd holding data: its contents and size cannot change once the
 * instance process has it. Returns the descriptor or -1 with errno. */
static int sealed_memfd(const uint8_t *data, size_t len)
{
	int fd = memfd_create("gate-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out_close;
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
		goto out_close;
	return fd;
out_close:;
	int saved = errno;

	close(fd);
	errno = saved;
	return -1;
}

/* Sends a frame, with fd (>= 0) as SCM_RIGHTS; the caller keeps fd. */
static int send_frame_fd(gate_executor *ex, const uint8_t *frame, size_t len, int fd, char *err,
			 size_t err_len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct gate__frame_header h;
	struct iovec iov = { .iov_base = (void *)frame, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int status = GATE_OK;

	if (ex == NULL || frame == NULL || !gate__frame_parse(frame, len, &h))
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot send a malformed frame of %zu bytes", len);
	if (((h.flags & GATE_FRAME_FD) != 0) != (fd >= 0))
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot send frame: GATE_FRAME_FD set without a descriptor or "
				    "the other way round");
	if (fd >= 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof control.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	for (;;) {
		ssize_t n = sendmsg(ex->sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == (ssize_t)len)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* The executor reads its control channel whenever it runs;
			 * a full socket means it is stuck. */
			struct pollfd p = { .fd = ex->sock, .events = POLLOUT };
			int r = poll(&p, 1, SEND_TIMEOUT_MS);
			if (r > 0 || (r < 0 && errno == EINTR))
				continue;
			status = gate__errorf(err, err_len, GATE_IO,
					      "Cannot send to gate-executor (pid %d): it accepted "
					      "nothing for %d ms",
					      (int)ex->pid, SEND_TIMEOUT_MS);
			break;
		}
		status = gate__errorf(err, err_len, GATE_IO,
				      "Cannot send to gate-executor (pid %d): %s", (int)ex->pid,
				      n < 0 ? strerror(errno) : "short send");
		break;
	}
	return status;
}

GATE_API int gate_executor_send(gate_executor *ex, const uint8_t *frame, size_t len,
				const uint8_t *image, size_t image_len, char *err, size_t err_len)
{
	int fd = -1, status;

	if (image != NULL) {
		fd = sealed_memfd(image, image_len);
		if (fd < 0)
			return gate__errorf(err, err_len, GATE_IO,
					    "Cannot pass image of %zu bytes: %s", image_len,
					    strerror(errno));
	}
	status = send_frame_fd(ex, frame, len, fd, err, err_len);
	if (fd >= 0)
		close(fd);
	return status;
}

GATE_API int gate_executor_send_fd(gate_executor *ex, const uint8_t *frame, size_t len,
				   int32_t fd, char *err, size_t err_len)
{
	if (fd < 0)
		return gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				    "Cannot send frame: no descriptor");
	return send_frame_fd(ex, frame, len, fd, err, err_len);
}

GATE_API int32_t gate_state_memfd(char *err, size_t err_len)
{
	int fd = memfd_create("gate-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -gate__errorf(err, err_len, GATE_IO, "Cannot create a memfd for state: %s",
				     strerror(errno));
	return fd;
}

GATE_API void gate_fd_close(int32_t fd)
{
	if (fd >= 0)
		close(fd);
}

GATE_API int64_t gate_executor_poll(gate_executor *ex, uint8_t *buf, size_t len,
				    int32_t timeout_ms, char *err, size_t err_len)
{
	struct pollfd p[2];
	size_t used = 0;
	uint64_t drained;
	char how[64];
	int r;

	if (ex == NULL || buf == NULL || len < GATE_FRAME_MAX)
		return -gate__errorf(err, err_len, GATE_INVALID_ARGUMENT,
				     "Cannot poll: buffer of %zu bytes, need %d", len,
				     GATE_FRAME_MAX);
	p[0] = (struct pollfd){ .fd = ex->sock, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = ex->wakefd, .events = POLLIN };
	do
		r = poll(p, 2, timeout_ms < 0 ? -1 : timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -gate__errorf(err, err_len, GATE_IO, "Cannot poll: %s", strerror(errno));
	if (p[1].revents & POLLIN)
		while (read(ex->wakefd, &drained, sizeof drained) > 0)
			;
	/* Read while a frame of the largest size still fits: a datagram
	 * longer than the space left would be cut. */
	while (len - used >= GATE_FRAME_MAX) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int) * 4)];
		} control;
		struct iovec iov = { .iov_base = buf + used, .iov_len = GATE_FRAME_MAX };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control.buf,
			.msg_controllen = sizeof control.buf,
		};
		struct gate__frame_header h;
		ssize_t n = recvmsg(ex->sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* Frames already read go out first; the end is reported by
			 * the next call. */
			if (used > 0)
				break;
			return -gate__errorf(err, err_len, GATE_IO,
					     "gate-executor (pid %d) has ended (%s)", (int)ex->pid,
					     n < 0 ? strerror(errno)
						   : describe_exit(ex, how, sizeof how));
		}
		bool fds = CMSG_FIRSTHDR(&msg) != NULL;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfds; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				close(fd);
			}
		}
		if (fds || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    !gate__frame_parse(buf + used, (size_t)n, &h))
			return -gate__errorf(err, err_len, GATE_PROTOCOL,
					     "gate-executor (pid %d) sent a malformed frame of %zd "
					     "bytes",
					     (int)ex->pid, n);
		used += (size_t)n;
	}
	return (int64_t)used;
}

GATE_API void gate_executor_wake(gate_executor *ex)
{
	uint64_t one = 1;

	if (ex != NULL && write(ex->wakefd, &one, sizeof one) < 0) {
		/* The counter is saturated: a wake is already pending. */
	}
}
