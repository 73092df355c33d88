/**
 * Child process for Gate's snapshots (snapshot_bench.ts), through the public
 * API: `compile()`, `Program.start()`, `run()`, `suspend()`, `snapshot()`,
 * `Program.restore()`, `resume()`, `describeSnapshot()`; and restore's first
 * two steps from ffi/ to time them apart. The
 * program is snapshotModule() (no imports). Timed in Deno:
 *
 * - suspend latency: one program runs `spin()` (or `fill_forever()` over a
 *   size's memory); 2-5 ms into run(), `suspend()` until run() resolves
 *   suspended. The same program is run again for the next trial.
 * - per size: a program `touch()`es all its memory (non-zero bytes), is
 *   suspended at the entry of `noop()` (a sticky suspend before the run), then
 *   `snapshot()` is timed RUNS times (it reads the state from the instance
 *   process and encodes it each time). The program is closed; the last
 *   snapshot is restored RUNS times: `Program.restore()` and `resume()` timed
 *   apart. resume() runs noop()'s one instruction: it is restore to first
 *   instruction and back. At sizes up to splitMaxMiB, restore's first two
 *   steps are timed once on their own: opening the snapshot
 *   (`openSnapshotParts()`: decoding it, its memory into a memfd) and
 *   compiling its program module (`compileProgramModule()`).
 * - snapshot size against touched memory: programs of touchedMiB that touch
 *   every 4th, every 2nd or no page, one snapshot each.
 *
 * A failure at one size (a restore that fails, say) is recorded as that
 * size's `error` and the others go on. Prints one JSON line (GateSnapshotSamples).
 *
 * Usage: gate_snapshot_child.ts PLAN_JSON
 *
 * @module
 */

import { compile, describeSnapshot, type Module, Program } from "../mod.ts";
import { closeExecutor } from "../ffi/_executor.ts";
import { closeFd, openSnapshotParts } from "../ffi/snapshot.ts";
import { compileProgramModule } from "../ffi/program.ts";
import { PAGE, snapshotModule } from "./snapshot_program.ts";
import {
  type GateSnapshotSamples,
  type SizeSamples,
  type SnapshotPlan,
  type TouchedSamples,
} from "./snapshot_samples.ts";

const MiB = 2 ** 20;
/** Trials not counted: the first runs pay for JIT warm-up in Deno. */
const WARMUP = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** ms from suspend() to run() resolving suspended, `trials` times on one program. */
async function suspendLatency(
  program: Program,
  fn: string,
  args: number[],
  trials: number,
): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < WARMUP + trials; i++) {
    const run = program.run(fn, args);
    // 2-5 ms in, varied so that the request does not fall at one phase of a fill.
    await sleep(2 + (i % 4));
    const t0 = performance.now();
    program.suspend();
    const { suspended } = await run;
    const t1 = performance.now();
    if (!suspended) throw new Error(`${fn}() returned instead of being suspended`);
    if (i >= WARMUP) ms.push(t1 - t0);
  }
  return ms;
}

/** A program with `mib` of memory, every `every`-th page touched, suspended at noop()'s entry. */
async function suspendedProgram(module: Module, mib: number, every: number): Promise<Program> {
  const program = await Program.start(module);
  try {
    await program.run("touch", [mib * MiB / PAGE, every]);
    return program;
  } catch (error) {
    await program.close();
    throw error;
  }
}

async function suspendAtNoop(program: Program): Promise<void> {
  program.suspend(); // sticky: stops at noop()'s entry
  const { suspended } = await program.run("noop");
  if (!suspended) throw new Error("noop() returned: the sticky suspend did not stop it");
}

async function size(
  module: Module,
  mib: number,
  runs: number,
  plan: SnapshotPlan,
): Promise<{ row: SizeSamples; fillMs?: number[] }> {
  const row: SizeSamples = {
    mib,
    memoryBytes: 0,
    snapshotBytes: 0,
    touchMs: 0,
    snapshotMs: [],
    restoreMs: [],
    resumeMs: [],
  };
  let fillMs: number[] | undefined;
  let stage = "touch";
  try {
    let snapshot: Uint8Array = new Uint8Array(0);
    {
      const t0 = performance.now();
      await using program = await suspendedProgram(module, mib, 1);
      row.touchMs = performance.now() - t0;
      if (mib === plan.fillMiB) {
        // fill_forever() keeps every byte non-zero (0x5a): the snapshot below is unchanged in size.
        stage = "suspend in memory.fill";
        fillMs = await suspendLatency(program, "fill_forever", [mib * MiB], plan.fillTrials);
      }
      stage = "snapshot";
      await suspendAtNoop(program);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        snapshot = await program.snapshot();
        row.snapshotMs.push(performance.now() - t0);
      }
    }
    row.snapshotBytes = snapshot.length;
    row.memoryBytes = describeSnapshot(snapshot).memory;
    if (mib <= plan.splitMaxMiB) {
      stage = "open the snapshot";
      const t0 = performance.now();
      const { program: code, memoryFd } = await openSnapshotParts(snapshot);
      row.openMs = performance.now() - t0;
      closeFd(memoryFd);
      stage = "compile the program module";
      const t1 = performance.now();
      await compileProgramModule(code);
      row.compileMs = performance.now() - t1;
    }
    stage = "restore";
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await using restored = await Program.restore(snapshot);
      const t1 = performance.now();
      const { suspended } = await restored.resume();
      const t2 = performance.now();
      if (suspended) throw new Error("resume() was suspended again");
      row.restoreMs.push(t1 - t0);
      row.resumeMs.push(t2 - t1);
    }
  } catch (error) {
    row.error = `${stage}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return fillMs ? { row, fillMs } : { row };
}

async function touched(module: Module, plan: SnapshotPlan): Promise<TouchedSamples[]> {
  const out: TouchedSamples[] = [];
  const pages = plan.touchedMiB * MiB / PAGE;
  for (const every of plan.touchedEvery) {
    await using program = await suspendedProgram(module, plan.touchedMiB, every);
    await suspendAtNoop(program);
    const t0 = performance.now();
    const snapshot = await program.snapshot();
    const ms = performance.now() - t0;
    const touchedPages = every === 0 ? 0 : Math.ceil(pages / every);
    out.push({ every, touchedBytes: touchedPages * PAGE, snapshotBytes: snapshot.length, ms });
  }
  return out;
}

async function main(): Promise<void> {
  const [json] = Deno.args;
  if (!json) throw new TypeError("Usage: gate_snapshot_child.ts PLAN_JSON");
  const plan = JSON.parse(json) as SnapshotPlan;
  const module = await compile(snapshotModule(), { cache: false });
  let suspendMs: number[];
  {
    await using program = await Program.start(module);
    suspendMs = await suspendLatency(program, "spin", [], plan.suspendTrials);
  }
  const sizes: SizeSamples[] = [];
  let fillMs: number[] = [];
  for (const { mib, runs } of plan.sizes) {
    const out = await size(module, mib, runs, plan);
    sizes.push(out.row);
    if (out.fillMs) fillMs = out.fillMs;
  }
  const result: GateSnapshotSamples = {
    suspendMs,
    fillMs,
    sizes,
    touched: await touched(module, plan),
  };
  await closeExecutor();
  console.log(JSON.stringify(result));
}

if (import.meta.main) await main();
