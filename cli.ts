/**
 * The `gate` command.
 *
 *   gate inspect [--json] FILE.wasm   decode, validate and describe a module
 *   gate version                      print the package and library versions
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type ModuleInfo, validate } from "./mod.ts";
import { lib } from "./ffi/_library.ts";
import { formatModuleInfo } from "./cli/format.ts";
import { sha256 } from "hash-wasm";
import denoJson from "./deno.json" with { type: "json" };

const USAGE = `Usage: gate <command> [options]

Commands:
  inspect [--json] FILE.wasm   decode, validate and describe a WebAssembly module
  version                      print the package and native library versions
  help                         print this help`;

/** Runs the CLI with the given arguments and returns the exit status. */
export async function main(args: string[] = Deno.args): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "inspect":
      return await inspect(rest);
    case "version":
      console.log(`gate ${denoJson.version} (libgate ABI ${lib().gate_abi_version()})`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`gate: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function inspect(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: "boolean", default: false } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    console.error("gate inspect: expected one FILE.wasm");
    return 2;
  }
  const path = positionals[0]!;
  let bytes: Uint8Array;
  let info: ModuleInfo;
  try {
    bytes = await Deno.readFile(path);
    info = validate(bytes);
  } catch (error) {
    console.error(`gate inspect: "${path}": ${(error as Error).message}`);
    return 1;
  }
  const hash = await sha256(bytes);
  console.log(
    values.json
      ? JSON.stringify({ sha256: hash, ...info }, null, 2)
      : formatModuleInfo(path, hash, info),
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
