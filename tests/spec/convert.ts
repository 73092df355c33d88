/**
 * Converts `.wast` scripts with wabt's `wast2json` into a cache folder,
 * reusing a conversion while its stamp (see stamp.ts) still matches.
 *
 * @module
 */

import { join } from "node:path";
import { cacheName } from "./files.ts";
import { parseWast2jsonVersion, stampFor, WAST2JSON_FLAGS } from "./stamp.ts";

const INSTALL_HINT = "install wabt (Debian: apt-get install wabt)";

/** A converted script, or why conversion failed. */
export type Conversion =
  | {
    ok: true;
    /** The folder holding the JSON script and its modules. */
    dir: string;
    jsonPath: string;
    /** Whether the cache was reused. */
    cached: boolean;
    /** What wast2json printed on stderr although it succeeded, if anything. */
    warnings: string;
  }
  | { ok: false; message: string };

/** Options for {@linkcode convertWast}. */
export interface ConvertOptions {
  /** The folder that holds one subfolder per script. */
  cacheRoot: string;
  /** The wast2json version, from {@linkcode wast2jsonVersion}. */
  version: string;
}

/** Returns the version of the wast2json on PATH. */
export async function wast2jsonVersion(): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("wast2json", { args: ["--version"], stdin: "null" })
      .output();
  } catch (cause) {
    throw new Error(`Cannot run "wast2json": ${INSTALL_HINT}`, { cause });
  }
  if (!output.success) {
    throw new Error(`Cannot run "wast2json --version": exit code ${output.code}`);
  }
  return parseWast2jsonVersion(new TextDecoder().decode(output.stdout));
}

/**
 * Converts one `.wast` file into `<cacheRoot>/<name>/<name>.json` and its
 * modules, unless the stamp in that folder matches. Never rejects: failures
 * come back as `{ ok: false }` so that one broken file does not stop a run.
 */
export async function convertWast(wastPath: string, options: ConvertOptions): Promise<Conversion> {
  const name = cacheName(wastPath);
  const dir = join(options.cacheRoot, name);
  const jsonPath = join(dir, `${name}.json`);
  const stampPath = join(dir, "stamp");
  const warningsPath = join(dir, "wast2json.stderr");
  try {
    const stamp = await stampFor(await Deno.readFile(wastPath), options.version);
    if (await readOrEmpty(stampPath) === stamp && await exists(jsonPath)) {
      const warnings = (await readOrEmpty(warningsPath)).trim();
      return { ok: true, dir, jsonPath, cached: true, warnings };
    }
    // Start empty so no module of an older conversion survives.
    await Deno.remove(dir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await Deno.mkdir(dir, { recursive: true });
    const output = await new Deno.Command("wast2json", {
      args: [...WAST2JSON_FLAGS, wastPath, "-o", jsonPath],
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr).trim();
    if (!output.success) {
      return {
        ok: false,
        message: `Cannot convert "${wastPath}": wast2json exited with code ${output.code}` +
          (stderr ? `: ${stderr}` : ""),
      };
    }
    // wabt 1.0.32 with --enable-all reports spurious errors for ref_func.wast
    // and table_grow.wast yet exits 0 and writes the same output as without
    // the flag; keep them beside the conversion rather than on the console.
    if (stderr) await Deno.writeTextFile(warningsPath, stderr + "\n");
    // Written last: a conversion cut short has no stamp and is redone.
    await Deno.writeTextFile(stampPath, stamp);
    return { ok: true, dir, jsonPath, cached: false, warnings: stderr };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `Cannot convert "${wastPath}": ${detail}` };
  }
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
