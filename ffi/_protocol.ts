/**
 * The executor protocol on the TypeScript side: frame and payload encoders
 * and bounds-checked decoders. Pure: no FFI, no I/O.
 *
 * Mirror of native/executor/protocol.h; described in docs/protocol.md.
 * Change all three together and bump PROTOCOL_VERSION.
 *
 * @module
 */

import type { ValueType } from "./module.ts";

/** GATE_PROTOCOL_VERSION in native/executor/protocol.h. */
export const PROTOCOL_VERSION = 4;

/** Bytes of a frame header. */
export const FRAME_HEADER = 16;

/** The largest frame, header included (GATE_FRAME_MAX). */
export const FRAME_MAX = 65536;

/** Header flag: a descriptor (the image memfd) travels with the frame. */
export const FRAME_FD = 0x0001;

/** Frame types (enum gate_msg). */
export const Msg = {
  HELLO: 0x0001,
  SPAWN: 0x0002,
  SPAWNED: 0x0003,
  KILL: 0x0004,
  CLOSE: 0x0005,
  EXIT: 0x0006,
  ERROR: 0x0007,
  /** No reply: a running INVOKE or RESUME ends with TRAP SUSPENDED; sticky when idle. */
  SUSPEND: 0x0008,
  LOAD: 0x0101,
  INSTANTIATE: 0x0102,
  SPECTEST: 0x0103,
  EXPORT: 0x0104,
  INVOKE: 0x0105,
  GLOBAL_GET: 0x0106,
  PROGRAM: 0x0107,
  INPUT: 0x0108,
  ACK: 0x0109,
  FS_REPLY: 0x010a,
  /** FD: an empty memfd the instance writes the state wire into -> OK u64 bytes written. */
  STATE: 0x010b,
  /** FD: sealed memfd with the snapshot's gate.stack payload -> as INVOKE. */
  RESUME: 0x010c,
  /** FD: sealed memfd of a snapshot's memory runs -> OK (before RESUME). */
  RESTORE: 0x010d,
  /** Test builds only (gate-executor-probe, docs/sandbox.md). */
  PROBE: 0x017f,
  OK: 0x0180,
  TRAP: 0x0181,
  OUTPUT: 0x0182,
  PULL: 0x0183,
  FS: 0x0184,
  /** Unsolicited during STATE (its seq): 1..STATE_CHUNK bytes of the state. */
  STATE_DATA: 0x0185,
} as const;

/** SPAWN limits flag (the last u32): at the CPU soft limit suspend instead of exiting. */
export const SPAWN_CPU_SUSPEND = 0x1;

/** PROGRAM flag: the image is a snapshot being resumed (GATE_PROGRAM_RESUMED). */
export const PROGRAM_RESUMED = 0x20;

/** The most state bytes one STATE_DATA frame carries (GATE_STATE_CHUNK). */
export const STATE_CHUNK = FRAME_MAX - FRAME_HEADER;

/** How an instance process ended (enum gate_exit). */
export const ExitHow = { CODE: 1, SIGNAL: 2 } as const;

/** Extern kinds, as in the binary format (enum gate_extern_kind). */
export const ExternKind = { FUNC: 0, TABLE: 1, MEMORY: 2, GLOBAL: 3 } as const;

/** An extern kind number. */
export type ExternKind = typeof ExternKind[keyof typeof ExternKind];

/** Value type bytes of the binary format (enum gate_valtype). */
export const VALTYPE: Readonly<Record<ValueType, number>> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
};

const TYPE_OF_BYTE = new Map<number, ValueType>(
  Object.entries(VALTYPE).map(([name, byte]) => [byte, name as ValueType]),
);

const VALUE_SIZE: Readonly<Record<ValueType, number>> = {
  i32: 4,
  f32: 4,
  i64: 8,
  f64: 8,
  funcref: 8,
  externref: 8,
  v128: 16,
};

/**
 * A value as its type and its bits, unsigned: exact for every type, NaN
 * payloads included. References are store-opaque handles, 0n being null.
 */
export interface RawValue {
  /** The value type. */
  type: ValueType;
  /** The bits, unsigned: 32 for i32 and f32, 64 for i64, f64 and references, 128 for v128. */
  bits: bigint;
}

/** One decoded frame; payload is a copy, safe to keep. */
export interface Frame {
  type: number;
  flags: number;
  instance: number;
  seq: number;
  payload: Uint8Array;
}

/** A frame or payload that breaks the protocol. */
export class ProtocolError extends Error {
  /** Creates a ProtocolError. */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Encodes a frame: header plus payload. */
export function encodeFrame(
  type: number,
  instance: number,
  seq: number,
  payload: Uint8Array = new Uint8Array(0),
  flags = 0,
): Uint8Array<ArrayBuffer> {
  const size = FRAME_HEADER + payload.length;
  if (size > FRAME_MAX) {
    throw new RangeError(`Cannot encode frame: ${size} bytes, at most ${FRAME_MAX}`);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, size, true);
  view.setUint16(4, type, true);
  view.setUint16(6, flags, true);
  view.setUint32(8, instance, true);
  view.setUint32(12, seq, true);
  out.set(payload, FRAME_HEADER);
  return out;
}

/**
 * Splits a batch (frames back to back, as gate_executor_poll returns them)
 * into frames. Throws ProtocolError when a size field is out of bounds.
 */
export function decodeFrames(batch: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let at = 0;
  while (at < batch.length) {
    if (batch.length - at < FRAME_HEADER) {
      throw new ProtocolError(`Truncated frame header at byte ${at} of ${batch.length}`);
    }
    const size = view.getUint32(at, true);
    if (size < FRAME_HEADER || size > FRAME_MAX || size > batch.length - at) {
      throw new ProtocolError(`Frame at byte ${at} has size ${size}`);
    }
    frames.push({
      type: view.getUint16(at + 4, true),
      flags: view.getUint16(at + 6, true),
      instance: view.getUint32(at + 8, true),
      seq: view.getUint32(at + 12, true),
      payload: batch.slice(at + FRAME_HEADER, at + size),
    });
    at += size;
  }
  return frames;
}

/** A bounds-checked reader over a payload; every overrun throws ProtocolError. */
export class Reader {
  #view: DataView;
  #bytes: Uint8Array;
  #at = 0;

  /** Creates a reader over bytes. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.#bytes.length - this.#at;
  }

  #take(n: number): number {
    if (n > this.left) {
      throw new ProtocolError(
        `Truncated payload: need ${n} bytes at ${this.#at}, have ${this.left}`,
      );
    }
    const at = this.#at;
    this.#at += n;
    return at;
  }

  /** Reads an unsigned byte. */
  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }

  /** Reads an unsigned 32-bit integer. */
  u32(): number {
    return this.#view.getUint32(this.#take(4), true);
  }

  /** Reads a signed 32-bit integer. */
  i32(): number {
    return this.#view.getInt32(this.#take(4), true);
  }

  /** Reads an unsigned 64-bit integer. */
  u64(): bigint {
    return this.#view.getBigUint64(this.#take(8), true);
  }

  /** Reads n bytes (a view, not a copy). */
  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    return this.#bytes.subarray(at, at + n);
  }

  /** Throws unless everything was read. */
  end(what: string): void {
    if (this.left !== 0) throw new ProtocolError(`${what}: ${this.left} trailing bytes`);
  }
}

/** A growable little-endian writer for payloads. */
export class Writer {
  #bytes = new Uint8Array(64);
  #view = new DataView(this.#bytes.buffer);
  #at = 0;

  #room(n: number): number {
    if (this.#at + n > this.#bytes.length) {
      const bigger = new Uint8Array(Math.max(this.#bytes.length * 2, this.#at + n));
      bigger.set(this.#bytes);
      this.#bytes = bigger;
      this.#view = new DataView(bigger.buffer);
    }
    const at = this.#at;
    this.#at += n;
    return at;
  }

  /** Writes a byte. */
  u8(v: number): this {
    const at = this.#room(1); // may replace the view
    this.#view.setUint8(at, v);
    return this;
  }

  /** Writes an unsigned 32-bit integer. */
  u32(v: number): this {
    const at = this.#room(4);
    this.#view.setUint32(at, v, true);
    return this;
  }

  /** Writes an unsigned 64-bit integer. */
  u64(v: bigint): this {
    const at = this.#room(8);
    this.#view.setBigUint64(at, v, true);
    return this;
  }

  /** Writes bytes. */
  bytes(b: Uint8Array): this {
    const at = this.#room(b.length);
    this.#bytes.set(b, at);
    return this;
  }

  /** Returns what was written. */
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#at);
  }
}

/** Returns the value type of a binary type byte; throws ProtocolError if unknown. */
export function valueTypeOf(byte: number): ValueType {
  const type = TYPE_OF_BYTE.get(byte);
  if (type === undefined) throw new ProtocolError(`Unknown value type 0x${hex2(byte)}`);
  return type;
}

/** Writes a value: type byte, then 4, 8 or 16 bytes of bits. */
export function writeValue(w: Writer, value: RawValue): void {
  const size = VALUE_SIZE[value.type];
  const max = (1n << BigInt(size * 8)) - 1n;
  if (value.bits < 0n || value.bits > max) {
    throw new RangeError(`Cannot encode ${value.type} bits 0x${value.bits.toString(16)}`);
  }
  w.u8(VALTYPE[value.type]);
  if (size === 4) w.u32(Number(value.bits));
  else if (size === 8) w.u64(value.bits);
  else w.u64(value.bits & 0xffff_ffff_ffff_ffffn).u64(value.bits >> 64n);
}

/** Reads a value written by writeValue. */
export function readValue(r: Reader): RawValue {
  const type = valueTypeOf(r.u8());
  const size = VALUE_SIZE[type];
  let bits: bigint;
  if (size === 4) bits = BigInt(r.u32());
  else if (size === 8) bits = r.u64();
  else bits = r.u64() | (r.u64() << 64n);
  return { type, bits };
}

/** INSTANTIATE payload: the image's store index and the imports in order. */
export function encodeInstantiate(
  image: number,
  imports: readonly { kind: ExternKind; addr: number }[],
): Uint8Array {
  const w = new Writer().u32(image).u32(imports.length);
  for (const { kind, addr } of imports) w.u8(kind).u8(0).u8(0).u8(0).u32(addr);
  return w.finish();
}

/** EXPORT payload: instance index and the name as UTF-8. */
export function encodeExport(instance: number, name: string): Uint8Array {
  return new Writer().u32(instance).bytes(new TextEncoder().encode(name)).finish();
}

/** INVOKE payload: function address and arguments. */
export function encodeInvoke(func: number, args: readonly RawValue[]): Uint8Array {
  const w = new Writer().u32(func).u32(args.length);
  for (const arg of args) writeValue(w, arg);
  return w.finish();
}

/** Limits of one instance process (SPAWN payload). */
export interface SpawnOptions {
  /** Bytes of linear memory of all the store's memories together (0: default, 8 GiB). */
  memoryLimit?: number;
  /** Seconds of CPU time; the process then ends with GATE_CPU_LIMIT (0: no limit). */
  cpuTimeLimit?: number;
  /** At the CPU time limit suspend the program instead (SPAWN_CPU_SUSPEND). */
  cpuSuspend?: boolean;
}

/** SPAWN payload: none for defaults, else u64 memory bytes, u32 CPU seconds, u32 flags. */
export function encodeSpawn(options: SpawnOptions = {}): Uint8Array {
  const memory = options.memoryLimit ?? 0;
  const cpu = options.cpuTimeLimit ?? 0;
  const flags = options.cpuSuspend ? SPAWN_CPU_SUSPEND : 0;
  if (memory === 0 && cpu === 0 && flags === 0) return new Uint8Array(0);
  if (!Number.isSafeInteger(memory) || memory < 0 || memory > 2 ** 40) {
    throw new RangeError(`Invalid memory limit "${memory}": expected 0..2^40 bytes`);
  }
  if (!Number.isInteger(cpu) || cpu < 0 || cpu > 0xffffffff) {
    throw new RangeError(`Invalid CPU time limit "${cpu}": expected whole seconds`);
  }
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(memory), true);
  view.setUint32(8, cpu, true);
  view.setUint32(12, flags, true);
  return out;
}

/** GLOBAL_GET payload. */
export function encodeGlobalGet(global: number): Uint8Array {
  return new Writer().u32(global).finish();
}

/** An OK reply that holds one u32 (LOAD, INSTANTIATE, SPECTEST, SPAWNED). */
export function decodeIndex(payload: Uint8Array): number {
  const r = new Reader(payload);
  const index = r.u32();
  r.end("Index reply");
  return index;
}

/** The reply to EXPORT: kind, address and, for functions, the type. */
export interface ExportReply {
  kind: ExternKind;
  addr: number;
  params?: ValueType[];
  results?: ValueType[];
}

/** Decodes the reply to EXPORT. */
export function decodeExport(payload: Uint8Array): ExportReply {
  const r = new Reader(payload);
  const kind = r.u8();
  r.bytes(3);
  const addr = r.u32();
  if (kind > ExternKind.GLOBAL) throw new ProtocolError(`Unknown extern kind ${kind}`);
  const reply: ExportReply = { kind: kind as ExternKind, addr };
  if (kind === ExternKind.FUNC) {
    const np = r.u32();
    const nr = r.u32();
    reply.params = Array.from(r.bytes(np), valueTypeOf);
    reply.results = Array.from(r.bytes(nr), valueTypeOf);
  }
  r.end("Export reply");
  return reply;
}

/** Decodes the reply to INVOKE: the results. */
export function decodeValues(payload: Uint8Array): RawValue[] {
  const r = new Reader(payload);
  const n = r.u32();
  if (n > r.left / 5) throw new ProtocolError(`Result count ${n} exceeds the payload`);
  const values: RawValue[] = [];
  for (let i = 0; i < n; i++) values.push(readValue(r));
  r.end("Results");
  return values;
}

/** Decodes the reply to GLOBAL_GET. */
export function decodeValue(payload: Uint8Array): RawValue {
  const r = new Reader(payload);
  const value = readValue(r);
  r.end("Value");
  return value;
}

/** One frame of a trap's backtrace, as the runtime reports it. */
export interface RawTrapFrame {
  func: number;
  offset: number;
  /** Store index of the image. */
  module: number;
}

/** A TRAP reply. */
export interface RawTrap {
  kind: number;
  frames: RawTrapFrame[];
  /** The proc_exit code of an EXIT trap, else 0. */
  code: number;
}

/** Decodes a TRAP reply. */
export function decodeTrap(payload: Uint8Array): RawTrap {
  const r = new Reader(payload);
  const kind = r.u32();
  const n = r.u32();
  if (n > r.left / 12) throw new ProtocolError(`Frame count ${n} exceeds the payload`);
  const frames: RawTrapFrame[] = [];
  for (let i = 0; i < n; i++) frames.push({ func: r.u32(), offset: r.u32(), module: r.u32() });
  const code = r.i32();
  r.end("Trap");
  return { kind, frames, code };
}

/** An ERROR frame: a status of errors.def and a message. */
export interface ErrorReply {
  status: number;
  message: string;
}

/** Decodes an ERROR frame; invalid UTF-8 in the message is replaced. */
export function decodeError(payload: Uint8Array): ErrorReply {
  const r = new Reader(payload);
  const status = r.i32();
  return { status, message: new TextDecoder().decode(r.bytes(r.left)) };
}

/** An EXIT frame. */
export interface ExitReply {
  how: typeof ExitHow[keyof typeof ExitHow];
  /** The exit code or the signal number. */
  value: number;
}

/** Decodes an EXIT frame. */
export function decodeExit(payload: Uint8Array): ExitReply {
  const r = new Reader(payload);
  const how = r.u32();
  const value = r.u32();
  r.end("Exit");
  if (how !== ExitHow.CODE && how !== ExitHow.SIGNAL) {
    throw new ProtocolError(`Unknown exit kind ${how}`);
  }
  return { how, value };
}

/** A HELLO frame. */
export interface HelloReply {
  version: number;
  abi: number;
  pid: number;
}

/** Decodes a HELLO frame. */
export function decodeHello(payload: Uint8Array): HelloReply {
  const r = new Reader(payload);
  const hello = { version: r.u32(), abi: r.u32(), pid: r.u32() };
  r.end("Hello");
  return hello;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
