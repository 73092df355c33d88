/**
 * The engines that run kernels: the native anchor, V8 pinned to Liftoff and
 * V8 pinned to TurboFan, and Gate's slot (gate_slot.ts). Each engine runs
 * the kernel in its own process and times run(n) in-process, after one
 * warm-up call of run(n / 4), so start-up and compilation are not measured.
 *
 * @module
 */

import { numberArray } from "./child_output.ts";
import type { BuiltKernel } from "./kernel_build.ts";
import { runChild, runDenoChild } from "./subprocess.ts";
import { checkTrace, countTraceTiers, TRACE_TIER_NAME, v8Flags, type V8Tier } from "./v8_flags.ts";
import { codeSection } from "./wasm_sections.ts";

/** What one engine measured: the checksum and milliseconds per run(n) call. */
export interface KernelResult {
  checksum: number;
  ms: number[];
  /** Engine-specific evidence kept in the JSON report (e.g. V8's tier counts). */
  detail?: Record<string, unknown>;
  /** Milliseconds per run(n) of each of KernelEngine.variants, same checksum. */
  variants?: Record<string, number[]>;
}

/** An engine that can run a kernel; plug Gate in by returning one from gate_slot.ts. */
export interface KernelEngine {
  name: string;
  /** Calls run(n / 4) once to warm up, then run(n) `runs` times, timing each call. */
  run(kernel: BuiltKernel, n: number, runs: number): Promise<KernelResult>;
  /**
   * Variants of this engine that run() measures too, in the same process,
   * in turns with its own runs (so drift on the machine hits both alike);
   * each is reported as an engine of that name.
   */
  variants?: readonly string[];
  /** Optional one-off proof that the engine is configured as its name says; one report line. */
  verify?(kernel: BuiltKernel): Promise<string>;
}

/** Name of the anchor every kernel ratio is taken against. */
export const NATIVE = "native";

/** The same C compiled natively with clang -O2, timed in-process (kernels/native_main.c). */
export function nativeEngine(): KernelEngine {
  return {
    name: NATIVE,
    async run(kernel, n, runs) {
      const { result } = await runChild(kernel.nativePath, [String(n), String(runs)]);
      return { checksum: Number(result.checksum), ms: numberArray(result, "ms") };
    },
  };
}

/**
 * V8 in a child Deno, all functions compiled eagerly with one tier. The
 * compile trace is on during the timed runs too, so every run proves that
 * no function was compiled (or tiered up) by the other tier.
 */
export function v8Engine(tier: V8Tier): KernelEngine {
  const name = `v8-${tier}`;
  return {
    name,
    async run(kernel, n, runs) {
      const functions = await countFunctions(kernel);
      const { stdout, result } = await runDenoChild(
        "./v8_kernel_child.ts",
        [kernel.wasmPath, String(n), String(runs)],
        { v8Flags: v8Flags(tier, { trace: true }), readPaths: [kernel.wasmPath] },
      );
      const tiers = countTraceTiers(stdout);
      const problem = checkTrace(tiers, tier, functions);
      if (problem) {
        throw new Error(`Engine ${name} ran kernel "${kernel.name}" wrongly: ${problem}`);
      }
      return {
        checksum: Number(result.checksum),
        ms: numberArray(result, "ms"),
        detail: { tiers, compileMs: result.compileMs },
      };
    },
    async verify(kernel) {
      const functions = await countFunctions(kernel);
      const probe = async (flags: string[]) => {
        const { stdout } = await runDenoChild(
          "./v8_kernel_child.ts",
          [kernel.wasmPath, "0", "0", "--compile-only"],
          { v8Flags: flags, readPaths: [kernel.wasmPath] },
        );
        return countTraceTiers(stdout);
      };
      const eager = await probe(v8Flags(tier, { trace: true }));
      const problem = checkTrace(eager, tier, functions);
      if (problem) throw new Error(`Engine ${name} is not configured as named: ${problem}`);
      // The same flags without --no-wasm-lazy-compilation compile nothing up front.
      const lazyFlags = v8Flags(tier, { trace: true }).filter((f) =>
        f !== "--no-wasm-lazy-compilation"
      );
      const lazy = Object.values(await probe(lazyFlags)).reduce((a, b) => a + b, 0);
      const tierName = TRACE_TIER_NAME[tier];
      const compiled = `${eager[tierName]}/${functions} functions with ${tierName}`;
      return `${name}: ${kernel.name}.wasm compiled ${compiled} before its first call ` +
        `(${lazy} without --no-wasm-lazy-compilation)`;
    },
  };
}

async function countFunctions(kernel: BuiltKernel): Promise<number> {
  return codeSection(await Deno.readFile(kernel.wasmPath)).functions;
}
