/**
 * The `origin` service (revision "0"): the caller's byte stream as a packet
 * stream. CALL (empty content) accepts a connection; the reply is 8 bytes,
 * `i32 stream_id` and `i16 error` at [4..6]. One stream per connection: an
 * instance has one origin, so a second accept waits for good.
 *
 * On the stream (id in each flow entry and data packet):
 * - caller -> program: the program grants receive capacity with FLOW
 *   `{id, n > 0}` (outstanding grants at most 2^31-1, else violation); the
 *   service reads the origin only when granted and sends DATA of at most the
 *   granted size; an empty DATA is end of input. FLOW `{id, 0}` stops it.
 * - program -> caller: the service grants the program {@linkcode ORIGIN_WINDOW}
 *   bytes with FLOW when accepting, and again as much as it has written on;
 *   DATA beyond the grant is a violation. An empty DATA closes the origin's
 *   output; the service answers with FLOW `{id, 0}`.
 *
 * Saved state: zigzag varint accepting, then (if there are streams) varint
 * count + (varint id + u8 flags: 1 reading, 2 writing, 4 connected, then
 * varint granted + varint writable)*. A connected stream (the one that had
 * the origin) continues on the restored instance's origin, with its flow
 * credit both ways, so `gate resume` carries on with stdio wired as before;
 * other restored streams, or any when the restored instance has no origin,
 * drain (EOF data, FLOW 0) on resume. Bytes a read returned after the
 * suspension go back to the origin (`unread`), so the snapshot keeps them.
 *
 * @module
 */

import { DATA_HEADER_SIZE, encodeData, encodeFlow, MAX_FLOW, MAX_PACKET } from "./packet.ts";
import type { Service, ServiceContext, ServiceSession } from "./service.ts";

/** Write capacity the service grants the program per stream. */
export const ORIGIN_WINDOW = 65536;
const _MAX_DATA = MAX_PACKET - 8 - DATA_HEADER_SIZE;

function _putVarint(out: number[], v: number): void {
  let z = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n)); // Go's PutVarint zigzag
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
}

function _getVarint(b: Uint8Array, at: { i: number }): number {
  let z = 0n;
  for (let shift = 0n;; shift += 7n) {
    const x = b[at.i++];
    if (x === undefined || shift > 63n) throw new RangeError("Origin state is truncated");
    z |= BigInt(x & 0x7f) << shift;
    if (x < 0x80) break;
  }
  return Number((z >> 1n) ^ -(z & 1n));
}

class _Stream {
  reading = true; // the program may still get data from the origin
  writing = true; // the program may still send data
  pumping = false;
  granted = 0; // receive capacity the program has granted and not used
  writable = ORIGIN_WINDOW; // send capacity granted to the program, unused
  wake: (() => void) | null = null;
  constructor(readonly id: number) {}
}

class _OriginSession implements ServiceSession {
  #context: ServiceContext;
  #accepting = 0;
  #connected = false; // the origin has been given to a stream
  #streams = new Map<number, _Stream>();

  constructor(context: ServiceContext, restored: Uint8Array | undefined) {
    this.#context = context;
    if (restored !== undefined && restored.length > 0) this.#restore(restored);
  }

  call(): undefined {
    this.#accepting++;
    this.#accept();
    return undefined; // replied through send("call"), so the flow grant can follow it
  }

  flow(entries: { id: number; value: number }[]): void {
    for (const { id, value } of entries) {
      const s = this.#streams.get(id);
      if (s === undefined) return this.#context.violation(`flow for unknown stream ${id}`);
      if (value < 0) continue; // a note from the program
      if (!s.reading) continue;
      if (value === 0) {
        s.reading = false;
      } else {
        if (s.granted + value > MAX_FLOW) {
          return this.#context.violation(`stream ${id} flow exceeds 2^31-1`);
        }
        s.granted += value;
      }
      s.wake?.();
      if (!s.pumping && s.reading) void this.#pump(s);
    }
  }

  async data(id: number, _note: number, data: Uint8Array): Promise<void> {
    const s = this.#streams.get(id);
    if (s === undefined) return this.#context.violation(`data for unknown stream ${id}`);
    if (!s.writing) return this.#context.violation(`data after end of stream ${id}`);
    const origin = this.#context.origin!;
    if (data.length === 0) {
      s.writing = false;
      await origin.closeWrite?.();
      this.#context.send("flow", encodeFlow([{ id, value: 0 }]));
      return;
    }
    if (data.length > s.writable) {
      return this.#context.violation(
        `stream ${id} data of ${data.length} bytes exceeds the ${s.writable} granted`,
      );
    }
    s.writable -= data.length;
    await origin.write(data);
    s.writable += data.length;
    this.#context.send("flow", encodeFlow([{ id, value: data.length }]));
  }

  state(): Uint8Array {
    const live = [...this.#streams.values()].filter((s) => s.reading || s.writing);
    if (this.#accepting === 0 && live.length === 0) return new Uint8Array(0);
    const out: number[] = [];
    _putVarint(out, this.#accepting);
    if (live.length > 0) {
      _putVarint(out, live.length);
      for (const s of live) {
        _putVarint(out, s.id);
        out.push((s.reading ? 1 : 0) | (s.writing ? 2 : 0) | (this.#connected ? 4 : 0));
        if (this.#connected) {
          _putVarint(out, s.granted);
          _putVarint(out, s.writable);
        }
      }
    }
    return new Uint8Array(out);
  }

  close(): void {
    for (const s of this.#streams.values()) {
      s.reading = false;
      s.wake?.();
    }
  }

  #accept(): void {
    const origin = this.#context.origin;
    if (this.#accepting === 0 || this.#connected || origin === undefined) return;
    this.#connected = true;
    this.#accepting--;
    let id = 0;
    while (this.#streams.has(id)) id++;
    const s = new _Stream(id);
    this.#streams.set(id, s);
    const reply = new Uint8Array(8);
    new DataView(reply.buffer).setInt32(0, id, true); // i16 error at [4..6] is 0
    this.#context.send("call", reply);
    this.#context.send("flow", encodeFlow([{ id, value: ORIGIN_WINDOW }]));
  }

  async #pump(s: _Stream): Promise<void> {
    const origin = this.#context.origin!;
    s.pumping = true;
    try {
      while (s.reading && !this.#context.signal.aborted) {
        if (s.granted === 0) {
          await new Promise<void>((resolve) => (s.wake = resolve));
          s.wake = null;
          continue;
        }
        const chunk = await origin.read(Math.min(s.granted, _MAX_DATA));
        if (!s.reading || this.#context.signal.aborted) {
          // Read after a stop (a suspension): the origin keeps the bytes.
          if (chunk !== null) origin.unread?.(chunk);
          break;
        }
        if (chunk === null) {
          s.reading = false;
          this.#context.send("data", encodeData(s.id, 0, new Uint8Array(0)));
          break;
        }
        s.granted -= chunk.length;
        this.#context.send("data", encodeData(s.id, 0, chunk));
      }
    } catch (err) {
      s.reading = false;
      this.#context.send("data", encodeData(s.id, 0, new Uint8Array(0)));
      void err; // a failing origin ends the stream like end of input
    } finally {
      s.pumping = false;
    }
  }

  #restore(state: Uint8Array): void {
    const at = { i: 0 };
    const resume: _Stream[] = [];
    this.#accepting = _getVarint(state, at);
    if (this.#accepting < 0) throw new RangeError("Origin state has a negative accept count");
    if (at.i < state.length) {
      const n = _getVarint(state, at);
      for (let i = 0; i < n; i++) {
        const id = _getVarint(state, at);
        const flags = state[at.i++];
        if (flags === undefined) throw new RangeError("Origin state is truncated");
        if (this.#streams.has(id)) throw new RangeError(`Origin state has stream ${id} twice`);
        if (flags > 7) throw new RangeError(`Origin state has stream flags ${flags}`);
        const s = new _Stream(id);
        this.#streams.set(id, s);
        if (flags & 4) {
          s.granted = _getVarint(state, at);
          s.writable = _getVarint(state, at);
          if (
            s.granted < 0 || s.granted > MAX_FLOW || s.writable < 0 || s.writable > ORIGIN_WINDOW
          ) {
            throw new RangeError(`Origin state has stream ${id} with bad flow credit`);
          }
        }
        if ((flags & 4) && this.#context.origin !== undefined && !this.#connected) {
          // The stream continues on this instance's origin.
          this.#connected = true;
          s.reading = (flags & 1) !== 0;
          s.writing = (flags & 2) !== 0;
          resume.push(s);
          continue;
        }
        // No connection after resume: the stream drains.
        if (flags & 1) this.#context.send("data", encodeData(id, 0, new Uint8Array(0)));
        if (flags & 2) this.#context.send("flow", encodeFlow([{ id, value: 0 }]));
        s.reading = false;
        s.writing = false;
      }
    }
    if (at.i !== state.length) throw new RangeError("Origin state has trailing bytes");
    for (const s of resume) if (s.reading && s.granted > 0) void this.#pump(s);
    this.#accept();
  }
}

/** Creates the origin service. */
export function originService(): Service {
  return {
    name: "origin",
    revision: "0",
    createSession(context, restored) {
      return new _OriginSession(context, restored);
    },
  };
}
