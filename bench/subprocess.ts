/**
 * Runs benchmark child processes: native kernel executables and Deno
 * children with V8 flags. Each child prints its result as one JSON line.
 *
 * @module
 */

import { lastJsonLine } from "./child_output.ts";
import { v8FlagArg } from "./v8_flags.ts";

/** A finished child: its stdout (result and any V8 trace) and parsed result. */
export interface ChildOutput {
  stdout: string;
  result: Record<string, unknown>;
}

/** Runs cmd with args (and env added to ours); throws with the child's stderr if it fails. */
export async function runChild(
  cmd: string,
  args: readonly string[],
  env?: Readonly<Record<string, string>>,
): Promise<ChildOutput> {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env: { ...env } } : {}),
  }).output();
  const text = new TextDecoder();
  const stdout = text.decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `Benchmark child "${cmd} ${args.join(" ")}" exited ${out.code}: ${
        text.decode(out.stderr).trim()
      }`,
    );
  }
  return { stdout, result: lastJsonLine(stdout) };
}

/** Permissions and V8 flags of a Deno child; it may read readPaths and nothing else by default. */
export interface DenoChildOptions {
  v8Flags: readonly string[];
  readPaths: readonly string[];
  /**
   * Whether the child may use FFI (Gate's children load libgate). Unscoped:
   * Deno.UnsafePointer needs --allow-ffi without a path list.
   */
  ffi?: boolean;
  /** Environment variables the child may read. */
  env?: readonly string[];
  /** Environment variables set for the child (and its children, such as the executor). */
  setEnv?: Readonly<Record<string, string>>;
  /** Programs the child may run. */
  run?: readonly string[];
  /**
   * Start the child from a short-lived shell so that its getrusage() peak
   * resident set (ru_maxrss) is its own. Linux carries ru_maxrss across
   * execve, and Deno spawns children with vfork + exec, so a direct child
   * starts with this benchmark process's resident set as its "peak"; a
   * child the shell forks starts from the shell's few megabytes instead.
   */
  ownPeakMemory?: boolean;
}

/**
 * Runs a script from bench/ in a fresh Deno with the given V8 flags,
 * allowed to read only readPaths (and to use FFI and read env if asked).
 */
export function runDenoChild(
  script: string,
  args: readonly string[],
  options: DenoChildOptions,
): Promise<ChildOutput> {
  const scriptPath = decodeURIComponent(new URL(script, import.meta.url).pathname);
  const flags = [`--allow-read=${options.readPaths.join(",")}`];
  if (options.ffi) flags.push("--allow-ffi");
  if (options.env?.length) flags.push(`--allow-env=${options.env.join(",")}`);
  if (options.run?.length) flags.push(`--allow-run=${options.run.join(",")}`);
  if (options.v8Flags.length) flags.push(v8FlagArg(options.v8Flags));
  const deno = [Deno.execPath(), "run", "--quiet", "--no-prompt", ...flags, scriptPath, ...args];
  if (options.ownPeakMemory) {
    // `; exit $?` keeps the shell from replacing itself with the last command (exec).
    return runChild("/bin/sh", ["-c", '"$@"; exit $?', "sh", ...deno], options.setEnv);
  }
  return runChild(deno[0]!, deno.slice(1), options.setEnv);
}
