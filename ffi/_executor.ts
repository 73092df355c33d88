/**
 * The executor client: starts gate-executor through libgate, sends frames,
 * and runs the one outstanding nonblocking poll that brings replies and
 * exits back (docs/protocol.md).
 *
 * One executor serves the whole Deno process ({@linkcode getExecutor}); it
 * is started on first use and again after it was lost. The poll runs only
 * while a request waits for its reply, so an idle Gate keeps no operation
 * pending and never holds the event loop open.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { lib, libraryPath } from "./_library.ts";
import {
  decodeError,
  decodeExit,
  decodeFrames,
  decodeIndex,
  encodeFrame,
  encodeSpawn,
  ExitHow,
  type Frame,
  FRAME_FD,
  Msg,
  ProtocolError,
  type SpawnOptions,
} from "./_protocol.ts";
import { envGet } from "./_env.ts";
import { errorBuffer, errorFromStatus, ProcessError, readMessage } from "./errors.ts";
import { Status } from "./errors.gen.ts";

/** Bytes of the poll buffer: many small frames or four of the largest. */
const POLL_BUFFER = 256 * 1024;

/** A poll returns after this long without events, so the loop can end. */
const POLL_TIMEOUT_MS = 1000;

interface Pending {
  instance: number;
  what: string;
  resolve(frame: Frame): void;
  reject(error: Error): void;
}

/** Options of {@linkcode Channel.request}. */
export interface RequestOptions {
  /** An image to pass as a sealed memfd with the frame (sets FRAME_FD). */
  image?: Uint8Array;
  /** Instead of an image: a descriptor to pass with the frame, which the caller keeps (STATE). */
  fd?: number;
  /** What the request does, for error messages ("invoke \"add\""). */
  what?: string;
}

/** Returns the path of gate-executor: GATE_EXECUTOR, else beside libgate. */
export function executorPath(): string {
  return envGet("GATE_EXECUTOR") ?? join(dirname(libraryPath()), "gate-executor");
}

let current: Promise<Executor> | undefined;

/** Executors being freed after they were lost; closeExecutor() awaits them. */
const retiring = new Set<Promise<void>>();

/**
 * Returns the process-wide executor, starting it on first use or after the
 * previous one was lost.
 */
export function getExecutor(): Promise<Executor> {
  if (current === undefined) {
    current = Executor.start(executorPath());
    current.catch(() => current = undefined);
  }
  return current.then((executor) => {
    if (!executor.alive) {
      current = undefined;
      return getExecutor();
    }
    return executor;
  });
}

/** Stops the process-wide executor, if one runs; instances in it end. */
export async function closeExecutor(): Promise<void> {
  const running = current;
  current = undefined;
  if (running !== undefined) {
    try {
      await (await running).close();
    } catch {
      // It never started: nothing to stop.
    }
  }
  await Promise.all(retiring);
}

/** A running gate-executor. */
export class Executor {
  readonly #ptr: Deno.PointerObject;
  readonly #pid: number;
  #seq = 0;
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #channels = new Map<number, Channel>();
  #poll: Promise<void> | undefined;
  #lost: Error | undefined;
  #closed = false;
  readonly #buf = new Uint8Array(POLL_BUFFER);
  readonly #pollErr = errorBuffer();

  private constructor(ptr: Deno.PointerObject) {
    this.#ptr = ptr;
    this.#pid = lib().gate_executor_pid(ptr);
  }

  /** Starts gate-executor at path and checks its protocol version. */
  static async start(path: string): Promise<Executor> {
    const out = new BigUint64Array(1);
    const err = errorBuffer();
    const cpath = new TextEncoder().encode(path + "\0");
    const status = await lib().gate_executor_spawn(cpath, out, err, BigInt(err.length));
    if (status !== Status.OK) throw errorFromStatus(status, readMessage(err));
    return new Executor(Deno.UnsafePointer.create(out[0]!) as Deno.PointerObject);
  }

  /** The executor's process id. */
  get pid(): number {
    return this.#pid;
  }

  /** Whether the executor can take requests. */
  get alive(): boolean {
    return !this.#closed && this.#lost === undefined;
  }

  /** Starts an instance process with its limits; its channel takes requests. */
  async spawn(options: SpawnOptions = {}): Promise<Channel> {
    const payload = encodeSpawn(options);
    this.#check();
    do this.#nextId = (this.#nextId + 1) >>> 0; while (
      this.#nextId === 0 || this.#channels.has(this.#nextId)
    );
    const id = this.#nextId;
    const channel = new Channel(this, id);
    this.#channels.set(id, channel);
    try {
      const reply = await this.request(id, Msg.SPAWN, payload, { what: "start instance" });
      channel.pid = decodeIndex(reply.payload);
    } catch (error) {
      this.#channels.delete(id);
      throw error;
    }
    return channel;
  }

  /**
   * Sends a request and resolves with its reply: an OK or TRAP frame, or
   * SPAWNED. An ERROR reply rejects with the exception for its status; the
   * end of the instance process, or of the executor, with a ProcessError.
   * Never throws: every failure is a rejection.
   */
  request(
    instance: number,
    type: number,
    payload?: Uint8Array,
    options: RequestOptions = {},
  ): Promise<Frame> {
    do this.#seq = (this.#seq + 1) >>> 0; while (this.#seq === 0 || this.#pending.has(this.#seq));
    const seq = this.#seq;
    try {
      const flags = options.image || options.fd !== undefined ? FRAME_FD : 0;
      const frame = encodeFrame(type, instance, seq, payload, flags);
      // Sent before it is pending: replies are read by the poll loop, which
      // cannot run before this returns, and a failed send leaves nothing.
      if (options.fd !== undefined) this.#sendFd(frame, options.fd);
      else this.send(frame, options.image);
    } catch (error) {
      return Promise.reject(error);
    }
    const { promise, resolve, reject } = Promise.withResolvers<Frame>();
    this.#pending.set(seq, { instance, what: options.what ?? "request", resolve, reject });
    this.#poll ??= this.#run();
    return promise;
  }

  /** Sends a frame without waiting for anything (KILL, CLOSE, tests). */
  send(frame: Uint8Array<ArrayBuffer>, image?: Uint8Array): void {
    this.#check();
    const err = errorBuffer();
    const status = lib().gate_executor_send(
      this.#ptr,
      frame,
      BigInt(frame.length),
      image ? image as Uint8Array<ArrayBuffer> : null,
      BigInt(image?.length ?? 0),
      err,
      BigInt(err.length),
    );
    this.#sent(status, err);
  }

  /** Throws for a failed send; an I/O failure loses the executor. */
  #sent(status: number, err: Uint8Array): void {
    if (status === Status.IO) {
      const lost = new ProcessError(readMessage(err), undefined, { lost: true });
      this.#lose(lost);
      throw lost;
    }
    if (status !== Status.OK) throw errorFromStatus(status, readMessage(err));
  }

  #sendFd(frame: Uint8Array<ArrayBuffer>, fd: number): void {
    this.#check();
    const err = errorBuffer();
    const status = lib().gate_executor_send_fd(
      this.#ptr,
      frame,
      BigInt(frame.length),
      fd,
      err,
      BigInt(err.length),
    );
    this.#sent(status, err);
  }

  /** Forgets a channel: its exit is no longer reported. */
  forget(id: number): void {
    this.#channels.delete(id);
  }

  /**
   * Stops the executor: its instance processes are killed and reaped.
   * Pending requests reject. Idempotent.
   */
  async close(): Promise<void> {
    const release = this.#release();
    this.#rejectAll(new ProcessError("gate-executor was closed"));
    await release;
  }

  #freeing: Promise<void> | undefined;

  /** Ends the poll and frees the executor, once. */
  #release(): Promise<void> {
    this.#freeing ??= (async () => {
      this.#closed = true;
      lib().gate_executor_wake(this.#ptr);
      await this.#poll;
      await lib().gate_executor_free(this.#ptr);
    })();
    return this.#freeing;
  }

  #check(): void {
    // A lost executor is also closed (it is being freed): say it was lost.
    if (this.#lost) throw this.#lost;
    if (this.#closed) throw new ProcessError("gate-executor was closed");
  }

  async #run(): Promise<void> {
    const symbols = lib();
    try {
      while (this.#pending.size > 0 && !this.#closed && !this.#lost) {
        const n = Number(
          await symbols.gate_executor_poll(
            this.#ptr,
            this.#buf,
            BigInt(this.#buf.length),
            POLL_TIMEOUT_MS,
            this.#pollErr,
            BigInt(this.#pollErr.length),
          ),
        );
        if (n < 0) {
          const cause = errorFromStatus(-n, readMessage(this.#pollErr));
          this.#lose(new ProcessError(cause.message, undefined, { cause, lost: true }));
          return;
        }
        for (const frame of decodeFrames(this.#buf.subarray(0, n))) this.#dispatch(frame);
      }
    } catch (error) {
      this.#lose(
        new ProcessError(`Lost gate-executor (pid ${this.#pid}): ${String(error)}`, undefined, {
          cause: error,
          lost: true,
        }),
      );
    } finally {
      this.#poll = undefined;
    }
  }

  #dispatch(frame: Frame): void {
    if (frame.type === Msg.EXIT) {
      this.#exited(frame);
      return;
    }
    if (frame.type === Msg.ERROR && frame.seq === 0) {
      // Not an answer: the executor reports something about an instance.
      const { message } = decodeError(frame.payload);
      this.#channels.get(frame.instance)?.note(message);
      return;
    }
    if (
      frame.type === Msg.OUTPUT || frame.type === Msg.PULL || frame.type === Msg.FS ||
      frame.type === Msg.STATE_DATA
    ) {
      // Not an answer either: a running program's I/O, or the bytes of a
      // STATE request before its OK (docs/protocol.md).
      const channel = this.#channels.get(frame.instance);
      if (channel?.onFrame) channel.onFrame(frame);
      else channel?.kill();
      return;
    }
    const pending = this.#pending.get(frame.seq);
    // The answer to a request nobody awaits, or a reply from an instance
    // the request was not for (the executor stamps the sender's id).
    if (pending === undefined || pending.instance !== frame.instance) return;
    this.#pending.delete(frame.seq);
    try {
      if (frame.type === Msg.ERROR) {
        const { status, message } = decodeError(frame.payload);
        pending.reject(errorFromStatus(status === Status.OK ? Status.INTERNAL : status, message));
      } else if (frame.type === Msg.OK || frame.type === Msg.TRAP || frame.type === Msg.SPAWNED) {
        pending.resolve(frame);
      } else {
        throw new ProtocolError(`Unexpected reply type 0x${frame.type.toString(16)}`);
      }
    } catch (error) {
      // A malformed reply fails its request only.
      pending.reject(error as Error);
    }
  }

  #exited(frame: Frame): void {
    const exit = decodeExit(frame.payload);
    const channel = this.#channels.get(frame.instance);
    this.#channels.delete(frame.instance);
    const how = exit.how === ExitHow.SIGNAL ? { signal: exit.value } : { code: exit.value };
    const error = channel?.ended(how) ??
      new ProcessError(`Instance process ${frame.instance} ended`, how);
    for (const [seq, pending] of this.#pending) {
      if (pending.instance !== frame.instance) continue;
      this.#pending.delete(seq);
      pending.reject(
        new ProcessError(`Cannot ${pending.what}: ${error.message}`, how, { cause: error }),
      );
    }
  }

  /**
   * The executor ended (killed, crashed, or its socket failed): every
   * instance in it is lost, and its pending requests reject with a
   * ProcessError whose `lost` is true.
   */
  #lose(error: Error): void {
    if (this.#lost) return;
    this.#lost = error;
    for (const channel of this.#channels.values()) channel.lost(error);
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of all) {
      const cause = this.#channels.get(pending.instance)?.endedWith ?? error;
      pending.reject(
        new ProcessError(`Cannot ${pending.what}: ${lowerFirst(cause.message)}`, undefined, {
          cause,
          lost: true,
        }),
      );
    }
    this.#channels.clear();
    if (current !== undefined) {
      current.then((executor) => {
        if (executor === this) current = undefined;
      }, () => {});
    }
    const release = this.#release().catch(() => {});
    retiring.add(release);
    release.finally(() => retiring.delete(release));
  }

  #rejectAll(error: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of all) {
      pending.reject(
        new ProcessError(`Cannot ${pending.what}: ${error.message}`, undefined, {
          cause: error,
        }),
      );
    }
  }
}

/** The channel of one instance process. */
export class Channel {
  readonly #executor: Executor;
  /** Instance id: names the process in frames. */
  readonly id: number;
  /** Process id, once started. */
  pid = 0;
  #ended: ProcessError | undefined;
  #note: string | undefined;
  /** Takes a running program's unsolicited frames (OUTPUT, PULL, FS); without it they kill. */
  onFrame: ((frame: Frame) => void) | undefined;

  /** Created by Executor.spawn(). */
  constructor(executor: Executor, id: number) {
    this.#executor = executor;
    this.id = id;
  }

  /** Why the process ended, once it has. */
  get endedWith(): ProcessError | undefined {
    return this.#ended;
  }

  /** Sends a request to the instance process; see Executor.request(). */
  request(type: number, payload?: Uint8Array, options: RequestOptions = {}): Promise<Frame> {
    if (this.#ended) return Promise.reject(this.#ended);
    return this.#executor.request(this.id, type, payload, options);
  }

  /** Sends a frame that expects no reply (INPUT, ACK, FS_REPLY); false once it has ended. */
  post(type: number, payload: Uint8Array): boolean {
    if (this.#ended || !this.#executor.alive) return false;
    this.#executor.send(encodeFrame(type, this.id, 0, payload));
    return true;
  }

  /**
   * Asks the program running in the process to suspend (SUSPEND; no reply):
   * its INVOKE or RESUME ends with TRAP SUSPENDED, or the next one does when
   * none runs. Does nothing once the process has ended.
   */
  suspend(): void {
    if (this.#ended || !this.#executor.alive) return;
    this.#executor.send(encodeFrame(Msg.SUSPEND, this.id, 0));
  }

  /** Kills the process (SIGKILL); pending requests reject with a ProcessError. */
  kill(): void {
    if (this.#ended) return;
    this.#executor.send(encodeFrame(Msg.KILL, this.id, 0));
  }

  /**
   * Ends the process: it is killed, and requests made later reject at once.
   * Idempotent and never throws; the executor reaps it without Deno waiting.
   */
  close(): void {
    if (this.#ended) return;
    this.ended(undefined, "closed");
    this.#executor.forget(this.id);
    if (!this.#executor.alive) return;
    try {
      this.#executor.send(encodeFrame(Msg.KILL, this.id, 0));
    } catch {
      // The executor is gone, and the process with it.
    }
  }

  /** Records what the executor said about this instance (a malformed frame). */
  note(message: string): void {
    this.#note = message;
  }

  /** Records that the process was lost with its executor, which ended with `cause`. */
  lost(cause: Error): ProcessError {
    if (this.#ended) return this.#ended;
    const pid = this.pid ? ` ${this.pid}` : "";
    this.#ended = new ProcessError(
      `Instance process${pid} was lost: ${lowerFirst(cause.message)}`,
      undefined,
      { cause, lost: true },
    );
    return this.#ended;
  }

  /** Records the end of the process and returns the error it means for requests. */
  ended(exit: { code: number } | { signal: number } | undefined, reason?: string): ProcessError {
    if (this.#ended) return this.#ended;
    let how = reason ?? "ended";
    if (exit && "signal" in exit && exit.signal === SIGSYS) {
      how = "was killed by the sandbox for a forbidden system call (SIGSYS)";
    } else if (exit && "signal" in exit) how = `was killed by signal ${signalName(exit.signal)}`;
    else if (exit?.code === Status.CPU_LIMIT) how = "exceeded its CPU time limit";
    else if (exit) how = `exited with status ${exit.code}${statusSuffix(exit.code)}`;
    const detail = this.#note ? ` (${this.#note})` : "";
    const pid = this.pid ? ` ${this.pid}` : "";
    this.#ended = new ProcessError(`Instance process${pid} ${how}${detail}`, exit);
    return this.#ended;
  }
}

const SIGSYS = 31;

/** "Instance process 7 ..." -> "instance process 7 ..."; names stay as they are. */
function lowerFirst(message: string): string {
  return /^[A-Z][a-z]/.test(message) ? message[0]!.toLowerCase() + message.slice(1) : message;
}

const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  15: "SIGTERM",
  24: "SIGXCPU",
  31: "SIGSYS",
};

function signalName(signal: number): string {
  return SIGNALS[signal] ?? String(signal);
}

function statusSuffix(code: number): string {
  // Instance processes exit with statuses of errors.def.
  const name = Object.entries(Status).find(([, value]) => value === code)?.[0];
  return name && code !== 0 ? ` (GATE_${name})` : "";
}
