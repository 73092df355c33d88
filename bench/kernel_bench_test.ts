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
  assertEquals(report.geomean["v8-liftoff"], {
    vsNative: 4,
    vsLiftoff: 1,
    vsTurbofan: 2,
    kernels: 2,
  });
});

Deno.test("benchKernels() takes ratios against TurboFan", async () => {
  const engines = [
    fake("native", 1),
    fake("v8-liftoff", 4),
    fake("v8-turbofan", 2),
    fake("gate", 3),
  ];
  const report = await benchKernels(KERNELS, { engines, ...quiet });
  const g = report.geomean["gate"]!;
  assertEquals([g.vsNative, g.vsLiftoff, g.vsTurbofan].map((v) => v!.toFixed(9)), [
    "3.000000000",
    "0.750000000",
    "1.500000000",
  ]);
  const text = formatKernelReport(report);
  assertEquals(text.split("\n")[1]!.includes("gate/turbofan"), true);
  assertEquals(
    text.split("\n").at(-1)!.replace(/\s+/g, " "),
    "geomean 4.00x 2.00x 3.00x 0.50x 0.75x 1.50x",
  );
});

/** An engine that throws on kernel "b" and is correct on the others. */
function failsOnB(name: string): KernelEngine & { calls: number } {
  const ok = fake(name, 2);
  const engine = {
    name,
    calls: 0,
    run(kernel: BuiltKernel, n: number, runs: number) {
      engine.calls++;
      if (kernel.name === "b") {
        return Promise.reject(new Error('Trap in invoke "run": unreachable'));
      }
      return ok.run(kernel, n, runs);
    },
  };
  return engine;
}

Deno.test("benchKernels() reports a failing engine instead of failing the run", async (t) => {
  await t.step("an engine that throws", async () => {
    const gate = failsOnB("gate");
    const engines = [fake("native", 1), fake("v8-liftoff", 4), gate];
    const report = await benchKernels(KERNELS, { engines, ...quiet });
    assertEquals(report.failures, [
      { kernel: "b", engine: "gate", reason: 'Trap in invoke "run": unreachable' },
    ]);
    assertEquals(gate.calls, 3); // two rounds of "a", then one try of "b"
    assertEquals(report.rows.some((r) => r.kernel === "b" && r.engine === "gate"), false);
    assertEquals(report.geomean["gate"], { vsNative: 2, vsLiftoff: 0.5, kernels: 1 });
    const lines = formatKernelReport(report).split("\n");
    assertEquals(lines.some((l) => l.startsWith("b ") && l.includes("FAILED")), true);
    assertEquals(lines.some((l) => l.startsWith("geomean") && l.includes("0.50x (1/2)")), true);
    assertEquals(lines.at(-1), 'FAILED: gate on kernel "b": Trap in invoke "run": unreachable');
  });
  await t.step("an engine with a wrong checksum", async () => {
    const engines = [fake("native", 1), fake("v8-liftoff", 4), fake("gate", 1, 7)];
    const report = await benchKernels(KERNELS, { engines, ...quiet });
    assertEquals(report.failures.map((f) => f.reason), [
      'Kernel "a" checksum mismatch: native 10, gate 7',
      'Kernel "b" checksum mismatch: native 20, gate 7',
    ]);
    assertEquals(report.geomean["gate"], undefined);
    assertEquals(formatKernelReport(report).split("\n").at(-3)!.endsWith("-"), true);
  });
});

Deno.test("benchKernels() fails when an anchor fails", async () => {
  const engines = [fake("native", 1), failsOnB("v8-liftoff")];
  await rejects(benchKernels(KERNELS, { engines, ...quiet }), /unreachable/);
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

const CHECKS = { base: "gate", variant: "gate-off", title: "Suspend checks on/off", target: 1.03 };

/** An engine that also measures variant "gate-off" at `off` ms per unit of n; fails on `failOn`. */
function paired(factor: number, off: number, failOn?: string): KernelEngine {
  return {
    name: "gate",
    variants: ["gate-off"],
    run: (kernel, n, runs) =>
      kernel.name === failOn ? Promise.reject(new Error("trap")) : Promise.resolve({
        checksum: n,
        ms: Array(runs).fill(n * factor),
        variants: { "gate-off": Array(runs).fill(n * off) },
      }),
  };
}

Deno.test("benchKernels() contrasts an engine with its variant", async (t) => {
  await t.step("ratios per kernel and their geomean, in a table of their own", async () => {
    const engines = [fake("native", 1), fake("v8-liftoff", 4), paired(2.1, 2)];
    const report = await benchKernels(KERNELS, { engines, ...quiet, contrasts: [CHECKS] });
    assertEquals(report.engines, ["native", "v8-liftoff", "gate", "gate-off"]);
    const off = report.rows.find((r) => r.kernel === "b" && r.engine === "gate-off")!;
    assertEquals([off.ms.runs, off.vsNative.median, off.checksum], [4, 2, 20]);
    const [c] = report.contrasts!;
    assertEquals(c!.rows.map((r) => [r.kernel, r.ratio.median.toFixed(3)]), [
      ["a", "1.050"],
      ["b", "1.050"],
    ]);
    assertEquals([c!.geomean!.toFixed(3), c!.kernels], ["1.050", 2]);
    const text = formatKernelReport(report);
    // The variant has no columns in the main table.
    assertEquals(text.split("\n")[1]!.includes("gate-off"), false);
    const lines = text.split("\n");
    const title = lines.findIndex((l) => l.startsWith("Suspend checks on/off: gate time over"));
    assertEquals(title > 0, true);
    assertEquals(lines[title]!.endsWith("target <= 1.03x"), true);
    assertEquals(
      lines[title + 1]!.replace(/\s+/g, " "),
      "kernel gate ms gate-off ms gate/gate-off",
    );
    assertEquals(lines[title + 3]!.replace(/\s+/g, " "), "a 21.0 20.0 1.05x (1.05-1.05)");
    assertEquals(lines.at(-2)!.replace(/\s+/g, " "), "geomean 1.05x");
    assertEquals(lines.at(-1), "geomean misses the target; kernels over it: a, b");
  });
  await t.step("a kernel the engine failed on fails its variant too", async () => {
    const engines = [fake("native", 1), fake("v8-liftoff", 4), paired(2, 2, "b")];
    const report = await benchKernels(KERNELS, { engines, ...quiet, contrasts: [CHECKS] });
    assertEquals(report.failures.map((f) => `${f.kernel} ${f.engine}`), ["b gate", "b gate-off"]);
    const [c] = report.contrasts!;
    assertEquals([c!.geomean, c!.kernels], [1, 1]);
    const lines = formatKernelReport(report).split("\n");
    assertEquals(lines.some((l) => l.replace(/\s+/g, " ") === "b FAILED FAILED -"), true);
    assertEquals(lines.at(-2)!.replace(/\s+/g, " "), "geomean 1.00x (1/2)");
    assertEquals(lines.at(-1), "geomean meets the target");
  });
  await t.step("an engine that does not measure its variant fails", async () => {
    const engines = [fake("native", 1), fake("v8-liftoff", 4), {
      ...fake("gate", 2),
      variants: ["gate-off"],
    }];
    const report = await benchKernels(KERNELS, { engines, ...quiet, contrasts: [CHECKS] });
    assertEquals(report.failures[0]!.reason, "Engine gate did not measure variant gate-off");
  });
  await t.step("both engines must be there", async () => {
    const engines = [fake("native", 1), fake("v8-liftoff", 4), fake("gate", 2)];
    await rejects(
      benchKernels(KERNELS, { engines, ...quiet, contrasts: [CHECKS] }),
      /no engine "gate-off"/,
    );
  });
});
