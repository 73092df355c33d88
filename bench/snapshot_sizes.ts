/**
 * The snapshot section's sweeps over memory: snapshot() and restore to first
 * instruction at each size, fitted as fixed cost + cost per MB (MB = 10^6
 * bytes: c ms/MB is 1/c GB/s), and snapshot size against touched memory.
 * Pure.
 *
 * @module
 */

import type { GateSnapshotSamples, SizeSamples, SnapshotPlan } from "./snapshot_samples.ts";
import { type Ratio, ratio, summarize, type Summary } from "./stats.ts";

/** "64 KiB", "1 MiB", "64 MiB", "1 GiB". */
export function memoryLabel(mib: number): string {
  if (mib < 1) return `${mib * 1024} KiB`;
  return mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

/** Per-MB costs are small: three significant digits. */
export function formatPerMb(v: number): string {
  return v.toPrecision(3);
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
  openMs?: number;
  compileMs?: number;
  error?: string;
}

/** One size's samples summarised; snapshot GB/s set against memcpy's. */
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
  if (s.openMs !== undefined) row.openMs = s.openMs;
  if (s.compileMs !== undefined) row.compileMs = s.compileMs;
  if (s.error !== undefined) row.error = s.error;
  return row;
}

/** Every size's row, in the child's order. */
export function sizeRows(samples: GateSnapshotSamples, memcpy: Summary): SizeRow[] {
  return samples.sizes.map((s) => sizeRow(s, memcpy));
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

/** The touched programs' rows and, from the size of the same memory, all touched; by fraction. */
export function touchedRows(plan: SnapshotPlan, samples: GateSnapshotSamples): TouchedRow[] {
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

/**
 * Fits one figure's medians (ms) against MB of memory over the sizes that
 * have it; undefined with fewer than two sizes.
 */
export function sizeFit(
  rows: readonly SizeRow[],
  figure: (row: SizeRow) => Summary | undefined,
): CostFit | undefined {
  const points = rows.flatMap((r) => {
    const ms = figure(r);
    return ms ? [{ x: r.memoryBytes / 1e6, y: ms.median }] : [];
  });
  const line = fitLine(points);
  if (!line) return undefined;
  return { fixedMs: line.fixed, perMbMs: line.slope, gbps: 1 / line.slope, sizes: points.length };
}
