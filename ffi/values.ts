/**
 * WebAssembly values on the TypeScript side: the friendly form (numbers,
 * bigints, opaque references) and the exact form ({@linkcode RawValue},
 * type plus bits), and the conversions between them. Pure.
 *
 * @module
 */

import type { ValueType } from "./module.ts";
import type { RawValue } from "./_protocol.ts";

export type { RawValue };

/**
 * A value as `Instance.invoke()` takes and returns it: i32, f32 and f64 as
 * numbers (i32 results signed), i64 as bigint (results signed), v128 as an
 * unsigned 128-bit bigint, references as {@linkcode Ref} or null.
 */
export type Value = number | bigint | Ref | null;

const F32 = new DataView(new ArrayBuffer(4));
const F64 = new DataView(new ArrayBuffer(8));

/**
 * An opaque non-null reference (funcref or externref) produced by a
 * WebAssembly program. It can be passed back to functions of the store it
 * came from, and nowhere else.
 */
export class Ref {
  /** funcref or externref. */
  readonly type: "funcref" | "externref";
  readonly #owner: object;
  readonly #bits: bigint;

  /** Internal: references come from results, not from user code. */
  constructor(owner: object, type: "funcref" | "externref", bits: bigint) {
    this.#owner = owner;
    this.type = type;
    this.#bits = bits;
  }

  /** Whether two references denote the same WebAssembly reference. */
  equals(other: Ref): boolean {
    return other.#owner === this.#owner && other.#bits === this.#bits && other.type === this.type;
  }

  /** Internal: the handle, if the reference belongs to owner. */
  static handle(ref: Ref, owner: object): bigint | undefined {
    return ref.#owner === owner ? ref.#bits : undefined;
  }
}

/** Returns the bits of an f32 (the nearest float32 to x). */
export function f32Bits(x: number): bigint {
  F32.setFloat32(0, x, true);
  return BigInt(F32.getUint32(0, true));
}

/** Returns the f32 whose bits are given (NaN payloads are not kept by numbers). */
export function f32FromBits(bits: bigint): number {
  F32.setUint32(0, Number(bits & 0xffff_ffffn), true);
  return F32.getFloat32(0, true);
}

/** Returns the bits of an f64. */
export function f64Bits(x: number): bigint {
  F64.setFloat64(0, x, true);
  return F64.getBigUint64(0, true);
}

/** Returns the f64 whose bits are given. */
export function f64FromBits(bits: bigint): number {
  F64.setBigUint64(0, BigInt.asUintN(64, bits), true);
  return F64.getFloat64(0, true);
}

/**
 * Converts a value to the exact form for a parameter of the given type.
 * Throws TypeError for a value of the wrong kind and RangeError for an
 * integer out of range; owner is the store that references must belong to.
 */
export function toRaw(value: Value, type: ValueType, owner: object): RawValue {
  switch (type) {
    case "i32":
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw new TypeError(`Cannot pass ${describe(value)} as i32: expected an integer number`);
      }
      if (value < -(2 ** 31) || value > 2 ** 32 - 1) {
        throw new RangeError(`Cannot pass ${value} as i32: out of range`);
      }
      return { type, bits: BigInt(value >>> 0) };
    case "i64":
      if (typeof value !== "bigint") {
        throw new TypeError(`Cannot pass ${describe(value)} as i64: expected a bigint`);
      }
      if (value < -(1n << 63n) || value > (1n << 64n) - 1n) {
        throw new RangeError(`Cannot pass ${value} as i64: out of range`);
      }
      return { type, bits: BigInt.asUintN(64, value) };
    case "f32":
    case "f64":
      if (typeof value !== "number") {
        throw new TypeError(`Cannot pass ${describe(value)} as ${type}: expected a number`);
      }
      return { type, bits: type === "f32" ? f32Bits(value) : f64Bits(value) };
    case "v128":
      if (typeof value !== "bigint" || value < 0n || value >= 1n << 128n) {
        throw new TypeError(`Cannot pass ${describe(value)} as v128: expected a 128-bit bigint`);
      }
      return { type, bits: value };
    case "funcref":
    case "externref": {
      if (value === null) return { type, bits: 0n };
      if (!(value instanceof Ref) || value.type !== type) {
        throw new TypeError(
          `Cannot pass ${describe(value)} as ${type}: expected a ${type} or null`,
        );
      }
      const bits = Ref.handle(value, owner);
      if (bits === undefined) {
        throw new TypeError(`Cannot pass a ${type} from another store`);
      }
      return { type, bits };
    }
  }
}

/** Converts an exact value to the friendly form; owner tags references. */
export function fromRaw(raw: RawValue, owner: object): Value {
  switch (raw.type) {
    case "i32":
      return Number(BigInt.asIntN(32, raw.bits));
    case "i64":
      return BigInt.asIntN(64, raw.bits);
    case "f32":
      return f32FromBits(raw.bits);
    case "f64":
      return f64FromBits(raw.bits);
    case "v128":
      return raw.bits;
    case "funcref":
    case "externref":
      return raw.bits === 0n ? null : new Ref(owner, raw.type, raw.bits);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Ref) return `a ${value.type}`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return String(value);
  return `a ${typeof value}`;
}
