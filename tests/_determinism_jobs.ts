/**
 * The determinism campaign of issue #8: every example and every benchmark
 * kernel runs uninterrupted, then again and again suspended at random
 * points, each suspension continued in a new instance process; the output,
 * the results or trap, and the memory at the end must be the same. Shared by
 * tests/determinism_test.ts (a short campaign) and tools/snapshot_campaign.ts
 * (a long one).
 *
 * @module
 */

import { compile } from "../mod.ts";
import { KERNELS } from "../bench/kernel_list.ts";
import { buildKernels } from "../bench/kernel_build.ts";
import { buildExamples } from "./real/_run.ts";
import { type Job, type Outcome, runJob } from "./_snapshot_run.ts";

/** A job of the campaign. */
export interface DeterminismJob extends Job {
  /**
   * Why its memory at the end differs from run to run, when it does: its
   * memory is then not compared, its output still is.
   */
  clockInMemory?: string;
}

/**
 * Work sizes of the kernels: the benchmark's n (about 0.3 s natively)
 * divided so that one run takes 20-80 ms on Gate (measured on the 2-core
 * reference machine); matmul's n counts whole 192x192 multiplications.
 */
const KERNEL_DIVISOR: Record<string, number> = { matmul: 30 };
const DEFAULT_DIVISOR = 15;

/** Builds the examples and the kernels and returns a job for each. */
export async function determinismJobs(): Promise<DeterminismJob[]> {
  const dir = await buildExamples();
  const example = async (file: string) =>
    await compile(await Deno.readFile(`${dir}${file}`), { cache: false });
  const fib = await example("fib.wasm");
  // The short programs run in well under a millisecond: mostly sticky
  // suspensions, which step from one safepoint to the next.
  const jobs: DeterminismJob[] = [
    { name: "hello", module: await example("hello.wasm"), maxDelay: 2, sticky: 0.9 },
    {
      name: "echo",
      module: await example("echo.wasm"),
      input: new TextEncoder().encode("echo, echo, echo\n".repeat(400)),
      maxDelay: 3,
      sticky: 0.8,
    },
    {
      name: "catalog",
      module: await example("catalog.wasm"),
      maxDelay: 3,
      sticky: 0.9,
    },
    { name: "trap", module: await example("trap.wasm"), maxDelay: 2, sticky: 0.9 },
    // 30,000,000 steps (the i64 wraps around): about 30 ms.
    { name: "fib", module: fib, fn: "fib", fnArgs: [30_000_000], maxDelay: 8, sticky: 0.3 },
    { name: "fib divide", module: fib, fn: "divide", fnArgs: [1, 0], maxDelay: 1, sticky: 0.9 },
    {
      name: "counter",
      module: await example("counter.wasm"),
      args: ["2"], // a tick, a sleep of 1 s, a tick
      // Suspended in its sleep many times: each retry keeps the sleep's
      // deadline (native/host/suspend_state.c), so the run still ends.
      maxDelay: 500,
      sticky: 0.8,
      // Two uninterrupted runs differ in 16 bytes of main's stack frame.
      clockInMemory: "nanosleep's timespec (due - now) stays in main's stack frame",
    },
  ];
  for (const kernel of await buildKernels(KERNELS)) {
    const n = Math.round(kernel.n / (KERNEL_DIVISOR[kernel.name] ?? DEFAULT_DIVISOR));
    jobs.push({
      name: kernel.name,
      module: await compile(await Deno.readFile(kernel.wasmPath), { cache: false }),
      fn: "run",
      fnArgs: [Math.max(1, n)],
      maxDelay: 10,
      sticky: 0.3,
    });
  }
  return jobs;
}

/** How `outcome` differs from `reference` (none: an empty list). */
export function differences(job: DeterminismJob, reference: Outcome, outcome: Outcome): string[] {
  const found: string[] = [];
  const compare = (what: string, a: unknown, b: unknown) => {
    const [sa, sb] = [show(a), show(b)];
    if (sa !== sb) found.push(`${what} ${clip(sb)}, uninterrupted ${clip(sa)}`);
  };
  compare("output", reference.output, outcome.output);
  compare("exit code", reference.exitCode, outcome.exitCode);
  compare("results", reference.results, outcome.results);
  compare("trap", reference.trap, outcome.trap);
  if (job.clockInMemory === undefined) {
    compare("memory hash", reference.memoryHash, outcome.memoryHash);
  }
  return found;
}

function show(value: unknown): string {
  return JSON.stringify(value, (_, v) => typeof v === "bigint" ? `${v}n` : v) ?? "undefined";
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 60)}...${s.slice(-60)} (${s.length} chars)` : s;
}

/** A job's uninterrupted run, what others are compared with. */
export interface Reference {
  outcome: Outcome;
  /** Wall time of the run, in ms. */
  ms: number;
  /** How a second uninterrupted run differed: nondeterminism, not snapshots. */
  unstable: string[];
}

/** Runs a job uninterrupted, twice. */
export async function reference(job: DeterminismJob): Promise<Reference> {
  const t = performance.now();
  const outcome = await runJob(job);
  const ms = performance.now() - t;
  const unstable = differences(job, outcome, await runJob(job));
  return { outcome, ms, unstable: unstable.map((d) => `${job.name}, uninterrupted twice: ${d}`) };
}

/** The references of the jobs, `workers` jobs at a time. */
export async function references(
  jobs: readonly DeterminismJob[],
  workers: number,
): Promise<Reference[]> {
  const out: Reference[] = [];
  let next = 0;
  const worker = async () => {
    for (let j = next++; j < jobs.length; j = next++) out[j] = await reference(jobs[j]!);
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return out;
}

/** What the campaign did with one job. */
export interface JobStats {
  name: string;
  runs: number;
  /** Suspensions, each continued in a new instance process. */
  points: number;
  /** Runs that ended otherwise than the uninterrupted one (or failed), one line each. */
  divergences: string[];
  /** Wall time of its runs, in ms. */
  ms: number;
}

/** Options of runCampaign(). */
export interface CampaignOptions {
  /** No run starts after this many ms. */
  budget: number;
  /** Runs side by side. */
  workers: number;
  /** The base of the runs' seeds (GATE_SNAPSHOT_SEED). */
  seed: number;
  /** Called after each run with its job's stats and its divergence, if any. */
  onRun?: (stats: JobStats, divergence: string | undefined) => void;
}

/**
 * The seed of a job's run: from the base seed, the job's name and the run's
 * number, so it does not depend on the order runs happen in nor on which
 * jobs run. runJob() with it replays the run's delays (a timer's exact
 * landing point still varies; sticky suspensions replay exactly).
 */
export function runSeed(base: number, job: string, run: number): number {
  let h = 0x811c9dc5 ^ base; // FNV-1a
  for (const byte of new TextEncoder().encode(`${job}#${run}`)) {
    h = Math.imul(h ^ byte, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Runs the jobs again and again with random suspensions until the budget
 * is spent, and compares each run with the job's uninterrupted reference.
 * Each worker takes the job that has had the least time so far, so a slow
 * job (counter sleeps a second) gets fewer runs, not more of the budget.
 * A divergence or an error is recorded, and the campaign goes on.
 */
export async function runCampaign(
  jobs: readonly DeterminismJob[],
  references: readonly Reference[],
  options: CampaignOptions,
): Promise<JobStats[]> {
  const stats: JobStats[] = jobs.map((job) => ({
    name: job.name,
    runs: 0,
    points: 0,
    divergences: [],
    ms: 0,
  }));
  // Time of the runs in progress, guessed from the reference run, so that
  // workers that start together do not all take the same job.
  const pending = jobs.map(() => 0);
  const started = performance.now();
  const worker = async () => {
    while (performance.now() - started < options.budget) {
      const j = indexOfLeast(stats.map((s, i) => s.ms + pending[i]!));
      const [job, stat, ref] = [jobs[j]!, stats[j]!, references[j]!];
      const seed = runSeed(options.seed, job.name, stat.runs++);
      const guess = Math.max(ref.ms, 1);
      pending[j]! += guess;
      const t = performance.now();
      let divergence: string | undefined;
      try {
        const outcome = await runJob(job, seed);
        stat.points += outcome.points;
        const found = differences(job, ref.outcome, outcome);
        if (found.length) {
          divergence = `${job.name}, seed ${seed}: after ${outcome.points} suspensions, ` +
            `delays ${showDelays(outcome.delays)} ms: ${found.join("; ")}`;
        }
      } catch (error) {
        divergence = error instanceof Error ? error.message : String(error);
      }
      pending[j]! -= guess;
      stat.ms += performance.now() - t;
      if (divergence !== undefined) stat.divergences.push(divergence);
      options.onRun?.(stat, divergence);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return stats;
}

function indexOfLeast(values: number[]): number {
  let best = 0;
  for (const [i, v] of values.entries()) if (v < values[best]!) best = i;
  return best;
}

/** The delays of a run, the middle left out of long lists (the seed replays them). */
function showDelays(delays: number[]): string {
  if (delays.length <= 40) return delays.join(" ");
  return `${delays.slice(0, 20).join(" ")} ... ${delays.slice(-20).join(" ")}`;
}
