/**
 * Child process for Gate's density (density_bench.ts): starts COUNT
 * programs (programs/wait_stdin.c) with `Program.start()` and `run()` not
 * awaited, each with an origin that never delivers, so each instance
 * process blocks in fd_read(0). Once every one of them has asked for input
 * (its read reached the origin), it takes the memory:
 *
 * - kernel: /proc/meminfo's kernel fields after minus before (the executor
 *   is started before the first snapshot, so this is the instances' share);
 * - instances: the sum of every instance process's Rss and Pss;
 * - executor: its Rss and Pss;
 * - deno: this process's own growth (the Program objects and their sessions);
 * - the linear memory of one instance (proc_memory.ts's linearMemory()):
 *   its resident KiB are the program's own pages.
 *
 * Then closes every program (timed) and the executor. /proc is read with
 * `head` (density_memory.ts). Needs GATE_MAX_INSTANCES
 * above COUNT in the executor's environment. Prints one JSON line.
 *
 * Usage: gate_density_child.ts MODULE COUNT
 *
 * @module
 */

import { compile } from "../mod.ts";
import { Program } from "../ffi/program.ts";
import { closeExecutor, getExecutor } from "../ffi/_executor.ts";
import type { Origin } from "../services/stream.ts";
import { kernelDelta } from "./proc_memory.ts";
import { kernelNow, mappings, processMemory, settleKernel, sleep } from "./density_memory.ts";

/** Programs being started at once. */
const CONCURRENCY = 16;
/** Give up waiting for the instances to block after this long. */
const TIMEOUT_MS = 300_000;

async function main(): Promise<void> {
  const [path, countArg] = Deno.args;
  const count = Number(countArg);
  if (!path || !(count > 0)) throw new TypeError("Usage: gate_density_child.ts MODULE COUNT");
  const module = await compile(Deno.readFileSync(path), { cache: false });
  const executor = await getExecutor();
  await settleKernel();
  const kernelBefore = await kernelNow();
  const [selfBefore] = await processMemory([Deno.pid]);

  let waiting = 0;
  const origin: Origin = {
    read: () => {
      waiting++;
      return new Promise(() => {});
    },
    write: () => Promise.resolve(),
  };
  const programs: Program[] = [];
  const runs: Promise<unknown>[] = [];
  const t0 = performance.now();
  let next = 0;
  // Elapsed ms when each tenth of the instances had started: shows whether
  // a start gets slower as instances accumulate.
  const tenthsMs: number[] = [];
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      next++;
      const program = await Program.start(module, { name: "wait_stdin", origin });
      programs.push(program);
      if (programs.length % Math.max(1, Math.floor(count / 10)) === 0) {
        tenthsMs.push(performance.now() - t0);
      }
      runs.push(program.run().catch(() => {})); // rejects when closed below
    }
  }));
  const startMs = performance.now() - t0;
  while (waiting < count) {
    if (performance.now() - t0 > TIMEOUT_MS) {
      throw new Error(`Only ${waiting} of ${count} instances were waiting after ${TIMEOUT_MS} ms`);
    }
    await sleep(20);
  }
  const waitMs = performance.now() - t0;
  await sleep(200);
  const kernel = kernelDelta(kernelBefore, await kernelNow());
  const [selfAfter] = await processMemory([Deno.pid]);
  let rssKib = 0, pssKib = 0, unreadable = 0;
  for (const m of await processMemory(programs.map((p) => p.pid))) {
    if (m === null) unreadable++;
    else {
      rssKib += m.rssKib;
      pssKib += m.pssKib;
    }
  }
  const sample = await mappings(programs[0]!.pid, 6);
  const [exec] = await processMemory([executor.pid]);
  if (!selfBefore || !selfAfter || !exec) throw new Error("Cannot read smaps_rollup");

  const t1 = performance.now();
  await Promise.all(programs.map((p) => p.close()));
  await Promise.all(runs);
  const closeMs = performance.now() - t1;
  await closeExecutor();
  console.log(JSON.stringify({
    count,
    startMs,
    tenthsMs,
    waitMs,
    closeMs,
    kernelKib: kernel.total,
    kernelFields: kernel.fields,
    instances: { rssKib, pssKib, unreadable },
    executor: exec,
    deno: {
      rssKib: selfAfter.rssKib - selfBefore.rssKib,
      pssKib: selfAfter.pssKib - selfBefore.pssKib,
    },
    linearKib: sample.linear?.rssKib ?? null,
    linearMapping: sample.linear ?? null,
    topMappings: sample.top,
  }));
}

if (import.meta.main) await main();
