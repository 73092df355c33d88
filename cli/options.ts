/**
 * `gate call`'s command line: where its options end, and parsers for their
 * values. Pure; each parser throws a RangeError that names the bad value.
 *
 * @module
 */

import type { Preopen } from "../ffi/program.ts";

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** "64M" -> 67108864; plain numbers are bytes; suffixes K, M, G (powers of 1024). */
export function parseBytes(text: string): number {
  const m = /^(\d+)([KMG]?)(i?B)?$/i.exec(text.trim());
  if (!m) throw new RangeError(`Bad size "${text}": use a number with an optional K, M or G`);
  const bytes = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`Bad size "${text}"`);
  return bytes;
}

/** "2" -> 2 seconds; whole and positive (RLIMIT_CPU counts whole seconds). */
export function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || text.trim() === "") {
    throw new RangeError(`Bad time "${text}": use a whole, positive number of seconds`);
  }
  return seconds;
}

/** ["A=1", "B=x=y"] -> { A: "1", B: "x=y" }; a name is required. */
export function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new RangeError(`Bad --env "${pair}": use KEY=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** "HOST::GUEST" -> { host, guest }; "HOST" -> guest = HOST. */
export function parseDir(spec: string): Preopen {
  const at = spec.indexOf("::");
  const host = at < 0 ? spec : spec.slice(0, at);
  const guest = at < 0 ? spec : spec.slice(at + 2);
  if (host === "" || guest === "") throw new RangeError(`Bad --dir "${spec}": use HOST[::GUEST]`);
  return { host, guest };
}

/** `gate call`'s arguments split at FILE.wasm. */
export interface CallArgs {
  /** The options before FILE.wasm, each valued one written `--name=VALUE`. */
  options: string[];
  /** FILE.wasm and everything after it (FUNCTION, ARGS): never options. */
  rest: string[];
}

/**
 * Splits `gate call [OPTIONS] FILE.wasm [FUNCTION [ARGS...]]` at FILE.wasm:
 * options are the leading arguments that begin with `--` (an optional `--`
 * ends them). An option named in `valued` takes the next argument as its
 * value whatever it looks like, and is rewritten `--name=VALUE`, because
 * node:util's parseArgs refuses a separate value that begins with a dash
 * (`--arg -batch`). Unknown options and a missing value are left for
 * parseArgs to report.
 */
export function splitCallArgs(args: readonly string[], valued: ReadonlySet<string>): CallArgs {
  const options: string[] = [];
  let i = 0;
  while (i < args.length && args[i]!.startsWith("--") && args[i] !== "--") {
    const option = args[i++]!;
    const name = option.slice(2);
    if (valued.has(name) && i < args.length) options.push(`${option}=${args[i++]!}`);
    else options.push(option);
  }
  if (args[i] === "--") i++;
  return { options, rest: args.slice(i) };
}
