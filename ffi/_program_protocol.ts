/**
 * The program frames of the executor protocol (docs/protocol.md, "Programs
 * (protocol 3)"): the PROGRAM request's host config, and the stream, pull
 * and FS frames exchanged while a program runs. Pure: no FFI.
 *
 * @module
 */

import { FRAME_MAX, ProtocolError, Reader, Writer } from "./_protocol.ts";

/** Streams of OUTPUT, PULL and INPUT frames (enum gate_stream). */
export const Stream = { PACKETS: 0, STDIO: 1, DEBUG: 2 } as const;
export type Stream = typeof Stream[keyof typeof Stream];

/** PROGRAM flags (GATE_PROGRAM_* in native/executor/protocol.h). */
export const ProgramFlag = {
  /** WASI stderr goes out as OUTPUT on the debug stream, else it is dropped. */
  DEBUG: 0x1,
  /** Calls on fd >= 3 other than the Gate fd go out as FS frames. */
  FS: 0x2,
  /** fd 0 is a terminal (isatty() holds); else a pipe. */
  STDIN_TTY: 0x4,
  /** fd 1 is a terminal. */
  STDOUT_TTY: 0x8,
  /** fd 2 is a terminal. */
  STDERR_TTY: 0x10,
  /** The program is a resumed snapshot; the host config's monotonic is its time. */
  RESUMED: 0x20,
} as const;

/** Which stdio descriptors a program sees as terminals. */
export interface Terminals {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

/** The PROGRAM flags that make the given stdio descriptors terminals. */
export function terminalFlags(terminals: Terminals = {}): number {
  return (terminals.stdin ? ProgramFlag.STDIN_TTY : 0) |
    (terminals.stdout ? ProgramFlag.STDOUT_TTY : 0) |
    (terminals.stderr ? ProgramFlag.STDERR_TTY : 0);
}

/** GATE_OUTPUT_WINDOW: OUTPUT bytes an instance may have un-ACKed. */
export const OUTPUT_WINDOW = 256 * 1024;
/** GATE_STREAM_CHUNK: the most data one stream frame carries or asks for. */
export const STREAM_CHUNK = FRAME_MAX - 16 - 4;

/** What a PROGRAM request configures besides the image. */
export interface ProgramConfig {
  /** ProgramFlag bits. */
  flags: number;
  /** Preopened directories (fds 3 .. 3 + n - 1 on the Deno side). */
  preopens: number;
  /** Clock resolution in ns, 1 .. 1e9. */
  resolution: bigint;
  /** Nanoseconds the monotonic clock already counts. */
  monotonic: bigint;
  /** 32 bytes: the key of random_get's ChaCha20 stream. */
  seed: Uint8Array;
  /** argv, argv[0] included. */
  args: readonly string[];
  /** "KEY=VALUE" strings. */
  env: readonly string[];
}

/** PROGRAM payload; throws RangeError if it does not fit a frame. */
export function encodeProgram(image: number, config: ProgramConfig): Uint8Array {
  if (config.seed.length !== 32) throw new RangeError("The random seed must be 32 bytes");
  if (config.resolution < 1n || config.resolution > 1_000_000_000n) {
    throw new RangeError(`Clock resolution ${config.resolution} ns is not in 1 ns .. 1 s`);
  }
  const known = Object.values(ProgramFlag).reduce((all, bit) => all | bit, 0);
  if (!Number.isInteger(config.flags) || config.flags < 0 || (config.flags & ~known) !== 0) {
    throw new RangeError(`Unknown PROGRAM flags 0x${config.flags.toString(16)}`);
  }
  const utf8 = new TextEncoder();
  const w = new Writer()
    .u32(image)
    .u32(config.flags)
    .u32(config.preopens)
    .u64(config.resolution)
    .u64(config.monotonic)
    .bytes(config.seed);
  for (const list of [config.args, config.env]) {
    w.u32(list.length);
    for (const s of list) {
      const b = utf8.encode(s);
      w.u32(b.length).bytes(b);
    }
  }
  const payload = w.finish();
  if (payload.length > FRAME_MAX - 16) {
    throw new RangeError(
      `Arguments and environment take ${payload.length} bytes; at most ${FRAME_MAX - 64} fit`,
    );
  }
  return payload;
}

/** An OUTPUT or INPUT frame: which stream, and its data. */
export interface StreamData {
  stream: number;
  data: Uint8Array;
}

/** Decodes OUTPUT (or INPUT) payloads. */
export function decodeStreamData(payload: Uint8Array): StreamData {
  const r = new Reader(payload);
  const stream = r.u8();
  r.bytes(3);
  return { stream, data: payload.subarray(4) };
}

/** INPUT (or OUTPUT) payload. */
export function encodeStreamData(stream: number, data: Uint8Array): Uint8Array {
  if (data.length > STREAM_CHUNK) throw new RangeError(`${data.length} bytes exceed a frame`);
  return new Writer().u8(stream).u8(0).u8(0).u8(0).bytes(data).finish();
}

/** A PULL frame. */
export interface Pull {
  stream: number;
  max: number;
}

/** Decodes a PULL payload; the count must be 1 .. STREAM_CHUNK. */
export function decodePull(payload: Uint8Array): Pull {
  const r = new Reader(payload);
  const stream = r.u8();
  r.bytes(3);
  const max = r.u32();
  r.end("Pull");
  if (max < 1 || max > STREAM_CHUNK) throw new ProtocolError(`Pull of ${max} bytes`);
  return { stream, max };
}

/** ACK payload: bytes of OUTPUT data handed on. */
export function encodeAck(bytes: number): Uint8Array {
  return new Writer().u32(bytes).finish();
}
