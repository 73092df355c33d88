/**
 * Runs a program to its end, suspended at random points on the way: each
 * suspension is snapshotted and continued in a new Program (a new instance
 * process). Shared by tests/snapshot_test.ts, tests/determinism_test.ts and
 * tools/snapshot_campaign.ts.
 *
 * @module
 */

import { assertEquals } from "./_assert.ts";
import {
  bufferOrigin,
  type Module,
  Program,
  type ProgramResult,
  TrapError,
  type Value,
} from "../mod.ts";

const text = new TextDecoder();

/** mulberry32: a small seeded PRNG, so a failing run's delays can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of the random tests: GATE_SNAPSHOT_SEED replays a failed run. */
export const BASE_SEED = Number(Deno.env.get("GATE_SNAPSHOT_SEED") ?? Date.now() % 1_000_000);

/** What to run: the module, its arguments, and the function (default _start). */
export interface Job {
  name: string;
  module: Module;
  args?: string[];
  fn?: string;
  fnArgs?: Value[];
  /** The program's stdin and origin stream (default empty). */
  input?: Uint8Array;
  /** The longest random delay before a suspend, in ms. */
  maxDelay: number;
  /**
   * The chance that a suspend is requested before the run instead of after a
   * delay (default 0). Such a request is sticky: the program stops at its
   * next safepoint, so a chain of them steps through programs too short for
   * a timer to land inside (hello runs in well under a millisecond).
   */
  sticky?: number;
}

/** How a run ended, and what it took to get there. */
export interface Outcome {
  output: string;
  exitCode: number;
  results: Value[];
  /** The trap that ended the run ("KIND in function, function, ..."), if any. */
  trap?: string;
  /** SHA-256 of the memory at the end (see memoryHash()). */
  memoryHash: string;
  /** Runs that ended suspended. */
  points: number;
  /** The delays used, in ms, for the failure message; -1 is a sticky request. */
  delays: number[];
}

/** A sticky suspend request, in Outcome.delays. */
const STICKY = -1;

/**
 * Runs with a suspend requested after `delay` ms (never, when undefined;
 * before the run, when STICKY).
 */
export async function runFor(
  program: Program,
  run: () => Promise<ProgramResult>,
  delay: number | undefined,
): Promise<ProgramResult> {
  if (delay === STICKY) program.suspend();
  const timer = delay === undefined || delay === STICKY
    ? undefined
    : setTimeout(() => program.suspend(), delay);
  try {
    return await run();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The longest a run may take from one suspension to the next: far more
 * than any job needs (counter sleeps 1 s), so that a program that waits for
 * something its snapshot lost fails the job instead of hanging the campaign.
 */
const STALL_MS = 10_000;

/** The longest a job may take in all, for the same reason. */
const RUN_MS = 60_000;

/**
 * Awaits a run: a trap is a result to compare, not an error; a run that
 * takes longer than STALL_MS rejects (the caller closes the program, which
 * ends the run).
 */
async function settle(run: Promise<ProgramResult>): Promise<ProgramResult | TrapError> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`No end of a run in ${STALL_MS / 1000} s`)),
      STALL_MS,
    );
  });
  run.catch(() => {}); // when stalled, its rejection after close() is not an error
  try {
    return await Promise.race([run, stalled]);
  } catch (error) {
    if (error instanceof TrapError) return error;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a job; with a seed, suspends it after random delays, and continues
 * each snapshot in a new Program (a new instance process) until it ends.
 */
export async function runJob(job: Job, seed?: number): Promise<Outcome> {
  const next = seed === undefined ? undefined : random(seed);
  const origin = bufferOrigin(job.input);
  const delays: number[] = [];
  const delay = () => {
    if (next === undefined) return undefined;
    // Only jobs with `sticky` draw for it, so other jobs' seeds replay as before.
    const ms = job.sticky !== undefined && next() < job.sticky
      ? STICKY
      : Math.floor(next() * (job.maxDelay + 1));
    delays.push(ms);
    return ms;
  };
  let program = await Program.start(job.module, { name: job.name, args: job.args ?? [], origin });
  let points = 0;
  const started = performance.now();
  try {
    let result = await settle(runFor(program, () => program.run(job.fn, job.fnArgs), delay()));
    while (!(result instanceof TrapError) && result.suspended) {
      points++;
      assertEquals({ exitCode: result.exitCode, results: result.results }, {
        exitCode: 0,
        results: [],
      });
      if (points > 5000) throw new Error("No end after 5,000 suspensions");
      if (performance.now() - started > RUN_MS) throw new Error(`No end in ${RUN_MS / 1000} s`);
      // A job whose restores cost more than its suspend delays (sieve's 8 MiB
      // on a loaded machine) would never end: after half the time it runs on.
      const last = performance.now() - started > RUN_MS / 2;
      const snapshot = await program.snapshot();
      await program.close();
      program = await Program.restore(snapshot, { origin });
      const resumed = program;
      result = await settle(runFor(resumed, () => resumed.resume(), last ? undefined : delay()));
    }
    const end = result instanceof TrapError
      ? { exitCode: 0, results: [], trap: describeTrap(result) }
      : { exitCode: result.exitCode, results: result.results };
    return {
      output: text.decode(origin.output),
      ...end,
      memoryHash: await memoryHash(await program.snapshot()),
      points,
      delays,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const last = delays.length > 20
      ? `the last delays ... ${delays.slice(-20).join(" ")}`
      : `delays ${delays.join(" ")}`;
    throw new Error(
      `${job.name}, seed ${seed}: after ${points} suspensions, ${last} ms: ${message}`,
      { cause: error },
    );
  } finally {
    await program.close();
  }
}

/**
 * The trap kind and the frames' function names: not the message, which names
 * the function run ("Trap in \"_start\"") or "the resumed program", nor the
 * frames' offsets or module hashes, which are those of the module that ran
 * (a restored program runs its snapshot, another module).
 */
function describeTrap(error: TrapError): string {
  const frames = error.backtrace.map((f) => f.name ?? `#${f.function}`).join(", ");
  return `${error.trap} in ${frames}`;
}

/**
 * SHA-256 of the memory a final snapshot holds, read by V8 rather than by
 * Gate: a snapshot is a valid module with the memory in active data
 * segments and no start section, so instantiating it with stub imports only
 * applies the segments. "no memory" when the program exports none.
 */
export async function memoryHash(snapshot: Uint8Array): Promise<string> {
  const module = new WebAssembly.Module(snapshot as Uint8Array<ArrayBuffer>);
  const imports: Record<string, Record<string, () => never>> = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") throw new Error(`Cannot read the snapshot: it imports a ${kind}`);
    (imports[from] ??= {})[name] = () => {
      throw new Error(`Import "${from}.${name}" called while reading a snapshot`);
    };
  }
  const instance = new WebAssembly.Instance(module, imports);
  const memory = Object.values(instance.exports).find((e) => e instanceof WebAssembly.Memory);
  if (memory === undefined) return "no memory";
  // Not shared: the snapshot's memory is not declared shared (no threads).
  const digest = await crypto.subtle.digest("SHA-256", memory.buffer as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
