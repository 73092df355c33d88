/**
 * The WebAssembly spec testsuite runner: `deno task spec [FILE...]`.
 *
 * Converts each `.wast` file with wast2json (cached in `.cache/spec/`) and
 * runs its commands through Gate's engine from mod.ts. Prints one line per
 * file, every failure, a skip summary by reason and, alone on the last line,
 * `N passed, N failed, N skipped`. Exits with 1 when anything failed and 2
 * when the run could not start.
 *
 * @module
 */

import { readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Engine } from "./engine.ts";
import { resolveSpecArg, uniqueSpecPaths } from "./files.ts";
import { createGateEngine } from "./gate_engine.ts";
import {
  countOutcomes,
  type Counts,
  formatCounts,
  formatFileLine,
  formatOutcome,
  formatSkipSummary,
  sumCounts,
  summarizeSkips,
} from "./report.ts";
import { runSpec, type SpecFileResult } from "./run_spec.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const DEFAULT_SPEC_DIR = join(REPO, "../shared/wasm-testsuite");
const CACHE_ROOT = join(REPO, ".cache/spec");

const USAGE = `Usage: deno task spec [options] [FILE...]

Runs the WebAssembly spec testsuite through Gate. FILE is a name such as
"br_table" or "br_table.wast" in the testsuite folder, or a path; without
FILE, every .wast file in the folder runs.

Options:
  --verbose, -v   print every check
  --json FILE     write the results of every file as JSON
  --jobs N        convert N files at once (default 2)
  --help, -h      print this help

Environment:
  GATE_SPEC_DIR   the testsuite folder (default ../shared/wasm-testsuite)
  GATE_LIB        the libgate.so to test (default native/build/libgate.so)`;

/** Internal options of {@linkcode main}, for tests and development. */
export interface MainOptions {
  /** The engine to run instead of Gate's; the command line has no way to set it. */
  engine?: Engine;
}

/** Runs the command line; returns the exit code. */
export async function main(args: string[], options: MainOptions = {}): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        verbose: { type: "boolean", short: "v", default: false },
        json: { type: "string" },
        jobs: { type: "string", default: "2" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    print(USAGE);
    return 0;
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    return usageError(`Invalid --jobs "${values.jobs}": expected a positive integer`);
  }

  // deno task runs in the repository; INIT_CWD is where the user typed it.
  const cwd = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const specDir = resolve(cwd, Deno.env.get("GATE_SPEC_DIR") ?? DEFAULT_SPEC_DIR);
  let paths: string[];
  let engine: Engine;
  try {
    paths = await specPaths(positionals, specDir, cwd);
    engine = options.engine ?? createGateEngine();
  } catch (error) {
    return fatal(error);
  }

  const results: SpecFileResult[] = [];
  const counts: Counts[] = [];
  try {
    for await (const result of runSpec(paths, { engine, cacheRoot: CACHE_ROOT, jobs })) {
      results.push(result);
      counts.push(countOutcomes(result.outcomes));
      printFile(result, values.verbose);
    }
  } catch (error) {
    return fatal(error);
  }

  const totals = sumCounts(counts);
  const skips = formatSkipSummary(summarizeSkips(results));
  if (skips.length > 0) print(["", ...skips].join("\n"));
  const cached = results.filter((result) => result.cached).length;
  print(
    `\n${results.length} files through engine "${engine.name}"; ` +
      `${cached} conversions from cache in ${relative(cwd, CACHE_ROOT) || "."}`,
  );
  if (values.json !== undefined) {
    const jsonPath = resolve(cwd, values.json);
    try {
      await Deno.writeTextFile(jsonPath, JSON.stringify(jsonReport(engine, results), null, 2));
    } catch (error) {
      return fatal(new Error(`Cannot write results to "${jsonPath}"`, { cause: error }));
    }
  }
  print(formatCounts(totals));
  return totals.failed > 0 ? 1 : 0;
}

async function specPaths(args: string[], specDir: string, cwd: string): Promise<string[]> {
  if (args.length > 0) {
    const paths = uniqueSpecPaths(args.map((arg) => resolveSpecArg(arg, specDir, cwd)));
    for (const path of paths) {
      try {
        await Deno.stat(path);
      } catch (cause) {
        throw new Error(`Cannot find spec file "${path}"`, { cause });
      }
    }
    return paths;
  }
  let names: string[];
  try {
    names = await readdir(specDir);
  } catch (cause) {
    throw new Error(`Cannot list spec folder "${specDir}": set GATE_SPEC_DIR`, { cause });
  }
  const paths = names.filter((name) => name.endsWith(".wast")).sort()
    .map((name) => join(specDir, name));
  if (paths.length === 0) throw new Error(`Cannot find .wast files in "${specDir}"`);
  return paths;
}

function printFile(result: SpecFileResult, verbose: boolean): void {
  const lines = [formatFileLine(result)];
  for (const outcome of result.outcomes) {
    if (verbose || outcome.status === "failed") {
      lines.push(`  ${formatOutcome(result.file, outcome)}`);
    }
  }
  if (verbose && result.warnings) {
    lines.push(`  wast2json succeeded with warnings: ${result.warnings.split("\n")[0]}`);
  }
  print(lines.join("\n"));
}

function jsonReport(engine: Engine, results: readonly SpecFileResult[]) {
  return {
    engine: engine.name,
    totals: sumCounts(results.map((result) => countOutcomes(result.outcomes))),
    files: results.map((result) => ({
      file: result.file,
      path: result.path,
      ...countOutcomes(result.outcomes),
      outcomes: result.outcomes,
    })),
  };
}

function usageError(message: string): number {
  printError(`${message}\n\n${USAGE}`);
  return 2;
}

function fatal(error: unknown): number {
  let message = error instanceof Error ? error.message : String(error);
  for (let cause = (error as Error | undefined)?.cause; cause !== undefined;) {
    message += `\n  caused by: ${cause instanceof Error ? cause.message : String(cause)}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  printError(message);
  return 2;
}

function print(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}

function printError(text: string): void {
  // deno-lint-ignore no-console
  console.error(text);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
