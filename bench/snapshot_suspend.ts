/**
 * Suspend latency of the snapshot section: suspend() until run() resolves
 * suspended, in a spinning loop and in the middle of a memory.fill, as
 * p50/p99/max rows. Pure.
 *
 * @module
 */

import type { GateSnapshotSamples, SnapshotPlan } from "./snapshot_samples.ts";
import { memoryLabel } from "./snapshot_sizes.ts";
import { quantile } from "./startup_bench.ts";

/** Suspend latency: suspend() -> run() resolves suspended, in ms. */
export interface SuspendRow {
  what: string;
  trials: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One row: the sample's p50, p99 (nearest rank) and maximum. */
function suspendRow(what: string, ms: readonly number[]): SuspendRow {
  return {
    what,
    trials: ms.length,
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
    maxMs: Math.max(...ms),
  };
}

/** The spin loop's row, and memory.fill's when the child measured it. */
export function suspendRows(plan: SnapshotPlan, samples: GateSnapshotSamples): SuspendRow[] {
  const rows = [suspendRow("spin loop (suspend check at its head)", samples.suspendMs)];
  if (samples.fillMs.length) {
    rows.push(suspendRow(`in memory.fill of ${memoryLabel(plan.fillMiB)}`, samples.fillMs));
  }
  return rows;
}
