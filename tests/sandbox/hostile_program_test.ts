// Hostile programs through the Program API (issue #6): programs that flood
// stdout or stderr, read stdin or poll a clock forever, exit from deep
// recursion or trap after writing. Each ends with a defined status (the CPU
// time limit, a kill, proc_exit's code, a trap) while Deno, the executor and
// other programs keep working. Output is flow-controlled (docs/protocol.md,
// OUTPUT / ACK): a sink that stops reading blocks the program instead of
// filling Deno's memory. The programs are tests/testdata/hostile.c, built
// here with clang.
import { assert, assertEquals, assertInstanceOf, assertRejects } from "../_assert.ts";
import {
  compile,
  ProcessError,
  Program,
  type ProgramOptions,
  runProgram,
  TrapError,
} from "../../mod.ts";
import { getExecutor } from "../../ffi/_executor.ts";
import { childrenOf, cpuTicks, openDescriptors, residentBytes, settle } from "./_counts.ts";

const MIB = 1 << 20;
/** GATE_OUTPUT_WINDOW: un-ACKed OUTPUT bytes an instance may have (docs/protocol.md). */
const WINDOW = 256 * 1024;

/** Builds tests/testdata/hostile.c as `make examples` builds examples/*.c. */
async function buildHostile(): Promise<Uint8Array> {
  const root = new URL("../../", import.meta.url).pathname;
  const dir = `${root}.cache/clang/`;
  await Deno.mkdir(dir, { recursive: true });
  const out = await Deno.makeTempFile({ dir, suffix: ".wasm" });
  try {
    const { code, stderr } = await new Deno.Command("clang", {
      args: [
        "--target=wasm32-wasi",
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        `-I${root}include`,
        "-o",
        out,
        `${root}tests/testdata/hostile.c`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(
        `Cannot build hostile.c: clang exited ${code}: ${new TextDecoder().decode(stderr)}`,
      );
    }
    return await Deno.readFile(out);
  } finally {
    await Deno.remove(out);
  }
}

const module = await compile(await buildHostile(), { cache: false });

// Baseline for the last test: this file's executor is running, no program yet.
const executor = await getExecutor();
const baseline = {
  fds: await openDescriptors(),
  denoChildren: (await childrenOf(Deno.pid)).length,
  executorChildren: (await childrenOf(executor.pid)).length,
};

/** Byte pos of hostile.c's counter pattern: byte pos % 4 of the little-endian u32 pos / 4. */
function patternByte(pos: number): number {
  return (Math.floor(pos / 4) % 2 ** 32 >>> 8 * (pos % 4)) & 0xff;
}

/** Bytes pos .. pos + length of the counter pattern (pos a multiple of 4). */
function patternBytes(pos: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length + 3);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < length; i += 4) view.setUint32(i, ((pos + i) / 4) % 2 ** 32, true);
  return bytes.subarray(0, length);
}

/** Checks a stream, chunk by chunk, against the counter pattern from byte 0. */
class PatternCheck {
  /** Bytes received. */
  length = 0;
  /** Stream offset of the first wrong byte, -1 while there is none. */
  mismatch = -1;

  add(chunk: Uint8Array): void {
    if (this.mismatch < 0) this.#check(chunk);
    this.length += chunk.length;
  }

  #check(chunk: Uint8Array): void {
    const start = this.length;
    let i = 0;
    for (; i < chunk.length && (start + i) % 4 !== 0; i++) {
      if (chunk[i] !== patternByte(start + i)) return void (this.mismatch = start + i);
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (; i + 4 <= chunk.length; i += 4) {
      if (view.getUint32(i, true) !== ((start + i) / 4) % 2 ** 32) break;
    }
    for (; i < chunk.length; i++) {
      if (chunk[i] !== patternByte(start + i)) return void (this.mismatch = start + i);
    }
  }

  /** The outcome to compare: the length and whether it was all pattern. */
  get summary(): { length: number; mismatch: number } {
    return { length: this.length, mismatch: this.mismatch };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A sink that reads as fast as it can, into a PatternCheck or a byte list. */
function sinkInto(into: PatternCheck | Uint8Array[]): WritableStream<Uint8Array> {
  return new WritableStream({
    write(chunk) {
      if (into instanceof PatternCheck) into.add(chunk);
      else into.push(chunk.slice());
    },
  });
}

function text(chunks: Uint8Array[]): string {
  const decoder = new TextDecoder();
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("");
}

/**
 * A sink that reads slowly (one chunk per `pause` ms) until it has `budget`
 * bytes, then stops: its pending write never completes until release().
 */
class StallingSink {
  readonly check = new PatternCheck();
  readonly stream: WritableStream<Uint8Array>;
  stalled = false;
  #released = false;
  #resume: (() => void) | undefined;

  constructor(budget: number, pause: number) {
    this.stream = new WritableStream({
      write: (chunk) => {
        this.check.add(chunk);
        if (this.#released) return;
        if (this.check.length < budget) return delay(pause);
        this.stalled = true;
        return new Promise((resolve) => this.#resume = resolve);
      },
    });
  }

  /** Reads everything from now on. */
  release(): void {
    this.#released = true;
    this.#resume?.();
  }
}

/** Waits until condition() holds; throws after 5 s (which only bounds a failing test). */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i === 500) throw new Error(`Timed out waiting for ${what}`);
    await delay(10);
  }
}

/** A run's outcome without an unhandled rejection: its result or its error. */
function outcomeOf<T>(run: Promise<T>): Promise<T | unknown> {
  return run.then((result) => result, (error: unknown) => error);
}

/** Settles with promise, or rejects when it has not settled after ms. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} has not settled after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function assertCpuLimit(outcome: unknown): void {
  assertInstanceOf(outcome, ProcessError, `expected a ProcessError, got ${String(outcome)}`);
  assert(outcome.message.includes("exceeded its CPU time limit"), outcome.message);
  assertEquals(outcome.exit, { code: 13 }); // GATE_CPU_LIMIT
}

function assertKilled(outcome: unknown): void {
  assertInstanceOf(outcome, ProcessError, `expected a ProcessError, got ${String(outcome)}`);
  assert(outcome.message.includes("killed by signal SIGKILL"), outcome.message);
  assertEquals(outcome.exit, { signal: 9 });
}

const ECHO_INPUT = patternBytes(0, 300_000); // more than WINDOW: needs ACKs and pulls

/** Another program, run to completion: echo copies 300 KB of stdin to stdout. */
async function echoRuns(): Promise<void> {
  const out = new PatternCheck();
  const result = await runProgram(module, {
    args: ["echo"],
    stdin: ECHO_INPUT,
    stdout: sinkInto(out),
  });
  assertEquals(result, { exitCode: 0, results: [], suspended: false });
  assertEquals(out.summary, { length: ECHO_INPUT.length, mismatch: -1 });
}

/**
 * Runs echo every 100 ms until `outcome` settles; returns how many runs
 * completed. The pause leaves Deno's time to the program under test, whose
 * CPU time (the limit) grows only as fast as Deno takes its output.
 */
async function echoRunsUntil(outcome: Promise<unknown>): Promise<number> {
  let settled = false;
  void outcome.then(() => settled = true);
  let runs = 0;
  do {
    await echoRuns();
    runs++;
    await Promise.race([outcome, delay(100)]);
  } while (!settled);
  return runs;
}

/**
 * Milliseconds of CPU time the flooding and reading programs spin before
 * they start, out of their 1 s limit: a flood is fast in CPU time and slow
 * in wall time (the program mostly waits for Deno), so this keeps those
 * tests to a few seconds. The rest is still hundreds of MiB of I/O.
 */
const SPIN_MS = "700";

/** Runs hostile.c with a CPU limit of 1 s while echo runs beside it. */
async function runAtCpuLimit(options: ProgramOptions): Promise<unknown> {
  const outcome = outcomeOf(runProgram(module, { ...options, cpuTimeLimit: 1 }));
  const runs = await echoRunsUntil(outcome);
  assert(runs > 0);
  return await outcome;
}

Deno.test("Program: a flood into a sink that stops reading blocks the program, not Deno's memory", async (t) => {
  for (const stream of ["stdout", "debug"] as const) {
    await t.step(stream, async () => {
      const rssStart = Deno.memoryUsage().rss;
      const sink = new StallingSink(MIB, 5);
      const dots: Uint8Array[] = [];
      const program = await Program.start(
        module,
        stream === "stdout"
          ? { args: ["flood", "1"], stdout: sink.stream }
          : { args: ["flood", "2"], debug: sink.stream, stdout: sinkInto(dots) },
      );
      try {
        const outcome = outcomeOf(program.run());
        await waitFor(() => sink.stalled, "the sink to read its budget");
        await delay(200); // the program fills the window, then waits for an ACK

        // Blocked: for a second it uses no CPU, and neither Deno nor the
        // executor holds more than the window for it.
        const received = sink.check.length;
        const before = {
          ticks: await cpuTicks(program.pid),
          rss: Deno.memoryUsage().rss,
          executor: await residentBytes(executor.pid),
        };
        await delay(1000);
        const after = {
          ticks: await cpuTicks(program.pid),
          rss: Deno.memoryUsage().rss,
          executor: await residentBytes(executor.pid),
        };
        assertEquals(after.ticks, before.ticks, "the program used CPU time while blocked");
        assertEquals(sink.check.length, received);
        // Deno's own RSS moves by a few MiB on its own (V8 heap growth from
        // earlier tests' garbage: 6 MiB once in CI); a leak at the flood's
        // rate would be hundreds of MiB in this second.
        assert(after.rss - before.rss < 16 * MIB, `Deno grew by ${after.rss - before.rss} bytes`);
        assert(
          after.executor - before.executor < 4 * MIB,
          `the executor grew by ${after.executor - before.executor} bytes`,
        );
        // Unbounded buffering would hold what the program writes in this
        // time: hundreds of MiB (see the fast-sink test).
        assert(after.rss - rssStart < 32 * MIB, `Deno grew by ${after.rss - rssStart} bytes`);

        // Other programs run to completion meanwhile; this one stays blocked.
        for (let i = 0; i < 3; i++) await echoRuns();
        assertEquals(await cpuTicks(program.pid), before.ticks);
        assertEquals(sink.check.length, received);

        program.kill();
        sink.release(); // see "Program.kill() and close() settle ...": a stalled sink hangs them
        assertKilled(await within(outcome, 5000, "run() after kill()"));
        // What Deno held for the killed program: at most the window.
        assert(sink.check.length - received <= WINDOW, `${sink.check.length - received} bytes`);
        assert(sink.check.length >= MIB, `${sink.check.length} bytes`);
        assertEquals(sink.check.mismatch, -1, "the output is the program's pattern, in order");
        if (stream === "debug") assert(dots.length > 0 && /^\.+$/.test(text(dots)), text(dots));
      } finally {
        sink.release();
        await program.close();
      }
    });
  }
});

Deno.test("Program.kill() and close() settle at once while the program waits on its I/O", async (t) => {
  await t.step("stdin that never delivers", async () => {
    let pulls = 0;
    // highWaterMark 0: pull() runs only when the program's read asks.
    const stdin = new ReadableStream<Uint8Array>({
      pull() {
        pulls++;
        return new Promise<void>(() => {}); // never enqueues
      },
    }, { highWaterMark: 0 });
    const program = await Program.start(module, { args: ["read"], stdin });
    const outcome = outcomeOf(program.run());
    await waitFor(() => pulls > 0, "the program to ask for input");
    program.kill();
    assertKilled(await within(outcome, 3000, "run() after kill() with a silent stdin"));
    await within(program.close(), 3000, "close() with a silent stdin");
  });
  for (const stream of ["stdout", "debug"] as const) {
    await t.step(`${stream} into a sink that stopped reading`, async () => {
      const sink = new StallingSink(0, 0); // stops at the first chunk
      const program = await Program.start(
        module,
        stream === "stdout"
          ? { args: ["flood", "1"], stdout: sink.stream }
          : { args: ["flood", "2"], debug: sink.stream },
      );
      const outcome = outcomeOf(program.run());
      try {
        await waitFor(() => sink.stalled, "the sink to receive a chunk");
        program.kill();
        assertKilled(await within(outcome, 3000, "run() after kill() with a stalled sink"));
        await within(program.close(), 3000, "close() with a stalled sink");
      } finally {
        sink.release();
        await outcome;
        await program.close();
      }
    });
  }
});

Deno.test("Program: a stdout flood into a fast sink arrives whole and in order until the CPU time limit", async () => {
  const out = new PatternCheck();
  const outcome = await runAtCpuLimit({ args: ["flood", "1", SPIN_MS], stdout: sinkInto(out) });
  assertCpuLimit(outcome);
  assert(out.length > 4 * WINDOW, `only ${out.length} bytes arrived`);
  assertEquals(out.mismatch, -1, "the output is the program's pattern, in order");
});

Deno.test("Program: a stderr flood ends at the CPU time limit with the debug log off and on", async (t) => {
  await t.step("off: writes are dropped and reported as written", async () => {
    const dots: Uint8Array[] = [];
    assertCpuLimit(await runAtCpuLimit({ args: ["flood", "2"], stdout: sinkInto(dots) }));
    // One dot per MiB the program wrote to stderr.
    assert(/^\.+$/.test(text(dots)), text(dots));
  });
  await t.step("on: the debug sink gets all of it, in order", async () => {
    const dots: Uint8Array[] = [];
    const log = new PatternCheck();
    const outcome = await runAtCpuLimit({
      args: ["flood", "2", SPIN_MS],
      stdout: sinkInto(dots),
      debug: sinkInto(log),
    });
    assertCpuLimit(outcome);
    const mib = text(dots).length;
    assert(/^\.+$/.test(text(dots)), text(dots));
    // Each dot follows a MiB of stderr on the same channel: none overtakes it.
    assert(log.length >= mib * MIB, `${log.length} bytes of log for ${mib} dots`);
    assertEquals(log.mismatch, -1, "the log is the program's pattern, in order");
  });
});

Deno.test("Program: a program reading stdin forever ends at the CPU time limit without Deno reading ahead", async () => {
  let fed = 0;
  const stdin = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(patternBytes(fed, 65536));
      fed += 65536;
    },
  });
  const dots: Uint8Array[] = [];
  assertCpuLimit(await runAtCpuLimit({ args: ["read", SPIN_MS], stdin, stdout: sinkInto(dots) }));
  // The program checked every byte (a wrong one traps) and wrote a dot per MiB.
  const mib = text(dots).length;
  assert(mib > 0 && /^\.+$/.test(text(dots)), text(dots));
  assert(fed >= mib * MIB, `${fed} bytes fed for ${mib} dots`);
  // Deno reads stdin when the program asks (PULL), so little more than the
  // program consumed was ever taken from the stream (a last dot may be lost).
  assert(fed <= (mib + 2) * MIB, `${fed} bytes fed for ${mib} dots`);
});

Deno.test("Program: poll_oneoff with a zero timeout in a tight loop ends at the CPU time limit", async () => {
  const dots: Uint8Array[] = [];
  assertCpuLimit(await runAtCpuLimit({ args: ["poll"], stdout: sinkInto(dots) }));
  // One dot per 65,536 polls, each of which returned its clock event.
  assert(dots.length > 0 && /^\.+$/.test(text(dots)), text(dots));
});

Deno.test("Program.run() returns proc_exit's code when it is called from deep recursion", async (t) => {
  for (const code of [0, 7, 255]) {
    await t.step(`proc_exit(${code}) 50,000 calls deep`, async () => {
      const out: Uint8Array[] = [];
      const result = await runProgram(module, {
        args: ["exit", "50000", String(code)],
        stdout: sinkInto(out),
      });
      assertEquals(result, { exitCode: code, results: [], suspended: false });
      assertEquals(text(out), "deep\n");
    });
  }
  await echoRuns();
});

Deno.test("Program.run() rejects with TrapError after all output written before the trap", async (t) => {
  const size = MIB + 3; // four windows and a bit, not a multiple of 4
  for (const pause of [0, 1]) {
    await t.step(pause ? "slow sink: output still queued at the trap" : "fast sink", async () => {
      const out = new PatternCheck();
      const stdout = new WritableStream<Uint8Array>({
        write(chunk) {
          out.add(chunk);
          return pause ? delay(pause) : undefined;
        },
      });
      await using program = await Program.start(module, { args: ["trap", String(size)], stdout });
      const error = await assertRejects(() => program.run(), TrapError, "unreachable");
      assertEquals(error.trap, "UNREACHABLE");
      // Delivered by the time run() rejects, not only by close().
      assertEquals(out.summary, { length: size, mismatch: -1 });
    });
  }
  await echoRuns();
});

Deno.test("hostile programs leave Deno's descriptors and children and the executor's children as before", async () => {
  assertEquals((await getExecutor()).pid, executor.pid, "the same executor served them all");
  const executorChildren = await settle(
    async () => (await childrenOf(executor.pid)).length,
    (n) => n <= baseline.executorChildren,
  );
  assertEquals(executorChildren, baseline.executorChildren);
  const denoChildren = await settle(
    async () => (await childrenOf(Deno.pid)).length,
    (n) => n <= baseline.denoChildren,
  );
  assertEquals(denoChildren, baseline.denoChildren);
  // At most, not equal: Deno may have held a descriptor or two of an earlier
  // operation when the baseline was taken (see _counts.ts).
  const fds = await settle(openDescriptors, (n) => n <= baseline.fds);
  assert(fds <= baseline.fds, `${fds} descriptors open, ${baseline.fds} before`);
});
