/*
 * TEST-ONLY probe (docs/sandbox.md, "Probe mode"). Compiled only into
 * native/build/gate-executor-probe (-DGATE_PROBE), never into gate-executor.
 * It adds the PROBE request to a real, fully sandboxed instance process:
 *
 *   u32 mode, u32 nr, u32 base, u32 0, u64 args[6]
 *   mode 0: reply the facts gathered just before the filter (text)
 *   mode 1: syscall(nr, args) through the x86-64 `syscall` instruction
 *           (nr may carry __X32_SYSCALL_BIT)
 *   mode 2: the same through i386 `int $0x80` (32-bit arguments)
 *   base:   added to args[0]: 0 none, 1 code arena, 2 memory arena,
 *           3 an address on the stack (page aligned)
 *
 * A forbidden call never returns: the kernel kills the process (SIGSYS).
 * An allowed one replies OK with its i64 result.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../rt/rt.h"
#include "protocol.h"
#include "sandbox.h"

#pragma message("building the TEST-ONLY sandbox probe (gate-executor-probe): never ship this binary")

static char facts[4096];
static size_t facts_len;
static struct gate__rt_arenas arenas;

static void fact(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fact(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(facts + facts_len, sizeof facts - facts_len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof facts - facts_len)
		facts_len += (size_t)n;
}

static void interfaces(void)
{
	struct if_nameindex *ifs = if_nameindex();
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	fact("interfaces=");
	for (struct if_nameindex *i = ifs; i && i->if_index; i++) {
		struct ifreq r;
		memset(&r, 0, sizeof r);
		snprintf(r.ifr_name, sizeof r.ifr_name, "%s", i->if_name);
		bool up = sock >= 0 && ioctl(sock, SIOCGIFFLAGS, &r) == 0 && (r.ifr_flags & IFF_UP);
		fact("%s%s:%s", i == ifs ? "" : ",", i->if_name, up ? "up" : "down");
	}
	fact("\n");
	if (ifs)
		if_freenameindex(ifs);
	if (sock >= 0)
		close(sock);
}

void gate__probe_facts(const struct gate__rt_arenas *ar)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uid_t r, e, s;
	struct rlimit rl;
	int entries = 0, fds = 0, bnd = 0;
	DIR *dir;

	arenas = *ar;
	fact("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
	getresuid(&r, &e, &s);
	fact("uid=%u,%u,%u\n", r, e, s);
	fact("no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	fact("dumpable=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	memset(d, 0, sizeof d);
	syscall(SYS_capget, &h, d);
	fact("cap_eff=%x%08x\ncap_prm=%x%08x\ncap_inh=%x%08x\n", d[1].effective, d[0].effective,
	     d[1].permitted, d[0].permitted, d[1].inheritable, d[0].inheritable);
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		bnd += prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
	fact("cap_bnd_count=%d\n", bnd);
	dir = opendir("/");
	for (struct dirent *de; dir && (de = readdir(dir));)
		entries += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	if (dir)
		closedir(dir);
	fact("root_entries=%d\n", entries);
	fact("root_mkdir=%s\n", mkdir("/x", 0700) == 0 ? "ok" : strerrorname_np(errno));
	fact("root_create=%s\n",
	     open("/x", O_CREAT | O_WRONLY, 0600) >= 0 ? "ok" : strerrorname_np(errno));
	fact("proc=%s\n", access("/proc/self", F_OK) == 0 ? "present" : strerrorname_np(errno));
	interfaces();
	fact("kill_all=%s\n", kill(-1, 0) == 0 ? "ok" : strerrorname_np(errno));
	fact("ptrace_attach=%s\n",
	     ptrace(PTRACE_ATTACH, 2, NULL, NULL) == 0 ? "ok" : strerrorname_np(errno));
	{
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		fact("fork=%s\n", pid >= 0 ? "ok" : strerrorname_np(errno));
	}
	for (int fd = 0; fd < 64; fd++)
		fds += fcntl(fd, F_GETFD) >= 0;
	fact("open_fds=%d\n", fds);
	fact("seccomp_before_filter=%d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	{
		char host[64] = "";
		gethostname(host, sizeof host);
		fact("hostname=%s\n", host);
	}
#define RL(name)                                                                           \
	getrlimit(name, &rl);                                                              \
	fact(#name "=%llu\n", (unsigned long long)rl.rlim_max);
	RL(RLIMIT_NOFILE)
	RL(RLIMIT_NPROC)
	RL(RLIMIT_FSIZE)
	RL(RLIMIT_CORE)
	RL(RLIMIT_AS)
	RL(RLIMIT_DATA)
	RL(RLIMIT_STACK)
	RL(RLIMIT_CPU)
#undef RL
	fact("code_arena=%#lx-%#lx\nmem_arena=%#lx-%#lx\n", (unsigned long)ar->code_lo,
	     (unsigned long)ar->code_hi, (unsigned long)ar->mem_lo, (unsigned long)ar->mem_hi);
}

static long int80(uint32_t nr, const uint64_t *a)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static long sys64(uint64_t nr, const uint64_t *a)
{
	long ret;
	register uint64_t r10 __asm__("r10") = a[3];
	register uint64_t r8 __asm__("r8") = a[4];
	register uint64_t r9 __asm__("r9") = a[5];

	/* the instruction itself: glibc's syscall() is allowed no say */
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "memory", "rcx", "r11");
	return ret;
}

size_t gate__probe_run(const uint8_t *in, size_t len, uint8_t *out, size_t max)
{
	uint64_t a[6];
	uint32_t mode, nr, base;
	uint8_t here[1];
	long ret;

	if (len != 16 + 48)
		return 0;
	mode = gate__le32(in);
	nr = gate__le32(in + 4);
	base = gate__le32(in + 8);
	memcpy(a, in + 16, sizeof a);
	if (mode == 0) {
		size_t n = facts_len < max ? facts_len : max;
		memcpy(out, facts, n);
		return n;
	}
	if (base == 1)
		a[0] += arenas.code_lo;
	else if (base == 2)
		a[0] += arenas.mem_lo;
	else if (base == 3)
		a[0] += (uintptr_t)here & ~(uintptr_t)4095;
	ret = mode == 2 ? int80(nr, a) : sys64(nr, a);
	memcpy(out, &ret, 8);
	return 8;
}
