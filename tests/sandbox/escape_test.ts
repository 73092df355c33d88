// The escape suite (docs/security.md): from inside a real, fully sandboxed
// instance process (the TEST-ONLY probe executor), every system call number
// on all three entry paths ends in SIGSYS except the allowlist; allowed
// calls with forbidden arguments too; and the layers under the filter hold.
// Plus what the production executor's instances look like from outside, and
// the resource limits through the normal path.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { compile, ProcessError, Store } from "../../mod.ts";
import { Executor, getExecutor } from "../../ffi/_executor.ts";
import { wat } from "../_wat.ts";
import {
  Base,
  facts,
  Mode,
  type Outcome,
  probe,
  SIGSYS,
  startProbe,
  sweep,
  X32_SYSCALL_BIT,
} from "./_probe.ts";

// x86-64 numbers (<asm/unistd_64.h>) of native/executor/seccomp_table.h.
const SYS = {
  close: 3,
  mprotect: 10,
  brk: 12,
  rt_sigreturn: 15,
  pread64: 17,
  pwrite64: 18,
  sendmsg: 46,
  recvmsg: 47,
  exit_group: 231,
  clock_gettime: 228,
  ppoll: 271,
} as const;
/** Allowed whatever the arguments: the sweep's zero arguments pass. */
const ALLOWED_ANY = new Set<number>([
  SYS.close,
  SYS.brk,
  SYS.rt_sigreturn,
  SYS.pread64,
  SYS.pwrite64,
  SYS.exit_group,
  SYS.clock_gettime,
  SYS.ppoll,
]);
const NUMBERS = 600; // beyond the highest x86-64 (and i386) number today

/**
 * Host findings (docs/security.md): on the 6.18 "-fc-" kernel of the test VM,
 * x86-64 numbers 335 and 336 (unassigned upstream) are not under seccomp's
 * control for ANY process: 335 raises SIGILL even before a filter exists,
 * and 336 returns -ENXIO through an allowlist filter. Reproduced without
 * Gate. Accepted only there, only with exactly that outcome.
 */
const release = new TextDecoder().decode(
  (await new Deno.Command("uname", { args: ["-r"] }).output()).stdout,
);
const HOST_ANOMALIES: Map<number, string> = release.includes("-fc-")
  ? new Map([[335, "signal 4"], [336, "returned -6"]])
  : new Map();

/** rt_sigreturn with a junk frame jumps anywhere: not part of the sweep
 * (it is allowed, and every memory trap test runs it). */
const NOT_SWEPT = new Set<number>([15]);

const PROT_READ = 1n, PROT_WRITE = 2n, PROT_EXEC = 4n;
const RW = PROT_READ | PROT_WRITE, RX = PROT_READ | PROT_EXEC;
const GIB4 = 4n << 30n;
const INSTANCE_FD = 3n, MSG_NOSIGNAL = 0x4000n, MSG_CMSG_CLOEXEC = 0x40000000n;

function describe(o: Outcome): string {
  return o.kind === "returned" ? `returned ${o.value}` : `${o.kind} ${JSON.stringify(o)}`;
}

function short(o: Outcome): string {
  return o.kind === "returned"
    ? `returned ${o.value}`
    : o.kind === "signal"
    ? `signal ${o.signal}`
    : `exit ${o.code}`;
}

function killedBySigsys(o: Outcome): boolean {
  return o.kind === "signal" && o.signal === SIGSYS;
}

async function run(command: string, arg: string): Promise<string> {
  const { stdout } = await new Deno.Command(command, { args: [arg], stderr: "inherit" }).output();
  return new TextDecoder().decode(stdout);
}

async function withProbe(fn: (executor: Executor) => Promise<void>): Promise<void> {
  const executor = await startProbe();
  try {
    await fn(executor);
  } finally {
    await executor.close();
  }
}

Deno.test("escape: every x86-64 number outside the allowlist ends in SIGSYS", async () => {
  await withProbe(async (executor) => {
    const nrs = Array.from({ length: NUMBERS }, (_, nr) => nr).filter((nr) => !NOT_SWEPT.has(nr));
    // ppoll(NULL, 0, NULL, NULL) would sleep forever: ppoll(NULL, 1) fails with EFAULT
    const swept = await sweep(
      executor,
      nrs.map((nr) =>
        nr === SYS.ppoll ? { mode: Mode.SYSCALL, nr, args: [0n, 1n] } : { mode: Mode.SYSCALL, nr }
      ),
    );
    const outcomes: Outcome[] = [];
    nrs.forEach((nr, i) => outcomes[nr] = swept[i]!);
    const wrong = nrs.filter((nr) => {
      const o = outcomes[nr]!;
      if (HOST_ANOMALIES.get(nr) === short(o)) return false;
      return ALLOWED_ANY.has(nr) ? killedBySigsys(o) : !killedBySigsys(o);
    }).map((nr) => `${nr}: ${describe(outcomes[nr]!)}`);
    assertEquals(wrong, []);
    // the allowed ones really ran: brk(0) answers, exit_group(0) exits 0
    assertEquals(outcomes[SYS.exit_group], { kind: "exit", code: 0 });
    assertEquals(outcomes[SYS.brk]!.kind, "returned");
    assertEquals(outcomes[SYS.close], { kind: "returned", value: -9n }); // EBADF
    assertEquals(outcomes[SYS.ppoll], { kind: "returned", value: -14n }); // EFAULT
  });
});

Deno.test("escape: every x32 number ends in SIGSYS", async () => {
  await withProbe(async (executor) => {
    const nrs = Array.from({ length: NUMBERS }, (_, nr) => nr | X32_SYSCALL_BIT);
    const outcomes = await sweep(executor, nrs.map((nr) => ({ mode: Mode.SYSCALL, nr })));
    const wrong = outcomes.map((o, i) => [nrs[i]! & ~X32_SYSCALL_BIT, o] as const)
      .filter(([, o]) => !killedBySigsys(o)).map(([nr, o]) => `x32 ${nr}: ${describe(o)}`);
    assertEquals(wrong, []);
  });
});

Deno.test("escape: every i386 number through int 0x80 ends in SIGSYS", async () => {
  await withProbe(async (executor) => {
    const nrs = Array.from({ length: NUMBERS }, (_, nr) => nr);
    const outcomes = await sweep(executor, nrs.map((nr) => ({ mode: Mode.INT80, nr })));
    const wrong = outcomes.map((o, i) => [nrs[i]!, o] as const)
      .filter(([, o]) => !killedBySigsys(o)).map(([nr, o]) => `i386 ${nr}: ${describe(o)}`);
    assertEquals(wrong, []);
  });
});

Deno.test("escape: allowed system calls with forbidden arguments end in SIGSYS", async () => {
  await withProbe(async (executor) => {
    const page = 65536n;
    const cases: { what: string; nr: number; base: number; args: bigint[]; ok: boolean }[] = [
      // controls: what the runtime does
      {
        what: "RW in the memory arena",
        nr: SYS.mprotect,
        base: Base.MEMORY,
        args: [0n, page, RW],
        ok: true,
      },
      {
        what: "RX in the code arena",
        nr: SYS.mprotect,
        base: Base.CODE,
        args: [0n, 4096n, RX],
        ok: true,
      },
      {
        what: "recvmsg on the channel",
        nr: SYS.recvmsg,
        base: Base.NONE,
        args: [INSTANCE_FD, 0n, MSG_CMSG_CLOEXEC],
        ok: true,
      },
      {
        what: "sendmsg on the channel",
        nr: SYS.sendmsg,
        base: Base.NONE,
        args: [INSTANCE_FD, 0n, MSG_NOSIGNAL],
        ok: true,
      },
      // forbidden
      {
        what: "RX in the memory arena",
        nr: SYS.mprotect,
        base: Base.MEMORY,
        args: [0n, page, RX],
        ok: false,
      },
      {
        what: "RWX in the memory arena",
        nr: SYS.mprotect,
        base: Base.MEMORY,
        args: [0n, page, RW | PROT_EXEC],
        ok: false,
      },
      {
        what: "RW in the code arena",
        nr: SYS.mprotect,
        base: Base.CODE,
        args: [0n, 4096n, RW],
        ok: false,
      },
      {
        what: "RWX in the code arena",
        nr: SYS.mprotect,
        base: Base.CODE,
        args: [0n, 4096n, RW | PROT_EXEC],
        ok: false,
      },
      {
        what: "PROT_NONE in the memory arena",
        nr: SYS.mprotect,
        base: Base.MEMORY,
        args: [0n, page, 0n],
        ok: false,
      },
      {
        what: "RW on the stack",
        nr: SYS.mprotect,
        base: Base.STACK,
        args: [0n, 4096n, RW],
        ok: false,
      },
      {
        what: "RX on the stack",
        nr: SYS.mprotect,
        base: Base.STACK,
        args: [0n, 4096n, RX],
        ok: false,
      },
      {
        what: "RW below the memory arena",
        nr: SYS.mprotect,
        base: Base.MEMORY,
        args: [-4096n, 4096n, RW],
        ok: false,
      },
      {
        what: "RX below the code arena",
        nr: SYS.mprotect,
        base: Base.CODE,
        args: [-4096n, 4096n, RX],
        ok: false,
      },
      {
        what: "RW 4 GiB long",
        nr: SYS.mprotect,
        base: Base.MEMORY,
        args: [0n, GIB4, RW],
        ok: false,
      },
      {
        what: "RW with high prot bits",
        nr: SYS.mprotect,
        base: Base.MEMORY,
        args: [0n, page, RW | (1n << 32n)],
        ok: false,
      },
      {
        what: "mprotect at address 0",
        nr: SYS.mprotect,
        base: Base.NONE,
        args: [0n, 4096n, RW],
        ok: false,
      },
      {
        what: "recvmsg on another fd",
        nr: SYS.recvmsg,
        base: Base.NONE,
        args: [0n, 0n, MSG_CMSG_CLOEXEC],
        ok: false,
      },
      {
        what: "recvmsg without CLOEXEC",
        nr: SYS.recvmsg,
        base: Base.NONE,
        args: [INSTANCE_FD, 0n, 0n],
        ok: false,
      },
      {
        what: "sendmsg on another fd",
        nr: SYS.sendmsg,
        base: Base.NONE,
        args: [4n, 0n, MSG_NOSIGNAL],
        ok: false,
      },
      {
        what: "sendmsg without NOSIGNAL",
        nr: SYS.sendmsg,
        base: Base.NONE,
        args: [INSTANCE_FD, 0n, 0n],
        ok: false,
      },
    ];
    const outcomes = await sweep(executor, cases.map((c) => ({ mode: Mode.SYSCALL, ...c })), 8);
    const wrong = cases.map((c, i) => [c, outcomes[i]!] as const)
      .filter(([c, o]) => c.ok ? killedBySigsys(o) : !killedBySigsys(o))
      .map(([c, o]) => `${c.what}: ${describe(o)}`);
    assertEquals(wrong, []);
  });
});

Deno.test("escape: the layers under the filter hold, seen from inside", async () => {
  await withProbe(async (executor) => {
    const f = await facts(executor);
    const expect: Record<string, string> = {
      pid: "1", // its own pid namespace
      ppid: "0", // the executor is outside it
      uid: "1,1,1",
      no_new_privs: "1",
      dumpable: "0",
      cap_eff: "000000000",
      cap_prm: "000000000",
      cap_inh: "000000000",
      cap_bnd_count: "0",
      root_entries: "0",
      root_mkdir: "EROFS",
      root_create: "EROFS",
      proc: "ENOENT",
      interfaces: "lo:down",
      kill_all: "ESRCH",
      ptrace_attach: "ESRCH",
      fork: "EAGAIN",
      open_fds: "1",
      hostname: "gate",
      RLIMIT_NOFILE: "5",
      RLIMIT_NPROC: "0",
      RLIMIT_CORE: "0",
      RLIMIT_STACK: String(8 << 20),
    };
    const got = Object.fromEntries(Object.keys(expect).map((k) => [k, f.get(k) ?? "(missing)"]));
    assertEquals(got, expect);
    // AS is bounded: the arenas plus heap and stack, not unlimited
    assert(BigInt(f.get("RLIMIT_AS")!) < 1n << 47n, f.get("RLIMIT_AS"));
    // FSIZE bounds a STATE memfd: the memory limit (at most 8 GiB) plus the 1 GiB heap
    const fsize = BigInt(f.get("RLIMIT_FSIZE") ?? "-1");
    assert(fsize > 0n && fsize <= 9n << 30n, f.get("RLIMIT_FSIZE"));
  });
});

Deno.test("sandbox: a production instance process seen from outside", async () => {
  using store = await Store.create();
  await store.spectest(); // it served a request: the sandbox is complete
  // Deno's permissions keep /proc/<pid> to --allow-all; cat and readlink do.
  const status = await run("cat", `/proc/${store.pid}/status`);
  const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(.*)$`, "m"))?.[1];
  assertEquals(field("NoNewPrivs"), "1");
  assertEquals(field("Seccomp"), "2");
  assertEquals(field("Seccomp_filters"), "1");
  assertEquals(field("CapEff"), "0000000000000000");
  assertEquals(field("CapPrm"), "0000000000000000");
  assertEquals(field("CapBnd"), "0000000000000000");
  assertEquals(field("NSpid")?.split(/\s+/).at(-1), "1"); // pid 1 of its own namespace
  const uid = field("Uid")!.split(/\s+/).map(Number);
  assert(uid.every((u) => u !== 0), `Uid ${uid}`);
  for (const ns of ["user", "pid", "net", "mnt", "ipc", "uts", "cgroup"]) {
    const mine = await run("readlink", `/proc/${Deno.pid}/ns/${ns}`);
    const its = await run("readlink", `/proc/${store.pid}/ns/${ns}`);
    assert(mine !== its, `${ns} namespace shared: ${its}`);
  }
  const oom = await run("cat", `/proc/${store.pid}/oom_score_adj`);
  assertEquals(oom.trim(), "1000");
});

Deno.test("sandbox: CPU time limit ends the instance with a clear error", async () => {
  const module = await compile(await wat(`(module (func (export "spin") (loop $l (br $l))))`), {
    cache: false,
  });
  using store = await Store.create({ cpuTimeLimit: 1 });
  using instance = await module.instantiate({ store });
  const error = await assertRejects(
    () => instance.invoke("spin"),
    ProcessError,
    "exceeded its CPU time limit",
  );
  assertEquals(error.exit, { code: 13 }); // GATE_CPU_LIMIT
});

Deno.test("sandbox: memory limit bounds memory.grow and instantiation", async () => {
  const module = await compile(
    await wat(`(module (memory (export "m") 1)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`),
    { cache: false },
  );
  using store = await Store.create({ memoryLimit: 16 * 65536 });
  using instance = await module.instantiate({ store });
  assertEquals(await instance.invoke("grow", [15]), [1]);
  assertEquals(await instance.invoke("grow", [1]), [-1]); // 17 pages: over
  const big = await compile(await wat(`(module (memory 17))`), { cache: false });
  await assertRejects(() => big.instantiate({ store }), Error);
});

Deno.test("sandbox: the executor limits concurrent instances", async () => {
  Deno.env.set("GATE_MAX_INSTANCES", "2");
  let executor: Executor;
  try {
    executor = await startProbe();
  } finally {
    Deno.env.delete("GATE_MAX_INSTANCES");
  }
  try {
    const a = await executor.spawn(), b = await executor.spawn();
    await assertRejects(() => executor.spawn(), Error, "instances running, the limit");
    a.close();
    b.close();
  } finally {
    await executor.close();
  }
  // the shared executor is unaffected
  await getExecutor();
});

Deno.test("escape: a probe attempt is one instance process", async () => {
  // One channel serves one attempt: after a SIGSYS the process is gone.
  await withProbe(async (executor) => {
    const channel = await executor.spawn();
    const outcome = await probe(channel, Mode.SYSCALL, 39 /* getpid */);
    assertEquals(outcome, { kind: "signal", signal: SIGSYS });
  });
});
