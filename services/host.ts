/**
 * The per-instance packet runtime: takes the program's outgoing packet
 * stream, discovers services for it, dispatches packets to service sessions,
 * and produces the incoming packet stream (reference b.5).
 *
 * @module
 */

import {
  align,
  CODE_SERVICES,
  decodeData,
  decodeDiscoveryRequest,
  decodeFlow,
  Domain,
  encodeDiscoveryReply,
  encodePacket,
  MAX_SERVICES,
  type Packet,
  PacketError,
  PacketReassembler,
  SERVICE_AVAILABLE,
} from "./packet.ts";
import type {
  SendDomain,
  Service,
  ServiceContext,
  ServiceInfo,
  ServiceSession,
} from "./service.ts";
import type { Origin } from "./stream.ts";

/** Options of {@linkcode PacketHost}. */
export interface PacketHostOptions {
  /** Services the program may discover; the first of a name wins. */
  services: readonly Service[];
  /** The caller's byte stream, for the origin service. */
  origin?: Origin;
  /** Principal ID of the instance's owner (identity service). */
  principal?: string;
  /** Instance ID (identity service). */
  instance?: string;
  /** What {@linkcode PacketHost.suspend} returned, to resume from. */
  state?: Uint8Array;
  /**
   * Called once when the program breaks the protocol; the caller kills the
   * instance ("ABI violation"). The host ignores the program's input after it.
   */
  onViolation(message: string): void;
}

const _SEND_DOMAIN: Record<SendDomain, Domain> = {
  call: Domain.CALL,
  info: Domain.INFO,
  flow: Domain.FLOW,
  data: Domain.DATA,
};

const _FLAG_RECEIVED = 0x2; // saved entry flag: the program has sent to the service

interface _Reply {
  payload: Uint8Array | null; // null while pending
}

interface _Entry {
  code: number;
  name: Uint8Array;
  service: Service | undefined;
  session: ServiceSession | undefined; // set iff available
  control: AbortController;
  received: boolean; // the program has sent a packet to this service
  heldInfo: Uint8Array[]; // INFO packets waiting for `received`
  replies: _Reply[]; // CALL replies in call order
}

/**
 * The Deno side of one program instance's packet protocol.
 *
 * Ownership: bytes passed to `write` are lent for the call; arrays returned
 * by `read` belong to the caller.
 *
 * @example Discover a service
 * ```ts
 * import { PacketHost } from "./host.ts";
 * import { defaultServices } from "./mod.ts";
 * import { CODE_SERVICES, Domain, encodeDiscoveryRequest, encodePacket } from "./packet.ts";
 *
 * const host = new PacketHost({ services: defaultServices(), onViolation: console.error });
 * const request = encodePacket(CODE_SERVICES, Domain.CALL, encodeDiscoveryRequest(["catalog"]));
 * await host.write(new Uint8Array([...request, 0, 0, 0, 0, 0])); // padded to 16
 * console.log(await host.read(65536)); // header + u16 count 1 + state 1, padded
 * await host.close();
 * ```
 */
export class PacketHost {
  #services = new Map<string, Service>();
  #infos: ServiceInfo[];
  #options: PacketHostOptions;
  #entries: _Entry[] = [];
  #reassembler = new PacketReassembler();
  #out: Uint8Array[] = [];
  #outOffset = 0; // bytes of #out[0] already read
  #readers: { max: number; resolve: (bytes: Uint8Array) => void }[] = [];
  #writing: Promise<void> = Promise.resolve();
  #violated = false;
  #stopped = false; // suspended or closed: no more dispatch
  #closed = false;

  constructor(options: PacketHostOptions) {
    this.#options = options;
    for (const s of options.services) {
      if (!this.#services.has(s.name)) this.#services.set(s.name, s);
    }
    this.#infos = [...this.#services.values()].map((s) => ({ name: s.name, revision: s.revision }));
    if (options.state !== undefined && options.state.length > 0) this.#restore(options.state);
  }

  /** Whether the program has broken the protocol. */
  get violated(): boolean {
    return this.#violated;
  }

  /**
   * Takes bytes of the program's packet stream (any chunking). Resolves when
   * the packets they complete have been handled: CALLs dispatched, INFO,
   * FLOW and DATA handlers finished. Calls are processed in call order.
   */
  write(bytes: Uint8Array): Promise<void> {
    const copy = bytes.slice();
    const result = this.#writing.then(() => this.#write(copy));
    this.#writing = result.catch(() => {});
    return result;
  }

  /**
   * Resolves with 1..`max` bytes of the stream towards the program as soon as
   * there are some (packets are padded to 8; one may span reads). After
   * `close()` or `suspend()`, pending and later reads resolve with an empty
   * array.
   */
  read(max: number): Promise<Uint8Array> {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`Cannot read packets: max must be a positive integer, got ${max}`);
    }
    if (this.#stopped) return Promise.resolve(new Uint8Array(0));
    if (this.#out.length > 0 && this.#readers.length === 0) return Promise.resolve(this.#take(max));
    return new Promise((resolve) => this.#readers.push({ max, resolve }));
  }

  /**
   * Puts bytes that `read` returned back at the front of the stream towards
   * the program, for a reader that could not deliver them (the program was
   * suspended): `suspend()` then keeps them. Ignored once closed.
   */
  unread(bytes: Uint8Array): void {
    if (this.#closed || bytes.length === 0) return;
    if (this.#outOffset > 0) {
      this.#out[0] = this.#out[0]!.subarray(this.#outOffset);
      this.#outOffset = 0;
    }
    this.#out.unshift(bytes.slice());
    this.#wake();
  }

  /**
   * Ends the pending reads with an empty array, for a reader that is going
   * away; the stream keeps its bytes for later reads or `suspend()`.
   */
  cancelReads(): void {
    for (const r of this.#readers.splice(0)) r.resolve(new Uint8Array(0));
  }

  /** Number of bytes queued towards the program and not yet read. */
  get buffered(): number {
    return this.#out.reduce((n, b) => n + b.length, 0) - this.#outOffset;
  }

  /**
   * Stops the services and returns the state to resume from (pass it as
   * `options.state`): discovered services, their session states, unread
   * output and a partial input packet. The host is closed afterwards.
   */
  async suspend(): Promise<Uint8Array> {
    await this.#writing;
    this.#stopped = true;
    const w = new _Writer();
    w.u8(0); // format version
    w.bytes(this.#reassembler.pending);
    const out = new Uint8Array(this.buffered);
    let at = 0;
    this.#out.forEach((b, i) => {
      const part = i === 0 ? b.subarray(this.#outOffset) : b;
      out.set(part, at);
      at += part.length;
    });
    w.bytes(out);
    w.u16(this.#entries.length);
    for (const e of this.#entries) {
      w.u8(e.name.length);
      w.raw(e.name);
      w.u8((e.session ? SERVICE_AVAILABLE : 0) | (e.received ? _FLAG_RECEIVED : 0));
      w.bytes(e.session?.state?.() ?? new Uint8Array(0));
    }
    const state = w.finish();
    await this.close();
    return state;
  }

  /** Closes every session and ends pending reads. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopped = true;
    this.#out = [];
    this.#outOffset = 0;
    for (const r of this.#readers.splice(0)) r.resolve(new Uint8Array(0));
    for (const e of this.#entries) {
      e.control.abort();
      try {
        await e.session?.close?.();
      } catch {
        // A failing close must not keep the others open.
      }
    }
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (this.#violated || this.#stopped) return;
    let packets: Packet[];
    try {
      packets = this.#reassembler.push(bytes);
    } catch (err) {
      this.#violate(err instanceof Error ? err.message : String(err));
      return;
    }
    for (const p of packets) {
      if (this.#violated || this.#stopped) return;
      await this.#dispatch(p);
    }
  }

  async #dispatch(p: Packet): Promise<void> {
    if (p.domain > Domain.DATA) return this.#violate(`Packet domain ${p.domain} is not 0..3`);
    if (p.code === CODE_SERVICES) {
      if (p.domain !== Domain.CALL) {
        return this.#violate(`Service discovery packet has domain ${p.domain}, not CALL`);
      }
      return this.#discover(p.payload);
    }
    if (p.code < 0) return; // reserved codes are ignored
    const e = this.#entries[p.code];
    if (e === undefined) {
      return this.#violate(
        `Packet code ${p.code} is not a discovered service (${this.#entries.length} discovered)`,
      );
    }
    const session = e.session;
    if (session === undefined) {
      return this.#violate(`Packet code ${p.code} is an unavailable service`);
    }
    if (!e.received) {
      e.received = true;
      for (const info of e.heldInfo.splice(0)) this.#enqueue(e.code, Domain.INFO, info);
    }
    const name = e.service!.name;
    try {
      switch (p.domain) {
        case Domain.CALL:
          return this.#call(e, session, p.payload);
        case Domain.INFO:
          await session.info?.(p.payload);
          return;
        case Domain.FLOW:
          if (session.flow === undefined) {
            return this.#violate(`Service "${name}" has no streams: flow packet`);
          }
          await session.flow(decodeFlow(p.payload));
          return;
        case Domain.DATA: {
          if (session.data === undefined) {
            return this.#violate(`Service "${name}" has no streams: data packet`);
          }
          const d = decodeData(p.payload);
          await session.data(d.id, d.note, d.data);
          return;
        }
      }
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.#violate(err instanceof PacketError ? detail : `Service "${name}": ${detail}`);
    }
  }

  #call(e: _Entry, session: ServiceSession, payload: Uint8Array): void {
    if (session.call === undefined) {
      // doc/service.md: an unsupported call gets an empty reply.
      e.replies.push({ payload: new Uint8Array(0) });
      return this.#flushReplies(e);
    }
    const result = session.call(payload);
    if (result === undefined) return;
    if (result instanceof Uint8Array) {
      e.replies.push({ payload: result.slice() });
      return this.#flushReplies(e);
    }
    const reply: _Reply = { payload: null };
    e.replies.push(reply);
    result.then(
      (bytes) => {
        reply.payload = bytes.slice();
        this.#flushReplies(e);
      },
      (err) => {
        const detail = err instanceof Error ? err.message : String(err);
        this.#violate(`Service "${e.service!.name}": ${detail}`);
      },
    );
  }

  #flushReplies(e: _Entry): void {
    while (e.replies[0]?.payload) {
      const reply = e.replies.shift()!;
      if (e.control.signal.aborted) continue;
      try {
        this.#enqueue(e.code, Domain.CALL, reply.payload!);
      } catch (err) {
        this.#violate(`Service "${e.service!.name}": ${(err as Error).message}`);
      }
    }
  }

  #discover(payload: Uint8Array): void {
    let names: Uint8Array[];
    try {
      names = decodeDiscoveryRequest(payload);
    } catch (err) {
      return this.#violate((err as Error).message);
    }
    for (const raw of names) {
      if (this.#entries.length >= MAX_SERVICES) break; // the reply count tells the program
      this.#addEntry(raw, undefined);
    }
    this.#enqueue(CODE_SERVICES, Domain.CALL, this.#discoveryReply());
  }

  #discoveryReply(): Uint8Array {
    return encodeDiscoveryReply(this.#entries.map((e) => e.session ? SERVICE_AVAILABLE : 0));
  }

  #addEntry(raw: Uint8Array, restored: Uint8Array | undefined, available = true): _Entry {
    let name: string | undefined;
    try {
      name = new TextDecoder("utf-8", { fatal: true }).decode(raw);
    } catch {
      name = undefined; // not UTF-8: no service has that name
    }
    const service = name === undefined ? undefined : this.#services.get(name);
    const e: _Entry = {
      code: this.#entries.length,
      name: raw.slice(),
      service,
      session: undefined,
      control: new AbortController(),
      received: false,
      heldInfo: [],
      replies: [],
    };
    this.#entries.push(e);
    if (service !== undefined && available) {
      const context = this.#context(e);
      if (restored === undefined) {
        try {
          e.session = service.createSession(context);
        } catch {
          e.session = undefined; // a service that cannot start is unavailable
        }
      } else {
        e.session = service.createSession(context, restored);
      }
    }
    return e;
  }

  #context(e: _Entry): ServiceContext {
    const o = this.#options;
    return {
      send: (domain: SendDomain, payload: Uint8Array) => {
        if (e.control.signal.aborted || this.#stopped) return;
        const d = _SEND_DOMAIN[domain];
        if (d === undefined) throw new TypeError(`Cannot send packet: unknown domain "${domain}"`);
        if (d === Domain.INFO && !e.received) {
          encodePacket(e.code, d, payload); // size check
          e.heldInfo.push(payload.slice());
          return;
        }
        this.#enqueue(e.code, d, payload);
      },
      violation: (message: string) => {
        this.#violate(`Service "${e.service!.name}": ${message}`);
      },
      origin: o.origin,
      principal: o.principal,
      instance: o.instance,
      services: this.#infos,
      signal: e.control.signal,
    };
  }

  #enqueue(code: number, domain: Domain, payload: Uint8Array): void {
    if (this.#stopped) return;
    const packet = encodePacket(code, domain, payload);
    const padded = new Uint8Array(align(packet.length));
    padded.set(packet);
    this.#out.push(padded);
    this.#wake();
  }

  #wake(): void {
    while (this.#readers.length > 0 && this.#out.length > 0) {
      const r = this.#readers.shift()!;
      r.resolve(this.#take(r.max));
    }
  }

  #take(max: number): Uint8Array {
    const first = this.#out[0]!;
    const rest = first.length - this.#outOffset;
    if (rest <= max && this.#out.length === 1) {
      const out = first.subarray(this.#outOffset);
      this.#out.shift();
      this.#outOffset = 0;
      return out;
    }
    const out = new Uint8Array(Math.min(max, this.buffered));
    let at = 0;
    while (at < out.length) {
      const b = this.#out[0]!;
      const n = Math.min(b.length - this.#outOffset, out.length - at);
      out.set(b.subarray(this.#outOffset, this.#outOffset + n), at);
      at += n;
      this.#outOffset += n;
      if (this.#outOffset === b.length) {
        this.#out.shift();
        this.#outOffset = 0;
      }
    }
    return out;
  }

  #violate(message: string): void {
    if (this.#violated) return;
    this.#violated = true;
    this.#options.onViolation(message);
  }

  #restore(state: Uint8Array): void {
    const r = new _Reader(state);
    const version = r.u8();
    if (version !== 0) throw new RangeError(`Cannot restore packet host: format ${version}`);
    const input = r.bytes();
    const output = r.bytes();
    const count = r.u16();
    const saved: { name: Uint8Array; flags: number; state: Uint8Array }[] = [];
    for (let i = 0; i < count; i++) {
      const name = r.raw(r.u8());
      const flags = r.u8();
      saved.push({ name, flags, state: r.bytes() });
    }
    r.end();
    this.#reassembler.push(input);
    if (output.length > 0) this.#out.push(output);
    if (count > 0) {
      // The program learns that services survived: the discovery reply as INFO.
      this.#enqueue(
        CODE_SERVICES,
        Domain.INFO,
        encodeDiscoveryReply(saved.map((s) => s.flags & SERVICE_AVAILABLE)),
      );
    }
    for (const s of saved) {
      const e = this.#addEntry(s.name, s.state, (s.flags & SERVICE_AVAILABLE) !== 0);
      e.received = (s.flags & _FLAG_RECEIVED) !== 0;
    }
  }
}

class _Writer {
  #parts: number[] = [];
  u8(v: number): void {
    this.#parts.push(v & 0xff);
  }
  u16(v: number): void {
    this.u8(v);
    this.u8(v >>> 8);
  }
  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16(v >>> 16);
  }
  raw(b: Uint8Array): void {
    for (const x of b) this.#parts.push(x);
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.raw(b);
  }
  finish(): Uint8Array {
    return new Uint8Array(this.#parts);
  }
}

class _Reader {
  #b: Uint8Array;
  #at = 0;
  constructor(b: Uint8Array) {
    this.#b = b;
  }
  raw(n: number): Uint8Array {
    if (this.#at + n > this.#b.length) {
      throw new RangeError("Cannot restore packet host: state is truncated");
    }
    const out = this.#b.slice(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  u8(): number {
    return this.raw(1)[0]!;
  }
  u16(): number {
    const b = this.raw(2);
    return b[0]! | (b[1]! << 8);
  }
  u32(): number {
    const b = this.raw(4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  bytes(): Uint8Array {
    return this.raw(this.u32());
  }
  end(): void {
    if (this.#at !== this.#b.length) {
      throw new RangeError("Cannot restore packet host: state has trailing bytes");
    }
  }
}
