/*
 * The instance process's seccomp allowlist (docs/security.md has the same
 * table with more words). seccomp.c turns it into a classic-BPF program:
 *
 *   1. the architecture must be AUDIT_ARCH_X86_64, else KILL: an i386
 *      `int 0x80` or a foreign ABI never reaches the number checks (the
 *      original Gate checked numbers only, so i386 numbers that alias
 *      allowed x86-64 ones got through);
 *   2. a number with __X32_SYSCALL_BIT (or above) is KILLed: x32;
 *   3. the numbers below, each with its argument check;
 *   4. anything else: SECCOMP_RET_KILL_PROCESS.
 *
 * Everything else the runtime needs (mapping the arenas, signal handlers,
 * the alternate signal stack, the stack bounds) happens before the filter
 * is installed. Numbers come from <sys/syscall.h>, never literals.
 *
 * GATE_SYSCALL(number, check, why the instance process needs it)
 *
 * Checks (an int argument is compared in its low 32 bits, which is all the
 * kernel reads; addresses, lengths and prot in all 64):
 *   SC_ANY       no argument check
 *   SC_RECV      fd == GATE_INSTANCE_FD, flags == MSG_CMSG_CLOEXEC
 *   SC_SEND      fd == GATE_INSTANCE_FD, flags == MSG_NOSIGNAL
 *   SC_MPROTECT  len < 4 GiB and either prot == PROT_READ|PROT_WRITE with the
 *                address inside the memory arena, or prot == PROT_READ|PROT_EXEC
 *                with the address inside the code arena (rt.h, arena.c)
 */
GATE_SYSCALL(SYS_recvmsg, SC_RECV, "requests from the executor; LOAD brings a memfd")
GATE_SYSCALL(SYS_sendmsg, SC_SEND, "replies to the executor")
GATE_SYSCALL(SYS_pread64, SC_ANY, "copies a LOAD's image out of its sealed memfd")
GATE_SYSCALL(SYS_pwrite64, SC_ANY, "writes STATE into the memfd that Deno passes with it")
GATE_SYSCALL(SYS_close, SC_ANY, "closes that memfd")
GATE_SYSCALL(SYS_brk, SC_ANY, "malloc's heap (it never mmaps here); bounded by RLIMIT_DATA")
GATE_SYSCALL(SYS_mprotect, SC_MPROTECT, "memory.grow (RW, memory arena); sealing code (RX, code arena)")
GATE_SYSCALL(SYS_rt_sigreturn, SC_ANY, "returns from the fault handler (memory traps)")
GATE_SYSCALL(SYS_exit_group, SC_ANY, "_exit: the end of the process")
GATE_SYSCALL(SYS_ppoll, SC_ANY, "a program's waits: the channel with a timeout (native/host)")
GATE_SYSCALL(SYS_clock_gettime, SC_ANY, "a program's clocks: CPU time, and the vDSO's fallback")
