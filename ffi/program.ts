/**
 * Programs: a module instantiated with the host modules `gate` and
 * `wasi_snapshot_preview1` in a sandboxed instance process, its I/O wired
 * to the caller (stdio, the origin stream, services, preopened directories).
 * docs/abi.md describes what programs see; docs/api.md how to run them.
 *
 * @module
 */

import { Msg } from "./_protocol.ts";
import { type Frame } from "./_protocol.ts";
import {
  decodePull,
  decodeStreamData,
  encodeAck,
  encodeProgram,
  encodeStreamData,
  ProgramFlag,
  Stream,
  terminalFlags,
} from "./_program_protocol.ts";
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
import { ProcessError, type ProcessExit, TrapError } from "./errors.ts";
import { TRAP_INFO } from "./traps.gen.ts";
import { type Value } from "./values.ts";
import { newSnapshot, openSnapshot } from "./snapshot.ts";
import {
  emptyBuffers,
  encodeBuffers,
  type ServiceState,
  type SnapshotBuffers,
} from "./_snapshot_wire.ts";
import { ProtocolError, Reader } from "./_protocol.ts";
import { Filesystem, type Preopen } from "./_fs.ts";
import { PacketHost } from "../services/host.ts";
import { defaultServices } from "../services/mod.ts";
import { type Service } from "../services/service.ts";
import { bufferOrigin, type Origin, originFromStreams } from "../services/stream.ts";

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
 * The reserved `gate.buffer` service entry that holds the packet host's
 * state (services/host.ts: discovered services, their sessions, partial
 * packets both ways). One opaque entry, because the packet host restores
 * itself as a whole; per-service entries would lose the partial packets and
 * the discovery flags.
 */
const PACKET_HOST_ENTRY = "gate.packets";

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
  readonly #module: Module;
  #instance: Instance | undefined;
  /** The gate.stack payload of the snapshot this program was restored from, until resumed. */
  #stack: Uint8Array | undefined;
  #outcome: Outcome = "none";
  readonly #commandLine: CommandLine;

  private constructor(
    store: Store,
    channel: Channel,
    session: Session,
    module: Module,
    commandLine: CommandLine,
  ) {
    this.#store = store;
    this.#channel = channel;
    this.#session = session;
    this.#module = module;
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
    const opened = await openSnapshot(snapshot);
    if (opened.final) {
      throw new Error(`Cannot restore snapshot: it is final: ${finalOutcome(opened)}`);
    }
    // A snapshot is a valid module. Its memory is in data segments, so it may
    // be larger than modules usually are (the codec allows up to 4 GiB), and
    // it is not worth caching: each one is compiled once.
    const module = await compile(snapshot, {
      cache: false,
      limits: { moduleSize: Math.max(DEFAULT_MODULE_SIZE, snapshot.length) },
    });
    const program = await Program.#open(module, options, {
      monotonic: opened.monotonic,
      buffers: opened.buffers,
    });
    if (opened.stack.length > 0) program.#stack = opened.stack;
    return program;
  }

  static async #open(
    module: Module,
    options: ProgramOptions,
    restored: { monotonic: bigint; buffers: SnapshotBuffers } | undefined,
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
      const program = new Program(store, channel, session, module, commandLine);
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
   * Throws when a run is in progress (suspend it and await the run first);
   * ProcessError when the process has ended.
   */
  async snapshot(): Promise<Uint8Array> {
    if (this.#outcome === "running") {
      throw new Error("Cannot snapshot program: a run is in progress; suspend() it and await it");
    }
    const state = await this.#session.state();
    let buffers = emptyBuffers();
    if (this.#outcome === "suspended") {
      buffers = await this.#session.buffers();
      const json = JSON.stringify(this.#commandLine);
      buffers.services.push({ name: COMMAND_LINE_ENTRY, state: new TextEncoder().encode(json) });
    }
    return await newSnapshot(moduleBytes(this.#module), state, encodeBuffers(buffers));
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

/** The Deno side of a running program's I/O: answers its OUTPUT, PULL and FS frames. */
class Session {
  readonly #channel: Channel;
  readonly #origin: Origin;
  readonly #debug: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #packets: PacketHost;
  readonly #fs: Filesystem | undefined;
  /** Per-stream chains, so writes and reads stay in order. */
  readonly #out: Promise<void>[] = [Promise.resolve(), Promise.resolve(), Promise.resolve()];
  /** Output writes started and not finished, all streams together. */
  #writing = 0;
  /** Resolves on stop(): the program is being killed, nobody waits for its output. */
  readonly #stopped: Promise<void>;
  #stop: () => void = () => {};
  readonly #in: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  /** Input read beyond a PULL's count, per stream. */
  readonly #leftover: (Uint8Array | null)[] = [null, null];
  #stdinEnded = false;
  /**
   * The program was suspended: input that arrives for its outstanding pulls
   * is kept (leftover) for the snapshot instead of being sent.
   */
  #frozen = false;
  /** STATE_DATA frames of a STATE request in progress. */
  #stateChunks: Uint8Array[] | undefined;
  /** The program broke a rule: it was killed, and its run traps ABI_VIOLATION. */
  #violation: TrapError | undefined;
  /** The program's I/O failed on this side: it was killed, through no fault of its own. */
  #failure: { what: string; cause: unknown } | undefined;

  constructor(
    channel: Channel,
    options: ProgramOptions,
    fs: Filesystem | undefined,
    restored?: SnapshotBuffers,
  ) {
    this.#channel = channel;
    this.#fs = fs;
    this.#origin = options.origin ?? originOf(options);
    this.#debug = options.debug?.getWriter();
    const hostOptions: ConstructorParameters<typeof PacketHost>[0] = {
      services: options.services ?? defaultServices(),
      origin: this.#origin,
      onViolation: (message) => this.#violate(message),
    };
    if (options.principal !== undefined) hostOptions.principal = options.principal;
    if (options.instanceId !== undefined) hostOptions.instance = options.instanceId;
    const packets = restored?.services.find((s) => s.name === PACKET_HOST_ENTRY);
    if (packets !== undefined) hostOptions.state = packets.state;
    this.#packets = new PacketHost(hostOptions);
    if (restored !== undefined && restored.input.length > 0) {
      this.#leftover[Stream.STDIO] = restored.input;
    }
    if (restored !== undefined && restored.output.length > 0) {
      // Output the program wrote before its snapshot and nobody took: first.
      const output = restored.output;
      this.#out[Stream.STDIO] = this.#origin.write(output).catch((error) =>
        this.#fail(OUTPUT_NAMES[Stream.STDIO]!, error)
      );
    }
    channel.onFrame = (frame) => this.#onFrame(frame);
    this.#stopped = new Promise((resolve) => this.#stop = resolve);
  }

  /** The program was suspended: keep input that arrives for it (see #frozen). */
  freeze(): void {
    this.#frozen = true;
  }

  /**
   * Asks the instance for its state (STATE): the STATE_DATA frames'
   * bytes, which the OK reply counts.
   */
  async state(): Promise<Uint8Array> {
    if (this.#stateChunks !== undefined) throw new Error("Cannot read state twice at once");
    const chunks: Uint8Array[] = [];
    this.#stateChunks = chunks;
    let total: bigint;
    try {
      const reply = await this.guard(
        this.#channel.request(Msg.STATE, undefined, { what: "read the program's state" }),
      );
      if (reply.type !== Msg.OK) {
        throw new ProtocolError(`Unexpected reply 0x${reply.type.toString(16)} to STATE`);
      }
      const r = new Reader(reply.payload);
      total = r.u64();
      r.end("State reply");
    } finally {
      this.#stateChunks = undefined;
    }
    const size = chunks.reduce((n, c) => n + c.length, 0);
    if (BigInt(size) !== total) {
      throw new ProtocolError(`State of ${size} bytes received, the instance sent ${total}`);
    }
    const state = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      state.set(chunk, at);
      at += chunk.length;
    }
    return state;
  }

  /**
   * What a resumable snapshot keeps of this side: stdin read for the program
   * and not consumed, and the packet host's state (which stops its services).
   * Waits for input reads already answered to settle.
   */
  async buffers(): Promise<SnapshotBuffers> {
    // A stdin read started for the program's last PULL may still be pending:
    // what it returns was taken from the origin for the program, so it goes
    // into the snapshot (the session is frozen: kept, not sent) and must not
    // be lost. Until the origin answers (data or end), this waits.
    await this.#in[Stream.STDIO];
    this.#packetState ??= this.#packets.suspend();
    const packets = await this.#packetState;
    const services: ServiceState[] = [];
    if (!sameBytes(packets, await emptyPacketState())) {
      services.push({ name: PACKET_HOST_ENTRY, state: packets });
    }
    return {
      input: this.#leftover[Stream.STDIO] ?? new Uint8Array(0),
      output: new Uint8Array(0), // run() handed all output on before it resolved
      services,
    };
  }

  #packetState: Promise<Uint8Array> | undefined;

  /**
   * Turns the end of a request caused by a kill of this session into its
   * error: the TrapError of a violation, the ProcessError of an I/O failure.
   */
  async guard<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (!(error instanceof ProcessError)) throw error;
      throw this.#violation ?? this.failure(error.exit) ?? error;
    }
  }

  /**
   * Waits for output already received to be handed on (or to have failed),
   * or for stop(): a stream that stopped taking output cannot hold up a kill.
   */
  async drain(): Promise<void> {
    await Promise.race([Promise.all(this.#out), this.#stopped]);
  }

  /** The program is being killed or closed: drain() waits no more. Idempotent. */
  stop(): void {
    this.#stop();
  }

  /** The error of an I/O failure that killed the program, if one did. */
  failure(exit?: ProcessExit): ProcessError | undefined {
    if (this.#failure === undefined) return undefined;
    const { what, cause } = this.#failure;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const pid = this.#channel.pid ? ` ${this.#channel.pid}` : "";
    return new ProcessError(`Instance process${pid} was killed: ${what} failed: ${reason}`, exit, {
      cause,
    });
  }

  async close(): Promise<void> {
    this.stop();
    this.#channel.onFrame = undefined;
    await this.#packets.close();
    if (this.#debug) {
      // Closing waits for pending writes: only when there are none, so that
      // a debug stream that stopped taking output cannot hang close().
      const closing = this.#debug.close().catch(() => {});
      if (this.#writing === 0) await closing;
    }
    this.#fs?.close();
  }

  #violate(message: string): void {
    this.stop();
    if (this.#failure === undefined) {
      this.#violation ??= new TrapError(`Trap in the program: ABI violation: ${message}`, {
        trap: "ABI_VIOLATION",
      });
    }
    this.#channel.kill();
  }

  /** Kills the program because its I/O failed here: what (failed) and why. */
  #fail(what: string, cause: unknown): void {
    this.stop();
    if (this.#violation === undefined) this.#failure ??= { what, cause };
    this.#channel.kill();
  }

  #onFrame(frame: Frame): void {
    try {
      if (frame.type === Msg.STATE_DATA) {
        if (this.#stateChunks === undefined) throw new RangeError("STATE_DATA without STATE");
        this.#stateChunks.push(frame.payload);
      } else if (frame.type === Msg.OUTPUT) this.#output(frame.payload);
      else if (frame.type === Msg.PULL) this.#pull(frame.payload);
      else this.#fsCall(frame.payload);
    } catch (error) {
      this.#violate(`malformed frame from the instance: ${(error as Error).message}`);
    }
  }

  #output(payload: Uint8Array): void {
    const { stream, data } = decodeStreamData(payload);
    if (stream > Stream.DEBUG || data.length === 0) throw new RangeError(`bad OUTPUT stream`);
    const bytes = data.slice(); // the poll buffer is reused
    const handOn = stream === Stream.PACKETS
      ? () => this.#packets.write(bytes)
      : stream === Stream.STDIO
      ? () => this.#origin.write(bytes)
      : () => this.#debug?.write(bytes) ?? Promise.resolve();
    // After a failure the program is being killed: its later output goes nowhere.
    const write = async () => {
      if (this.#failure) return;
      this.#writing++;
      try {
        await handOn();
      } finally {
        this.#writing--;
      }
    };
    this.#out[stream] = this.#out[stream]!.then(write).then(
      () => void this.#channel.post(Msg.ACK, encodeAck(bytes.length)),
      (error) => this.#fail(OUTPUT_NAMES[stream]!, error),
    );
  }

  #pull(payload: Uint8Array): void {
    const { stream, max } = decodePull(payload);
    if (stream !== Stream.PACKETS && stream !== Stream.STDIO) throw new RangeError("bad PULL");
    this.#in[stream] = this.#in[stream]!.then(async () => {
      let data = this.#leftover[stream] ?? null;
      this.#leftover[stream] = null;
      if (data === null) {
        if (stream === Stream.PACKETS) data = await this.#packets.read(max);
        else if (this.#stdinEnded) data = new Uint8Array(0);
        else {
          data = await this.#origin.read(max) ?? new Uint8Array(0);
          if (data.length === 0) this.#stdinEnded = true;
        }
      }
      if (this.#frozen) {
        // Suspended while it waited: stdin bytes go into the snapshot
        // instead. (Packets read now are lost: see docs/api.md.)
        if (stream === Stream.STDIO && data.length > 0) this.#leftover[stream] = data;
        return;
      }
      if (data.length > max) {
        this.#leftover[stream] = data.subarray(max);
        data = data.subarray(0, max);
      }
      this.#channel.post(Msg.INPUT, encodeStreamData(stream, data));
    }).catch((error) => this.#fail(INPUT_NAMES[stream]!, error));
  }

  #fsCall(payload: Uint8Array): void {
    if (this.#fs === undefined) throw new RangeError("FS frame without preopened directories");
    this.#channel.post(Msg.FS_REPLY, this.#fs.call(payload));
  }
}

/** What failed, by stream, when handing on output or fetching input fails. */
const OUTPUT_NAMES = [
  "handing the program's packets to its services",
  "writing the program's stdout",
  "writing the program's debug log",
];
const INPUT_NAMES = ["reading packets for the program", "reading the program's stdin"];

let emptyPacketStateOnce: Promise<Uint8Array> | undefined;

/** The state of a packet host that saw no packets: nothing worth a buffer entry. */
function emptyPacketState(): Promise<Uint8Array> {
  emptyPacketStateOnce ??= new PacketHost({ services: [], onViolation: () => {} }).suspend();
  return emptyPacketStateOnce;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function originOf(options: ProgramOptions): Origin {
  const stdin = options.stdin;
  if (stdin instanceof Uint8Array || stdin === undefined) {
    const origin = bufferOrigin(stdin ?? new Uint8Array(0));
    if (options.stdout === undefined) return origin;
    const writer = options.stdout.getWriter();
    return { read: (max) => origin.read(max), write: (bytes) => writer.write(bytes) };
  }
  return originFromStreams(stdin, options.stdout ?? null);
}
