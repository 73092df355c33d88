/**
 * A growable byte writer for WebAssembly binaries, fast enough for modules of
 * many megabytes (the synthetic compile stressors).
 *
 * @module
 */

/** The 8-byte module header: magic and version 1. */
export const WASM_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Appends bytes and LEB128 integers to a buffer that doubles as it fills. */
export class ByteWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  /** Number of bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** Appends one byte per argument. */
  byte(...values: number[]): this {
    this.#reserve(values.length);
    for (const v of values) this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** Appends a byte array. */
  bytes(values: ArrayLike<number>): this {
    this.#reserve(values.length);
    this.#buf.set(values, this.#len);
    this.#len += values.length;
    return this;
  }

  /** Appends an unsigned LEB128 integer (0 to 2^32 - 1). */
  uleb(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new RangeError(`Cannot encode "${n}" as u32 LEB128: out of range`);
    }
    do {
      let b = n & 0x7f;
      n = Math.floor(n / 128);
      if (n) b |= 0x80;
      this.byte(b);
    } while (n);
    return this;
  }

  /** Appends a signed LEB128 integer (-2^31 to 2^31 - 1). */
  sleb(n: number): this {
    if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
      throw new RangeError(`Cannot encode "${n}" as s32 LEB128: out of range`);
    }
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** Appends a UTF-8 name with its length prefix. */
  name(s: string): this {
    const utf8 = new TextEncoder().encode(s);
    return this.uleb(utf8.length).bytes(utf8);
  }

  /** Appends a section: id, payload size, payload. */
  section(id: number, payload: ByteWriter): this {
    return this.byte(id).uleb(payload.length).bytes(payload.toBytes());
  }

  /** The bytes written so far (a view, valid until the next write). */
  toBytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  #reserve(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}
