/*
 * Builds the instance process's seccomp filter from seccomp_table.h.
 *
 * Layout of the program (kernel Documentation/userspace-api/seccomp_filter.rst):
 *
 *   ld arch; jeq AUDIT_ARCH_X86_64 else KILL       architecture first
 *   ld nr;   jge __X32_SYSCALL_BIT then KILL       x32 and beyond
 *   for each table row:
 *     jeq nr else skip the row's block             A still holds nr here
 *     block: argument checks, ending in ALLOW or KILL on every path
 *   KILL                                           default
 *
 * Each block ends in a return, so A is only clobbered after a match. The
 * building is pure; only gate__seccomp_install touches the kernel.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protocol.h"

#define ALLOW SECCOMP_RET_ALLOW
#define KILL SECCOMP_RET_KILL_PROCESS

#define DATA_NR offsetof(struct seccomp_data, nr)
#define DATA_ARCH offsetof(struct seccomp_data, arch)
/* seccomp_data.args are u64, little-endian on x86-64 */
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

enum check { SC_ANY, SC_RECV, SC_SEND, SC_MPROTECT };

static const struct {
	int nr;
	enum check check;
} table[] = {
#define GATE_SYSCALL(nr, check, why) { nr, check },
#include "seccomp_table.h"
#undef GATE_SYSCALL
};

#define N_TABLE (sizeof table / sizeof table[0])

struct prog {
	struct sock_filter *p;
	size_t n, max;
	bool overflow;
};

static void emit(struct prog *g, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (g->n >= g->max) {
		g->overflow = true;
		return;
	}
	g->p[g->n++] = (struct sock_filter){ code, jt, jf, k };
}

static void ld(struct prog *g, uint32_t off)
{
	emit(g, BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
}

static void ret(struct prog *g, uint32_t k)
{
	emit(g, BPF_RET | BPF_K, 0, 0, k);
}

/* Instructions of a row's block, for the jump over it. */
static size_t block_len(enum check c)
{
	switch (c) {
	case SC_ANY:
		return 1;
	case SC_RECV:
	case SC_SEND:
		return 6;
	case SC_MPROTECT:
		return 16;
	}
	return 0;
}

/* fd (low word of arg 0) is the channel and flags (low word of arg 2) are
 * exactly as the request loop passes them. */
static void channel(struct prog *g, uint32_t flags)
{
	ld(g, ARG_LO(0));                                        /* 0 */
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0, 3, GATE_INSTANCE_FD); /* 1: else 5 */
	ld(g, ARG_LO(2));                                        /* 2 */
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, flags);           /* 3: else 5 */
	ret(g, ALLOW);                                           /* 4 */
	ret(g, KILL);                                            /* 5 */
}

/* mprotect(addr, len, prot): len < 4 GiB; RX in the code arena or RW in the
 * memory arena, comparing the address's high word with the ranges'. */
static void mprotect_check(struct prog *g, const struct gate__seccomp_ranges *r)
{
	ld(g, ARG_HI(1));                                                       /* 0 */
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0, 13, 0);                           /* 1: else 15 */
	ld(g, ARG_HI(2));                                                       /* 2 */
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0, 11, 0);                           /* 3: else 15 */
	ld(g, ARG_LO(2));                                                       /* 4 */
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, PROT_READ | PROT_EXEC);        /* 5: else 10 */
	ld(g, ARG_HI(0));                                                       /* 6 */
	emit(g, BPF_JMP | BPF_JGE | BPF_K, 0, 7, (uint32_t)(r->code_lo >> 32)); /* 7: else 15 */
	emit(g, BPF_JMP | BPF_JGE | BPF_K, 6, 0, (uint32_t)(r->code_hi >> 32)); /* 8: then 15 */
	ret(g, ALLOW);                                                          /* 9 */
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, PROT_READ | PROT_WRITE);       /* 10: else 15 */
	ld(g, ARG_HI(0));                                                       /* 11 */
	emit(g, BPF_JMP | BPF_JGE | BPF_K, 0, 2, (uint32_t)(r->mem_lo >> 32));  /* 12: else 15 */
	emit(g, BPF_JMP | BPF_JGE | BPF_K, 1, 0, (uint32_t)(r->mem_hi >> 32));  /* 13: then 15 */
	ret(g, ALLOW);                                                          /* 14 */
	ret(g, KILL);                                                           /* 15 */
}

size_t gate__seccomp_build(const struct gate__seccomp_ranges *r, struct sock_filter *out,
			   size_t max)
{
	const uint64_t low = (1ull << 32) - 1;
	struct prog g = { out, 0, max, false };

	if ((r->code_lo & low) || (r->code_hi & low) || (r->mem_lo & low) || (r->mem_hi & low) ||
	    r->code_lo >= r->code_hi || r->mem_lo >= r->mem_hi)
		return 0;
	/* 1. the architecture, first */
	ld(&g, DATA_ARCH);
	emit(&g, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
	ret(&g, KILL);
	/* 2. x32: numbers with __X32_SYSCALL_BIT, and anything above */
	ld(&g, DATA_NR);
	emit(&g, BPF_JMP | BPF_JGE | BPF_K, 0, 1, __X32_SYSCALL_BIT);
	ret(&g, KILL);
	/* 3. the allowlist */
	for (size_t i = 0; i < N_TABLE; i++) {
		size_t start;

		emit(&g, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)block_len(table[i].check),
		     (uint32_t)table[i].nr);
		start = g.n;
		switch (table[i].check) {
		case SC_ANY:
			ret(&g, ALLOW);
			break;
		case SC_RECV:
			channel(&g, MSG_CMSG_CLOEXEC);
			break;
		case SC_SEND:
			channel(&g, MSG_NOSIGNAL);
			break;
		case SC_MPROTECT:
			mprotect_check(&g, r);
			break;
		}
		if (!g.overflow && g.n - start != block_len(table[i].check))
			return 0; /* block_len() out of step with the emitters */
	}
	/* 4. kill by default */
	ret(&g, KILL);
	return g.overflow ? 0 : g.n;
}

size_t gate__seccomp_allowed(int *nrs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < N_TABLE && n < max; i++)
		nrs[n++] = table[i].nr;
	return n;
}

int gate__seccomp_install(const struct sock_filter *prog, size_t len)
{
	struct sock_fprog fp = { .len = (unsigned short)len, .filter = (struct sock_filter *)prog };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0)
		return -errno;
	return 0;
}
