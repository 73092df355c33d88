/**
 * Snapshots (issue #8), measured by a Gate child (gate_snapshot_child.ts)
 * and set against two anchors measured in the same run, memcpy bandwidth
 * (limits/memcpy_bw.c) and fork + exit + wait (limits/fork_exit.c), and
 * against published figures for comparable systems (CRIU, Wanco; not
 * measured here):
 *
 * - suspend latency: suspend() -> run() resolves suspended, p50/p99/max, in
 *   a loop and in the middle of a memory.fill
 * - snapshot(): time at 1 MiB, 64 MiB and 1 GiB of touched memory, fitted as
 *   fixed cost + cost per MB (MB = 10^6 bytes: c ms/MB is 1/c GB/s)
 * - restore to first instruction: Program.restore() + resume() of a program
 *   suspended at the entry of a function that returns at once, fitted the same way
 * - snapshot size against touched memory (zero runs are elided)
 *
 * The measurements are engines so that tests can fake them.
 *
 * @module
 */

import { dirname } from "node:path";
import { executorPath } from "../ffi/_executor.ts";
import { libraryPath } from "../ffi/_library.ts";
import { numberArray, numberField } from "./child_output.ts";
import { buildLimit } from "./limits_bench.ts";
import { buildForkExit, quantile } from "./startup_bench.ts";
import { type Ratio, ratio, summarize, type Summary } from "./stats.ts";
import { runChild, runDenoChild } from "./subprocess.ts";
import { fixed, formatTable } from "./table.ts";
import { ByteWriter, WASM_HEADER } from "./wasm_encode.ts";

/** Bytes of one wasm page. */
export const PAGE = 65536;

const I32 = 0x7f;

/**
 * The section's program, no imports, its memory exported as "memory":
 *
 * - `touch(pages, every)`: grows memory to `pages` and fills every
 *   `every`-th 64 KiB page with a non-zero byte (page index | 1); `every` 0
 *   touches nothing.
 * - `spin()`: loops forever (a suspend check at its loop head).
 * - `fill_forever(bytes)`: memory.fill of `bytes` at 0, again and again.
 * - `noop()`: returns at once; suspended at its entry, a restored program's
 *   first instruction is its last.
 */
export function snapshotModule(): Uint8Array {
  const w = new ByteWriter().bytes(WASM_HEADER);
  // Types: 0 () -> (), 1 (i32 i32) -> (), 2 (i32) -> ().
  w.section(
    1,
    new ByteWriter().uleb(3).byte(0x60, 0, 0).byte(0x60, 2, I32, I32, 0).byte(0x60, 1, I32, 0),
  );
  w.section(3, new ByteWriter().uleb(4).uleb(1).uleb(0).uleb(2).uleb(0));
  w.section(5, new ByteWriter().uleb(1).byte(0x00).uleb(1)); // (memory 1), no maximum
  const exports = new ByteWriter().uleb(5).name("memory").byte(0x02).uleb(0);
  for (const [i, name] of ["touch", "spin", "fill_forever", "noop"].entries()) {
    exports.name(name).byte(0x00).uleb(i);
  }
  w.section(7, exports);
  const touch = new ByteWriter().uleb(1).uleb(1).byte(I32) // local $i
    // memory.grow(pages - memory.size); a failed grow makes the fill trap.
    .byte(0x20, 0, 0x3f, 0, 0x6b, 0x40, 0, 0x1a)
    // if every == 0: return
    .byte(0x20, 1, 0x45, 0x04, 0x40, 0x0f, 0x0b)
    .byte(0x03, 0x40) // loop
    .byte(0x20, 2, 0x20, 0, 0x49, 0x04, 0x40) // if i < pages
    .byte(0x20, 2, 0x41, 16, 0x74) // dest = i << 16
    .byte(0x20, 2, 0x41, 1, 0x72) // value = i | 1
    .byte(0x41).sleb(PAGE) // length
    .byte(0xfc, 0x0b, 0x00) // memory.fill
    .byte(0x20, 2, 0x20, 1, 0x6a, 0x21, 2) // i += every
    .byte(0x0c, 1) // br loop
    .byte(0x0b, 0x0b, 0x0b); // end if, end loop, end
  const spin = new ByteWriter().uleb(0).byte(0x03, 0x40, 0x0c, 0, 0x0b, 0x0b);
  const fill = new ByteWriter().uleb(0)
    .byte(0x03, 0x40, 0x41, 0, 0x41).sleb(0x5a).byte(0x20, 0, 0xfc, 0x0b, 0x00, 0x0c, 0, 0x0b)
    .byte(0x0b);
  const noop = new ByteWriter().uleb(0).byte(0x0b);
  const code = new ByteWriter().uleb(4);
  for (const body of [touch, spin, fill, noop]) code.uleb(body.length).bytes(body.toBytes());
  w.section(10, code);
  return w.toBytes().slice();
}

/** What the section measures, and how often. */
export interface SnapshotPlan {
  /** Suspensions of a spinning loop, and in memory.fill (over fillMiB, one of `sizes`). */
  suspendTrials: number;
  fillTrials: number;
  fillMiB: number;
  /**
   * Memory sizes (64 KiB steps), all touched, and the snapshot() and restore
   * runs at each. Issue #8 asks for 1 MiB, 64 MiB and 1 GiB; one page more
   * measures the fixed cost nearly alone.
   */
  sizes: { mib: number; runs: number }[];
  /** Restore's compile step is timed on its own at sizes up to this. */
  splitMaxMiB: number;
  /** Snapshot size against touched memory: programs of touchedMiB touching every n-th page (0: none). */
  touchedMiB: number;
  touchedEvery: number[];
  /** Anchor samples: memcpy runs, fork + exit launches. */
  memcpyRuns: number;
  forkLaunches: number;
}

/** The plan of `deno task bench` (--quick: no 1 GiB, fewer trials), sized for a 2-core machine. */
export function snapshotPlan(quick: boolean): SnapshotPlan {
  return quick
    ? {
      suspendTrials: 50,
      fillTrials: 50,
      fillMiB: 64,
      sizes: [{ mib: 1 / 16, runs: 3 }, { mib: 1, runs: 3 }, { mib: 64, runs: 3 }],
      splitMaxMiB: 64,
      touchedMiB: 64,
      touchedEvery: [0, 4, 2],
      memcpyRuns: 5,
      forkLaunches: 200,
    }
    : {
      suspendTrials: 200,
      fillTrials: 200,
      fillMiB: 1024,
      // 64 KiB (one page) pins the fixed cost; 1 GiB once: its snapshot takes half a minute today.
      sizes: [
        { mib: 1 / 16, runs: 7 },
        { mib: 1, runs: 7 },
        { mib: 64, runs: 3 },
        { mib: 1024, runs: 1 },
      ],
      splitMaxMiB: 64,
      touchedMiB: 64,
      touchedEvery: [0, 4, 2],
      memcpyRuns: 11,
      forkLaunches: 1000,
    };
}

/** One memory size as the child measured it; times in ms. */
export interface SizeSamples {
  mib: number;
  /** Linear memory in the snapshot (describeSnapshot().memory), all of it touched. */
  memoryBytes: number;
  snapshotBytes: number;
  /** Program.start() + touch(): context only. */
  touchMs: number;
  snapshotMs: number[];
  /** Program.restore(), and resume() to the end of the restored function. */
  restoreMs: number[];
  resumeMs: number[];
  /** compile() of the snapshot alone: restore's first step. */
  compileMs?: number;
  /** What failed at this size ("restore: ..."); the samples before it stand. */
  error?: string;
}

/** One program of the size-against-touched measurement. */
export interface TouchedSamples {
  every: number;
  touchedBytes: number;
  snapshotBytes: number;
  ms: number;
}

/** What gate_snapshot_child.ts prints. */
export interface GateSnapshotSamples {
  suspendMs: number[];
  fillMs: number[];
  sizes: SizeSamples[];
  touched: TouchedSamples[];
}

function objects(result: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const v = result[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "object" && x !== null)) {
    throw new TypeError(`Cannot use result field "${key}": expected an array of objects`);
  }
  return v as Record<string, unknown>[];
}

/** Checks the child's result line; throws TypeError naming the first bad field. */
export function parseGateSamples(result: Record<string, unknown>): GateSnapshotSamples {
  return {
    suspendMs: numberArray(result, "suspendMs"),
    fillMs: numberArray(result, "fillMs"),
    sizes: objects(result, "sizes").map((s) => ({
      mib: numberField(s, "mib"),
      memoryBytes: numberField(s, "memoryBytes"),
      snapshotBytes: numberField(s, "snapshotBytes"),
      touchMs: numberField(s, "touchMs"),
      snapshotMs: numberArray(s, "snapshotMs"),
      restoreMs: numberArray(s, "restoreMs"),
      resumeMs: numberArray(s, "resumeMs"),
      ...(s.compileMs === undefined ? {} : { compileMs: numberField(s, "compileMs") }),
      ...(typeof s.error === "string" ? { error: s.error } : {}),
    })),
    touched: objects(result, "touched").map((t) => ({
      every: numberField(t, "every"),
      touchedBytes: numberField(t, "touchedBytes"),
      snapshotBytes: numberField(t, "snapshotBytes"),
      ms: numberField(t, "ms"),
    })),
  };
}

/** The section's measurements. */
export interface SnapshotEngines {
  gate(plan: SnapshotPlan): Promise<GateSnapshotSamples>;
  /** GB/s per run (limits/memcpy_bw.c). */
  memcpyGBps(runs: number): Promise<number[]>;
  /** us per launch (limits/fork_exit.c). */
  forkExitUs(launches: number): Promise<number[]>;
}

/** y = fixed + slope * x. */
export interface Line {
  fixed: number;
  slope: number;
}

/**
 * Least squares line through (x, y) points with weights 1 / y^2, so each
 * point's relative error counts alike: unweighted, the 1 GiB point's noise
 * of a few hundred ms would decide a fixed cost of a few ms. Undefined with
 * fewer than two distinct x. Every y must be positive.
 */
export function fitLine(points: readonly { x: number; y: number }[]): Line | undefined {
  let sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const { x, y } of points) {
    if (!(y > 0)) throw new RangeError(`Cannot fit a point with y = ${y}: expected y > 0`);
    const w = 1 / (y * y);
    sw += w, sx += w * x, sy += w * y, sxx += w * x * x, sxy += w * x * y;
  }
  const det = sw * sxx - sx * sx;
  if (points.length < 2 || !(det > 1e-12 * sw * sxx)) return undefined;
  const slope = (sw * sxy - sx * sy) / det;
  return { fixed: (sy - slope * sx) / sw, slope };
}

/** A cost fitted over the sizes: fixed ms + ms per MB (10^6 bytes). */
export interface CostFit {
  fixedMs: number;
  perMbMs: number;
  /** 1 / perMbMs: GB/s of the per-MB part. */
  gbps: number;
  /** Sizes fitted. */
  sizes: number;
}

function costFit(points: { x: number; y: number }[]): CostFit | undefined {
  const line = fitLine(points);
  if (!line) return undefined;
  return { fixedMs: line.fixed, perMbMs: line.slope, gbps: 1 / line.slope, sizes: points.length };
}

/** Suspend latency: suspend() -> run() resolves suspended, in ms. */
export interface SuspendRow {
  what: string;
  trials: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One memory size in the report; absent figures were not measured (see error). */
export interface SizeRow {
  mib: number;
  memoryBytes: number;
  snapshotBytes: number;
  touchMs: number;
  snapshotMs?: Summary;
  /** GB/s of touched memory, and as a fraction of memcpy bandwidth. */
  gbps?: Summary;
  vsMemcpy?: Ratio;
  restoreMs?: Summary;
  resumeMs?: Summary;
  /** restore() + resume() per run: restore to first instruction (and the reply). */
  firstInstructionMs?: Summary;
  compileMs?: number;
  error?: string;
}

/** Snapshot size against touched memory. */
export interface TouchedRow {
  /** Fraction of the memory touched. */
  fraction: number;
  touchedBytes: number;
  snapshotBytes: number;
  /** snapshotBytes / touchedBytes; absent when nothing was touched. */
  ratio?: number;
  ms: number;
}

/** A figure set against an anchor or a published figure: "x" time multiple, "%" rate fraction. */
export interface Comparison {
  what: string;
  figure: string;
  against: string;
  /** A single ratio, or a range against a published range. */
  ratio: number | [number, number];
  kind: "multiple" | "fraction";
}

/** One of issue #8's targets. */
export interface TargetRow {
  target: string;
  value: string;
  /** Undefined when the figure was not measured. */
  met?: boolean;
}

/** Results of the snapshot section. */
export interface SnapshotReport {
  plan: SnapshotPlan;
  anchors: { memcpyGBps: Summary; forkExitP50Us: number };
  suspend: SuspendRow[];
  sizes: SizeRow[];
  snapshotFit?: CostFit;
  firstInstructionFit?: CostFit;
  touched: TouchedRow[];
  comparisons: Comparison[];
  targets: TargetRow[];
  errors: string[];
}

/** Published figures (CRIU, Wanco), for a static comparison: not measured here. */
export const PUBLISHED = {
  checkpointFixedMs: [1, 5] as [number, number],
  checkpointPerMbMs: 0.5,
  restorePerMbMs: 0.35,
};

/** Issue #8's targets. */
export const TARGETS = {
  suspendP99Ms: 1,
  snapshotGBps: 2,
  snapshotFixedMs: 1,
  restoreMs: 1,
};

/** Measures the anchors, then Gate, and relates them. */
export async function benchSnapshot(
  engines: SnapshotEngines,
  plan: SnapshotPlan,
): Promise<SnapshotReport> {
  const memcpy = await engines.memcpyGBps(plan.memcpyRuns);
  const fork = await engines.forkExitUs(plan.forkLaunches);
  return analyzeSnapshot(plan, await engines.gate(plan), { memcpyGBps: memcpy, forkExitUs: fork });
}

function suspendRow(what: string, ms: readonly number[]): SuspendRow {
  return {
    what,
    trials: ms.length,
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
    maxMs: Math.max(...ms),
  };
}

function sizeRow(s: SizeSamples, memcpy: Summary): SizeRow {
  const row: SizeRow = {
    mib: s.mib,
    memoryBytes: s.memoryBytes,
    snapshotBytes: s.snapshotBytes,
    touchMs: s.touchMs,
  };
  if (s.snapshotMs.length) {
    row.snapshotMs = summarize(s.snapshotMs);
    // bytes / 10^6 / ms = MB per ms = GB/s.
    row.gbps = summarize(s.snapshotMs.map((ms) => s.memoryBytes / 1e6 / ms));
    row.vsMemcpy = ratio(row.gbps, memcpy);
  }
  if (s.restoreMs.length) {
    row.restoreMs = summarize(s.restoreMs);
    row.resumeMs = summarize(s.resumeMs);
    row.firstInstructionMs = summarize(s.restoreMs.map((ms, i) => ms + s.resumeMs[i]!));
  }
  if (s.compileMs !== undefined) row.compileMs = s.compileMs;
  if (s.error !== undefined) row.error = s.error;
  return row;
}

function touchedRows(plan: SnapshotPlan, samples: GateSnapshotSamples): TouchedRow[] {
  const total = plan.touchedMiB * 2 ** 20;
  const rows: TouchedRow[] = samples.touched.map((t) => ({
    fraction: t.touchedBytes / total,
    touchedBytes: t.touchedBytes,
    snapshotBytes: t.snapshotBytes,
    ...(t.touchedBytes > 0 ? { ratio: t.snapshotBytes / t.touchedBytes } : {}),
    ms: t.ms,
  }));
  // All touched: the size row of the same memory, already measured.
  const all = samples.sizes.find((s) => s.mib === plan.touchedMiB);
  if (all && all.snapshotMs.length) {
    rows.push({
      fraction: 1,
      touchedBytes: all.memoryBytes,
      snapshotBytes: all.snapshotBytes,
      ratio: all.snapshotBytes / all.memoryBytes,
      ms: summarize(all.snapshotMs).median,
    });
  }
  return rows.sort((a, b) => a.fraction - b.fraction);
}

/** Relates the child's samples to the anchors' (memcpy GB/s, fork + exit us). Pure. */
export function analyzeSnapshot(
  plan: SnapshotPlan,
  samples: GateSnapshotSamples,
  anchors: { memcpyGBps: readonly number[]; forkExitUs: readonly number[] },
): SnapshotReport {
  const memcpy = summarize(anchors.memcpyGBps);
  const forkUs = quantile(anchors.forkExitUs, 0.5);
  const suspend = [suspendRow("spin loop (suspend check at its head)", samples.suspendMs)];
  if (samples.fillMs.length) {
    suspend.push(suspendRow(`in memory.fill of ${memoryLabel(plan.fillMiB)}`, samples.fillMs));
  }
  const sizes = samples.sizes.map((s) => sizeRow(s, memcpy));
  const mb = (r: SizeRow) => r.memoryBytes / 1e6;
  const snapshotFit = costFit(
    sizes.filter((r) => r.snapshotMs).map((r) => ({ x: mb(r), y: r.snapshotMs!.median })),
  );
  const firstInstructionFit = costFit(
    sizes.filter((r) => r.firstInstructionMs).map((r) => ({
      x: mb(r),
      y: r.firstInstructionMs!.median,
    })),
  );
  const report: SnapshotReport = {
    plan,
    anchors: { memcpyGBps: memcpy, forkExitP50Us: forkUs },
    suspend,
    sizes,
    touched: touchedRows(plan, samples),
    comparisons: [],
    targets: [],
    errors: sizes.filter((r) => r.error).map((r) => `${memoryLabel(r.mib)}: ${r.error}`),
  };
  if (snapshotFit) report.snapshotFit = snapshotFit;
  if (firstInstructionFit) report.firstInstructionFit = firstInstructionFit;
  report.comparisons = comparisons(report);
  report.targets = targets(report);
  return report;
}

function comparisons(report: SnapshotReport): Comparison[] {
  const out: Comparison[] = [];
  const { memcpyGBps, forkExitP50Us } = report.anchors;
  const memcpy = `memcpy ${fixed(memcpyGBps.median)} GB/s`;
  const fork = `fork + exit + wait, p50 ${fixed(forkExitP50Us)} us`;
  for (const r of report.sizes) {
    if (!r.gbps) continue;
    out.push({
      what: `snapshot of ${memoryLabel(r.mib)}, GB/s of touched memory`,
      figure: `${fixed(r.gbps.median)} GB/s`,
      against: memcpy,
      ratio: r.gbps.median / memcpyGBps.median,
      kind: "fraction",
    });
  }
  const snap = report.snapshotFit, first = report.firstInstructionFit;
  const overFork = (ms: number) => ms * 1000 / forkExitP50Us;
  if (snap) {
    out.push({
      what: "snapshot fixed cost (fit)",
      figure: `${fixed(snap.fixedMs)} ms`,
      against: fork,
      ratio: overFork(snap.fixedMs),
      kind: "multiple",
    });
  }
  if (first) {
    out.push({
      what: "restore to first instruction, fixed cost (fit)",
      figure: `${fixed(first.fixedMs)} ms`,
      against: fork,
      ratio: overFork(first.fixedMs),
      kind: "multiple",
    });
  }
  const smallest = report.sizes.find((r) => r.firstInstructionMs);
  if (smallest) {
    out.push({
      what: `restore to first instruction at ${memoryLabel(smallest.mib)}`,
      figure: `${fixed(smallest.firstInstructionMs!.median)} ms`,
      against: fork,
      ratio: overFork(smallest.firstInstructionMs!.median),
      kind: "multiple",
    });
  }
  const published = "published, not measured here:";
  if (snap) {
    const [lo, hi] = PUBLISHED.checkpointFixedMs;
    out.push(
      {
        what: "snapshot fixed cost (fit)",
        figure: `${fixed(snap.fixedMs)} ms`,
        against: `${published} CRIU/Wanco checkpoint ${lo}-${hi} ms`,
        ratio: [snap.fixedMs / hi, snap.fixedMs / lo],
        kind: "multiple",
      },
      {
        what: "snapshot per MB (fit)",
        figure: `${perMb(snap.perMbMs)} ms/MB`,
        against: `${published} CRIU/Wanco checkpoint ${PUBLISHED.checkpointPerMbMs} ms/MB`,
        ratio: snap.perMbMs / PUBLISHED.checkpointPerMbMs,
        kind: "multiple",
      },
    );
  }
  if (first) {
    out.push({
      what: "restore per MB (fit)",
      figure: `${perMb(first.perMbMs)} ms/MB`,
      against: `${published} CRIU/Wanco restore ${PUBLISHED.restorePerMbMs} ms/MB`,
      ratio: first.perMbMs / PUBLISHED.restorePerMbMs,
      kind: "multiple",
    });
  }
  return out;
}

function targets(report: SnapshotReport): TargetRow[] {
  const t = TARGETS;
  const suspendMet = report.suspend.every((r) => r.p99Ms <= t.suspendP99Ms);
  const rows: TargetRow[] = [{
    target: `suspend latency p99 <= ${t.suspendP99Ms} ms`,
    value: report.suspend.map((r) => `${r.what}: ${fixed(r.p99Ms)} ms`).join("; "),
    met: suspendMet,
  }];
  const snap = report.snapshotFit;
  rows.push({
    target:
      `snapshot >= ${t.snapshotGBps} GB/s of touched memory + <= ${t.snapshotFixedMs} ms fixed`,
    value: snap ? `${fixed(snap.gbps)} GB/s + ${fixed(snap.fixedMs)} ms` : "not measured",
    ...(snap ? { met: snap.gbps >= t.snapshotGBps && snap.fixedMs <= t.snapshotFixedMs } : {}),
  });
  // With lazy memory the first instruction does not wait for memory: every
  // size must reach it within the target, and a size that failed misses it.
  const restored = report.sizes.filter((r) => r.firstInstructionMs);
  const failed = report.sizes.filter((r) => !r.firstInstructionMs);
  rows.push({
    target: `restore to first instruction <= ${t.restoreMs} ms (+ lazy memory), at every size`,
    value: [
      ...restored.map((r) => `${memoryLabel(r.mib)}: ${fixed(r.firstInstructionMs!.median)} ms`),
      ...failed.map((r) => `${memoryLabel(r.mib)}: failed`),
    ].join("; ") || "not measured",
    ...(restored.length
      ? {
        met: failed.length === 0 &&
          restored.every((r) => r.firstInstructionMs!.median <= t.restoreMs),
      }
      : {}),
  });
  return rows;
}

/** "64 KiB", "1 MiB", "64 MiB", "1 GiB". */
export function memoryLabel(mib: number): string {
  if (mib < 1) return `${mib * 1024} KiB`;
  return mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

/** Per-MB costs are small: three significant digits. */
function perMb(v: number): string {
  return v.toPrecision(3);
}

function range(s: Summary | undefined): string {
  return s ? `${fixed(s.median)} (${fixed(s.min)}-${fixed(s.max)})` : "-";
}

function formatRatio(c: Comparison): string {
  const one = (v: number) => c.kind === "fraction" ? `${fixed(v * 100)} %` : `${fixed(v)}x`;
  return Array.isArray(c.ratio) ? `${one(c.ratio[0])}-${one(c.ratio[1])}` : one(c.ratio);
}

function fitText(name: string, fit: CostFit | undefined): string {
  if (!fit) return `${name}: no fit (fewer than two sizes measured)`;
  return `${name} = ${fixed(fit.fixedMs)} ms + ${perMb(fit.perMbMs)} ms/MB (${
    fixed(fit.gbps)
  } GB/s), fitted over ${fit.sizes} sizes (least squares, weights 1/y^2)`;
}

/** How much of restore() compiling the snapshot takes, at the largest size where it was timed. */
function compileShare(report: SnapshotReport): string[] {
  const r = report.sizes.findLast((r) => r.compileMs !== undefined && r.restoreMs);
  if (!r) return [];
  const share = r.compileMs! / r.restoreMs!.median;
  return [
    `restore() at ${memoryLabel(r.mib)}: ${fixed(share * 100)} % compiling the snapshot, ${
      fixed((1 - share) * 100)
    } % the rest (decoding it, a new instance process instantiating it)`,
  ];
}

/** The report as tables, the fits, the comparisons and the target lines. */
export function formatSnapshotReport(report: SnapshotReport): string {
  const suspendTable = formatTable(
    [
      { title: "suspend() -> run() resolves suspended" },
      { title: "trials", align: "right" },
      { title: "p50 ms", align: "right" },
      { title: "p99 ms", align: "right" },
      { title: "max ms", align: "right" },
    ],
    report.suspend.map((r) => [
      r.what,
      String(r.trials),
      fixed(r.p50Ms),
      fixed(r.p99Ms),
      fixed(r.maxMs),
    ]),
  );
  const snapshotTable = formatTable(
    [
      { title: "snapshot(), all touched" },
      { title: "runs", align: "right" },
      { title: "ms, median (min-max)", align: "right" },
      { title: "GB/s", align: "right" },
      { title: "/memcpy", align: "right" },
      { title: "bytes", align: "right" },
      { title: "touch ms", align: "right" },
    ],
    report.sizes.map((r) => [
      memoryLabel(r.mib),
      String(r.snapshotMs?.runs ?? 0),
      range(r.snapshotMs),
      r.gbps ? fixed(r.gbps.median) : "-",
      r.vsMemcpy ? `${fixed(r.vsMemcpy.median * 100)} %` : "-",
      r.snapshotBytes ? String(r.snapshotBytes) : "-",
      fixed(r.touchMs),
    ]),
  );
  const restoreTable = formatTable(
    [
      { title: "restore to first instruction" },
      { title: "runs", align: "right" },
      { title: "restore()+resume() ms", align: "right" },
      { title: "restore() ms", align: "right" },
      { title: "compile ms", align: "right" },
      { title: "resume() ms", align: "right" },
    ],
    report.sizes.map((r) => [
      memoryLabel(r.mib),
      String(r.firstInstructionMs?.runs ?? 0),
      r.firstInstructionMs ? range(r.firstInstructionMs) : "FAILED",
      range(r.restoreMs),
      r.compileMs === undefined ? "-" : fixed(r.compileMs),
      range(r.resumeMs),
    ]),
  );
  const touchedTable = formatTable(
    [
      { title: `${memoryLabel(report.plan.touchedMiB)} memory, touched` },
      { title: "touched bytes", align: "right" },
      { title: "snapshot bytes", align: "right" },
      { title: "snapshot / touched", align: "right" },
      { title: "snapshot ms", align: "right" },
    ],
    report.touched.map((r) => [
      `${fixed(r.fraction * 100)} %`,
      String(r.touchedBytes),
      String(r.snapshotBytes),
      r.ratio === undefined ? "-" : r.ratio.toFixed(4),
      fixed(r.ms),
    ]),
  );
  const compareTable = formatTable(
    [
      { title: "figure" },
      { title: "value", align: "right" },
      { title: "against" },
      { title: "ratio", align: "right" },
    ],
    report.comparisons.map((c) => [c.what, c.figure, c.against, formatRatio(c)]),
  );
  const met = (m: boolean | undefined) => m === undefined ? "not measured" : m ? "met" : "not met";
  const { memcpyGBps, forkExitP50Us } = report.anchors;
  return [
    `Snapshots (gate_snapshot_child.ts); anchors in this run: memcpy ${
      fixed(memcpyGBps.median)
    } GB/s (${memcpyGBps.runs} runs), fork + exit + wait p50 ${fixed(forkExitP50Us)} us`,
    suspendTable,
    "",
    snapshotTable,
    fitText("snapshot", report.snapshotFit),
    "",
    restoreTable,
    fitText("restore to first instruction", report.firstInstructionFit),
    ...compileShare(report),
    "",
    touchedTable,
    "",
    compareTable,
    "Suspend: 2-5 ms into run(), one program run again per trial. Snapshot: of a program suspended",
    "at a function's entry: reads the state from the instance process and encodes it. Restore:",
    "Program.restore() (compile the snapshot, new instance process, load it) + resume() of a",
    "function that returns at once. MB = 10^6 bytes.",
    ...report.targets.map((t) => `target ${t.target}: ${met(t.met)} (${t.value})`),
    ...report.errors.map((e) => `FAILED ${e}`),
  ].join("\n");
}

/** Permissions of the Gate child: FFI, the native build, nothing else. */
function childOptions() {
  const lib = libraryPath();
  return {
    v8Flags: [],
    readPaths: [dirname(lib), lib, executorPath()],
    ffi: true,
    env: ["GATE_LIB", "GATE_EXECUTOR"],
  };
}

/** The real engines: gate_snapshot_child.ts, limits/memcpy_bw.c, limits/fork_exit.c. */
export function snapshotEngines(): SnapshotEngines {
  return {
    async gate(plan) {
      const { result } = await runDenoChild(
        "./gate_snapshot_child.ts",
        [JSON.stringify(plan)],
        childOptions(),
      );
      return parseGateSamples(result);
    },
    async memcpyGBps(runs) {
      const { result } = await runChild(await buildLimit("memcpy_bw"), [String(runs)]);
      return numberArray(result, "gbps");
    },
    async forkExitUs(launches) {
      const { result } = await runChild(await buildForkExit(), [String(launches)]);
      return numberArray(result, "us");
    },
  };
}
