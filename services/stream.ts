/**
 * The caller's byte stream ("origin"): the one duplex byte stream that a
 * running program shares with whoever started it. The `origin` service
 * carries it as packet streams, and WASI stdio uses the same object
 * (`fd_read(0)` reads it, `fd_write(1)` writes it).
 *
 * @module
 */

/**
 * A duplex byte stream between Deno and a program's caller.
 *
 * Calls of the same method are served in call order; `read` and `write` are
 * independent of each other. Bytes passed to `write` are lent for the call
 * only (an implementation copies what it keeps).
 */
export interface Origin {
  /**
   * Reads 1..`max` bytes (`max` >= 1), waiting until some are available.
   * Resolves with `null` at end of input; after that every read resolves
   * with `null`.
   */
  read(max: number): Promise<Uint8Array | null>;
  /** Writes all of `bytes`; resolves when they have been handed on. */
  write(bytes: Uint8Array): Promise<void>;
  /** Ends the output direction (the caller sees end of stream). Idempotent. */
  closeWrite?(): Promise<void>;
  /**
   * Takes back bytes a read returned that could not be delivered (the
   * program was suspended): the next read, or a snapshot, gets them first.
   */
  unread?(bytes: Uint8Array): void;
  /**
   * Stops using the stream: pending and later reads resolve with `null`, and
   * the underlying reader and writer are released. Idempotent.
   */
  close?(): Promise<void>;
}

/** An {@linkcode Origin} kept in memory, for tests and for batch runs. */
export interface BufferOrigin extends Origin {
  /** Everything written so far, concatenated (a fresh copy). */
  readonly output: Uint8Array;
  /** Whether `closeWrite()` or `close()` has been called. */
  readonly writeClosed: boolean;
  closeWrite(): Promise<void>;
  close(): Promise<void>;
}

/** Serializes async operations in call order. */
class _Queue {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(op, op);
    this.#tail = result.catch(() => {});
    return result;
  }
}

function _checkMax(max: number): void {
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`Cannot read from origin: max must be a positive integer, got ${max}`);
  }
}

/**
 * Adapts web streams to an {@linkcode Origin}. A `null` readable is an empty
 * input (reads resolve with `null`); a `null` writable discards output.
 *
 * @example Use the process's stdio as the origin
 * ```ts ignore
 * import { originFromStreams } from "./stream.ts";
 *
 * const origin = originFromStreams(Deno.stdin.readable, Deno.stdout.writable);
 * await origin.write(new TextEncoder().encode("hello\n"));
 * ```
 */
export function originFromStreams(
  readable: ReadableStream<Uint8Array> | null,
  writable: WritableStream<Uint8Array> | null,
): Origin {
  const reader = readable?.getReader() ?? null;
  const writer = writable?.getWriter() ?? null;
  const reads = new _Queue();
  const writes = new _Queue();
  let pending: Uint8Array | null = null; // bytes of a chunk beyond an earlier max
  let eof = reader === null;
  let writeClosed = false;
  let closed = false;

  function closeWrite(): Promise<void> {
    return writes.run(async () => {
      if (writeClosed) return;
      writeClosed = true;
      if (writer !== null) await writer.close().catch(() => {});
    });
  }

  return {
    read(max: number): Promise<Uint8Array | null> {
      _checkMax(max);
      return reads.run(async () => {
        while (pending === null || pending.length === 0) {
          if (eof || closed || reader === null) return null;
          const { value, done } = await reader.read();
          if (done) {
            eof = true;
            return null;
          }
          pending = value;
        }
        const out = pending.slice(0, max);
        pending = pending.length > max ? pending.subarray(max) : null;
        return out;
      });
    },

    write(bytes: Uint8Array): Promise<void> {
      const copy = bytes.slice();
      return writes.run(async () => {
        if (writeClosed) throw new TypeError("Cannot write to origin: output is closed");
        if (writer !== null && copy.length > 0) await writer.write(copy);
      });
    },

    closeWrite,

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (reader !== null) {
        await reader.cancel().catch(() => {});
        reader.releaseLock();
      }
      await closeWrite();
    },
  };
}

/**
 * An in-memory {@linkcode Origin}: reads serve `input` (at most `chunk` bytes
 * per read, to exercise short reads), and writes are collected in `output`.
 *
 * @example
 * ```ts
 * import { bufferOrigin } from "./stream.ts";
 *
 * const origin = bufferOrigin(new TextEncoder().encode("hi"));
 * console.log(await origin.read(10)); // Uint8Array(2) [ 104, 105 ]
 * console.log(await origin.read(10)); // null
 * await origin.write(new Uint8Array([1, 2]));
 * console.log(origin.output); // Uint8Array(2) [ 1, 2 ]
 * ```
 */
export function bufferOrigin(
  input: Uint8Array = new Uint8Array(0),
  options: { chunk?: number } = {},
): BufferOrigin {
  const data = input.slice();
  const chunk = options.chunk ?? Infinity;
  let offset = 0;
  const parts: Uint8Array[] = [];
  let writeClosed = false;
  let closed = false;

  return {
    get output(): Uint8Array {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
    get writeClosed(): boolean {
      return writeClosed;
    },
    read(max: number): Promise<Uint8Array | null> {
      _checkMax(max);
      if (closed || offset >= data.length) return Promise.resolve(null);
      const n = Math.min(max, chunk, data.length - offset);
      const out = data.slice(offset, offset + n);
      offset += n;
      return Promise.resolve(out);
    },
    write(bytes: Uint8Array): Promise<void> {
      if (writeClosed) {
        return Promise.reject(new TypeError("Cannot write to origin: output is closed"));
      }
      if (bytes.length > 0) parts.push(bytes.slice());
      return Promise.resolve();
    },
    closeWrite(): Promise<void> {
      writeClosed = true;
      return Promise.resolve();
    },
    close(): Promise<void> {
      closed = true;
      writeClosed = true;
      return Promise.resolve();
    },
  };
}
