/**
 * The engines whose compile throughput is measured: V8 Liftoff and V8
 * TurboFan, eager and single-threaded, each in a fresh Deno; Gate's slot is
 * in gate_slot.ts.
 *
 * @module
 */

import { numberArray, peakGrowthBytes } from "./child_output.ts";
import { runDenoChild } from "./subprocess.ts";
import { v8Flags, type V8Tier } from "./v8_flags.ts";

/** Wall and CPU milliseconds per timed compile. */
export interface CompileResult {
  ms: number[];
  /** Process CPU time per compile: about equal to ms when compiling on one thread. */
  cpuMs?: number[];
  /**
   * Peak memory of compiling: the process's peak resident set after all
   * compiles minus its resident set before the first (bytes).
   */
  peakBytes?: number;
  /** Machine code the compiler produced for the module (bytes), when the engine can tell. */
  machineCodeBytes?: number;
  /** Size of the engine's whole compiled artifact (bytes), when it has one. */
  imageBytes?: number;
  /** Fixed cost inside every timed compile (ms), e.g. an FFI round trip, when known. */
  overheadMs?: number;
}

/** Options for CompileEngine.compile(). */
export interface CompileOptions {
  runs: number;
  /** Untimed compiles first. */
  warmup: number;
  /** Compile the identical bytes each time (only to show what a cache hit looks like). */
  sameBytes?: boolean;
}

/** An engine that compiles whole modules; plug Gate in by returning one from gate_slot.ts. */
export interface CompileEngine {
  name: string;
  /** Seconds per megabyte of code: the runner gives it fewer runs and, with --quick, small modules only. */
  slow?: boolean;
  /** Compiles the module at path (unique bytes each time), timing each compile. */
  compile(path: string, options: CompileOptions): Promise<CompileResult>;
}

/** V8 with one tier, eager, on the main thread only (--single-threaded). */
export function v8CompileEngine(tier: V8Tier): CompileEngine {
  return {
    name: `v8-${tier}`,
    slow: tier === "turbofan",
    async compile(path, { runs, warmup, sameBytes }) {
      const args = [path, String(runs), String(warmup)];
      if (sameBytes) args.push("--same-bytes");
      const { result } = await runDenoChild("./v8_compile_child.ts", args, {
        v8Flags: v8Flags(tier, { singleThreaded: true, exposeGc: true }),
        readPaths: [path],
        ownPeakMemory: true,
      });
      return {
        ms: numberArray(result, "ms"),
        cpuMs: numberArray(result, "cpuMs"),
        peakBytes: peakGrowthBytes(result),
      };
    },
  };
}
