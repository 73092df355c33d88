/**
 * Gate for Deno: run untrusted WebAssembly in a sandbox and make running
 * programs portable.
 *
 * Today this module decodes and validates WebAssembly 2.0 modules; execution,
 * the sandbox and snapshots follow (see README.md).
 *
 * @example Describe a module
 * ```ts
 * import { validate } from "./mod.ts";
 *
 * const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
 * const info = validate(bytes);
 * console.log(info.exports.length); // 0
 * ```
 *
 * @module
 */

export {
  defaultLimits,
  type ExportInfo,
  type ExternType,
  type FunctionType,
  type GlobalType,
  type ImportInfo,
  type Limits,
  type MemoryType,
  type ModuleInfo,
  type TableType,
  validate,
  type ValidateOptions,
  type ValueType,
} from "./ffi/module.ts";
export { CompileError } from "./ffi/errors.ts";
