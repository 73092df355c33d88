/**
 * Command-line values of `gate call`: arguments parsed against parameter
 * types, results and backtraces formatted for people. Pure.
 *
 * @module
 */

import type { TrapFrame, Value, ValueType } from "../mod.ts";

const INTEGER = /^[+-]?(0x[0-9a-f]+|[0-9]+)$/i;

/**
 * Parses a command-line argument as a value of the given type: integers in
 * decimal or 0x hex (i32 accepts -2^31..2^32-1, i64 -2^63..2^64-1), floats
 * as decimals or `nan`, `inf`, `-inf`, references only as `null`.
 * Throws SyntaxError or RangeError with the text quoted.
 */
export function parseArg(text: string, type: ValueType): Value {
  switch (type) {
    case "i32":
    case "i64": {
      if (!INTEGER.test(text)) {
        throw new SyntaxError(`Cannot parse "${text}" as ${type}: expected an integer`);
      }
      const negative = text.startsWith("-");
      const magnitude = BigInt(text.replace(/^[+-]/, ""));
      const n = negative ? -magnitude : magnitude;
      const bits = type === "i32" ? 32n : 64n;
      if (n < -(1n << (bits - 1n)) || n >= 1n << bits) {
        throw new RangeError(`Cannot parse "${text}" as ${type}: out of range`);
      }
      return type === "i32" ? Number(BigInt.asIntN(32, n)) : BigInt.asIntN(64, n);
    }
    case "f32":
    case "f64": {
      const special = SPECIAL_FLOATS[text.toLowerCase()];
      if (special !== undefined) return special;
      const n = text.trim() === "" ? NaN : Number(text);
      if (Number.isNaN(n)) {
        throw new SyntaxError(`Cannot parse "${text}" as ${type}: expected a number`);
      }
      return type === "f32" ? Math.fround(n) : n;
    }
    case "funcref":
    case "externref":
      if (text === "null") return null;
      throw new SyntaxError(`Cannot parse "${text}" as ${type}: only "null" can be given`);
    case "v128":
      throw new SyntaxError(`Cannot parse "${text}" as v128: SIMD values are not supported`);
  }
}

const SPECIAL_FLOATS: Record<string, number> = {
  "nan": NaN,
  "+nan": NaN,
  "-nan": NaN,
  "inf": Infinity,
  "+inf": Infinity,
  "-inf": -Infinity,
  "infinity": Infinity,
  "+infinity": Infinity,
  "-infinity": -Infinity,
};

/**
 * Formats a result: integers in decimal, floats as the shortest decimal that
 * reads back as the same value of their type, `nan`, `inf`, `-0`, `null`.
 */
export function formatValue(value: Value, type: ValueType): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "object") return `<${value.type}>`;
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0";
  if (type !== "f32") return String(value);
  for (let digits = 1; digits < 17; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(value);
}

/** Formats a backtrace, one indented line per frame: `    at add (function 2, offset 0x2a)`. */
export function formatBacktrace(frames: readonly TrapFrame[]): string[] {
  return frames.map((frame) =>
    `    at ${frame.name ?? `function[${frame.function}]`} ` +
    `(function ${frame.function}, offset 0x${frame.offset.toString(16)})`
  );
}
