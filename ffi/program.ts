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
import { channelOf, type Instance, instantiateProgram, Store } from "./instance.ts";
import { type Module } from "./compile.ts";
import { ProcessError, type ProcessExit, TrapError } from "./errors.ts";
import { type Value } from "./values.ts";
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
}

/** How a run ended without a trap. */
export interface ProgramResult {
  /** proc_exit's code, or 0 when the function returned. */
  exitCode: number;
  /** The function's results (empty for `_start` or after proc_exit). */
  results: Value[];
}

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
  #instance: Instance | undefined;

  private constructor(store: Store, channel: Channel, session: Session) {
    this.#store = store;
    this.#channel = channel;
    this.#session = session;
  }

  /** Starts an instance process and instantiates the module in it as a program. */
  static async start(module: Module, options: ProgramOptions = {}): Promise<Program> {
    const storeOptions: { memoryLimit?: number; cpuTimeLimit?: number } = {};
    if (options.memoryLimit !== undefined) storeOptions.memoryLimit = options.memoryLimit;
    if (options.cpuTimeLimit !== undefined) storeOptions.cpuTimeLimit = options.cpuTimeLimit;
    const fs = options.dirs?.length ? Filesystem.open(options.dirs) : undefined;
    let store: Store | undefined;
    try {
      store = await Store.create(storeOptions);
      const channel = channelOf(store);
      const session = new Session(channel, options, fs);
      const program = new Program(store, channel, session);
      const flags = (options.debug ? ProgramFlag.DEBUG : 0) | (fs ? ProgramFlag.FS : 0) |
        terminalFlags(options.terminal);
      const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
      program.#instance = await session.guard(
        instantiateProgram(store, module, (image) =>
          encodeProgram(image, {
            flags,
            preopens: options.dirs?.length ?? 0,
            resolution: BigInt(options.clockResolution ?? 1000),
            monotonic: 0n,
            seed: crypto.getRandomValues(new Uint8Array(32)),
            args: [options.name ?? "program", ...(options.args ?? [])],
            env,
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
  async run(name = "_start", args: readonly Value[] = []): Promise<ProgramResult> {
    let result: ProgramResult;
    try {
      result = await this.#invoke(name, args);
    } finally {
      await this.#session.drain();
    }
    // Output written before the program ended may still have failed.
    const failure = this.#session.failure();
    if (failure !== undefined) throw failure;
    return result;
  }

  async #invoke(name: string, args: readonly Value[]): Promise<ProgramResult> {
    try {
      const results = await this.#session.guard(this.instance.invoke(name, args));
      return { exitCode: 0, results };
    } catch (error) {
      if (error instanceof TrapError && error.trap === "EXIT") {
        return { exitCode: error.exitCode, results: [] };
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
  /** The program broke a rule: it was killed, and its run traps ABI_VIOLATION. */
  #violation: TrapError | undefined;
  /** The program's I/O failed on this side: it was killed, through no fault of its own. */
  #failure: { what: string; cause: unknown } | undefined;

  constructor(channel: Channel, options: ProgramOptions, fs: Filesystem | undefined) {
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
    this.#packets = new PacketHost(hostOptions);
    channel.onFrame = (frame) => this.#onFrame(frame);
    this.#stopped = new Promise((resolve) => this.#stop = resolve);
  }

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
      if (frame.type === Msg.OUTPUT) this.#output(frame.payload);
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
