/**
 * The snapshot section's report as text: a table per measurement (suspend
 * latency, snapshot(), restore to first instruction, size against touched
 * memory, comparisons), the fits, and a line per target. Pure.
 *
 * @module
 */

import type { Comparison, SnapshotReport } from "./snapshot_analysis.ts";
import { type CostFit, formatPerMb, memoryLabel } from "./snapshot_sizes.ts";
import type { Summary } from "./stats.ts";
import { type Column, fixed, formatTable } from "./table.ts";

/** A column of a report table and how each row fills its cell. */
interface Field<R> extends Column {
  cell(row: R): string;
}

/** A left-aligned column (text). */
function left<R>(title: string, cell: (row: R) => string): Field<R> {
  return { title, cell };
}

/** A right-aligned column (numbers). */
function right<R>(title: string, cell: (row: R) => string): Field<R> {
  return { title, align: "right", cell };
}

/** Formats rows under the fields' headings, one cell per field. */
function table<R>(rows: readonly R[], fields: readonly Field<R>[]): string {
  return formatTable(fields, rows.map((r) => fields.map((f) => f.cell(r))));
}

/** A figure that may be absent: "-" when it is. */
function orDash<T>(v: T | undefined, format: (v: T) => string): string {
  return v === undefined ? "-" : format(v);
}

/** A fraction as a percentage: "12.5 %". */
function percent(v: number): string {
  return `${fixed(v * 100)} %`;
}

/** "median (min-max)". */
function range(s: Summary): string {
  return `${fixed(s.median)} (${fixed(s.min)}-${fixed(s.max)})`;
}

/** A comparison's ratio: "2.50x" or "25.0 %", or a range of them. */
function formatRatio(c: Comparison): string {
  const one = (v: number) => c.kind === "fraction" ? percent(v) : `${fixed(v)}x`;
  return Array.isArray(c.ratio) ? `${one(c.ratio[0])}-${one(c.ratio[1])}` : one(c.ratio);
}

/** A fit's line below its table. */
function fitText(name: string, fit: CostFit | undefined): string {
  if (!fit) return `${name}: no fit (fewer than two sizes measured)`;
  return `${name} = ${fixed(fit.fixedMs)} ms + ${formatPerMb(fit.perMbMs)} ms/MB (${
    fixed(fit.gbps)
  } GB/s), fitted over ${fit.sizes} sizes (least squares, weights 1/y^2)`;
}

/** restore()'s parts, at the largest size where its first steps were timed. */
function restoreShares(report: SnapshotReport): string[] {
  const r = report.sizes.findLast((r) =>
    r.openMs !== undefined && r.compileMs !== undefined && r.restoreMs
  );
  if (!r) return [];
  const open = r.openMs! / r.restoreMs!.median;
  const compile = r.compileMs! / r.restoreMs!.median;
  return [
    `restore() at ${memoryLabel(r.mib)}: ${percent(open)} opening the snapshot (decoding it, ` +
    `its memory into a memfd), ${percent(compile)} compiling the program module, ${
      percent(1 - open - compile)
    } the rest (a new instance process, loading the memory)`,
  ];
}

/** A target's state: "met", "not met" or "not measured". */
function metText(met: boolean | undefined): string {
  return met === undefined ? "not measured" : met ? "met" : "not met";
}

/** Suspend latency, one row per place suspended. */
function suspendTable(report: SnapshotReport): string {
  return table(report.suspend, [
    left("suspend() -> run() resolves suspended", (r) => r.what),
    right("trials", (r) => String(r.trials)),
    right("p50 ms", (r) => fixed(r.p50Ms)),
    right("p99 ms", (r) => fixed(r.p99Ms)),
    right("max ms", (r) => fixed(r.maxMs)),
  ]);
}

/** snapshot() by memory size. */
function snapshotTable(report: SnapshotReport): string {
  return table(report.sizes, [
    left("snapshot(), all touched", (r) => memoryLabel(r.mib)),
    right("runs", (r) => String(r.snapshotMs?.runs ?? 0)),
    right("ms, median (min-max)", (r) => orDash(r.snapshotMs, range)),
    right("GB/s", (r) => orDash(r.gbps, (s) => fixed(s.median))),
    right("/memcpy", (r) => orDash(r.vsMemcpy, (s) => percent(s.median))),
    right("bytes", (r) => r.snapshotBytes ? String(r.snapshotBytes) : "-"),
    right("touch ms", (r) => fixed(r.touchMs)),
  ]);
}

/** Restore to first instruction by memory size, and its parts. */
function restoreTable(report: SnapshotReport): string {
  return table(report.sizes, [
    left("restore to first instruction", (r) => memoryLabel(r.mib)),
    right("runs", (r) => String(r.firstInstructionMs?.runs ?? 0)),
    right(
      "restore()+resume() ms",
      (r) => r.firstInstructionMs ? range(r.firstInstructionMs) : "FAILED",
    ),
    right("restore() ms", (r) => orDash(r.restoreMs, range)),
    right("open ms", (r) => orDash(r.openMs, fixed)),
    right("compile ms", (r) => orDash(r.compileMs, fixed)),
    right("resume() ms", (r) => orDash(r.resumeMs, range)),
  ]);
}

/** Snapshot size by the fraction of memory touched. */
function touchedTable(report: SnapshotReport): string {
  return table(report.touched, [
    left(`${memoryLabel(report.plan.touchedMiB)} memory, touched`, (r) => percent(r.fraction)),
    right("touched bytes", (r) => String(r.touchedBytes)),
    right("snapshot bytes", (r) => String(r.snapshotBytes)),
    right("snapshot / touched", (r) => orDash(r.ratio, (v) => v.toFixed(4))),
    right("snapshot ms", (r) => fixed(r.ms)),
  ]);
}

/** The figures against the anchors and the published figures. */
function comparisonTable(report: SnapshotReport): string {
  return table(report.comparisons, [
    left("figure", (c) => c.what),
    right("value", (c) => c.figure),
    left("against", (c) => c.against),
    right("ratio", formatRatio),
  ]);
}

/** The report as tables, the fits, the comparisons and the target lines. */
export function formatSnapshotReport(report: SnapshotReport): string {
  const { memcpyGBps, forkExitP50Us } = report.anchors;
  return [
    `Snapshots (gate_snapshot_child.ts); anchors in this run: memcpy ${
      fixed(memcpyGBps.median)
    } GB/s (${memcpyGBps.runs} runs), fork + exit + wait p50 ${fixed(forkExitP50Us)} us`,
    suspendTable(report),
    "",
    snapshotTable(report),
    fitText("snapshot", report.snapshotFit),
    "",
    restoreTable(report),
    fitText("restore to first instruction", report.firstInstructionFit),
    ...restoreShares(report),
    "",
    touchedTable(report),
    "",
    comparisonTable(report),
    "Suspend: 2-5 ms into run(), one program run again per trial. Snapshot: of a program suspended",
    "at a function's entry: reads the state from the instance process and encodes it. Restore:",
    "Program.restore() (open the snapshot, compile its program module, new instance process, load",
    "the memory) + resume() of a function that returns at once. MB = 10^6 bytes.",
    ...report.targets.map((t) => `target ${t.target}: ${metText(t.met)} (${t.value})`),
    ...report.errors.map((e) => `FAILED ${e}`),
  ].join("\n");
}
