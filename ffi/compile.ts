/**
 * Compilation: a WebAssembly module becomes a {@linkcode Module} that holds
 * its compiled image, ready to instantiate in instance processes.
 *
 * Compilation runs in the Deno process through libgate (it needs no
 * privileges); images are cached on disk by module hash and compiler
 * version (ffi/_image_cache.ts).
 *
 * @module
 */

import { lib } from "./_library.ts";
import { sha256Hex } from "./_bytes.ts";
import { defaultCacheDir, readCachedImage, writeCachedImage } from "./_image_cache.ts";
import { errorBuffer, errorFromStatus, readMessage } from "./errors.ts";
import { Status } from "./errors.gen.ts";
import {
  decodeModule,
  type ExportInfo,
  type ImportInfo,
  type Limits,
  type ModuleInfo,
  moduleInfo,
} from "./module.ts";
import { type Instance, instantiate, type InstantiateOptions } from "./instance.ts";

/** Options for {@linkcode compile}. */
export interface CompileOptions {
  /**
   * Use the on-disk image cache (default true). Without read or write
   * permission on the cache folder it is skipped silently.
   */
  cache?: boolean;
  /**
   * The cache folder; default `GATE_CACHE_DIR`, else
   * `$XDG_CACHE_HOME/gate`, else `~/.cache/gate`.
   */
  cacheDir?: string;
  /** Resource bounds for decoding and validation; omitted fields keep their defaults. */
  limits?: Limits;
  /**
   * How code is generated, to measure what a feature costs (bench/);
   * the defaults are what every program should run. Part of the image
   * cache key, so differently compiled images never mix.
   */
  codegen?: CodegenOptions;
}

/** Code generation options of {@linkcode compile}: all default to true. */
export interface CodegenOptions {
  /**
   * A suspend check at every loop head (default true). Without it a loop is
   * no safepoint: a program cannot be suspended while it loops. For
   * measurement only.
   */
  loopChecks?: boolean;
  /**
   * Keep the most used locals in registers (default true). Without it every
   * local lives in its frame slot: another register allocation, whose
   * suspended state resumes in normal code.
   */
  pinLocals?: boolean;
}

/** gate_image_new_flags()'s flags for options (native/libgate.h). */
function codegenFlags(options: CodegenOptions = {}): number {
  return (options.loopChecks === false ? 0x1 : 0) | (options.pinLocals === false ? 0x2 : 0);
}

let imageOf: (module: Module) => Uint8Array;
let bytesOf: (module: Module) => Uint8Array;

/** Internal: the serialized image of a module, for instance processes. */
export function moduleImage(module: Module): Uint8Array {
  return imageOf(module);
}

/**
 * Internal: the module's original bytes, which a snapshot of a program
 * running it is built from (ffi/snapshot.ts).
 */
export function moduleBytes(module: Module): Uint8Array {
  return bytesOf(module);
}

/**
 * A compiled WebAssembly module: what it imports and exports, and its
 * image. Immutable; instantiate it any number of times.
 */
export class Module {
  /** SHA-256 of the module's bytes, lowercase hex. */
  readonly hash: string;
  /** What the module declares, as {@linkcode validate} reports it. */
  readonly info: ModuleInfo;
  /** Whether the image came from the on-disk cache. */
  readonly cached: boolean;
  readonly #image: Uint8Array;
  readonly #bytes: Uint8Array;
  readonly #names: Map<number, string>;

  static {
    imageOf = (module) => module.#image;
    bytesOf = (module) => module.#bytes;
  }

  /** Internal: use {@linkcode compile}; `bytes` is kept, not copied. */
  constructor(
    hash: string,
    info: ModuleInfo,
    image: Uint8Array,
    cached: boolean,
    bytes: Uint8Array,
  ) {
    this.hash = hash;
    this.info = info;
    this.#image = image;
    this.#bytes = bytes;
    this.cached = cached;
    this.#names = new Map(info.functionNames);
    // Unnamed exported functions go by their (first) export name.
    for (const e of info.exports) {
      if (e.kind === "function" && !this.#names.has(e.index)) this.#names.set(e.index, e.name);
    }
  }

  /** The module's imports, in order, with their types. */
  get imports(): ImportInfo[] {
    return this.info.imports;
  }

  /** The module's exports with their types. */
  get exports(): ExportInfo[] {
    return this.info.exports;
  }

  /** The name of a function: from the `name` section, else its export name, if any. */
  functionName(index: number): string | undefined {
    return this.#names.get(index);
  }

  /**
   * Creates an instance in an instance process. Imports are bound to the
   * exports of other instances by module name (`imports: { env: other }`),
   * which puts the new instance in their process; so does `store`. Without
   * either, the instance gets a process of its own, ended by its close().
   *
   * Throws LinkError when an import is missing or has another type,
   * TrapError when the start function traps, ProcessError when the
   * instance process ends.
   *
   * @example Link a module to another instance's exports
   * ```ts
   * import { compile, Store } from "../mod.ts";
   *
   * // (module (import "spectest" "global_i32" (global i32)))
   * const bytes = new Uint8Array([
   *   0, 97, 115, 109, 1, 0, 0, 0, 2, 24, 1, 8, 115, 112, 101, 99, 116, 101, 115,
   *   116, 10, 103, 108, 111, 98, 97, 108, 95, 105, 51, 50, 3, 127, 0,
   * ]);
   * using store = await Store.create();
   * const spectest = await store.spectest();
   * const module = await compile(bytes);
   * await module.instantiate({ imports: { spectest } });
   * ```
   */
  instantiate(options: InstantiateOptions = {}): Promise<Instance> {
    return instantiate(this, options);
  }
}

/**
 * Decodes, validates and compiles a WebAssembly module.
 *
 * Throws CompileError when the module is malformed, invalid, over a
 * resource limit, or uses a feature the code generator does not support.
 *
 * @example Compile once, skipping the image cache
 * ```ts
 * import { compile } from "../mod.ts";
 *
 * const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
 * const module = await compile(empty, { cache: false });
 * console.log(module.hash.length, module.exports); // 64 []
 * ```
 */
export async function compile(bytes: Uint8Array, options: CompileOptions = {}): Promise<Module> {
  const symbols = lib();
  // Kept for snapshots of programs running the module: a copy, so that the
  // caller may reuse its buffer (the hash must stay the bytes' hash).
  bytes = bytes.slice();
  // Bodies are validated once, by the compiler; a cached image exists only
  // for bytes that compiled (and so validated) before.
  const module = decodeModule(bytes, {
    deferBodies: true,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  try {
    const info = moduleInfo(module);
    const hash = await sha256Hex(bytes);
    const version = symbols.gate_compiler_version();
    const flags = codegenFlags(options.codegen);
    const dir = options.cache === false ? undefined : options.cacheDir ?? defaultCacheDir();
    if (dir !== undefined) {
      const image = await readCachedImage(dir, hash, version, flags);
      if (image) return new Module(hash, info, image, true, bytes);
    }
    const image = await compileImage(module, flags);
    if (dir !== undefined) await writeCachedImage(dir, hash, version, image, flags);
    return new Module(hash, info, image, false, bytes);
  } finally {
    symbols.gate_module_free(module);
  }
}

async function compileImage(module: Deno.PointerValue, flags: number): Promise<Uint8Array> {
  const symbols = lib();
  const out = new BigUint64Array(1);
  const err = errorBuffer();
  const status = flags
    ? await symbols.gate_image_new_flags(module, flags, out, err, BigInt(err.length))
    : await symbols.gate_image_new(module, out, err, BigInt(err.length));
  if (status !== Status.OK) throw errorFromStatus(status, readMessage(err));
  const image = Deno.UnsafePointer.create(out[0]!);
  try {
    const len = new BigUint64Array(1);
    const bytes = symbols.gate_image_bytes(image, len);
    if (bytes === null) {
      throw new Error("Cannot read compiled image: gate_image_bytes returned NULL");
    }
    return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(bytes, Number(len[0]!))).slice();
  } finally {
    symbols.gate_image_free(image);
  }
}
