/**
 * Snapshots: a suspended (or ended) program's state as a valid WebAssembly
 * module (docs/snapshot.md). libgate builds, opens and describes them; this
 * file wraps those calls. `Program.snapshot()` and `Program.restore()`
 * (ffi/program.ts) use them.
 *
 * @module
 */

import { lib } from "./_library.ts";
import { sha256Hex } from "./_bytes.ts";
import { errorBuffer, errorFromStatus, readMessage } from "./errors.ts";
import { Status } from "./errors.gen.ts";
import { decodeOpened, type OpenedSnapshot } from "./_snapshot_wire.ts";

export type { OpenedSnapshot };

/** A value in a snapshot frame, as `type:value` text ("i32:3", "f64:0.5"). */
export type SnapshotValue = string;

/** One frame of a suspended program's stack, innermost first (docs/snapshot.md, gate.stack). */
export interface SnapshotFrame {
  /**
   * "call": waiting for its callee, the frame above; "at": about to run the
   * instruction at its offset; "host": an import or a bulk instruction the
   * host runs in pieces (innermost only).
   */
  kind: "call" | "at" | "host";
  /** Function index; absent for a bulk instruction's host frame. */
  function?: number;
  /** A host frame's bulk instruction ("memory.copy", ...) instead of a function. */
  instruction?: string;
  /** Function name from the name section, if any. */
  name?: string;
  /** Bytecode offset from the start of the body (call and at frames). */
  offset?: number;
  /** Parameters, then declared locals (call and at frames). */
  locals?: SnapshotValue[];
  /** Operands, bottom first (call and at frames). */
  stack?: SnapshotValue[];
  /** A host frame's arguments. */
  args?: SnapshotValue[];
}

/** What {@linkcode describeSnapshot} reports (gate_snapshot_describe's JSON). */
export interface SnapshotDescription {
  version: number;
  /** The program halted: the snapshot cannot resume. */
  final: boolean;
  /** Trap kind number (traps.def): 15 SUSPENDED, 12 EXIT, ... */
  trap: number;
  /** proc_exit's code when trap is EXIT. */
  result: number;
  /** Nanoseconds the program's monotonic clock counted. */
  monotonic: number;
  /** Bytes of linear memory. */
  memory: number;
  /** Bytes of buffered input and output. */
  input: number;
  output: number;
  /** Names of the services whose state the snapshot holds. */
  services: string[];
  /** The stack, innermost frame first; empty when there is none. */
  frames: SnapshotFrame[];
}

/**
 * The identity of a snapshot: the SHA-256 of its bytes, lowercase hex. A
 * snapshot is content-addressed: equal bytes, equal id.
 *
 * @example
 * ```ts ignore
 * import { snapshotId } from "../mod.ts";
 *
 * const id = await snapshotId(await Deno.readFile("counter.1a2b3c4d.snapshot.wasm"));
 * console.log(id.slice(0, 8)); // "1a2b3c4d"
 * ```
 */
export function snapshotId(bytes: Uint8Array): Promise<string> {
  return sha256Hex(bytes);
}

/**
 * Decodes and validates a snapshot and describes it: header, sizes and the
 * stack frames with function names. Throws CompileError when the bytes are
 * not a valid snapshot, naming the problem.
 *
 * @example
 * ```ts ignore
 * import { describeSnapshot } from "../mod.ts";
 *
 * const info = describeSnapshot(await Deno.readFile("counter.1a2b3c4d.snapshot.wasm"));
 * for (const frame of info.frames) console.log(frame.kind, frame.name, frame.offset);
 * ```
 */
export function describeSnapshot(bytes: Uint8Array): SnapshotDescription {
  const symbols = lib();
  const err = errorBuffer();
  let buf = describeBuffer;
  for (;;) {
    const n = Number(
      symbols.gate_snapshot_describe(
        bytes as Uint8Array<ArrayBuffer>,
        BigInt(bytes.length),
        buf,
        BigInt(buf.length),
        err,
        BigInt(err.length),
      ),
    );
    if (n < 0) throw errorFromStatus(-n, readMessage(err));
    if (n <= buf.length) {
      return JSON.parse(new TextDecoder().decode(buf.subarray(0, n))) as SnapshotDescription;
    }
    buf = describeBuffer = new Uint8Array(n); // a deep stack: describe again
  }
}

// Reused by describeSnapshot(): grows to the largest description seen.
let describeBuffer = new Uint8Array(64 * 1024);

/** An instance's state wire in a memfd that a STATE request filled (docs/protocol.md). */
export interface StateFile {
  fd: number;
  /** The bytes the instance wrote, from STATE's OK reply. */
  length: bigint;
}

/** Internal (ffi/_session.ts): a new, empty memfd for a STATE request. */
export function stateMemfd(): number {
  const err = errorBuffer();
  const fd = lib().gate_state_memfd(err, BigInt(err.length));
  if (fd < 0) throw errorFromStatus(-fd, readMessage(err));
  return fd;
}

/** Internal: closes a state memfd that will not reach newSnapshot(). */
export function closeFd(fd: number): void {
  lib().gate_fd_close(fd);
}

/**
 * Internal (ffi/program.ts): builds a snapshot from the bytes of the module
 * the program runs (the original or the snapshot it resumed from), the
 * instance's state file (which this closes), and a `gate.buffer` payload
 * (may be empty).
 */
export async function newSnapshot(
  module: Uint8Array,
  state: StateFile,
  buffers: Uint8Array,
): Promise<Uint8Array> {
  const symbols = lib();
  const out = new BigUint64Array(1);
  const err = errorBuffer();
  const status = await symbols.gate_snapshot_new_fd(
    module as Uint8Array<ArrayBuffer>,
    BigInt(module.length),
    state.fd,
    state.length,
    buffers as Uint8Array<ArrayBuffer>,
    BigInt(buffers.length),
    out,
    err,
    BigInt(err.length),
  );
  if (status !== Status.OK) {
    throw errorFromStatus(status, `Cannot make snapshot: ${readMessage(err)}`);
  }
  return takeBlob(Deno.UnsafePointer.create(out[0]!));
}

/**
 * Internal (ffi/program.ts): decodes and validates a snapshot (untrusted
 * bytes) and returns what resuming it needs. Throws CompileError (status
 * GATE_MALFORMED) with the problem named.
 */
export async function openSnapshot(bytes: Uint8Array): Promise<OpenedSnapshot> {
  const symbols = lib();
  const out = new BigUint64Array(1);
  const err = errorBuffer();
  const status = await symbols.gate_snapshot_open(
    bytes as Uint8Array<ArrayBuffer>,
    BigInt(bytes.length),
    out,
    err,
    BigInt(err.length),
  );
  if (status !== Status.OK) throw errorFromStatus(status, readMessage(err));
  return decodeOpened(takeBlob(Deno.UnsafePointer.create(out[0]!)));
}

/**
 * Internal (ffi/program.ts): openSnapshot() and what restoring needs: the
 * program module (the snapshot without its memory) and a sealed memfd with
 * the memory for RESTORE (-1 without memory), which the caller closes.
 */
export async function openSnapshotParts(
  bytes: Uint8Array,
): Promise<{ opened: OpenedSnapshot; program: Uint8Array; memoryFd: number }> {
  const symbols = lib();
  const out = new BigUint64Array(1);
  const program = new BigUint64Array(1);
  const fd = new Int32Array([-1]);
  const err = errorBuffer();
  const status = await symbols.gate_snapshot_open_parts(
    bytes as Uint8Array<ArrayBuffer>,
    BigInt(bytes.length),
    out,
    program,
    fd,
    err,
    BigInt(err.length),
  );
  if (status !== Status.OK) throw errorFromStatus(status, readMessage(err));
  try {
    return {
      opened: decodeOpened(takeBlob(Deno.UnsafePointer.create(out[0]!))),
      program: takeBlob(Deno.UnsafePointer.create(program[0]!)),
      memoryFd: fd[0]!,
    };
  } catch (error) {
    closeFd(fd[0]!);
    throw error;
  }
}

/** Copies a gate_blob's bytes out and frees it. */
function takeBlob(blob: Deno.PointerValue): Uint8Array {
  const symbols = lib();
  try {
    const len = new BigUint64Array(1);
    symbols.gate_blob_bytes(blob, len);
    // libgate copies: it maps the new buffer's pages in one go first, where
    // a copy here would fault each 4 KiB page on its own (microseconds each
    // on a virtual machine, bench limits).
    const bytes = new Uint8Array(Number(len[0]!));
    if (symbols.gate_blob_copy(blob, bytes, len[0]!) !== len[0]!) {
      throw new Error("Cannot read snapshot bytes: gate_blob_copy copied too few");
    }
    return bytes;
  } finally {
    symbols.gate_blob_free(blob);
  }
}
