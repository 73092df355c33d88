/**
 * Parsers for `gate call`'s option values. Pure; each throws a RangeError
 * that names the bad value.
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
