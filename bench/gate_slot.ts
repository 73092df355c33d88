/**
 * Where Gate's own compiler plugs into the benchmarks (issues #4 and #5).
 * Each engine runs in a fresh Deno child, like the V8 anchors, allowed to
 * read only the module and the native build and to use FFI:
 *
 * - kernels (gate_kernel_child.ts): compile with Gate, instantiate in an
 *   instance process, run(n / 4) once, then time run(n) around
 *   Instance.invoke(); a kernel Gate cannot run is reported, not fatal.
 * - compile (gate_compile_child.ts): decode + validate + compile in the
 *   child's own process through libgate, one worker thread, unique bytes per
 *   compile; also the image's machine-code size and peak memory.
 *
 * @module
 */

import { dirname } from "node:path";
import { libraryPath } from "../ffi/_library.ts";
import { executorPath } from "../ffi/_executor.ts";
import { numberArray, numberField, peakGrowthBytes } from "./child_output.ts";
import type { CompileEngine } from "./compile_engines.ts";
import type { KernelEngine } from "./kernel_engines.ts";
import { type DenoChildOptions, runDenoChild } from "./subprocess.ts";

/** The engine's name in reports. */
export const GATE = "gate";

/** Gate without suspend checks at loop heads (`codegen: { loopChecks: false }`): a variant of GATE. */
export const GATE_NO_LOOP_CHECKS = "gate-no-loop-checks";

/** Permissions of a Gate child that works on the module at path. */
function childOptions(path: string): DenoChildOptions {
  const lib = libraryPath();
  return {
    v8Flags: [],
    readPaths: [path, dirname(lib), lib, executorPath()],
    ffi: true,
    env: ["GATE_LIB", "GATE_EXECUTOR"],
  };
}

/**
 * Gate running a kernel: compile kernel.wasmPath, call run(n / 4) once, then
 * time `runs` calls of run(n). With `noLoopChecks`, the same child also
 * compiles the kernel without suspend checks at loop heads and times it in
 * turns with the default code, as variant GATE_NO_LOOP_CHECKS.
 */
export function gateKernelEngine(
  options: { noLoopChecks?: boolean } = {},
): KernelEngine | undefined {
  const paired = options.noLoopChecks === true;
  return {
    name: GATE,
    ...(paired ? { variants: [GATE_NO_LOOP_CHECKS] } : {}),
    async run(kernel, n, runs) {
      const { result } = await runDenoChild(
        "./gate_kernel_child.ts",
        [kernel.wasmPath, String(n), String(runs), ...(paired ? ["--and-no-loop-checks"] : [])],
        childOptions(kernel.wasmPath),
      );
      if (typeof result.error === "string") throw new Error(result.error);
      return {
        checksum: numberField(result, "checksum"),
        ms: numberArray(result, "ms"),
        detail: { compileMs: result.compileMs, invokeMs: result.invokeMs },
        ...(paired
          ? { variants: { [GATE_NO_LOOP_CHECKS]: numberArray(result, "msNoLoopChecks") } }
          : {}),
      };
    },
  };
}

/** Gate compiling a module: compile unique copies (withNonce()) and time each compile. */
export function gateCompileEngine(): CompileEngine | undefined {
  return {
    name: GATE,
    async compile(path, { runs, warmup, sameBytes }) {
      const args = [path, String(runs), String(warmup)];
      if (sameBytes) args.push("--same-bytes");
      const { result } = await runDenoChild("./gate_compile_child.ts", args, {
        ...childOptions(path),
        ownPeakMemory: true,
      });
      return {
        ms: numberArray(result, "ms"),
        cpuMs: numberArray(result, "cpuMs"),
        peakBytes: peakGrowthBytes(result),
        machineCodeBytes: numberField(result, "machineCodeBytes"),
        imageBytes: numberField(result, "imageBytes"),
        overheadMs: numberField(result, "overheadMs"),
      };
    },
  };
}

/** Gate launching the module at path `launches` times (gate_startup_child.ts); its raw result. */
export async function gateStartup(
  path: string,
  launches: number,
): Promise<Record<string, unknown>> {
  const { result } = await runDenoChild(
    "./gate_startup_child.ts",
    [path, String(launches)],
    childOptions(path),
  );
  return result;
}

/**
 * Gate's program I/O (gate_io_child.ts): "call" makes `n` service calls per
 * round, "stream" writes `n` bytes to stdout per round; milliseconds per round.
 */
export async function gateIo(
  mode: "call" | "stream",
  path: string,
  n: number,
  rounds: number,
): Promise<number[]> {
  const { result } = await runDenoChild(
    "./gate_io_child.ts",
    [mode, path, String(n), String(rounds)],
    childOptions(path),
  );
  return numberArray(result, "ms");
}

/**
 * Gate's density at `count` waiting instances (gate_density_child.ts); its
 * raw result. The executor gets GATE_MAX_INSTANCES = count + 64 (its
 * default cap is 4096); it may run `head` to read /proc for the memory figures.
 */
export async function gateDensity(
  path: string,
  count: number,
): Promise<Record<string, unknown>> {
  const { result } = await runDenoChild("./gate_density_child.ts", [path, String(count)], {
    ...childOptions(path),
    run: ["head"],
    setEnv: { GATE_MAX_INSTANCES: String(Math.max(4096, count + 64)) },
  });
  return result;
}
