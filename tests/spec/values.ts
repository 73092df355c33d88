/**
 * Values of spec scripts: arguments and expected results as wast2json
 * writes them, and how results are matched against expectations. Pure.
 *
 * wast2json writes numbers as the unsigned decimal of their bits, so every
 * value is exact, NaN payloads included. Host references (`ref.extern N`)
 * become the handle N + 1, since handle 0 is null.
 *
 * @module
 */

import type { RawValue, ValueType } from "../../mod.ts";
import type { WastValue } from "./wast_json.ts";

/** What a result must be. */
export type Expected =
  | { type: ValueType; match: "bits"; bits: bigint }
  | { type: "f32" | "f64"; match: "nan:canonical" | "nan:arithmetic" }
  | { type: "funcref" | "externref"; match: "non-null" };

const SCALAR_TYPES = new Set(["i32", "i64", "f32", "f64", "funcref", "externref"]);

const BITS: Record<string, number> = { i32: 32, i64: 64, f32: 32, f64: 64 };

/** Whether a value of the script needs SIMD (v128) support. */
export function isSimdValue(value: WastValue): boolean {
  return value.type === "v128";
}

/** Parses an argument of an action. Throws SyntaxError for what it cannot represent. */
export function parseArg(value: WastValue): RawValue {
  const type = scalarType(value);
  if (type === "funcref" || type === "externref") {
    return { type, bits: refBits(value) };
  }
  return { type, bits: numberBits(value, type) };
}

/** Parses an expected result of assert_return. */
export function parseExpected(value: WastValue): Expected {
  const type = scalarType(value);
  if (type === "f32" || type === "f64") {
    if (value.value === "nan:canonical" || value.value === "nan:arithmetic") {
      return { type, match: value.value };
    }
  }
  if (type === "funcref" || type === "externref") {
    // `(ref.func)` and `(ref.extern)` without a value: any non-null reference.
    if (value.value === undefined) return { type, match: "non-null" };
    return { type, match: "bits", bits: refBits(value) };
  }
  return { type, match: "bits", bits: numberBits(value, type) };
}

/** Whether a result matches what is expected. */
export function matches(expected: Expected, actual: RawValue): boolean {
  if (actual.type !== expected.type) return false;
  switch (expected.match) {
    case "bits":
      return actual.bits === expected.bits;
    case "non-null":
      return actual.bits !== 0n;
    case "nan:canonical":
      // Sign free, quiet bit set, rest of the payload zero.
      return expected.type === "f32"
        ? (actual.bits & 0x7fff_ffffn) === 0x7fc0_0000n
        : (actual.bits & 0x7fff_ffff_ffff_ffffn) === 0x7ff8_0000_0000_0000n;
    case "nan:arithmetic":
      // Any NaN with the quiet bit set.
      return expected.type === "f32"
        ? (actual.bits & 0x7fc0_0000n) === 0x7fc0_0000n
        : (actual.bits & 0x7ff8_0000_0000_0000n) === 0x7ff8_0000_0000_0000n;
  }
}

/** Whether every result matches, in order and in number. */
export function matchesAll(expected: readonly Expected[], actual: readonly RawValue[]): boolean {
  return expected.length === actual.length && expected.every((e, i) => matches(e, actual[i]!));
}

/**
 * Whether a trap's spec message satisfies assert_trap's text. The spec's
 * harness requires the text to be a prefix of the engine's message; our
 * messages are the bare kinds, so a text with a detail after the kind
 * ("uninitialized element 2") matches too.
 */
export function trapMatches(text: string, message: string): boolean {
  return message.startsWith(text) || text.startsWith(message);
}

/** Formats a value for reports: "i32:0x0000002a", "f32:nan:canonical". */
export function describeValue(value: RawValue | Expected): string {
  if ("match" in value && value.match !== "bits") return `${value.type}:${value.match}`;
  const bits = (value as { bits: bigint }).bits;
  if (value.type === "funcref" || value.type === "externref") {
    return bits === 0n ? `${value.type}:null` : `${value.type}:${bits}`;
  }
  const width = (BITS[value.type] ?? 128) / 4;
  return `${value.type}:0x${bits.toString(16).padStart(width, "0")}`;
}

/** Formats a list of values: "(i32:0x00000001, f64:nan:arithmetic)". */
export function describeValues(values: readonly (RawValue | Expected)[]): string {
  return `(${values.map(describeValue).join(", ")})`;
}

function scalarType(value: WastValue): Exclude<ValueType, "v128"> {
  if (!SCALAR_TYPES.has(value.type)) {
    throw new SyntaxError(`Cannot use a value of type "${value.type}"`);
  }
  return value.type as Exclude<ValueType, "v128">;
}

function numberBits(value: WastValue, type: string): bigint {
  const text = value.value;
  if (typeof text !== "string" || !/^\d+$/.test(text)) {
    throw new SyntaxError(`Cannot parse ${type} value ${JSON.stringify(text)}`);
  }
  const bits = BigInt(text);
  if (bits >> BigInt(BITS[type]!) !== 0n) {
    throw new SyntaxError(`Cannot parse ${type} value ${text}: out of range`);
  }
  return bits;
}

function refBits(value: WastValue): bigint {
  if (value.value === "null") return 0n;
  if (value.type === "externref" && typeof value.value === "string" && /^\d+$/.test(value.value)) {
    const n = BigInt(value.value);
    if (n < (1n << 64n) - 1n) return n + 1n;
  }
  throw new SyntaxError(`Cannot parse ${value.type} value ${JSON.stringify(value.value)}`);
}
