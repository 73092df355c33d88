/**
 * Runs `.wast` files through an engine: converts them (two at a time by
 * default) and runs each in the order given, so output stays ordered.
 *
 * @module
 */

import { basename, join } from "node:path";
import { convertWast, wast2jsonVersion } from "./convert.ts";
import type { Engine } from "./engine.ts";
import { mapLimited } from "./pool.ts";
import type { FileResult } from "./report.ts";
import { type Outcome, runScript } from "./run_script.ts";
import { parseWastScript } from "./wast_json.ts";

/** Options for {@linkcode runSpec}. */
export interface RunSpecOptions {
  engine: Engine;
  /** The folder that holds the conversions, one subfolder per file. */
  cacheRoot: string;
  /** How many conversions run at once. */
  jobs: number;
}

/** The result of one file, with how it was converted. */
export interface SpecFileResult extends FileResult {
  path: string;
  /** Whether the conversion came from the cache; false when it failed. */
  cached: boolean;
  /** What wast2json printed on stderr although it succeeded. */
  warnings: string;
}

/**
 * Yields the result of each file in the order of `paths`. Throws before the
 * first result when wast2json cannot run at all; a file that fails to
 * convert yields one failed outcome instead.
 */
export async function* runSpec(
  paths: readonly string[],
  options: RunSpecOptions,
): AsyncGenerator<SpecFileResult> {
  const version = await wast2jsonVersion();
  const conversions = mapLimited(
    paths,
    options.jobs,
    (path) => convertWast(path, { cacheRoot: options.cacheRoot, version }),
  );
  for (const [index, path] of paths.entries()) {
    const file = basename(path);
    const conversion = await conversions[index]!;
    if (!conversion.ok) {
      yield { file, path, cached: false, warnings: "", outcomes: [failure(conversion.message)] };
      continue;
    }
    const { dir, cached, warnings } = conversion;
    let script;
    try {
      script = parseWastScript(await Deno.readTextFile(conversion.jsonPath));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      yield { file, path, cached, warnings, outcomes: [failure(message)] };
      continue;
    }
    const outcomes = await runScript(script, {
      engine: options.engine,
      simd: file.startsWith("simd_"),
      // Synchronous: thousands of small reads are several times faster so.
      readModule: (filename) => Deno.readFileSync(join(dir, basename(filename))),
    });
    yield { file, path, cached, warnings, outcomes };
  }
}

function failure(message: string): Outcome {
  return {
    line: 0,
    command: "wast2json",
    status: "failed",
    expected: "a converted script",
    actual: message,
  };
}
