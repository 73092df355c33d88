import { assert, assertEquals, assertThrows } from "../tests/_assert.ts";
import { analyzeSnapshot } from "./snapshot_analysis.ts";
import { benchSnapshot, snapshotEngines } from "./snapshot_bench.ts";
import { PAGE, snapshotModule } from "./snapshot_program.ts";
import { formatSnapshotReport } from "./snapshot_report.ts";
import {
  type GateSnapshotSamples,
  parseGateSamples,
  type SnapshotPlan,
  snapshotPlan,
} from "./snapshot_samples.ts";
import { fitLine, memoryLabel } from "./snapshot_sizes.ts";

const MiB = 2 ** 20;

function assertAlmostEquals(actual: number, expected: number, epsilon: number): void {
  assert(Math.abs(actual - expected) <= epsilon, `${actual} is not ${expected} (+-${epsilon})`);
}

Deno.test("snapshotModule() touches every n-th page with non-zero bytes", () => {
  const module = new WebAssembly.Module(new Uint8Array(snapshotModule()));
  const e = new WebAssembly.Instance(module).exports as {
    memory: WebAssembly.Memory;
    touch(pages: number, every: number): void;
    noop(): void;
  };
  e.touch(4, 2);
  const bytes = new Uint8Array(e.memory.buffer);
  assertEquals(bytes.length, 4 * PAGE);
  const pageBytes = (i: number) => [bytes[i * PAGE], bytes[(i + 1) * PAGE - 1]];
  assertEquals([pageBytes(0), pageBytes(1), pageBytes(2), pageBytes(3)], [
    [1, 1],
    [0, 0],
    [3, 3],
    [0, 0],
  ]);
  e.touch(4, 0); // nothing touched, no growth
  assertEquals(e.memory.buffer.byteLength, 4 * PAGE);
  e.noop();
  assertEquals(WebAssembly.Module.exports(module).map((x) => x.name), [
    "memory",
    "touch",
    "spin",
    "fill_forever",
    "noop",
  ]);
});

Deno.test("fitLine() recovers a line and weighs points by their relative error", () => {
  const exact = fitLine([{ x: 0.065, y: 2 + 0.5 * 0.065 }, { x: 1, y: 2.5 }, { x: 67, y: 35.5 }]);
  assertAlmostEquals(exact!.fixed, 2, 1e-9);
  assertAlmostEquals(exact!.slope, 0.5, 1e-9);
  // 10 % noise on the largest point barely moves the fixed cost.
  const noisy = fitLine([{ x: 0.065, y: 2.03 }, { x: 1, y: 2.5 }, { x: 1074, y: 539 * 1.1 }]);
  assert(Math.abs(noisy!.fixed - 2) < 0.1, `fixed ${noisy!.fixed}`);
  assertEquals(fitLine([{ x: 1, y: 1 }]), undefined);
  assertEquals(fitLine([{ x: 1, y: 1 }, { x: 1, y: 2 }]), undefined);
  assertThrows(() => fitLine([{ x: 1, y: 0 }, { x: 2, y: 1 }]), RangeError);
});

Deno.test("memoryLabel() names sizes in KiB, MiB and GiB", () => {
  assertEquals([1 / 16, 1, 64, 1024, 1536].map(memoryLabel), [
    "64 KiB",
    "1 MiB",
    "64 MiB",
    "1 GiB",
    "1536 MiB",
  ]);
});

const PLAN: SnapshotPlan = {
  suspendTrials: 100,
  fillTrials: 100,
  fillMiB: 64,
  sizes: [{ mib: 1, runs: 3 }, { mib: 64, runs: 3 }, { mib: 1024, runs: 1 }],
  splitMaxMiB: 64,
  touchedMiB: 64,
  touchedEvery: [0, 4],
  memcpyRuns: 3,
  forkLaunches: 5,
};

/** Snapshot time 0.8 ms + 0.4 ms/MB; restore + resume 0.5 ms + 0.2 ms/MB; 1 GiB's restore fails. */
function fakeSamples(): GateSnapshotSamples {
  const size = (mib: number, restored: boolean) => {
    const mb = mib * MiB / 1e6;
    return {
      mib,
      memoryBytes: mib * MiB,
      snapshotBytes: mib * MiB + 300,
      touchMs: 1,
      snapshotMs: [0.8 + 0.4 * mb],
      restoreMs: restored ? [0.25 + 0.2 * mb] : [],
      resumeMs: restored ? [0.25] : [],
      ...(mib <= 64 ? { openMs: 0.05 * mb, compileMs: 0.1 * mb } : {}),
      ...(restored ? {} : { error: "restore: Cannot load module" }),
    };
  };
  return {
    // 1..100 ms: p50 50, p99 99, max 100 (nearest rank).
    suspendMs: Array.from({ length: 100 }, (_, i) => (i + 1) / 100),
    fillMs: Array(100).fill(0.5),
    sizes: [size(1, true), size(64, true), size(1024, false)],
    touched: [
      { every: 0, touchedBytes: 0, snapshotBytes: 300, ms: 5 },
      { every: 4, touchedBytes: 16 * MiB, snapshotBytes: 16 * MiB + 900, ms: 10 },
    ],
  };
}

const ANCHORS = { memcpyGBps: [10, 10, 10], forkExitUs: [100, 100, 100, 200, 300] };

Deno.test("analyzeSnapshot() fits the costs, relates them to the anchors and checks the targets", () => {
  const report = analyzeSnapshot(PLAN, fakeSamples(), ANCHORS);
  assertEquals(report.anchors.forkExitP50Us, 100);
  assertEquals(report.suspend.map((r) => [r.p50Ms, r.p99Ms, r.maxMs]), [
    [0.5, 0.99, 1],
    [0.5, 0.5, 0.5],
  ]);
  assertAlmostEquals(report.snapshotFit!.fixedMs, 0.8, 1e-9);
  assertAlmostEquals(report.snapshotFit!.perMbMs, 0.4, 1e-9);
  assertAlmostEquals(report.snapshotFit!.gbps, 2.5, 1e-9);
  assertEquals(report.snapshotFit!.sizes, 3);
  assertAlmostEquals(report.firstInstructionFit!.fixedMs, 0.5, 1e-9);
  assertEquals(report.firstInstructionFit!.sizes, 2);
  const big = report.sizes[1]!;
  assertAlmostEquals(big.gbps!.median, 64 * MiB / 1e6 / (0.8 + 0.4 * 64 * MiB / 1e6), 1e-9);
  assertAlmostEquals(big.vsMemcpy!.median, big.gbps!.median / 10, 1e-9);
  assertEquals(report.sizes[2]!.firstInstructionMs, undefined);
  assertEquals(report.errors, ["1 GiB: restore: Cannot load module"]);
  // 0 %, 25 % (every 4th page), and 100 % from the 64 MiB size row.
  assertEquals(report.touched.map((r) => r.fraction), [0, 0.25, 1]);
  assertEquals(report.touched[0]!.ratio, undefined);
  assertAlmostEquals(report.touched[2]!.ratio!, 1 + 300 / (64 * MiB), 1e-12);
  const fixedVsFork = report.comparisons.find((c) => c.what === "snapshot fixed cost (fit)");
  assertAlmostEquals(fixedVsFork!.ratio as number, 8, 1e-9); // 0.8 ms / 100 us
  const published = report.comparisons.find((c) => c.what === "restore per MB (fit)");
  assertAlmostEquals(published!.ratio as number, 0.2 / 0.35, 1e-9);
  assertEquals(report.targets.map((t) => t.met), [true, true, false]);
});

Deno.test("formatSnapshotReport() prints the tables, fits, published row and target lines", () => {
  const text = formatSnapshotReport(analyzeSnapshot(PLAN, fakeSamples(), ANCHORS));
  for (
    const s of [
      "in memory.fill of 64 MiB",
      "snapshot = 0.80 ms + 0.400 ms/MB (2.50 GB/s)",
      "published, not measured here: CRIU/Wanco restore 0.35 ms/MB",
      "target suspend latency p99 <= 1 ms: met",
      "target snapshot >= 2 GB/s of touched memory + <= 1 ms fixed: met",
      "target restore to first instruction <= 1 ms (+ lazy memory), at every size: not met",
      "FAILED 1 GiB: restore: Cannot load module",
      "% compiling the program module",
    ]
  ) assert(text.includes(s), `missing "${s}" in:\n${text}`);
  const noFit = analyzeSnapshot({ ...PLAN, sizes: [] }, {
    ...fakeSamples(),
    sizes: [fakeSamples().sizes[0]!],
  }, ANCHORS);
  assertEquals(noFit.snapshotFit, undefined);
  assert(formatSnapshotReport(noFit).includes("snapshot: no fit"));
});

Deno.test("parseGateSamples() checks the child's result line", () => {
  const samples = fakeSamples();
  assertEquals(parseGateSamples(JSON.parse(JSON.stringify(samples))), samples);
  assertThrows(() => parseGateSamples({ ...samples, suspendMs: ["1"] }), TypeError);
  assertThrows(() => parseGateSamples({ ...samples, sizes: [{ mib: 1 }] }), TypeError);
});

Deno.test("snapshotPlan() measures 1 MiB, 64 MiB and 1 GiB in full, no 1 GiB with --quick", () => {
  assertEquals(snapshotPlan(false).sizes.map((s) => s.mib), [1 / 16, 1, 64, 1024]);
  assertEquals(snapshotPlan(true).sizes.map((s) => s.mib), [1 / 16, 1, 64]);
  for (const plan of [snapshotPlan(false), snapshotPlan(true)]) {
    const mibs = plan.sizes.map((s) => s.mib);
    assert(mibs.includes(plan.fillMiB) && mibs.includes(plan.touchedMiB));
  }
});

Deno.test("benchSnapshot() runs the real child, tiny: positive, finite figures", async () => {
  const plan: SnapshotPlan = {
    suspendTrials: 5,
    fillTrials: 5,
    fillMiB: 1,
    sizes: [{ mib: 1 / 16, runs: 1 }, { mib: 1, runs: 1 }],
    splitMaxMiB: 1,
    touchedMiB: 1,
    touchedEvery: [0, 2],
    memcpyRuns: 1,
    forkLaunches: 20,
  };
  const report = await benchSnapshot(snapshotEngines(), plan);
  assertEquals(report.errors, []);
  assertEquals(report.suspend.map((r) => r.trials), [5, 5]);
  const positive = (v: number | undefined) => typeof v === "number" && Number.isFinite(v) && v > 0;
  for (const r of report.suspend) assert(positive(r.p50Ms) && positive(r.p99Ms), r.what);
  assertEquals(report.sizes.map((r) => r.memoryBytes), [PAGE, MiB]);
  for (const r of report.sizes) {
    assert(r.snapshotBytes > r.memoryBytes, `${r.mib}: ${r.snapshotBytes} bytes`);
    for (const v of [r.snapshotMs?.median, r.gbps?.median, r.firstInstructionMs?.median]) {
      assert(positive(v), `${r.mib} MiB: ${v}`);
    }
    assert(positive(r.openMs), `${r.mib} MiB: open ${r.openMs}`);
    assert(positive(r.compileMs), `${r.mib} MiB: compile ${r.compileMs}`);
  }
  assert(Number.isFinite(report.snapshotFit?.perMbMs), "snapshot fit");
  assertEquals(report.touched.map((r) => r.fraction), [0, 0.5, 1]);
  assert(report.touched[0]!.snapshotBytes < 4096, `${report.touched[0]!.snapshotBytes} bytes`);
  assert(positive(report.anchors.memcpyGBps.median) && positive(report.anchors.forkExitP50Us));
  assertEquals(report.targets.length, 3);
});
