/**
 * Snapshots (issue #8), measured by a Gate child (gate_snapshot_child.ts)
 * and set against two anchors measured in the same run, memcpy bandwidth
 * (limits/memcpy_bw.c) and fork + exit + wait (limits/fork_exit.c), and
 * against published figures for comparable systems (CRIU, Wanco; not
 * measured here):
 *
 * - suspend latency: suspend() -> run() resolves suspended, p50/p99/max, in
 *   a loop and in the middle of a memory.fill (snapshot_suspend.ts)
 * - snapshot(): time at 1 MiB, 64 MiB and 1 GiB of touched memory, fitted as
 *   fixed cost + cost per MB (MB = 10^6 bytes: c ms/MB is 1/c GB/s)
 *   (snapshot_sizes.ts)
 * - restore to first instruction: Program.restore() + resume() of a program
 *   suspended at the entry of a function that returns at once, fitted the same way
 * - snapshot size against touched memory (zero runs are elided)
 *
 * The program is snapshot_program.ts; the plan and the child's samples are
 * snapshot_samples.ts; the report is built by snapshot_analysis.ts and
 * printed by snapshot_report.ts. This file runs the measurements, which are
 * engines so that tests can fake them.
 *
 * @module
 */

import { dirname } from "node:path";
import { executorPath } from "../ffi/_executor.ts";
import { libraryPath } from "../ffi/_library.ts";
import { numberArray } from "./child_output.ts";
import { buildLimit } from "./limits_bench.ts";
import { analyzeSnapshot, type SnapshotReport } from "./snapshot_analysis.ts";
import {
  type GateSnapshotSamples,
  parseGateSamples,
  type SnapshotPlan,
} from "./snapshot_samples.ts";
import { buildForkExit } from "./startup_bench.ts";
import { type DenoChildOptions, runChild, runDenoChild } from "./subprocess.ts";

/** The section's measurements. */
export interface SnapshotEngines {
  gate(plan: SnapshotPlan): Promise<GateSnapshotSamples>;
  /** GB/s per run (limits/memcpy_bw.c). */
  memcpyGBps(runs: number): Promise<number[]>;
  /** us per launch (limits/fork_exit.c). */
  forkExitUs(launches: number): Promise<number[]>;
}

/** Measures the anchors, then Gate, and relates them. */
export async function benchSnapshot(
  engines: SnapshotEngines,
  plan: SnapshotPlan,
): Promise<SnapshotReport> {
  const memcpy = await engines.memcpyGBps(plan.memcpyRuns);
  const fork = await engines.forkExitUs(plan.forkLaunches);
  return analyzeSnapshot(plan, await engines.gate(plan), { memcpyGBps: memcpy, forkExitUs: fork });
}

/** Permissions of the Gate child: FFI, the native build, nothing else. */
function childOptions(): DenoChildOptions {
  const lib = libraryPath();
  return {
    v8Flags: [],
    readPaths: [dirname(lib), lib, executorPath()],
    ffi: true,
    env: ["GATE_LIB", "GATE_EXECUTOR"],
  };
}

/** Builds an anchor, runs it with one count and reads its samples from the result's `key`. */
async function anchorSamples(
  build: () => Promise<string>,
  { count, key }: { count: number; key: string },
): Promise<number[]> {
  const { result } = await runChild(await build(), [String(count)]);
  return numberArray(result, key);
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
    memcpyGBps: (runs) =>
      anchorSamples(() => buildLimit("memcpy_bw"), { count: runs, key: "gbps" }),
    forkExitUs: (launches) => anchorSamples(buildForkExit, { count: launches, key: "us" }),
  };
}
