/**
 * Instances and the instance processes (stores) they run in.
 *
 * A {@linkcode Store} is one instance process: a runtime store in which
 * instances are created and linked to each other's exports, as the spec's
 * `register` needs. Every call crosses the executor to that process and back
 * (docs/protocol.md); a crash of the process rejects with a ProcessError and
 * never takes Deno down.
 *
 * @module
 */

import { type Channel, getExecutor } from "./_executor.ts";
import {
  decodeExport,
  decodeIndex,
  decodeTrap,
  decodeValue,
  decodeValues,
  encodeExport,
  encodeGlobalGet,
  encodeInstantiate,
  encodeInvoke,
  type ExportReply,
  ExternKind,
  type Frame,
  Msg,
  ProtocolError,
  type RawValue,
  type SpawnOptions,
} from "./_protocol.ts";
import { LinkError, TrapError, type TrapFrame } from "./errors.ts";
import { TRAP_INFO } from "./traps.gen.ts";
import type { ExternType, ValueType } from "./module.ts";
import { type Module, moduleImage } from "./compile.ts";
import { fromRaw, toRaw, type Value } from "./values.ts";

/** Options for `Module.instantiate()`. */
export interface InstantiateOptions {
  /**
   * Instances whose exports satisfy the module's imports, by import module
   * name: `{ env: other }` binds import `env.f` to export `f` of `other`.
   * All must live in one store, which the new instance joins.
   */
  imports?: Record<string, Instance>;
  /** The store to create the instance in (default: that of the imports, else a new one). */
  store?: Store;
}

// Internals shared by the classes below and instantiate(), set in their
// static blocks so they stay off the public API.
let storeRequest: (
  store: Store,
  type: number,
  payload: Uint8Array | undefined,
  what: string,
  image?: Uint8Array,
) => Promise<Frame>;
let storeLoad: (store: Store, module: Module) => Promise<number>;
let storeTrapError: (store: Store, payload: Uint8Array, where: string) => TrapError;
let instanceExport: (instance: Instance, name: string) => Promise<ExportRef>;
let storeChannel: (store: Store) => Channel;

const KIND_NAMES: Record<number, ExternType["kind"]> = {
  [ExternKind.FUNC]: "function",
  [ExternKind.TABLE]: "table",
  [ExternKind.MEMORY]: "memory",
  [ExternKind.GLOBAL]: "global",
};

/** Limits of a {@linkcode Store}'s instance process. */
export interface StoreOptions {
  /** Bytes of linear memory of all the store's memories together (default 8 GiB). */
  memoryLimit?: number;
  /** Seconds of CPU time before the process is ended (default: no limit). */
  cpuTimeLimit?: number;
  /**
   * At the CPU time limit, "kill" (default) ends the process; "suspend"
   * suspends the program running in it instead (ffi/program.ts), and the
   * process ends only if it cannot stop within a second more.
   */
  onCpuLimit?: "kill" | "suspend";
}

/**
 * An instance process with a runtime store: instances created in it can
 * import each other's exports. Close it to end the process.
 *
 * @example One process, two linked instances
 * ```ts
 * import { Store } from "../mod.ts";
 *
 * using store = await Store.create();
 * const spectest = await store.spectest();
 * console.log(await spectest.global("global_i32")); // 666
 * ```
 */
export class Store {
  /** Leak backstop: a store dropped without close() still ends its process. */
  static readonly #leaks = new FinalizationRegistry<Channel>((channel) => channel.close());
  readonly #channel: Channel;
  readonly #images = new Map<Module, Promise<number>>();
  readonly #modules = new Map<number, Module>();
  #spectest: Promise<Instance> | undefined;
  #closed = false;

  private constructor(channel: Channel) {
    this.#channel = channel;
    Store.#leaks.register(this, channel, this);
  }

  /**
   * Starts a new instance process, sandboxed (docs/sandbox.md), with its
   * limits: `memoryLimit` bytes of linear memory for all its memories
   * (default 8 GiB; `memory.grow` past it returns -1, instantiation fails),
   * `cpuTimeLimit` seconds of CPU time (default none; past it the process
   * ends and requests reject with a ProcessError "exceeded its CPU time
   * limit").
   */
  static async create(options: StoreOptions = {}): Promise<Store> {
    const executor = await getExecutor();
    const spawn: SpawnOptions = {};
    if (options.memoryLimit !== undefined) spawn.memoryLimit = options.memoryLimit;
    if (options.cpuTimeLimit !== undefined) spawn.cpuTimeLimit = options.cpuTimeLimit;
    if (options.onCpuLimit === "suspend") spawn.cpuSuspend = true;
    return new Store(await executor.spawn(spawn));
  }

  /** The instance process's id. */
  get pid(): number {
    return this.#channel.pid;
  }

  /** Whether the store was closed or its process ended. */
  get closed(): boolean {
    return this.#closed || this.#channel.endedWith !== undefined;
  }

  /**
   * The `spectest` host module of the spec testsuite as an instance of this
   * store (print functions, globals, a table and a memory).
   */
  spectest(): Promise<Instance> {
    this.#spectest ??= this.#request(Msg.SPECTEST, undefined, "add spectest").then((reply) =>
      new Instance(this, undefined, decodeIndex(expectOk(reply, "spectest").payload), false)
    );
    return this.#spectest;
  }

  /** Ends the instance process; its instances stop working. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Store.#leaks.unregister(this);
    this.#channel.close();
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  static {
    storeChannel = (store) => store.#channel;
    storeRequest = (store, ...args) => store.#request(...args);
    storeLoad = (store, module) => store.#load(module);
    storeTrapError = (store, payload, where) => store.#trapError(payload, where);
  }

  /** Sends a request to the process. */
  #request(
    type: number,
    payload: Uint8Array | undefined,
    what: string,
    image?: Uint8Array,
  ): Promise<Frame> {
    return this.#channel.request(type, payload, image ? { what, image } : { what });
  }

  /** The store index of a module's image, loading it once. */
  #load(module: Module): Promise<number> {
    let index = this.#images.get(module);
    if (index === undefined) {
      index = this.#request(Msg.LOAD, undefined, "load module", moduleImage(module)).then(
        (reply) => {
          const image = decodeIndex(expectOk(reply, "load").payload);
          this.#modules.set(image, module);
          return image;
        },
      );
      this.#images.set(module, index);
      index.catch(() => this.#images.delete(module));
    }
    return index;
  }

  /** Turns the payload of a TRAP reply into a TrapError. */
  #trapError(payload: Uint8Array, where: string): TrapError {
    const trap = decodeTrap(payload);
    const info = TRAP_INFO[trap.kind];
    const backtrace = trap.frames.map((raw): TrapFrame => {
      const frame: TrapFrame = { function: raw.func, offset: raw.offset };
      const module = this.#modules.get(raw.module);
      const name = module?.functionName(raw.func);
      if (name !== undefined) frame.name = name;
      if (module) frame.module = module.hash;
      return frame;
    });
    const message = info?.message ?? `unknown trap ${trap.kind}`;
    return new TrapError(`Trap in ${where}: ${message}`, {
      trap: info?.name ?? "NONE",
      backtrace,
      exitCode: trap.code,
    });
  }
}

interface ExportRef extends ExportReply {
  name: string;
}

/**
 * An instance of a module (or of a host module such as `spectest`) in a
 * {@linkcode Store}.
 */
export class Instance {
  /** The store (instance process) the instance lives in. */
  readonly store: Store;
  /** The module it instantiates; undefined for host modules. */
  readonly module: Module | undefined;
  readonly #index: number;
  readonly #ownsStore: boolean;
  readonly #exports = new Map<string, Promise<ExportRef>>();

  /** Internal: instances come from `Module.instantiate()` and `Store.spectest()`. */
  constructor(store: Store, module: Module | undefined, index: number, ownsStore: boolean) {
    this.store = store;
    this.module = module;
    this.#index = index;
    this.#ownsStore = ownsStore;
  }

  static {
    instanceExport = (instance, name) => instance.#export(name);
  }

  /** Looks up an export by name (cached). */
  #export(name: string): Promise<ExportRef> {
    let ref = this.#exports.get(name);
    if (ref === undefined) {
      ref = storeRequest(
        this.store,
        Msg.EXPORT,
        encodeExport(this.#index, name),
        `look up "${name}"`,
      )
        .then((reply) => ({ name, ...decodeExport(expectOk(reply, "export").payload) }));
      this.#exports.set(name, ref);
      ref.catch(() => this.#exports.delete(name));
    }
    return ref;
  }

  /**
   * Calls an exported function. Arguments follow its parameter types:
   * numbers for i32, f32 and f64, bigint for i64, references or null.
   * Resolves with the results (i32 signed, i64 as signed bigint).
   *
   * Throws TypeError or RangeError for bad arguments, TrapError when the
   * program traps, ProcessError when the instance process ends.
   *
   * @example Catch a trap and print its backtrace
   * ```ts
   * import { compile, TrapError } from "../mod.ts";
   *
   * // (module (func (export "boom") unreachable))
   * const bytes = new Uint8Array([
   *   0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 8, 1, 4, 98,
   *   111, 111, 109, 0, 0, 10, 5, 1, 3, 0, 0, 11,
   * ]);
   * using instance = await (await compile(bytes)).instantiate();
   * try {
   *   await instance.invoke("boom");
   * } catch (error) {
   *   if (!(error instanceof TrapError)) throw error;
   *   console.log(error.trap, error.backtrace[0]?.function); // UNREACHABLE 0
   * }
   * ```
   */
  async invoke(name: string, args: readonly Value[] = []): Promise<Value[]> {
    const func = await this.#function(name);
    const params = func.params!;
    if (args.length !== params.length) {
      throw new TypeError(
        `Cannot invoke "${name}": ${args.length} arguments, expected ${params.length}`,
      );
    }
    const raw = args.map((arg, i) => toRaw(arg, params[i]!, this.store));
    const results = await this.#call(func, raw);
    return results.map((value) => fromRaw(value, this.store));
  }

  /**
   * Calls an exported function with exact values (type plus bits), for
   * callers that must keep NaN payloads, such as the spec testsuite.
   */
  async invokeRaw(name: string, args: readonly RawValue[] = []): Promise<RawValue[]> {
    const func = await this.#function(name);
    const params = func.params!;
    if (args.length !== params.length || args.some((arg, i) => arg.type !== params[i])) {
      throw new TypeError(
        `Cannot invoke "${name}": arguments (${args.map((a) => a.type).join(", ")}), ` +
          `expected (${params.join(", ")})`,
      );
    }
    return await this.#call(func, args);
  }

  /** Reads an exported global. */
  async global(name: string): Promise<Value> {
    return fromRaw(await this.globalRaw(name), this.store);
  }

  /** Reads an exported global as an exact value. */
  async globalRaw(name: string): Promise<RawValue> {
    const ref = await this.#lookup(name, "read");
    if (ref.kind !== ExternKind.GLOBAL) {
      throw new TypeError(`Cannot read "${name}": it is a ${KIND_NAMES[ref.kind]}, not a global`);
    }
    const reply = await storeRequest(
      this.store,
      Msg.GLOBAL_GET,
      encodeGlobalGet(ref.addr),
      `read global "${name}"`,
    );
    return decodeValue(expectOk(reply, "global").payload);
  }

  /**
   * Ends the instance: if it has a store of its own (it was instantiated
   * without imports or store), its process ends; otherwise the store owns
   * it and this does nothing. Idempotent.
   */
  close(): void {
    if (this.#ownsStore) this.store.close();
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Looks up an export to use it (not to link it): a missing one is a TypeError. */
  async #lookup(name: string, use: string): Promise<ExportRef> {
    try {
      return await this.#export(name);
    } catch (error) {
      if (error instanceof LinkError) {
        throw new TypeError(`Cannot ${use} "${name}": no such export`, { cause: error });
      }
      throw error;
    }
  }

  async #function(name: string): Promise<ExportRef> {
    const ref = await this.#lookup(name, "invoke");
    if (ref.kind !== ExternKind.FUNC || ref.params === undefined) {
      throw new TypeError(
        `Cannot invoke "${name}": it is a ${KIND_NAMES[ref.kind]}, not a function`,
      );
    }
    return ref;
  }

  async #call(func: ExportRef, args: readonly RawValue[]): Promise<RawValue[]> {
    const reply = await storeRequest(
      this.store,
      Msg.INVOKE,
      encodeInvoke(func.addr, args),
      `invoke "${func.name}"`,
    );
    if (reply.type === Msg.TRAP) throw storeTrapError(this.store, reply.payload, `"${func.name}"`);
    const results = decodeValues(reply.payload);
    const expected = func.results!;
    if (results.length !== expected.length || results.some((r, i) => r.type !== expected[i])) {
      throw new ProtocolError(`Results of "${func.name}" do not match its type`);
    }
    return results;
  }
}

/** Implements `Module.instantiate()`. */
export async function instantiate(module: Module, options: InstantiateOptions): Promise<Instance> {
  const imports = options.imports ?? {};
  let store = options.store;
  for (const instance of Object.values(imports)) {
    store ??= instance.store;
    if (instance.store !== store) {
      throw new LinkError(
        "Cannot link module: its imports come from instances of different stores",
      );
    }
  }
  const owns = store === undefined;
  store ??= await Store.create();
  try {
    const externs: { kind: ExternKind; addr: number }[] = [];
    for (const imp of module.imports) {
      const from = Object.hasOwn(imports, imp.module) ? imports[imp.module] : undefined;
      const what = `"${imp.module}" "${imp.name}"`;
      if (from === undefined) throw new LinkError(`Cannot link import ${what}: unknown import`);
      let ref: ExportRef;
      try {
        ref = await instanceExport(from, imp.name);
      } catch (error) {
        if (error instanceof LinkError || error instanceof TypeError) {
          throw new LinkError(`Cannot link import ${what}: unknown import`, { cause: error });
        }
        throw error;
      }
      if (KIND_NAMES[ref.kind] !== imp.kind) {
        throw new LinkError(
          `Cannot link import ${what}: incompatible import type ` +
            `(a ${KIND_NAMES[ref.kind]}, expected a ${imp.kind})`,
        );
      }
      if (imp.kind === "function" && !sameSignature(imp.type, ref)) {
        throw new LinkError(
          `Cannot link import ${what}: incompatible import type ` +
            `(${signature(ref.params!, ref.results!)}, expected ` +
            `${signature(imp.type.params, imp.type.results)})`,
        );
      }
      externs.push({ kind: ref.kind, addr: ref.addr });
    }
    const image = await storeLoad(store, module);
    const reply = await storeRequest(
      store,
      Msg.INSTANTIATE,
      encodeInstantiate(image, externs),
      "instantiate module",
    );
    if (reply.type === Msg.TRAP) throw storeTrapError(store, reply.payload, "the start function");
    return new Instance(store, module, decodeIndex(reply.payload), owns);
  } catch (error) {
    if (owns) store.close();
    throw error;
  }
}

/**
 * Internal (ffi/program.ts): continues a program instantiated from a
 * snapshot (PROGRAM with RESUMED) from its stack, a `gate.stack` payload
 * that travels as a sealed memfd. Resolves with the outermost function's
 * results; rejects like Instance.invoke (TrapError, with SUSPENDED and EXIT
 * for the caller to tell apart).
 */
export async function resumeProgram(instance: Instance, stack: Uint8Array): Promise<Value[]> {
  const store = instance.store;
  const reply = await storeRequest(store, Msg.RESUME, undefined, "resume program", stack);
  if (reply.type === Msg.TRAP) throw storeTrapError(store, reply.payload, "the resumed program");
  return decodeValues(reply.payload).map((value) => fromRaw(value, store));
}

/** Internal (ffi/program.ts): the channel of a store's instance process. */
export function channelOf(store: Store): Channel {
  return storeChannel(store);
}

/**
 * Internal (ffi/program.ts): instantiates a module as a program, its
 * imports bound to the host modules `gate` and `wasi_snapshot_preview1`
 * inside the instance process; `config` makes the PROGRAM payload for the
 * module's image index.
 */
export async function instantiateProgram(
  store: Store,
  module: Module,
  config: (image: number) => Uint8Array,
): Promise<Instance> {
  const image = await storeLoad(store, module);
  const reply = await storeRequest(store, Msg.PROGRAM, config(image), "start program");
  if (reply.type === Msg.TRAP) throw storeTrapError(store, reply.payload, "the start function");
  return new Instance(store, module, decodeIndex(reply.payload), false);
}

function sameSignature(
  type: { params: ValueType[]; results: ValueType[] },
  ref: ExportReply,
): boolean {
  const same = (a: readonly string[], b: readonly string[] | undefined) =>
    b !== undefined && a.length === b.length && a.every((t, i) => t === b[i]);
  return same(type.params, ref.params) && same(type.results, ref.results);
}

function signature(params: readonly string[], results: readonly string[]): string {
  return `(${params.join(", ")}) -> (${results.join(", ")})`;
}

function expectOk(reply: Frame, what: string): Frame {
  if (reply.type !== Msg.OK) {
    throw new ProtocolError(`Unexpected reply 0x${reply.type.toString(16)} to ${what}`);
  }
  return reply;
}
