/**
 * The `gate` command.
 *
 *   gate inspect [--json] FILE.wasm   decode, validate and describe a module
 *   gate call [OPTIONS] FILE.wasm [FUNCTION [ARGS...]]
 *                                     run a program (or an exported function) in the sandbox
 *   gate version                      print the package and library versions
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  compile,
  type ModuleInfo,
  Program,
  type ProgramOptions,
  TrapError,
  validate,
} from "./mod.ts";
import { basename } from "node:path";
import { originFromStreams } from "./services/stream.ts";
import { parseBytes, parseDir, parseEnv, parseSeconds, splitCallArgs } from "./cli/options.ts";
import { lib } from "./ffi/_library.ts";
import { closeExecutor } from "./ffi/_executor.ts";
import { formatModuleInfo } from "./cli/format.ts";
import { formatBacktrace, formatValue, parseArg } from "./cli/values.ts";
import { sha256 } from "hash-wasm";
import denoJson from "./deno.json" with { type: "json" };

const USAGE = `Usage: gate <command> [options]

Commands:
  inspect [--json] FILE.wasm   decode, validate and describe a WebAssembly module
  call [OPTIONS] FILE.wasm [FUNCTION [ARGS...]]
                               run a program in the sandbox: FUNCTION (default
                               _start) with arguments parsed by its parameter
                               types; stdin and stdout are the program's; prints
                               results one per line; exits with proc_exit's code
                               (1 with a backtrace on a trap)
                               Options go before FILE.wasm; what follows it is
                               the program's. A value may begin with a dash
                               (--arg -v).
    --arg ARG                  a program argument (argv[1..]); repeatable
    --env KEY=VALUE            an environment variable; repeatable
    --dir HOST[::GUEST]        preopen a host directory (as GUEST); repeatable
    --debug                    the program's stderr (debug log) to stderr
    --memory BYTES             linear memory limit (suffixes K, M, G)
    --time SECONDS             CPU time limit
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

/** Options of `gate call`; everything before FILE.wasm is an option. */
const CALL_OPTIONS = {
  arg: { type: "string", multiple: true },
  env: { type: "string", multiple: true },
  dir: { type: "string", multiple: true },
  debug: { type: "boolean", default: false },
  memory: { type: "string" },
  time: { type: "string" },
} as const;

/** The options of CALL_OPTIONS that take a value. */
const CALL_VALUED = new Set(
  Object.entries(CALL_OPTIONS).filter(([, o]) => o.type === "string").map(([name]) => name),
);

async function call(args: string[]): Promise<number> {
  // Options come before FILE.wasm, so function arguments such as -1 stay
  // arguments, and a value may begin with a dash (--arg -batch).
  const { options: optionArgs, rest } = splitCallArgs(args, CALL_VALUED);
  let values;
  try {
    values = parseArgs({ args: optionArgs, options: CALL_OPTIONS, strict: true }).values;
  } catch (error) {
    console.error(`gate call: ${(error as Error).message}`);
    return 2;
  }
  const [path, name, ...texts] = rest;
  if (path === undefined) {
    console.error("gate call: expected [OPTIONS] FILE.wasm [FUNCTION [ARGS...]]");
    return 2;
  }
  let options: ProgramOptions;
  try {
    options = programOptions(path, values);
  } catch (error) {
    console.error(`gate call: ${(error as Error).message}`);
    return 2;
  }
  try {
    const module = await compile(await Deno.readFile(path));
    const functions = module.exports.filter((e) => e.kind === "function").map((e) => e.name);
    const fnName = name ?? "_start";
    const fn = module.exports.find((e) => e.name === fnName);
    if (fn === undefined || fn.kind !== "function") {
      console.error(
        `gate call: "${path}" exports no function "${fnName}"` +
          (functions.length ? `; functions: ${functions.join(", ")}` : ""),
      );
      return 2;
    }
    const { params, results } = fn.type;
    if (texts.length !== params.length) {
      console.error(
        `gate call: "${fnName}" takes ${params.length} arguments (${params.join(", ")}), ` +
          `got ${texts.length}`,
      );
      return 2;
    }
    let callArgs;
    try {
      callArgs = texts.map((text, i) => parseArg(text, params[i]!));
    } catch (error) {
      console.error(`gate call: ${(error as Error).message}`);
      return 2;
    }
    await using program = await Program.start(module, options);
    const out = await program.run(fnName, callArgs);
    for (const [i, value] of out.results.entries()) {
      console.log(formatValue(value, results[i]!));
    }
    return out.exitCode;
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

/** ProgramOptions from `gate call`'s options; throws on bad values. */
function programOptions(
  path: string,
  values: {
    arg?: string[];
    env?: string[];
    dir?: string[];
    debug?: boolean;
    memory?: string;
    time?: string;
  },
): ProgramOptions {
  const options: ProgramOptions = {
    name: basename(path),
    args: values.arg ?? [],
    env: parseEnv(values.env ?? []),
    dirs: (values.dir ?? []).map(parseDir),
    origin: originFromStreams(Deno.stdin.readable, Deno.stdout.writable),
    // What isatty() says in the program. Without --debug its stderr goes
    // nowhere, which is no terminal.
    terminal: {
      stdin: Deno.stdin.isTerminal(),
      stdout: Deno.stdout.isTerminal(),
      stderr: values.debug === true && Deno.stderr.isTerminal(),
    },
  };
  if (values.debug) options.debug = Deno.stderr.writable;
  if (values.memory !== undefined) options.memoryLimit = parseBytes(values.memory);
  if (values.time !== undefined) options.cpuTimeLimit = parseSeconds(values.time);
  return options;
}

if (import.meta.main) Deno.exit(await main());
