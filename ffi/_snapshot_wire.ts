/**
 * The bytes of snapshots that TypeScript reads or writes itself: the
 * `gate.buffer` payload (docs/snapshot.md) that `gate_snapshot_new` takes,
 * and the blob `gate_snapshot_open` returns (docs/protocol.md, "Suspend and
 * resume"). Pure: no FFI.
 *
 * @module
 */

import { ProtocolError, Reader } from "./_protocol.ts";

/** Bound of docs/services.md: a program discovers at most 256 services. */
const MAX_SERVICES = 256;
/** A service name is 1..127 bytes in `gate.buffer`. */
const MAX_NAME = 127;

/** One service's saved state. */
export interface ServiceState {
  name: string;
  state: Uint8Array;
}

/** What `gate.buffer` holds: unread I/O and service states. */
export interface SnapshotBuffers {
  /** Bytes read for the program (its stdin) that it has not consumed. */
  input: Uint8Array;
  /** Bytes the program wrote that were not handed on. */
  output: Uint8Array;
  /** Service states by name, names unique. */
  services: ServiceState[];
}

/** No buffers: what a snapshot without a `gate.buffer` section has. */
export function emptyBuffers(): SnapshotBuffers {
  return { input: new Uint8Array(0), output: new Uint8Array(0), services: [] };
}

/**
 * Encodes a `gate.buffer` payload: varuint input size, output size and
 * service count; per service u8 name length, name, varuint state size;
 * then the input bytes, the output bytes and the states. Empty (no bytes at
 * all) when there is nothing to keep, so that no section is written.
 * Throws RangeError for a bad service list.
 */
export function encodeBuffers(buffers: SnapshotBuffers): Uint8Array {
  const { input, output, services } = buffers;
  if (input.length === 0 && output.length === 0 && services.length === 0) {
    return new Uint8Array(0);
  }
  if (services.length > MAX_SERVICES) {
    throw new RangeError(`Cannot save ${services.length} services: at most ${MAX_SERVICES}`);
  }
  const utf8 = new TextEncoder();
  const seen = new Set<string>();
  const parts: number[] = [];
  const chunks: Uint8Array[] = [];
  varuint(parts, input.length);
  varuint(parts, output.length);
  varuint(parts, services.length);
  for (const { name, state } of services) {
    const bytes = utf8.encode(name);
    if (bytes.length < 1 || bytes.length > MAX_NAME) {
      throw new RangeError(`Cannot save service "${name}": its name must be 1..${MAX_NAME} bytes`);
    }
    if (seen.has(name)) throw new RangeError(`Cannot save service "${name}" twice`);
    seen.add(name);
    parts.push(bytes.length, ...bytes);
    varuint(parts, state.length);
  }
  chunks.push(new Uint8Array(parts), input, output, ...services.map((s) => s.state));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Decodes a `gate.buffer` payload (empty: no buffers). Throws ProtocolError. */
export function decodeBuffers(payload: Uint8Array): SnapshotBuffers {
  if (payload.length === 0) return emptyBuffers();
  const r = new Reader(payload);
  const inputSize = readVaruint(r);
  const outputSize = readVaruint(r);
  const count = readVaruint(r);
  if (count > MAX_SERVICES) throw new ProtocolError(`Buffers: ${count} services`);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const heads: { name: string; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.u8();
    if (length < 1 || length > MAX_NAME) {
      throw new ProtocolError(`Buffers: service ${i} has a name of ${length} bytes`);
    }
    let name: string;
    try {
      name = utf8.decode(r.bytes(length));
    } catch {
      throw new ProtocolError(`Buffers: service ${i} has a name that is not UTF-8`);
    }
    heads.push({ name, size: readVaruint(r) });
  }
  const input = r.bytes(inputSize).slice();
  const output = r.bytes(outputSize).slice();
  const services = heads.map(({ name, size }) => ({ name, state: r.bytes(size).slice() }));
  r.end("Buffers");
  return { input, output, services };
}

/** What resuming a snapshot needs, from `gate_snapshot_open`. */
export interface OpenedSnapshot {
  /** The program halted (exited or trapped): the snapshot cannot resume. */
  final: boolean;
  /** Trap kind of the outcome (traps.def); SUSPENDED for a resumable one. */
  trap: number;
  /** proc_exit's code when trap is EXIT, else 0. */
  result: number;
  /** Nanoseconds the program's monotonic clock counted. */
  monotonic: bigint;
  buffers: SnapshotBuffers;
  /** The `gate.stack` payload, for RESUME; empty when there is no stack. */
  stack: Uint8Array;
}

/**
 * Decodes the blob of `gate_snapshot_open`: u32 flags (bit 0 final), u32
 * trap, i32 result, u64 monotonic, u32 length + `gate.buffer` payload, u32
 * length + `gate.stack` payload; little-endian. Throws ProtocolError.
 */
export function decodeOpened(blob: Uint8Array): OpenedSnapshot {
  const r = new Reader(blob);
  const flags = r.u32();
  if ((flags & ~1) !== 0) throw new ProtocolError(`Opened snapshot: flags 0x${flags.toString(16)}`);
  const trap = r.u32();
  const result = r.i32();
  const monotonic = r.u64();
  const buffers = decodeBuffers(r.bytes(r.u32()));
  const stack = r.bytes(r.u32()).slice();
  r.end("Opened snapshot");
  return { final: (flags & 1) !== 0, trap, result, monotonic, buffers, stack };
}

/** Appends an unsigned LEB128 u32. */
function varuint(out: number[], value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`Cannot encode ${value} as a u32`);
  }
  do {
    const low = value & 0x7f;
    value = Math.floor(value / 128);
    out.push(value === 0 ? low : low | 0x80);
  } while (value !== 0);
}

/** Reads an unsigned LEB128 u32 of at most 5 bytes. */
function readVaruint(r: Reader): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = r.u8();
    if (i === 4 && byte > 0x0f) throw new ProtocolError("Buffers: a size exceeds 32 bits");
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value;
  }
  throw new ProtocolError("Buffers: a size exceeds 32 bits");
}
