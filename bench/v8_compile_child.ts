/**
 * Child process for the V8 compile-throughput anchors; the V8 flags (tier,
 * eager, single-threaded, --expose-gc) come from the command line that
 * starts it. Compiles the module warmup + runs times, each time on a copy
 * made unique by a custom section so V8's native module cache cannot answer,
 * and prints
 *   {"ms":[...],"cpuMs":[...],"rssBeforeKiB":N,"maxRssKiB":N}
 * (wall and process CPU milliseconds per timed compile; the resident set
 * before the first compile and the process's peak after the last). With --same-bytes it
 * compiles the unmodified bytes and keeps every module alive, which lets the
 * cache answer: the contrast shows that the nonce works.
 *
 * Usage: v8_compile_child.ts MODULE.wasm RUNS WARMUP [--same-bytes]
 *
 * @module
 */

import process from "node:process";
import { withNonce } from "./wasm_sections.ts";

function main(): void {
  const [path, runsArg, warmupArg, mode] = Deno.args;
  if (!path || !runsArg || !warmupArg) {
    throw new TypeError("Usage: v8_compile_child.ts MODULE.wasm RUNS WARMUP [--same-bytes]");
  }
  const runs = Number(runsArg), warmup = Number(warmupArg);
  const sameBytes = mode === "--same-bytes";
  const bytes = Deno.readFileSync(path);
  const gc = (globalThis as { gc?: () => void }).gc;
  const keep: WebAssembly.Module[] = [];
  const ms: number[] = [], cpuMs: number[] = [];
  const rssBeforeKiB = Math.round(Deno.memoryUsage().rss / 1024);
  for (let i = 0; i < warmup + runs; i++) {
    const input = sameBytes ? bytes : withNonce(bytes, i);
    gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const module = new WebAssembly.Module(input);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (sameBytes) keep.push(module);
    if (i >= warmup) {
      ms.push(wall);
      cpuMs.push((cpu.user + cpu.system) / 1000);
    }
  }
  const maxRssKiB = process.resourceUsage().maxRSS;
  console.log(JSON.stringify({ ms, cpuMs, rssBeforeKiB, maxRssKiB, kept: keep.length }));
}

if (import.meta.main) main();
