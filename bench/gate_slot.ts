/**
 * Where Gate's own compiler plugs into the benchmarks (issues #4 and #5).
 * Until the compiler exists both slots are empty and the reports show the
 * V8 and native anchors only. To add Gate, return an engine here: it gets a
 * column in the kernel table (ratios against native and against Liftoff) and
 * rows in the compile-throughput table (ratios against Liftoff).
 *
 * @module
 */

import type { CompileEngine } from "./compile_engines.ts";
import type { KernelEngine } from "./kernel_engines.ts";

/** Gate running a kernel: compile kernel.wasmPath, call run(n / 4) once, then time `runs` calls of run(n). */
export function gateKernelEngine(): KernelEngine | undefined {
  return undefined;
}

/** Gate compiling a module: compile unique copies (withNonce()) and time each compile. */
export function gateCompileEngine(): CompileEngine | undefined {
  return undefined;
}
