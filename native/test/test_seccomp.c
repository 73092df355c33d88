/*
 * The instance process's seccomp program (native/executor/seccomp.c) run as
 * data: a small classic-BPF interpreter evaluates it for every (arch, nr)
 * pair and for allowed calls with good and bad arguments. No filter is
 * installed; the escape suite (tests/sandbox/) checks the kernel's side.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "../executor/protocol.h"
#include "../executor/seccomp.h"
#include "test.h"

#define GIB4 (4ull << 30)

/* Code at 0x100_0000_0000 (4 GiB, then a gap), memory 2 slots after it. */
static const struct gate__seccomp_ranges ranges = {
	.code_lo = 0x10000000000ull,
	.code_hi = 0x10000000000ull + GIB4,
	.mem_lo = 0x10000000000ull + 2 * GIB4,
	.mem_hi = 0x10000000000ull + 2 * GIB4 + 16 * GIB4,
};

/* Classic BPF as seccomp uses it: A, X, M[16]; loads from seccomp_data
 * only; returns the RET value, or 0xdead on a malformed program. */
static uint32_t run(const struct sock_filter *p, size_t n, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, m[BPF_MEMWORDS] = { 0 };
	const uint8_t *data = (const uint8_t *)d;

	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &p[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS && BPF_SIZE(f->code) == BPF_W) {
				if (f->k % 4 || f->k + 4 > sizeof *d)
					return 0xdead;
				memcpy(&a, data + f->k, 4);
			} else if (BPF_MODE(f->code) == BPF_IMM) {
				a = f->k;
			} else if (BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS) {
				a = m[f->k];
			} else {
				return 0xdead;
			}
			break;
		case BPF_ST:
			if (f->k >= BPF_MEMWORDS)
				return 0xdead;
			m[f->k] = a;
			break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_RSH: a >>= src; break;
			case BPF_LSH: a <<= src; break;
			default: return 0xdead;
			}
			break;
		case BPF_JMP: {
			bool t;

			if (BPF_OP(f->code) == BPF_JA) {
				pc += f->k;
				continue;
			}
			switch (BPF_OP(f->code)) {
			case BPF_JEQ: t = a == src; break;
			case BPF_JGT: t = a > src; break;
			case BPF_JGE: t = a >= src; break;
			case BPF_JSET: t = (a & src) != 0; break;
			default: return 0xdead;
			}
			pc += t ? f->jt : f->jf;
			if (pc >= n)
				return 0xdead; /* the kernel's checker forbids this */
			break;
		}
		case BPF_RET:
			return f->k;
		default:
			return 0xdead;
		}
	}
	return 0xdead; /* fell off the end */
}

static struct sock_filter prog[GATE_SECCOMP_MAX];
static size_t prog_len;

static uint32_t eval(uint32_t arch, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch, .args = { a0, a1, a2 } };

	if (prog_len == 0)
		prog_len = gate__seccomp_build(&ranges, prog, GATE_SECCOMP_MAX);
	return run(prog, prog_len, &d);
}

static bool allowed_any(int nr)
{
	return nr == SYS_pread64 || nr == SYS_pwrite64 || nr == SYS_close || nr == SYS_brk || nr == SYS_rt_sigreturn ||
	       nr == SYS_exit_group || nr == SYS_ppoll || nr == SYS_clock_gettime;
}

TEST(seccomp_allowlist_has_at_most_11_syscalls)
{
	int nrs[32];
	size_t n = gate__seccomp_allowed(nrs, 32);

	CHECK(n > 0 && n <= 11);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_getpid, 0, 0, 0) == SECCOMP_RET_KILL_PROCESS);
	CHECK(prog_len > 0 && prog_len <= GATE_SECCOMP_MAX);
	/* every jump lands inside the program */
	for (size_t i = 0; i < prog_len; i++)
		if (BPF_CLASS(prog[i].code) == BPF_JMP)
			CHECK(i + 1 + prog[i].jt < prog_len && i + 1 + prog[i].jf < prog_len);
	/* the last instruction is the default: kill */
	CHECK(prog[prog_len - 1].code == (BPF_RET | BPF_K));
	CHECK_EQ(prog[prog_len - 1].k, SECCOMP_RET_KILL_PROCESS);
}

TEST(seccomp_checks_the_architecture_first)
{
	/* instruction 0 loads arch; 1 compares it with x86-64 */
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_brk, 0, 0, 0) == SECCOMP_RET_ALLOW);
	CHECK_EQ(prog[0].code, BPF_LD | BPF_W | BPF_ABS);
	CHECK_EQ(prog[0].k, offsetof(struct seccomp_data, arch));
	CHECK_EQ(prog[1].k, AUDIT_ARCH_X86_64);
}

TEST(seccomp_x86_64_numbers_allow_only_the_allowlist)
{
	for (uint32_t nr = 0; nr < 1024; nr++) {
		uint32_t r = eval(AUDIT_ARCH_X86_64, nr, 0, 0, 0);
		uint32_t want = allowed_any((int)nr) ? SECCOMP_RET_ALLOW : SECCOMP_RET_KILL_PROCESS;

		if (r != want) {
			char m[64];
			snprintf(m, sizeof m, "x86-64 nr %u -> %#x", nr, r);
			gate_test_failed(__FILE__, __LINE__, m);
			return;
		}
	}
	/* the checked ones, with the arguments the instance uses */
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_recvmsg, GATE_INSTANCE_FD, 0, MSG_CMSG_CLOEXEC) ==
	      SECCOMP_RET_ALLOW);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_sendmsg, GATE_INSTANCE_FD, 0, MSG_NOSIGNAL) ==
	      SECCOMP_RET_ALLOW);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_lo + 65536, 65536,
		   PROT_READ | PROT_WRITE) == SECCOMP_RET_ALLOW);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_hi - 65536, 65536,
		   PROT_READ | PROT_WRITE) == SECCOMP_RET_ALLOW);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.code_lo, 4096, PROT_READ | PROT_EXEC) ==
	      SECCOMP_RET_ALLOW);
}

TEST(seccomp_x32_and_i386_numbers_are_all_killed)
{
	static const uint32_t arches[] = { AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM,
					   0, 0xffffffffu };

	for (uint32_t nr = 0; nr < 1024; nr++) {
		CHECK(eval(AUDIT_ARCH_X86_64, nr | __X32_SYSCALL_BIT, GATE_INSTANCE_FD, 0,
			   MSG_CMSG_CLOEXEC) == SECCOMP_RET_KILL_PROCESS);
		for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
			CHECK(eval(arches[i], nr, GATE_INSTANCE_FD, 0, MSG_CMSG_CLOEXEC) ==
			      SECCOMP_RET_KILL_PROCESS);
	}
	/* i386 numbers that alias allowed x86-64 ones (the original's gap) */
	CHECK(eval(AUDIT_ARCH_I386, 3 /* i386 read */, 0, 0, 0) == SECCOMP_RET_KILL_PROCESS);
	CHECK(eval(AUDIT_ARCH_I386, SYS_brk, 0, 0, 0) == SECCOMP_RET_KILL_PROCESS);
	CHECK(eval(AUDIT_ARCH_X86_64, 0xffffffffu, 0, 0, 0) == SECCOMP_RET_KILL_PROCESS);
}

TEST(seccomp_allowed_calls_with_forbidden_arguments_are_killed)
{
	const uint32_t K = SECCOMP_RET_KILL_PROCESS, RW = PROT_READ | PROT_WRITE,
		       RX = PROT_READ | PROT_EXEC;

	CHECK(eval(AUDIT_ARCH_X86_64, SYS_recvmsg, 0, 0, MSG_CMSG_CLOEXEC) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_recvmsg, GATE_INSTANCE_FD, 0, 0) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_sendmsg, 4, 0, MSG_NOSIGNAL) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_sendmsg, GATE_INSTANCE_FD, 0, 0) == K);
	/* mprotect: executable memory, writable code, RWX, outside, too long */
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_lo, 4096, RX) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_lo, 4096, RW | PROT_EXEC) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.code_lo, 4096, RW) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.code_lo, 4096, RW | PROT_EXEC) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_hi, 4096, RW) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_lo - 4096, 4096, RW) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.code_hi, 4096, RX) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.code_lo - 4096, 4096, RX) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, 0x7ffff0000000ull, 4096, RW) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_lo, GIB4, RW) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_lo, 4096, RW | (1ull << 32)) == K);
	CHECK(eval(AUDIT_ARCH_X86_64, SYS_mprotect, ranges.mem_lo, 4096, PROT_NONE) == K);
}

TEST(seccomp_build_refuses_unaligned_ranges)
{
	struct gate__seccomp_ranges r = ranges;
	struct sock_filter p[GATE_SECCOMP_MAX];

	r.mem_lo += 4096;
	CHECK_EQ(gate__seccomp_build(&r, p, GATE_SECCOMP_MAX), 0);
	CHECK_EQ(gate__seccomp_build(&ranges, p, 10), 0); /* no room */
}
