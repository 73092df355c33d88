// Program.suspend(), snapshot(), restore() and resume(): programs suspended
// at random times and continued in new instance processes, again and
// again, print exactly what an uninterrupted run prints; final and
// tampered snapshots are refused; the monotonic clock continues.
import { assert, assertEquals, assertInstanceOf, assertRejects } from "./_assert.ts";
import {
  bufferOrigin,
  compile,
  CompileError,
  describeSnapshot,
  type Module,
  Program,
  snapshotId,
} from "../mod.ts";
import { wat } from "./_wat.ts";
import { BASE_SEED, type Job, random, runFor, runJob } from "./_snapshot_run.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CACHE = `${ROOT}.cache/snapshot_test/`;
const text = new TextDecoder();

/** Builds tests/testdata/NAME.c as examples are built (Makefile: WASI_CFLAGS). */
async function buildC(name: string): Promise<Module> {
  await Deno.mkdir(CACHE, { recursive: true });
  const out = `${CACHE}${name}.wasm`;
  const { code, stderr } = await new Deno.Command("clang", {
    args: [
      "--target=wasm32-wasi",
      "-std=c11",
      "-O2",
      "-Wall",
      "-Wextra",
      "-Werror",
      `-I${ROOT}include`,
      "-Wl,--strip-debug",
      `${ROOT}tests/testdata/${name}.c`,
      "-o",
      out,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`Cannot build ${name}.c (clang): ${text.decode(stderr)}`);
  return await compile(await Deno.readFile(out), { cache: false });
}

/** A mixing loop with i32, i64 and f64 locals and a call in it; "spin" returns (i64, f64). */
const SPIN = `(module
  (memory 1)
  (func $step (param $x i64) (param $i i32) (result i64)
    (local $y i64)
    (local.set $y (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 29))))
    (i64.store (i32.and (i32.shl (local.get $i) (i32.const 3)) (i32.const 0xfff8)) (local.get $y))
    (i64.add
      (i64.mul (local.get $y) (i64.const 0x9e3779b97f4a7c15))
      (i64.load (i32.and (i32.shl (i32.wrap_i64 (local.get $y)) (i32.const 3)) (i32.const 0xfff8)))))
  (func (export "spin") (param $n i32) (result i64 f64)
    (local $i i32) (local $h i64) (local $f f64)
    (local.set $h (i64.const 1))
    (loop $l
      (local.set $h (call $step (local.get $h) (local.get $i)))
      (local.set $f
        (f64.add (f64.mul (local.get $f) (f64.const 0.5))
          (f64.convert_i64_u (i64.shr_u (local.get $h) (i64.const 44)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $h)
    (local.get $f)))`;

Deno.test("Program.restore() continues programs suspended at random times, 1,000 times and more", async () => {
  const [ticker, crunch, spin] = await Promise.all([
    buildC("ticker"),
    buildC("crunch"),
    compile(await wat(SPIN), { cache: false }),
  ]);
  const jobs: Job[] = [
    { name: "ticker", module: ticker, args: ["150", "1000"], maxDelay: 6 },
    { name: "crunch", module: crunch, args: ["12"], maxDelay: 10 },
    { name: "spin", module: spin, fn: "spin", fnArgs: [3_000_000], maxDelay: 8 },
  ];
  const references = await Promise.all(jobs.map((job) => runJob(job)));
  for (const [i, job] of jobs.entries()) {
    const reference = references[i]!;
    assert(reference.output.length > 0 || reference.results.length > 0, job.name);
  }
  assertEquals(references[0]!.exitCode, 50);
  assert(references[0]!.output.endsWith("tick 150\n"), references[0]!.output.slice(-40));
  assertEquals(references[2]!.results.length, 2);

  // Each job runs again and again, its runs one after the other, the jobs
  // side by side, until enough suspend points are reached or time is up.
  const started = performance.now();
  const RUNS = 40;
  let points = 0;
  let runs = 0;
  await Promise.all(jobs.map(async (job, j) => {
    for (let run = 0; run < RUNS && performance.now() - started < 40_000; run++) {
      const seed = BASE_SEED * 1000 + j * 100 + run;
      const outcome = await runJob(job, seed);
      const reference = references[j]!;
      const context = `${job.name}, seed ${seed} (GATE_SNAPSHOT_SEED=${BASE_SEED}), ` +
        `${outcome.points} suspensions, delays ${outcome.delays.join(" ")} ms`;
      assertEquals(outcome.output, reference.output, context);
      assertEquals(outcome.exitCode, reference.exitCode, context);
      assertEquals(outcome.results, reference.results, context);
      points += outcome.points;
      runs++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  // Each run's last suspend landed after the program ended: not counted.
  console.log(
    `${points} suspend points in ${runs} runs, ${seconds.toFixed(1)} s; ` +
      `GATE_SNAPSHOT_SEED=${BASE_SEED}`,
  );
  assert(points >= 1000, `only ${points} suspend points in ${seconds.toFixed(1)} s`);
});

Deno.test("Program.snapshot() after an exit or a trap is final, and Program.restore() refuses it", async (t) => {
  const ticker = await buildC("ticker");
  await t.step("exit", async () => {
    await using program = await Program.start(ticker, { args: ["3", "0"] });
    const result = await program.run();
    assertEquals(result, { exitCode: 3, results: [], suspended: false });
    const snapshot = await program.snapshot();
    const info = describeSnapshot(snapshot);
    assertEquals({ final: info.final, trap: info.trap, result: info.result }, {
      final: true,
      trap: 12, // EXIT
      result: 3,
    });
    await assertRejects(
      () => Program.restore(snapshot),
      Error,
      "Cannot restore snapshot: it is final: the program exited with code 3",
    );
  });
  await t.step("trap", async () => {
    const module = await compile(
      await wat(`(module (memory 1)
        (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
        (func (export "run") (result i32) (call $inner (i32.const 0))))`),
      { cache: false },
    );
    await using program = await Program.start(module);
    await assertRejects(() => program.run("run"), Error, "integer divide by zero");
    const snapshot = await program.snapshot();
    assertEquals(describeSnapshot(snapshot).final, true);
    await assertRejects(
      () => Program.restore(snapshot),
      Error,
      "it is final: the program trapped: integer divide by zero",
    );
  });
});

/** A resumable snapshot of ticker, suspended while it runs. */
async function suspendedTicker(): Promise<Uint8Array> {
  const ticker = await buildC("ticker");
  await using program = await Program.start(ticker, { args: ["100000", "1000"] });
  const result = await runFor(program, () => program.run(), 30);
  assertEquals(result.suspended, true);
  return await program.snapshot();
}

/** The custom section `name`'s payload range in a module: [start, end). */
function customSection(module: Uint8Array, name: string): [number, number] {
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0;; shift += 7) {
      const byte = module[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < module.length) {
    const id = module[at++]!;
    const size = leb();
    const end = at + size;
    if (id === 0) {
      const length = leb();
      if (text.decode(module.subarray(at, at + length)) === name) return [at + length, end];
    }
    at = end;
  }
  throw new Error(`No custom section "${name}"`);
}

Deno.test("Program.restore() refuses tampered snapshots with a message that names the problem", async (t) => {
  const snapshot = await suspendedTicker();
  const [stackStart, stackEnd] = customSection(snapshot, "gate.stack");
  assert(stackEnd > stackStart + 2);
  const tampered = (change: (bytes: Uint8Array) => Uint8Array) => change(snapshot.slice());
  const cases: [string, Uint8Array][] = [
    // The frame count is a LEB128 at the start of the payload; the innermost
    // frame's kind byte follows it (frames have fewer than 128 here).
    ["no frames in gate.stack", tampered((b) => (b[stackStart] = 0, b))],
    ["an unknown frame kind", tampered((b) => (b[stackStart + 1] = 9, b))],
    ["a frame in another function", tampered((b) => (b[stackStart + 2]! ^= 0x01, b))],
    ["truncated by a byte", snapshot.subarray(0, snapshot.length - 1)],
    ["truncated inside gate.stack", snapshot.subarray(0, stackEnd - 1)],
    ["a byte appended", new Uint8Array([...snapshot, 0])],
    ["not a module", new TextEncoder().encode("not a snapshot")],
  ];
  for (const [name, bytes] of cases) {
    await t.step(name, async () => {
      const error = await assertRejects(() => Program.restore(bytes), Error);
      assertInstanceOf(error, CompileError, `${error.name}: ${error.message}`);
      assert(/snapshot|module|magic|section/i.test(error.message), error.message);
    });
  }
  await t.step("the untampered snapshot restores", async () => {
    await using program = await Program.restore(snapshot);
    const result = await runFor(program, () => program.resume(), 20);
    assertEquals(result.suspended, true);
  });
});

Deno.test("Program.restore() continues the monotonic clock where the snapshot left it", async () => {
  const clock = await buildC("clock");
  const origin = bufferOrigin();
  const PAUSE = 20_000; // µs
  let program = await Program.start(clock, { args: ["12", String(PAUSE)], origin });
  try {
    let result = await runFor(program, () => program.run(), 70);
    let gaps = 0;
    while (result.suspended) {
      gaps++;
      // Time passes while the program is suspended, before and after its snapshot.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const snapshot = await program.snapshot();
      await program.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      program = await Program.restore(snapshot, { origin });
      const resumed = program;
      result = await runFor(resumed, () => resumed.resume(), 70);
    }
    assert(gaps >= 1, "the program ended before it was suspended");
    assertEquals(result.exitCode, 0);
    const steps = text.decode(origin.output).trim().split("\n").map(Number);
    assertEquals(steps.length, 12);
    // No step includes the 600 ms the program spent suspended, and none goes back.
    for (const step of steps) {
      assert(step > 0 && step < 250_000, `steps of the clock, µs: ${steps.join(" ")}`);
    }
    // Each sleep takes at least its pause: one interrupted by a suspend keeps
    // its deadline on the program's clock when retried, so it never ends early.
    for (const step of steps) {
      assert(
        step >= PAUSE,
        `a sleep of ${PAUSE} µs took less across a suspend; steps, µs: ${steps.join(" ")}`,
      );
    }
  } finally {
    await program.close();
  }
});

Deno.test("snapshotId() is the SHA-256 of the bytes: stable for equal bytes, another for others", async () => {
  const snapshot = await suspendedTicker();
  const id = await snapshotId(snapshot);
  assert(/^[0-9a-f]{64}$/.test(id), id);
  assertEquals(await snapshotId(snapshot.slice()), id);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", snapshot.slice()));
  assertEquals(id, Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""));
  const other = snapshot.slice();
  other[other.length - 1]! ^= 1;
  assert(await snapshotId(other) !== id);
});

Deno.test("Program.snapshot() twice gives the same bytes", async () => {
  const ticker = await buildC("ticker");
  await using program = await Program.start(ticker, { args: ["100000", "1000"] });
  assertEquals((await runFor(program, () => program.run(), 30)).suspended, true);
  const first = await program.snapshot();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const second = await program.snapshot();
  assertEquals(await snapshotId(second), await snapshotId(first));
});

Deno.test("Program.suspend() before resume() is sticky: the program stops at its first safepoint", async () => {
  const ticker = await buildC("ticker");
  const origin = bufferOrigin();
  let snapshot: Uint8Array;
  {
    await using program = await Program.start(ticker, { args: ["100000", "1000"], origin });
    assertEquals((await runFor(program, () => program.run(), 30)).suspended, true);
    snapshot = await program.snapshot();
  }
  const ticks = text.decode(origin.output).split("\n").length;
  await using restored = await Program.restore(snapshot, { origin });
  restored.suspend();
  assertEquals(await restored.resume(), { exitCode: 0, results: [], suspended: true });
  // At most the tick after the sleep it was suspended in.
  assert(text.decode(origin.output).split("\n").length - ticks <= 1);
  assertEquals(describeSnapshot(await restored.snapshot()).final, false);
});

Deno.test("Program.resume() refuses a program that was not restored from a snapshot", async () => {
  const ticker = await buildC("ticker");
  await using program = await Program.start(ticker, { args: ["1", "0"] });
  await assertRejects(() => program.resume(), Error, "no suspended stack");
});

Deno.test("Program.snapshot() refuses while a run is in progress", async () => {
  const ticker = await buildC("ticker");
  await using program = await Program.start(ticker, { args: ["100000", "1000"] });
  const run = program.run();
  await new Promise((resolve) => setTimeout(resolve, 20));
  await assertRejects(() => program.snapshot(), Error, "a run is in progress");
  program.suspend();
  assertEquals((await run).suspended, true);
});

Deno.test("Program.restore() keeps stdin that was read for the program and not consumed", async () => {
  // cat copies stdin to stdout; suspended while it waits for input that
  // arrives later, its snapshot keeps what was read for it.
  const cat = await buildC("cat");
  const input = new TextEncoder().encode("hello\n".repeat(2000));
  const output: Uint8Array[] = [];
  let fed = 0;
  // A stdin that gives 1,000 bytes every 2 ms, shared by the programs of the chain.
  const origin = {
    read: async (max: number) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (fed >= input.length) return null;
      const n = Math.min(max, 1000, input.length - fed);
      fed += n;
      return input.slice(fed - n, fed);
    },
    write: (bytes: Uint8Array) => {
      output.push(bytes.slice());
      return Promise.resolve();
    },
  };
  const next = random(BASE_SEED);
  let program = await Program.start(cat, { origin });
  let points = 0;
  try {
    let result = await runFor(program, () => program.run(), Math.floor(next() * 5));
    while (result.suspended) {
      points++;
      const snapshot = await program.snapshot();
      await program.close();
      program = await Program.restore(snapshot, { origin });
      const resumed = program;
      result = await runFor(resumed, () => resumed.resume(), Math.floor(next() * 5));
    }
    assertEquals(result.exitCode, 0);
  } finally {
    await program.close();
  }
  const all = new Uint8Array(output.reduce((n, b) => n + b.length, 0));
  output.reduce((at, b) => (all.set(b, at), at + b.length), 0);
  assertEquals(text.decode(all), text.decode(input), `seed ${BASE_SEED}, ${points} suspensions`);
  assert(points > 0, "never suspended");
});

Deno.test('Program.run() with onCpuLimit "suspend" suspends at the CPU time limit, and the snapshot continues', async () => {
  // Counts to 2^32 - 1 in a loop: several seconds of CPU, past a limit of 1 s.
  const module = await compile(
    await wat(`(module (memory 1)
      (func (export "count") (result i64) (local $i i64)
        (loop $l
          (local.set $i (i64.add (local.get $i) (i64.const 1)))
          (br_if $l (i64.lt_u (local.get $i) (i64.const 0xffffffff))))
        (local.get $i)))`),
    { cache: false },
  );
  let snapshot: Uint8Array;
  {
    await using program = await Program.start(module, { cpuTimeLimit: 1, onCpuLimit: "suspend" });
    assertEquals(await program.run("count"), { exitCode: 0, results: [], suspended: true });
    snapshot = await program.snapshot();
  }
  const [frame] = describeSnapshot(snapshot).frames;
  assert(frame !== undefined && frame.kind === "at" && frame.locals?.[0]?.startsWith("i64:"));
  const counted = BigInt(frame.locals![0]!.slice(4));
  assert(counted > 0n && counted < 0xffffffffn, `counted ${counted} before the limit`);
  // Without a limit the restored program counts on to the end.
  await using restored = await Program.restore(snapshot);
  assertEquals(await restored.resume(), {
    exitCode: 0,
    results: [0xffffffffn],
    suspended: false,
  });
});
