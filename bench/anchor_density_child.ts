/**
 * Child process for the density anchors (density_bench.ts):
 *
 * - `worker COUNT`: COUNT idle Deno Workers (density_worker.ts), each up
 *   and waiting; memory = this process's growth + the kernel's.
 * - `sleep COUNT`: COUNT `sleep` processes (Deno.Command); memory = the sum
 *   of their Rss and Pss + the kernel's + this process's growth. The
 *   smallest ordinary process, for scale.
 *
 * Kernel memory is /proc/meminfo's kernel fields after minus before.
 * Prints one JSON line, then exits at once (ending the Workers or killing
 * the sleeps is not measured).
 *
 * Usage: anchor_density_child.ts worker|sleep COUNT
 *
 * @module
 */

import { kernelDelta, sumMemory } from "./proc_memory.ts";
import { kernelNow, processMemory, settleKernel, sleep } from "./density_memory.ts";

async function main(): Promise<void> {
  const [mode, countArg] = Deno.args;
  const count = Number(countArg);
  if ((mode !== "worker" && mode !== "sleep") || !(count > 0)) {
    throw new TypeError("Usage: anchor_density_child.ts worker|sleep COUNT");
  }
  await settleKernel();
  const kernelBefore = await kernelNow();
  const [selfBefore] = await processMemory([Deno.pid]);
  const t0 = performance.now();
  const children: Deno.ChildProcess[] = [];
  if (mode === "worker") {
    const url = new URL("./density_worker.ts", import.meta.url);
    for (let i = 0; i < count; i++) {
      const w = new Worker(url, { type: "module" });
      await new Promise((resolve) => w.onmessage = resolve);
    }
  } else {
    const cmd = new Deno.Command("sleep", {
      args: ["3600"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    });
    for (let i = 0; i < count; i++) children.push(cmd.spawn());
  }
  const startMs = performance.now() - t0;
  await sleep(200);
  const kernel = kernelDelta(kernelBefore, await kernelNow());
  const [selfAfter] = await processMemory([Deno.pid]);
  if (!selfBefore || !selfAfter) throw new Error("Cannot read smaps_rollup");
  const procs = sumMemory(
    (await processMemory(children.map((c) => c.pid))).map((m) => m ?? { rssKib: 0, pssKib: 0 }),
  );
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map((c) => c.status));
  console.log(JSON.stringify({
    count,
    startMs,
    kernelKib: kernel.total,
    kernelFields: kernel.fields,
    processes: procs,
    deno: {
      rssKib: selfAfter.rssKib - selfBefore.rssKib,
      pssKib: selfAfter.pssKib - selfBefore.pssKib,
    },
  }));
  Deno.exit(0);
}

if (import.meta.main) await main();
