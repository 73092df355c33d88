/**
 * The `gate` command.
 *
 *   gate inspect [--json] FILE.wasm   decode, validate and describe a module
 *   gate call [OPTIONS] FILE.wasm [FUNCTION [ARGS...]]
 *                                     run a program (or an exported function) in the sandbox
 *   gate resume [OPTIONS] SNAPSHOT.wasm
 *                                     continue a program suspended with Ctrl-\ (SIGQUIT)
 *   gate snapshot --inspect FILE      describe a snapshot and its stack
 *   gate version                      print the package and library versions
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  compile,
  describeSnapshot,
  type ModuleInfo,
  Program,
  type ProgramOptions,
  type ProgramResult,
  snapshotId,
  TrapError,
  validate,
  type Value,
  type ValueType,
} from "./mod.ts";
import { basename } from "node:path";
import { originFromStreams } from "./services/stream.ts";
import { parseBytes, parseDir, parseEnv, parseSeconds, splitCallArgs } from "./cli/options.ts";
import { lib } from "./ffi/_library.ts";
import { readWholeFile, sha256Hex } from "./ffi/_bytes.ts";
import { closeExecutor } from "./ffi/_executor.ts";
import { formatModuleInfo } from "./cli/format.ts";
import { formatSnapshot, snapshotFileName } from "./cli/snapshot.ts";
import { formatBacktrace, formatValue, parseArg } from "./cli/values.ts";
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
    --snapshot PATH            where Ctrl-\\ (SIGQUIT) writes the snapshot
                               (default ./NAME.SHA8.snapshot.wasm)
                               Ctrl-\\ suspends the program, writes a snapshot,
                               prints "snapshot written to PATH" on stderr and
                               exits 0
  resume [OPTIONS] SNAPSHOT.wasm
                               continue a suspended program from its snapshot in
                               the sandbox, stdio wired as for call; Ctrl-\\
                               suspends it again. Options as for call but
                               --arg and --env, which are in the snapshot:
                               --dir (give them again), --debug, --memory,
                               --time, --snapshot
  snapshot --inspect FILE      describe a snapshot: how it ended, its clock,
                               memory and buffers, and its stack one frame per
                               line (function, offset, locals, operands)
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
    case "resume":
      return await resume(rest);
    case "snapshot":
      return await snapshot(rest);
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
    bytes = await readWholeFile(path);
    info = validate(bytes);
  } catch (error) {
    console.error(`gate inspect: "${path}": ${(error as Error).message}`);
    return 1;
  }
  const hash = await sha256Hex(bytes);
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
  snapshot: { type: "string" },
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
    const module = await compile(await readWholeFile(path));
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
    const out = await suspendable(program, () => program.run(fnName, callArgs));
    return await finish(program, out, path, values.snapshot, (i) => results[i]!);
  } catch (error) {
    return failure("call", path, error);
  } finally {
    await closeExecutor();
  }
}

/** Options of `gate resume`: those of call but --arg and --env, which are in the snapshot. */
const RESUME_OPTIONS = {
  dir: CALL_OPTIONS.dir,
  debug: CALL_OPTIONS.debug,
  memory: CALL_OPTIONS.memory,
  time: CALL_OPTIONS.time,
  snapshot: CALL_OPTIONS.snapshot,
} as const;

const RESUME_VALUED = new Set(["dir", "memory", "time", "snapshot"]);

async function resume(args: string[]): Promise<number> {
  const { options: optionArgs, rest } = splitCallArgs(args, RESUME_VALUED);
  const given = optionArgs.map((o) => o.slice(2).split("=")[0]!);
  const inSnapshot = given.find((name) => name === "arg" || name === "env");
  if (inSnapshot !== undefined) {
    console.error(
      `gate resume: --${inSnapshot} cannot be given: the program's arguments and ` +
        "environment are in the snapshot",
    );
    return 2;
  }
  let values;
  try {
    values = parseArgs({ args: optionArgs, options: RESUME_OPTIONS, strict: true }).values;
  } catch (error) {
    console.error(`gate resume: ${(error as Error).message}`);
    return 2;
  }
  if (rest.length !== 1) {
    console.error("gate resume: expected [OPTIONS] SNAPSHOT.wasm");
    return 2;
  }
  const path = rest[0]!;
  let options: ProgramOptions;
  try {
    options = programOptions(path, values);
  } catch (error) {
    console.error(`gate resume: ${(error as Error).message}`);
    return 2;
  }
  try {
    await using program = await Program.restore(await readWholeFile(path), options);
    const out = await suspendable(program, () => program.resume());
    return await finish(program, out, path, values.snapshot, undefined);
  } catch (error) {
    return failure("resume", path, error);
  } finally {
    await closeExecutor();
  }
}

/**
 * How long a snapshot on Ctrl-\ waits for a stdin read in progress: a pipe
 * that has bytes answers at once; an idle terminal or producer would hold
 * the snapshot until the next line. `gate` exits after writing it: bytes
 * that a read returns between the snapshot and the exit are lost, a window
 * of the time it takes to write the file.
 */
const INPUT_TIMEOUT_MS = 100;

/** Runs a program with Ctrl-\ (SIGQUIT) suspending it. */
async function suspendable(
  program: Program,
  run: () => Promise<ProgramResult>,
): Promise<ProgramResult> {
  const suspend = () => program.suspend();
  Deno.addSignalListener("SIGQUIT", suspend);
  try {
    return await run();
  } finally {
    Deno.removeSignalListener("SIGQUIT", suspend);
  }
}

/**
 * Ends `gate call` or `gate resume`: a suspended program's snapshot written
 * (exit 0), else the results printed and proc_exit's code. `types` gives a
 * result's type when known (a resumed function's are not).
 */
async function finish(
  program: Program,
  out: ProgramResult,
  path: string,
  snapshotPath: string | undefined,
  types: ((i: number) => ValueType) | undefined,
): Promise<number> {
  if (out.suspended) {
    // On a terminal nobody types after Ctrl-\: do not wait for a line.
    const bytes = await program.snapshot({ inputTimeout: INPUT_TIMEOUT_MS });
    const target = snapshotPath ?? snapshotFileName(path, await snapshotId(bytes));
    await Deno.writeFile(target, bytes);
    console.error(`snapshot written to ${target}`);
    return 0;
  }
  for (const [i, value] of out.results.entries()) {
    console.log(formatValue(value, types?.(i) ?? typeOfValue(value)));
  }
  return out.exitCode;
}

/** A value's type as far as its JavaScript type tells (f32 prints as f64). */
function typeOfValue(value: Value): ValueType {
  if (typeof value === "bigint") return "i64";
  if (typeof value === "number") return Number.isInteger(value) ? "i32" : "f64";
  return "funcref";
}

/** Prints why `gate call` or `gate resume` failed; exit status 1. */
function failure(command: string, path: string, error: unknown): number {
  if (!(error instanceof Error)) throw error;
  console.error(`gate ${command}: "${path}": ${error.message}`);
  if (error instanceof TrapError) {
    for (const line of formatBacktrace(error.backtrace)) console.error(line);
  }
  return 1;
}

async function snapshot(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { inspect: { type: "boolean", default: false } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    console.error(`gate snapshot: ${(error as Error).message}`);
    return 2;
  }
  if (!parsed.values.inspect || parsed.positionals.length !== 1) {
    console.error("gate snapshot: expected --inspect FILE");
    return 2;
  }
  const path = parsed.positionals[0]!;
  try {
    const bytes = await readWholeFile(path);
    console.log(formatSnapshot(path, await snapshotId(bytes), describeSnapshot(bytes)));
    return 0;
  } catch (error) {
    console.error(`gate snapshot: "${path}": ${(error as Error).message}`);
    return 1;
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
