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

/** Runs cmd with args; throws with the child's stderr if it fails. */
export async function runChild(cmd: string, args: readonly string[]): Promise<ChildOutput> {
  const out = await new Deno.Command(cmd, { args: [...args], stdout: "piped", stderr: "piped" })
    .output();
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

/**
 * Runs a script from bench/ in a fresh Deno with the given V8 flags,
 * allowed to read only readPaths.
 */
export function runDenoChild(
  script: string,
  args: readonly string[],
  options: { v8Flags: readonly string[]; readPaths: readonly string[] },
): Promise<ChildOutput> {
  const scriptPath = decodeURIComponent(new URL(script, import.meta.url).pathname);
  return runChild(Deno.execPath(), [
    "run",
    "--quiet",
    "--no-prompt",
    `--allow-read=${options.readPaths.join(",")}`,
    v8FlagArg(options.v8Flags),
    scriptPath,
    ...args,
  ]);
}
