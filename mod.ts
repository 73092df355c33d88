/**
 * Gate for Deno: run untrusted WebAssembly in a sandbox and make running
 * programs portable.
 *
 * {@linkcode compile} decodes, validates and compiles a WebAssembly 2.0
 * module in this process; {@linkcode Module.instantiate} runs it in an
 * instance process started by `gate-executor`, so a crashing program never
 * takes Deno down. {@linkcode validate} only describes a module.
 * {@linkcode Program} runs WASI commands with their I/O wired; a program
 * can be suspended, saved as a snapshot (a valid WebAssembly module) and
 * continued elsewhere with `Program.restore()` (see README.md).
 *
 * @example Call an exported function
 * ```ts
 * import { compile } from "./mod.ts";
 *
 * // (module (func (export "add") (param i32 i32) (result i32)
 * //   (i32.add (local.get 0) (local.get 1))))
 * const bytes = new Uint8Array([
 *   0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3, 2, 1, 0,
 *   7, 7, 1, 3, 97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1, 106, 11,
 * ]);
 * const module = await compile(bytes);
 * using instance = await module.instantiate();
 * console.log(await instance.invoke("add", [2, 40])); // [ 42 ]
 * ```
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
export {
  CompileError,
  LinkError,
  ProcessError,
  type ProcessErrorOptions,
  type ProcessExit,
  TrapError,
  type TrapFrame,
  trapMessage,
  type TrapName,
} from "./ffi/errors.ts";
export { type CodegenOptions, compile, type CompileOptions, Module } from "./ffi/compile.ts";
export { Instance, type InstantiateOptions, Store, type StoreOptions } from "./ffi/instance.ts";
export { type RawValue, Ref, type Value } from "./ffi/values.ts";
export {
  type Preopen,
  Program,
  type ProgramOptions,
  type ProgramResult,
  runProgram,
} from "./ffi/program.ts";
export {
  describeSnapshot,
  type SnapshotDescription,
  type SnapshotFrame,
  snapshotId,
  type SnapshotValue,
} from "./ffi/snapshot.ts";
export {
  bufferOrigin,
  defaultServices,
  type Origin,
  originFromStreams,
  type Service,
  type ServiceContext,
  type ServiceSession,
} from "./services/mod.ts";
