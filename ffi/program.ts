/**
 * Programs: a module instantiated with the host modules `gate` and
 * `wasi_snapshot_preview1` in a sandboxed instance process, its I/O wired
 * to the caller (stdio, the origin stream, services, preopened directories).
 * docs/abi.md describes what programs see; docs/api.md how to run them.
 *
 * @module
 */

import { encodeProgram, ProgramFlag, terminalFlags } from "./_program_protocol.ts";
import { type Channel } from "./_executor.ts";
import {
  channelOf,
  type Instance,
  instantiateProgram,
  resumeProgram,
  Store,
  type StoreOptions,
} from "./instance.ts";
import { compile, type Module, moduleBytes } from "./compile.ts";
import { TrapError } from "./errors.ts";
import { TRAP_INFO } from "./traps.gen.ts";
import { type Value } from "./values.ts";
import { closeFd, newSnapshot, openSnapshotParts } from "./snapshot.ts";
import { Msg, ProtocolError } from "./_protocol.ts";
import { emptyBuffers, encodeBuffers, type SnapshotBuffers } from "./_snapshot_wire.ts";
import { Filesystem, type Preopen } from "./_fs.ts";
import { Session } from "./_session.ts";
import { type Service } from "../services/service.ts";
import { type Origin } from "../services/stream.ts";

export type { Preopen };

/** How a program runs: its arguments, environment, I/O and limits. */
export interface ProgramOptions {
  /** argv[0] (default "program"). */
  name?: string;
  /** argv[1..]. */
  args?: readonly string[];
  /** Environment variables, after Gate's own GATE_* ones. */
  env?: Readonly<Record<string, string>>;
  /** The caller's byte stream: WASI stdin and stdout, and the `origin` service. */
  origin?: Origin;
  /** Instead of `origin`: stdin as bytes or a stream (none: end of input at once). */
  stdin?: ReadableStream<Uint8Array> | Uint8Array;
  /** Instead of `origin`: where stdout goes (none: discarded). */
  stdout?: WritableStream<Uint8Array>;
  /** Where the debug log (WASI stderr) goes; dropped without it. */
  debug?: WritableStream<Uint8Array>;
  /**
   * Which of stdin, stdout and stderr the program sees as a terminal
   * (`isatty()` holds: a character device). Default none: each is a pipe
   * (a socket stream, as node:wasi reports one), so programs that behave
   * differently on a terminal (prompts, colours, line buffering) do not.
   * `gate call` sets them from `Deno.stdin.isTerminal()` and so on.
   */
  terminal?: { stdin?: boolean; stdout?: boolean; stderr?: boolean };
  /** Host directories the program may use (docs/files.md); none by default. */
  dirs?: readonly Preopen[];
  /** Services programs discover by name (default: the built-ins). */
  services?: readonly Service[];
  /** Principal and instance ids the `identity` service tells. */
  principal?: string;
  instanceId?: string;
  /** Clock resolution in nanoseconds (default 1,000). */
  clockResolution?: number;
  /** Bytes of linear memory (default 8 GiB). */
  memoryLimit?: number;
  /** Seconds of CPU time (default none). */
  cpuTimeLimit?: number;
  /**
   * What happens at the CPU time limit: "kill" (default) ends the process
   * (ProcessError "exceeded its CPU time limit"); "suspend" suspends the
   * program instead, as {@linkcode Program.suspend} does, so the run
   * resolves with `suspended: true` and a snapshot can continue it.
   */
  onCpuLimit?: "kill" | "suspend";
}

/** How a run ended without a trap. */
export interface ProgramResult {
  /** proc_exit's code, or 0 when the function returned. */
  exitCode: number;
  /** The function's results (empty for `_start`, after proc_exit, or when suspended). */
  results: Value[];
  /**
   * The program stopped because it was suspended ({@linkcode Program.suspend},
   * or the CPU limit with `onCpuLimit: "suspend"`): exitCode is 0 and results
   * empty; {@linkcode Program.snapshot} makes a snapshot that continues it.
   */
  suspended: boolean;
}

/**
 * The reserved `gate.buffer` service entry that holds the program's argv and
 * environment (JSON: `{ "args": [argv0, ...], "env": ["K=V", ...] }`). They
 * are not in its memory until it has asked for them (a program suspended
 * before `args_get` asks after it resumes), so a restored program gets them
 * again from here (docs/snapshot.md, "Not in the snapshot").
 */
const COMMAND_LINE_ENTRY = "gate.command-line";

/** A program's argv (argv[0] included) and "KEY=VALUE" environment. */
interface CommandLine {
  args: string[];
  env: string[];
}

/** How the last run of a program ended, for snapshot(). */
type Outcome = "none" | "running" | "suspended" | "ended";

/**
 * A program in its own instance process. Start it, run an export (by
 * default `_start`), then close it.
 *
 * @example Run a WASI command with stdin and capture stdout
 * ```ts ignore
 * import { compile, Program } from "../mod.ts";
 *
 * const module = await compile(await Deno.readFile("hello.wasm"));
 * const out: Uint8Array[] = [];
 * await using program = await Program.start(module, {
 *   stdout: new WritableStream({ write: (chunk) => void out.push(chunk) }),
 * });
 * const { exitCode } = await program.run();
 * ```
 */
export class Program implements AsyncDisposable {
  readonly #store: Store;
  readonly #channel: Channel;
  readonly #session: Session;
  /** What snapshots are built from: the module's bytes, or the snapshot it was restored from. */
  readonly #source: Uint8Array;
  #instance: Instance | undefined;
  /** The gate.stack payload of the snapshot this program was restored from, until resumed. */
  #stack: Uint8Array | undefined;
  #outcome: Outcome = "none";
  readonly #commandLine: CommandLine;

  private constructor(
    store: Store,
    channel: Channel,
    session: Session,
    source: Uint8Array,
    commandLine: CommandLine,
  ) {
    this.#store = store;
    this.#channel = channel;
    this.#session = session;
    this.#source = source;
    this.#commandLine = commandLine;
  }

  /** Starts an instance process and instantiates the module in it as a program. */
  static start(module: Module, options: ProgramOptions = {}): Promise<Program> {
    return Program.#open(module, options, undefined);
  }

  /**
   * Starts a suspended program again from a snapshot (made by
   * {@linkcode Program.snapshot}) in a new instance process; then
   * {@linkcode Program.resume} continues it. The snapshot holds memory,
   * globals, tables, the stack, the monotonic clock and unread input;
   * `options` wire its I/O again as for {@linkcode Program.start}:
   * preopened directories must be given again; the arguments and environment
   * come from the snapshot (`name`, `args` and `env` are ignored).
   *
   * Rejects with CompileError when the bytes are not a valid snapshot (the
   * message names the problem: a truncated file, a stack that does not
   * match the code), and with an Error when the snapshot is final (the
   * program had exited or trapped).
   *
   * @example Suspend a program, then continue it in another process
   * ```ts ignore
   * import { compile, Program } from "../mod.ts";
   *
   * const module = await compile(await Deno.readFile("counter.wasm"));
   * let snapshot: Uint8Array;
   * {
   *   await using program = await Program.start(module, { stdout: Deno.stdout.writable });
   *   setTimeout(() => program.suspend(), 1500);
   *   const { suspended } = await program.run();
   *   snapshot = await program.snapshot(); // resumable when suspended, else final
   * }
   * await using resumed = await Program.restore(snapshot, { stdout: Deno.stdout.writable });
   * const { exitCode } = await resumed.resume();
   * ```
   */
  static async restore(snapshot: Uint8Array, options: ProgramOptions = {}): Promise<Program> {
    snapshot = snapshot.slice(); // new snapshots of the program are built from it
    const { opened, program: code, memoryFd } = await openSnapshotParts(snapshot);
    try {
      if (opened.final) {
        throw new Error(`Cannot restore snapshot: it is final: ${finalOutcome(opened)}`);
      }
      const module = await compileProgramModule(code);
      const program = await Program.#open(module, options, {
        snapshot,
        monotonic: opened.monotonic,
        buffers: opened.buffers,
      });
      try {
        if (memoryFd >= 0) await program.#restoreMemory(memoryFd);
      } catch (error) {
        await program.close();
        throw error;
      }
      if (opened.stack.length > 0) program.#stack = opened.stack;
      return program;
    } finally {
      closeFd(memoryFd);
    }
  }

  /** Sends a snapshot's memory (a sealed memfd of runs) before the program resumes. */
  async #restoreMemory(fd: number): Promise<void> {
    const reply = await this.#session.guard(
      this.#channel.request(Msg.RESTORE, undefined, { fd, what: "restore the program's memory" }),
    );
    if (reply.type !== Msg.OK) {
      throw new ProtocolError(`Unexpected reply 0x${reply.type.toString(16)} to RESTORE`);
    }
  }

  static async #open(
    module: Module,
    options: ProgramOptions,
    restored: { snapshot: Uint8Array; monotonic: bigint; buffers: SnapshotBuffers } | undefined,
  ): Promise<Program> {
    const storeOptions: StoreOptions = {};
    if (options.memoryLimit !== undefined) storeOptions.memoryLimit = options.memoryLimit;
    if (options.cpuTimeLimit !== undefined) storeOptions.cpuTimeLimit = options.cpuTimeLimit;
    if (options.onCpuLimit === "suspend") storeOptions.onCpuLimit = "suspend";
    else if (options.onCpuLimit !== undefined && options.onCpuLimit !== "kill") {
      throw new TypeError(
        `Invalid onCpuLimit "${options.onCpuLimit}": expected "kill" or "suspend"`,
      );
    }
    const fs = options.dirs?.length ? Filesystem.open(options.dirs) : undefined;
    let store: Store | undefined;
    try {
      store = await Store.create(storeOptions);
      const channel = channelOf(store);
      const session = new Session(channel, options, fs, restored?.buffers);
      const commandLine = restored ? savedCommandLine(restored.buffers) : {
        args: [options.name ?? "program", ...(options.args ?? [])],
        env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
      };
      const source = restored?.snapshot ?? moduleBytes(module);
      const program = new Program(store, channel, session, source, commandLine);
      const flags = (options.debug ? ProgramFlag.DEBUG : 0) | (fs ? ProgramFlag.FS : 0) |
        terminalFlags(options.terminal) | (restored ? ProgramFlag.RESUMED : 0);
      program.#instance = await session.guard(
        instantiateProgram(store, module, (image) =>
          encodeProgram(image, {
            flags,
            preopens: options.dirs?.length ?? 0,
            resolution: BigInt(options.clockResolution ?? 1000),
            monotonic: restored?.monotonic ?? 0n,
            seed: crypto.getRandomValues(new Uint8Array(32)),
            args: commandLine.args,
            env: commandLine.env,
          })),
      );
      return program;
    } catch (error) {
      store?.close();
      fs?.close();
      throw error;
    }
  }

  /** The program's instance (its exports). */
  get instance(): Instance {
    return this.#instance!;
  }

  /** The instance process's id. */
  get pid(): number {
    return this.#store.pid;
  }

  /**
   * Runs an exported function (default `_start`) with its I/O wired.
   * Resolves with the exit code (proc_exit's, else 0) and results once the
   * program's output has been handed on. Rejects with TrapError on a trap
   * (trap "ABI_VIOLATION" when the program broke the packet protocol), and
   * with ProcessError when the process ended: killed, out of CPU time, or
   * killed by Gate because its I/O failed on this side (a stdout that
   * cannot be written, say), with that error as the `cause`.
   */
  run(name = "_start", args: readonly Value[] = []): Promise<ProgramResult> {
    return this.#run(() => this.instance.invoke(name, args));
  }

  /**
   * Continues a program restored from a snapshot ({@linkcode Program.restore})
   * where it was suspended. Resolves and rejects like {@linkcode Program.run}:
   * the results are those of the function the suspended run had called.
   * Once only; throws if the program was not restored from a snapshot.
   */
  resume(): Promise<ProgramResult> {
    const stack = this.#stack;
    if (stack === undefined) {
      return Promise.reject(
        new Error(
          "Cannot resume program: it has no suspended stack (it was not restored from a " +
            "snapshot of a suspended run, or it was resumed already)",
        ),
      );
    }
    this.#stack = undefined;
    return this.#run(() => resumeProgram(this.instance, stack));
  }

  /**
   * Asks the program to stop at its next safepoint: a run in progress (or the
   * next one, when none runs) resolves with `suspended: true`, its output
   * handed on. A program waiting in a host function (input, a clock, output
   * credit) stops too, and repeats that call when resumed. Then
   * {@linkcode Program.snapshot} saves it. Does nothing once the process ended.
   */
  suspend(): void {
    this.#channel.suspend();
  }

  /**
   * Makes a snapshot of the program after a run ended: a valid WebAssembly
   * module that holds its memory, globals, tables and clock, and, when the
   * run was suspended, its stack, the input read for it and not consumed,
   * and its services' state, so that {@linkcode Program.restore} continues
   * it. After an exit or a trap the snapshot is final: it records the end and
   * cannot be restored. Once a resumable snapshot is made, the program's
   * services are stopped: close the program.
   *
   * A program suspended while it waited for stdin may have a read of the
   * origin in progress. Its bytes belong in the snapshot, so by default this
   * waits for that read to end. `inputTimeout` (ms) bounds the wait, for a
   * caller about to exit (`gate call` on Ctrl-\ while a terminal is idle):
   * a read that ends later is not in this snapshot, and its bytes are kept
   * for the next one.
   *
   * Throws when a run is in progress (suspend it and await the run first);
   * ProcessError when the process has ended.
   */
  async snapshot(options: { inputTimeout?: number } = {}): Promise<Uint8Array> {
    if (this.#outcome === "running") {
      throw new Error("Cannot snapshot program: a run is in progress; suspend() it and await it");
    }
    const state = await this.#session.state();
    let buffers = emptyBuffers();
    try {
      if (this.#outcome === "suspended") {
        buffers = await this.#session.buffers(options.inputTimeout);
        const json = JSON.stringify(this.#commandLine);
        buffers.services.push({ name: COMMAND_LINE_ENTRY, state: new TextEncoder().encode(json) });
      }
    } catch (error) {
      closeFd(state.fd);
      throw error;
    }
    return await newSnapshot(this.#source, state, encodeBuffers(buffers));
  }

  async #run(call: () => Promise<Value[]>): Promise<ProgramResult> {
    if (this.#outcome === "running") {
      throw new Error("Cannot run program: a run is in progress");
    }
    this.#outcome = "running";
    let result: ProgramResult;
    try {
      result = await this.#invoke(call);
    } finally {
      this.#outcome = "ended";
      await this.#session.drain();
    }
    if (result.suspended) {
      this.#outcome = "suspended";
      this.#session.freeze();
    }
    // Output written before the program ended may still have failed.
    const failure = this.#session.failure();
    if (failure !== undefined) throw failure;
    return result;
  }

  async #invoke(call: () => Promise<Value[]>): Promise<ProgramResult> {
    try {
      const results = await this.#session.guard(call());
      return { exitCode: 0, results, suspended: false };
    } catch (error) {
      if (error instanceof TrapError && error.trap === "EXIT") {
        return { exitCode: error.exitCode, results: [], suspended: false };
      }
      if (error instanceof TrapError && error.trap === "SUSPENDED") {
        return { exitCode: 0, results: [], suspended: true };
      }
      throw error;
    }
  }

  /**
   * Kills the instance process; a run in progress rejects at once, without
   * waiting for output the caller's streams have not taken yet.
   */
  kill(): void {
    this.#session.stop();
    this.#channel.kill();
  }

  /** Ends the instance process and releases everything. Idempotent. */
  async close(): Promise<void> {
    this.#session.stop();
    this.#store.close();
    await this.#session.close();
  }

  /** Same as close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Runs a module's `_start` (or `options.function`) as a program and closes
 * it: the one-call way to run a WASI command.
 */
export async function runProgram(
  module: Module,
  options: ProgramOptions & { function?: string; arguments?: readonly Value[] } = {},
): Promise<ProgramResult> {
  await using program = await Program.start(module, options);
  return await program.run(options.function, options.arguments);
}

/** The default of Limits.moduleSize (native/wasm/module.c). */
const DEFAULT_MODULE_SIZE = 64 * 1024 * 1024;

/**
 * Compiles a snapshot's program module (openSnapshotParts()), restore's
 * second step. It is the snapshot without its memory, which goes into
 * linear memory with RESTORE (docs/snapshot.md, "Restoring"). Its globals
 * are the snapshot's, so caching it would fill the cache with one image per
 * snapshot: it is compiled each time.
 */
export async function compileProgramModule(code: Uint8Array): Promise<Module> {
  return await compile(code, {
    cache: false,
    limits: { moduleSize: Math.max(DEFAULT_MODULE_SIZE, code.length) },
  });
}

/** The command line a snapshot saved (COMMAND_LINE_ENTRY); throws if malformed. */
function savedCommandLine(buffers: SnapshotBuffers): CommandLine {
  const entry = buffers.services.find((s) => s.name === COMMAND_LINE_ENTRY);
  if (entry === undefined) return { args: ["program"], env: [] };
  let saved: unknown;
  try {
    saved = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(entry.state));
  } catch (cause) {
    throw new SyntaxError(`Cannot restore snapshot: its "${COMMAND_LINE_ENTRY}" is malformed`, {
      cause,
    });
  }
  const strings = (list: unknown): list is string[] =>
    Array.isArray(list) && list.every((s) => typeof s === "string");
  const { args, env } = (saved ?? {}) as { args?: unknown; env?: unknown };
  if (!strings(args) || args.length === 0 || !strings(env)) {
    throw new SyntaxError(`Cannot restore snapshot: its "${COMMAND_LINE_ENTRY}" is malformed`);
  }
  return { args, env };
}

/** How a final snapshot ended, for the error that refuses to restore it. */
function finalOutcome(opened: { trap: number; result: number }): string {
  const trap = TRAP_INFO[opened.trap];
  if (trap?.name === "EXIT") return `the program exited with code ${opened.result}`;
  if (trap === undefined || trap.name === "NONE") return "the program returned";
  return `the program trapped: ${trap.message}`;
}
