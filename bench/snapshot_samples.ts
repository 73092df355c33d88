/**
 * What the snapshot section asks of its child (gate_snapshot_child.ts): the
 * plan, passed as JSON; and what the child prints back: the samples, checked
 * field by field. Pure.
 *
 * @module
 */

import { numberArray, numberField } from "./child_output.ts";

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
  /** Restore's first steps alone: openSnapshotParts(), then compile() of the program module. */
  openMs?: number;
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

/** Reads a field that must be an array of objects. */
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
      ...(s.openMs === undefined ? {} : { openMs: numberField(s, "openMs") }),
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
