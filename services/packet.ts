/**
 * Gate packet codec (reference b.5): 8-byte little-endian header, padding to
 * 8 bytes on the wire, and the payload layouts of discovery, flow and data
 * packets.
 *
 * Header: `u32 size` (header included, padding excluded) | `i16 code` |
 * `u8 domain` (low 4 bits; the high bits are ignored when receiving) |
 * `u8 index`.
 *
 * @module
 */

/** Largest packet in either direction, header included (GATE_MAX_RECV_SIZE). */
export const MAX_PACKET = 65536;
/** Size of the packet header. */
export const HEADER_SIZE = 8;
/** Packets are padded to a multiple of this on the wire (GATE_PACKET_ALIGNMENT). */
export const ALIGNMENT = 8;
/** Packet code of service discovery (GATE_PACKET_CODE_SERVICES). */
export const CODE_SERVICES = -1;
/** Service state bit: the service is available (GATE_SERVICE_STATE_AVAIL). */
export const SERVICE_AVAILABLE = 0x1;
/** At most this many services can be discovered by one program instance. */
export const MAX_SERVICES = 256;
/** Size of a data packet's `i32 id` + `i32 note` before the data. */
export const DATA_HEADER_SIZE = 8;
/** Most data bytes in one data packet. */
export const MAX_DATA = MAX_PACKET - HEADER_SIZE - DATA_HEADER_SIZE;
/** Flow grants of one stream must total at most this (reference b.5). */
export const MAX_FLOW = 0x7fffffff;

/** Packet domains. */
export const Domain = { CALL: 0, INFO: 1, FLOW: 2, DATA: 3 } as const;
/** A packet domain number (0..3). */
export type Domain = typeof Domain[keyof typeof Domain];

/** A decoded packet; `payload` is the content after the header. */
export interface Packet {
  code: number;
  domain: Domain;
  index: number;
  payload: Uint8Array;
}

/** One entry of a flow packet. */
export interface FlowEntry {
  id: number;
  value: number;
}

/** The content of a data packet. */
export interface DataContent {
  id: number;
  note: number;
  data: Uint8Array;
}

/** A malformed packet or payload: the program broke the protocol. */
export class PacketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PacketError";
  }
}

/** Rounds `n` up to a multiple of {@linkcode ALIGNMENT}. */
export function align(n: number): number {
  return (n + ALIGNMENT - 1) & ~(ALIGNMENT - 1);
}

function _view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Builds a packet: header + payload, without padding (`size` is the returned
 * length). Throws a RangeError if it would exceed {@linkcode MAX_PACKET}.
 */
export function encodePacket(
  code: number,
  domain: Domain,
  payload: Uint8Array = new Uint8Array(0),
  options: { index?: number } = {},
): Uint8Array {
  const size = HEADER_SIZE + payload.length;
  if (size > MAX_PACKET) {
    throw new RangeError(`Cannot encode packet: size ${size} exceeds ${MAX_PACKET}`);
  }
  const out = new Uint8Array(size);
  const view = _view(out);
  view.setUint32(0, size, true);
  view.setInt16(4, code, true);
  view.setUint8(6, domain);
  view.setUint8(7, options.index ?? 0);
  out.set(payload, HEADER_SIZE);
  return out;
}

/**
 * Reads a packet header and its payload from `bytes` (padding after `size`
 * is ignored). The payload is a copy. Throws PacketError when the size is
 * outside 8..65536 or beyond `bytes`.
 */
export function decodePacket(bytes: Uint8Array): Packet {
  if (bytes.length < HEADER_SIZE) {
    throw new PacketError(`Packet is too short: ${bytes.length} bytes`);
  }
  const view = _view(bytes);
  const size = view.getUint32(0, true);
  if (size < HEADER_SIZE || size > MAX_PACKET) {
    throw new PacketError(`Packet size is out of range: ${size}`);
  }
  if (size > bytes.length) {
    throw new PacketError(`Packet is truncated: size ${size}, have ${bytes.length} bytes`);
  }
  return {
    code: view.getInt16(4, true),
    domain: (view.getUint8(6) & 0xf) as Domain, // high bits ignored when receiving
    index: view.getUint8(7),
    payload: bytes.slice(HEADER_SIZE, size),
  };
}

/** Builds a flow payload: `{i32 id, i32 value}` per entry. */
export function encodeFlow(entries: readonly FlowEntry[]): Uint8Array {
  const out = new Uint8Array(entries.length * 8);
  const view = _view(out);
  entries.forEach((e, i) => {
    view.setInt32(i * 8, e.id, true);
    view.setInt32(i * 8 + 4, e.value, true);
  });
  return out;
}

/** Reads a flow payload. Throws PacketError unless its length is a multiple of 8. */
export function decodeFlow(payload: Uint8Array): FlowEntry[] {
  if (payload.length % 8 !== 0) {
    throw new PacketError(`Flow packet payload is not a multiple of 8 bytes: ${payload.length}`);
  }
  const view = _view(payload);
  const entries: FlowEntry[] = [];
  for (let at = 0; at < payload.length; at += 8) {
    entries.push({ id: view.getInt32(at, true), value: view.getInt32(at + 4, true) });
  }
  return entries;
}

/** Builds a data payload: `i32 id`, `i32 note`, data. Empty data is EOF. */
export function encodeData(id: number, note: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(DATA_HEADER_SIZE + data.length);
  const view = _view(out);
  view.setInt32(0, id, true);
  view.setInt32(4, note, true);
  out.set(data, DATA_HEADER_SIZE);
  return out;
}

/** Reads a data payload. Throws PacketError if it is shorter than 8 bytes. */
export function decodeData(payload: Uint8Array): DataContent {
  if (payload.length < DATA_HEADER_SIZE) {
    throw new PacketError(`Data packet payload is too short: ${payload.length} bytes`);
  }
  const view = _view(payload);
  return {
    id: view.getInt32(0, true),
    note: view.getInt32(4, true),
    data: payload.subarray(DATA_HEADER_SIZE),
  };
}

/**
 * Builds a discovery request payload: `u16 count` + count x (`u8 len` +
 * name). Names are UTF-8, 1..127 bytes (RangeError otherwise).
 */
export function encodeDiscoveryRequest(names: readonly string[]): Uint8Array {
  const encoded = names.map((n) => new TextEncoder().encode(n));
  const out = new Uint8Array(2 + encoded.reduce((n, e) => n + 1 + e.length, 0));
  _view(out).setUint16(0, names.length, true);
  let at = 2;
  for (const e of encoded) {
    if (e.length < 1 || e.length > 127) {
      throw new RangeError(`Cannot encode service name: length ${e.length} is not in 1..127`);
    }
    out[at++] = e.length;
    out.set(e, at);
    at += e.length;
  }
  return out;
}

/**
 * Reads a discovery request payload into raw name bytes. Throws PacketError
 * if it is truncated, has trailing bytes, or a name length is not in 1..127.
 */
export function decodeDiscoveryRequest(payload: Uint8Array): Uint8Array[] {
  if (payload.length < 2) {
    throw new PacketError(`Discovery request is too short: ${payload.length} bytes`);
  }
  const count = _view(payload).getUint16(0, true);
  const names: Uint8Array[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    const len = payload[at++];
    if (len === undefined) throw new PacketError(`Discovery request is truncated at name ${i}`);
    if (len < 1 || len > 127) {
      throw new PacketError(`Discovery request name ${i} has length ${len}, not in 1..127`);
    }
    if (at + len > payload.length) {
      throw new PacketError(`Discovery request is truncated at name ${i}`);
    }
    names.push(payload.subarray(at, at + len));
    at += len;
  }
  if (at !== payload.length) {
    throw new PacketError(`Discovery request has ${payload.length - at} trailing bytes`);
  }
  return names;
}

/** Builds a discovery reply payload: `u16 count` + `u8 state` per service. */
export function encodeDiscoveryReply(states: readonly number[]): Uint8Array {
  const out = new Uint8Array(2 + states.length);
  _view(out).setUint16(0, states.length, true);
  out.set(states, 2);
  return out;
}

/** Reads a discovery reply payload (for tests and clients). */
export function decodeDiscoveryReply(payload: Uint8Array): number[] {
  if (payload.length < 2) throw new PacketError("Discovery reply is too short");
  const count = _view(payload).getUint16(0, true);
  if (payload.length !== 2 + count) {
    throw new PacketError(`Discovery reply has ${payload.length - 2} states, expected ${count}`);
  }
  return Array.from(payload.subarray(2));
}

/**
 * Splits a byte stream of padded packets (in arbitrary chunks) into packets.
 *
 * @example
 * ```ts
 * import { Domain, encodePacket, PacketReassembler } from "./packet.ts";
 *
 * const wire = new Uint8Array(16);
 * wire.set(encodePacket(0, Domain.CALL, new Uint8Array([42])));
 * const r = new PacketReassembler();
 * console.log(r.push(wire.subarray(0, 5)).length); // 0
 * console.log(r.push(wire.subarray(5))[0]?.payload); // Uint8Array(1) [ 42 ]
 * ```
 */
export class PacketReassembler {
  #buf = new Uint8Array(align(MAX_PACKET));
  #len = 0;

  /** Bytes held back: the start of a packet (or its padding) not yet complete. */
  get pending(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /**
   * Takes the next bytes of the stream and returns the packets they complete,
   * in order. Throws PacketError on a header whose size is outside 8..65536;
   * the reassembler is then unusable.
   */
  push(chunk: Uint8Array): Packet[] {
    const packets: Packet[] = [];
    let at = 0;
    while (at < chunk.length) {
      // Fill the header first, then the rest of the padded packet.
      let need = HEADER_SIZE;
      if (this.#len >= HEADER_SIZE) need = this.#paddedSize();
      const n = Math.min(need - this.#len, chunk.length - at);
      this.#buf.set(chunk.subarray(at, at + n), this.#len);
      this.#len += n;
      at += n;
      if (this.#len === HEADER_SIZE) need = this.#paddedSize();
      if (this.#len === need && this.#len >= HEADER_SIZE) {
        packets.push(decodePacket(this.#buf.subarray(0, this.#len)));
        this.#len = 0;
      }
    }
    return packets;
  }

  #paddedSize(): number {
    const size = _view(this.#buf).getUint32(0, true);
    if (size < HEADER_SIZE || size > MAX_PACKET) {
      throw new PacketError(`Packet size is out of range: ${size}`);
    }
    return align(size);
  }
}
