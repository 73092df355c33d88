import { assertEquals } from "../tests/_assert.ts";
import { rejects } from "node:assert/strict";
import { benchKernels, formatKernelReport } from "./kernel_bench.ts";
import type { KernelEngine } from "./kernel_engines.ts";
import type { BuiltKernel } from "./kernel_build.ts";

const KERNELS: BuiltKernel[] = [
  { name: "a", n: 10, stresses: "", wasmPath: "a.wasm", nativePath: "a.native" },
  { name: "b", n: 20, stresses: "", wasmPath: "b.wasm", nativePath: "b.native" },
];

/** An engine that takes `factor` ms per unit of n and returns checksum n (or `checksum`). */
function fake(name: string, factor: number, checksum?: number): KernelEngine {
  return {
    name,
    run: (_kernel, n, runs) =>
      Promise.resolve({ checksum: checksum ?? n, ms: Array(runs).fill(n * factor) }),
  };
}

const quiet = { log: () => {}, rounds: 2, runsPerRound: 2 };

Deno.test("benchKernels() takes ratios against native and Liftoff", async () => {
  const engines = [fake("native", 1), fake("v8-liftoff", 4), fake("v8-turbofan", 2)];
  const report = await benchKernels(KERNELS, { engines, ...quiet });
  const tf = report.rows.find((r) => r.kernel === "b" && r.engine === "v8-turbofan")!;
  assertEquals(tf.ms.runs, 4);
  assertEquals(tf.vsNative, { median: 2, min: 2, max: 2 });
  assertEquals(tf.vsLiftoff, { median: 0.5, min: 0.5, max: 0.5 });
  assertEquals(report.geomean["v8-liftoff"], { vsNative: 4, vsLiftoff: 1 });
});

Deno.test("benchKernels() fails on a checksum that differs from native", async () => {
  const engines = [fake("native", 1), fake("v8-liftoff", 4, 12345)];
  await rejects(benchKernels(KERNELS, { engines, ...quiet }), /checksum mismatch: native 10/);
});

Deno.test("benchKernels() requires native first", async () => {
  await rejects(benchKernels(KERNELS, { engines: [fake("v8-liftoff", 1)], ...quiet }), TypeError);
});

Deno.test("formatKernelReport() has a row per kernel and a geomean row", async () => {
  const engines = [fake("native", 1), fake("v8-liftoff", 3), fake("gate", 1.5)];
  const text = formatKernelReport(await benchKernels(KERNELS, { engines, ...quiet }));
  const lines = text.split("\n");
  assertEquals(lines[1]!.includes("gate/liftoff"), true);
  assertEquals(lines.some((l) => l.startsWith("b ") && l.includes("3.00x (3.00-3.00)")), true);
  assertEquals(lines.at(-1)!.replace(/\s+/g, " "), "geomean 3.00x 1.50x 0.50x");
});
