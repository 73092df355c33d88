/**
 * Decoding and validation of WebAssembly modules by libgate.
 *
 * @module
 */

import { lib } from "./_library.ts";
import { LIMITS_LAYOUT, readStruct, writeStruct } from "./_structs.ts";
import { check, errorBuffer } from "./errors.ts";

/** A WebAssembly value type. */
export type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

/** A function signature. */
export interface FunctionType {
  params: ValueType[];
  results: ValueType[];
}

/** Limits of a memory (in 64 KiB pages) or table (in elements). */
export interface MemoryType {
  minimum: number;
  maximum?: number;
}

/** A table's element type and limits. */
export interface TableType extends MemoryType {
  element: "funcref" | "externref";
}

/** A global's value type and mutability. */
export interface GlobalType {
  value: ValueType;
  mutable: boolean;
}

/** An import or export's kind with its type. */
export type ExternType =
  | { kind: "function"; type: FunctionType }
  | { kind: "memory"; type: MemoryType }
  | { kind: "table"; type: TableType }
  | { kind: "global"; type: GlobalType };

/** An import of a module. */
export type ImportInfo = ExternType & { module: string; name: string };

/** An export of a module; index is into the kind's index space. */
export type ExportInfo = ExternType & { name: string; index: number };

/** What a valid module declares, as reported by {@linkcode validate}. */
export interface ModuleInfo {
  imports: ImportInfo[];
  exports: ExportInfo[];
  /** Number of functions, imported ones included. */
  functions: number;
  memories: MemoryType[];
  tables: TableType[];
  globals: GlobalType[];
  /** Index of the start function, or null. */
  start: number | null;
  /** Names of custom sections in module order. */
  customSections: string[];
  /** Function names from the `name` section, as [index, name] pairs. */
  functionNames: [number, string][];
}

/**
 * Resource bounds applied to untrusted modules (mirror of `gate_limits`);
 * omitted fields keep their defaults (see docs/validator.md).
 */
export interface Limits {
  moduleSize?: number;
  types?: number;
  functions?: number;
  imports?: number;
  exports?: number;
  globals?: number;
  tables?: number;
  memories?: number;
  elemSegments?: number;
  dataSegments?: number;
  params?: number;
  results?: number;
  locals?: number;
  bodySize?: number;
  nesting?: number;
  brTable?: number;
  operandStack?: number;
  tableSize?: number;
  elemItems?: number;
  names?: number;
}

/** Options for {@linkcode validate}. */
export interface ValidateOptions {
  /** Resource bounds; omitted fields keep their defaults. */
  limits?: Limits;
}

/** Returns the default resource bounds of the validator. */
export function defaultLimits(): Required<Limits> {
  const buf = new Uint8Array(LIMITS_LAYOUT.size);
  lib().gate_limits_default(buf);
  return readStruct(LIMITS_LAYOUT, buf) as Required<Limits>;
}

/**
 * Decodes and validates a WebAssembly 2.0 module and describes it.
 *
 * Throws `CompileError` when the module is malformed, invalid or over a
 * resource limit; its message names the problem and the byte offset.
 */
export function validate(bytes: Uint8Array, options: ValidateOptions = {}): ModuleInfo {
  const symbols = lib();
  const limits = limitsStruct(options);
  const err = errorBuffer();
  for (;;) {
    const n = Number(
      symbols.gate_module_describe(
        bytes,
        BigInt(bytes.length),
        limits,
        infoBuffer,
        BigInt(infoBuffer.length),
        err,
        BigInt(err.length),
      ),
    );
    if (n < 0) check(-n, err);
    if (n <= infoBuffer.length) {
      return JSON.parse(new TextDecoder().decode(infoBuffer.subarray(0, n))) as ModuleInfo;
    }
    infoBuffer = new Uint8Array(n); // rare: a module with very many names; validate again
  }
}

// Reused by validate(): grows to the largest description seen.
let infoBuffer = new Uint8Array(64 * 1024);

function limitsStruct(options: ValidateOptions): Uint8Array<ArrayBuffer> | null {
  if (!options.limits) return null;
  const limits = new Uint8Array(LIMITS_LAYOUT.size);
  lib().gate_limits_default(limits);
  writeStruct(LIMITS_LAYOUT, limits, options.limits as Record<string, number | undefined>);
  return limits;
}

/** Options for {@linkcode decodeModule}. */
export interface DecodeOptions extends ValidateOptions {
  /**
   * Leave function bodies to `gate_image_new`, which validates each body as
   * it compiles it: set only when compilation follows at once.
   */
  deferBodies?: boolean;
}

/**
 * Decodes and validates a module into a libgate `gate_module`; the caller
 * frees it with `gate_module_free`. Throws like {@linkcode validate}.
 */
export function decodeModule(bytes: Uint8Array, options: DecodeOptions = {}): Deno.PointerValue {
  const symbols = lib();
  const limits = limitsStruct(options);
  const out = new BigUint64Array(1);
  const err = errorBuffer();
  const decode = options.deferBodies ? symbols.gate_module_decode : symbols.gate_module_new;
  check(decode(bytes, BigInt(bytes.length), limits, out, err, BigInt(err.length)), err);
  return Deno.UnsafePointer.create(out[0]!);
}

/** Describes a decoded module (see {@linkcode decodeModule}). */
export function moduleInfo(module: Deno.PointerValue): ModuleInfo {
  return JSON.parse(readInfo(lib(), module)) as ModuleInfo;
}

function readInfo(symbols: ReturnType<typeof lib>, module: Deno.PointerValue): string {
  let buf = new Uint8Array(4096);
  for (;;) {
    const n = Number(symbols.gate_module_info(module, buf, BigInt(buf.length)));
    if (n < 0) throw new RangeError("Cannot describe module: out of memory");
    if (n <= buf.length) return new TextDecoder().decode(buf.subarray(0, n));
    buf = new Uint8Array(n);
  }
}
