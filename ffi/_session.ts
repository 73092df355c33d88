/**
 * The Deno side of a running program's I/O (ffi/program.ts): answers the
 * instance's OUTPUT, PULL and FS frames, hands output on in order, reads
 * input on demand, and keeps what a snapshot needs of this side (unread
 * stdin, the packet host's state).
 *
 * @module
 */

import { Msg } from "./_protocol.ts";
import { type Frame, ProtocolError, Reader } from "./_protocol.ts";
import {
  decodePull,
  decodeStreamData,
  encodeAck,
  encodeStreamData,
  Stream,
} from "./_program_protocol.ts";
import { type Channel } from "./_executor.ts";
import { ProcessError, type ProcessExit, TrapError } from "./errors.ts";
import { type ServiceState, type SnapshotBuffers } from "./_snapshot_wire.ts";
import { type Filesystem } from "./_fs.ts";
import { closeFd, type StateFile, stateMemfd } from "./snapshot.ts";
import { PacketHost } from "../services/host.ts";
import { defaultServices } from "../services/mod.ts";
import { bufferOrigin, type Origin, originFromStreams } from "../services/stream.ts";
import type { ProgramOptions } from "./program.ts";

/**
 * The reserved `gate.buffer` service entry that holds the packet host's
 * state (services/host.ts: discovered services, their sessions, partial
 * packets both ways). One opaque entry, because the packet host restores
 * itself as a whole; per-service entries would lose the partial packets and
 * the discovery flags.
 */
export const PACKET_HOST_ENTRY = "gate.packets";

/** The Deno side of a running program's I/O: answers its OUTPUT, PULL and FS frames. */
export class Session {
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
  /**
   * Stdin read from the origin and not delivered (beyond a PULL's count,
   * arrived after the suspension, or restored from a snapshot): read first,
   * by the program's stdin and by the origin service alike.
   */
  #stdinKept: Uint8Array | null = null;
  /** The last read of the origin, settled (a snapshot waits for it). */
  #stdinRead: Promise<void> = Promise.resolve();
  #stdinEnded = false;
  /**
   * The program was suspended: input that arrives for its outstanding pulls
   * is kept (leftover) for the snapshot instead of being sent.
   */
  #frozen = false;
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
      origin: this.#serviceOrigin(),
      onViolation: (message) => this.#violate(message),
    };
    if (options.principal !== undefined) hostOptions.principal = options.principal;
    if (options.instanceId !== undefined) hostOptions.instance = options.instanceId;
    const packets = restored?.services.find((s) => s.name === PACKET_HOST_ENTRY);
    if (packets !== undefined) hostOptions.state = packets.state;
    this.#packets = new PacketHost(hostOptions);
    if (restored !== undefined && restored.input.length > 0) {
      this.#stdinKept = restored.input;
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
   * Asks the instance for its state (STATE) in a new memfd, which the
   * instance fills and the OK reply counts. The caller owns the file
   * (newSnapshot() closes it).
   */
  async state(): Promise<StateFile> {
    const fd = stateMemfd();
    try {
      const reply = await this.guard(
        this.#channel.request(Msg.STATE, undefined, { fd, what: "read the program's state" }),
      );
      if (reply.type !== Msg.OK) {
        throw new ProtocolError(`Unexpected reply 0x${reply.type.toString(16)} to STATE`);
      }
      const r = new Reader(reply.payload);
      const length = r.u64();
      r.end("State reply");
      return { fd, length };
    } catch (error) {
      closeFd(fd);
      throw error;
    }
  }

  /**
   * What a resumable snapshot keeps of this side: stdin read for the program
   * and not consumed, and the packet host's state (which stops its services).
   * Waits for input reads already answered to settle.
   */
  async buffers(inputTimeout = Infinity): Promise<SnapshotBuffers> {
    // A stdin read started for the program's last PULL may still be pending:
    // what it returns was taken from the origin for the program, so it goes
    // into the snapshot (the session is frozen: kept, not sent) and must not
    // be lost. Until the origin answers (data or end), this waits, or for
    // inputTimeout ms: a read that ends later keeps its bytes (#stdinKept)
    // for the next snapshot. The origin service's reads are the same.
    await settledWithin(Promise.all([this.#in[Stream.STDIO], this.#stdinRead]), inputTimeout);
    // A packet read in progress ends now; bytes one returned after the
    // suspension went back to the packet host (#pull), which keeps them.
    this.#packets.cancelReads();
    await this.#in[Stream.PACKETS];
    this.#packetState ??= this.#packets.suspend();
    const packets = await this.#packetState;
    const services: ServiceState[] = [];
    if (!sameBytes(packets, await emptyPacketState())) {
      services.push({ name: PACKET_HOST_ENTRY, state: packets });
    }
    return {
      input: this.#stdinKept ?? new Uint8Array(0),
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
      // STATE_DATA: state comes in a memfd from this side, never in frames.
      if (frame.type === Msg.STATE_DATA) throw new RangeError("unexpected STATE_DATA");
      else if (frame.type === Msg.OUTPUT) this.#output(frame.payload);
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
      let data: Uint8Array;
      if (stream === Stream.PACKETS) {
        if (this.#frozen) return; // the packet host keeps them
        data = await this.#packets.read(max);
      } else if (this.#stdinEnded && this.#stdinKept === null) {
        data = new Uint8Array(0);
      } else {
        data = await this.#readStdin(max) ?? new Uint8Array(0);
        if (data.length === 0) this.#stdinEnded = true;
      }
      if (this.#frozen) {
        // Suspended while it waited: the bytes go into the snapshot instead,
        // stdin's kept here, packets back into the packet host's stream.
        if (stream === Stream.STDIO) this.#keepStdin(data);
        else this.#packets.unread(data);
        return;
      }
      if (data.length > max) {
        this.#keepStdin(data.subarray(max));
        data = data.subarray(0, max);
      }
      this.#channel.post(Msg.INPUT, encodeStreamData(stream, data));
    }).catch((error) => this.#fail(INPUT_NAMES[stream]!, error));
  }

  /** Reads 1..max bytes of stdin (null at its end): kept bytes first. */
  #readStdin(max: number): Promise<Uint8Array | null> {
    const kept = this.#stdinKept;
    if (kept !== null) {
      this.#stdinKept = kept.length > max ? kept.subarray(max) : null;
      return Promise.resolve(kept.subarray(0, max));
    }
    const read = this.#origin.read(max);
    this.#stdinRead = read.then(() => {}, () => {});
    return read;
  }

  /** Puts stdin bytes back in front of the stream (they were read first). */
  #keepStdin(data: Uint8Array): void {
    if (data.length === 0) return;
    const kept = this.#stdinKept;
    this.#stdinKept = kept === null ? data : concat(data, kept);
  }

  /**
   * The origin as the origin service sees it: stdin through #readStdin, and
   * bytes it read but could not deliver (the program was suspended) kept
   * for the snapshot. Once frozen it starts no reads: they could not reach
   * the program, and their bytes belong to the next run.
   */
  #serviceOrigin(): Origin {
    const origin = this.#origin;
    const service: Origin = {
      read: (max) => this.#frozen ? new Promise(() => {}) : this.#readStdin(max),
      write: (bytes) => origin.write(bytes),
      unread: (bytes) => this.#keepStdin(bytes),
    };
    if (origin.closeWrite) service.closeWrite = () => origin.closeWrite!();
    return service;
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

/** Waits for `promise` to settle, or `ms` (Infinity: no limit), whichever comes first. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  if (ms === Infinity) return void await promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  } finally {
    clearTimeout(timer);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
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
