/**
 * The `gate` command.
 *
 *   gate inspect [--json] FILE.wasm   decode, validate and describe a module
 *   gate call FILE.wasm FUNCTION [ARGS...]
 *                                     run an exported function and print its results
 *   gate version                      print the package and library versions
 *
 * @module
 */

import { parseArgs } from "node:util";
import { compile, type ModuleInfo, TrapError, validate } from "./mod.ts";
import { lib } from "./ffi/_library.ts";
import { closeExecutor } from "./ffi/_executor.ts";
import { formatModuleInfo } from "./cli/format.ts";
import { formatBacktrace, formatValue, parseArg } from "./cli/values.ts";
import { sha256 } from "hash-wasm";
import denoJson from "./deno.json" with { type: "json" };

const USAGE = `Usage: gate <command> [options]

Commands:
  inspect [--json] FILE.wasm   decode, validate and describe a WebAssembly module
  call FILE.wasm FUNCTION [ARGS...]
                               call an exported function with arguments parsed by
                               its parameter types; print one result per line
  version                      print the package and native library versions
  help                         print this help`;

/** Runs the CLI with the given arguments and returns the exit status. */
export async function main(args: string[] = Deno.args): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "inspect":
      return await inspect(rest);
    case "call":
      return await call(rest);
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

async function call(args: string[]): Promise<number> {
  const [path, name, ...texts] = args;
  if (path === undefined || name === undefined) {
    console.error("gate call: expected FILE.wasm FUNCTION [ARGS...]");
    return 2;
  }
  try {
    const module = await compile(await Deno.readFile(path));
    const fn = module.exports.find((e) => e.name === name);
    if (fn === undefined || fn.kind !== "function") {
      const functions = module.exports.filter((e) => e.kind === "function").map((e) => e.name);
      console.error(
        `gate call: "${path}" exports no function "${name}"` +
          (functions.length ? `; functions: ${functions.join(", ")}` : ""),
      );
      return 2;
    }
    const { params, results } = fn.type;
    if (texts.length !== params.length) {
      console.error(
        `gate call: "${name}" takes ${params.length} arguments (${params.join(", ")}), ` +
          `got ${texts.length}`,
      );
      return 2;
    }
    let values;
    try {
      values = texts.map((text, i) => parseArg(text, params[i]!));
    } catch (error) {
      console.error(`gate call: ${(error as Error).message}`);
      return 2;
    }
    using instance = await module.instantiate();
    const out = await instance.invoke(name, values);
    for (const [i, value] of out.entries()) console.log(formatValue(value, results[i]!));
    return 0;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    console.error(`gate call: "${path}": ${error.message}`);
    if (error instanceof TrapError) {
      for (const line of formatBacktrace(error.backtrace)) console.error(line);
    }
    return 1;
  } finally {
    await closeExecutor();
  }
}

if (import.meta.main) Deno.exit(await main());
