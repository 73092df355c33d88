/**
 * The FS server of programs run with preopened directories (docs/files.md):
 * a {@linkcode Filesystem} answers the FS frames of one program's instance
 * process with libgate's `gate_fs_*` functions, which resolve every path
 * beneath its preopened directory.
 *
 * @module
 */

import { lib } from "./_library.ts";
import { errorBuffer, errorFromStatus, readMessage } from "./errors.ts";
import { Status } from "./errors.gen.ts";

/** A host directory given to a program. */
export interface Preopen {
  /** The host directory. */
  host: string;
  /** The name the program sees (`fd_prestat_dir_name`), such as "/data". */
  guest: string;
  /** The program may read but change nothing (default false). */
  readOnly?: boolean;
}

/** GATE_FS_READ_ONLY in native/libgate.h. */
const READ_ONLY = 0x1;
/** GATE_FS_REPLY_MAX in native/libgate.h: a frame less its header. */
const REPLY_MAX = 65520;

/**
 * Serves the FS frames of one program: preopens get descriptors 3, 4, ...
 * in order. Close it (or `using` it) when the program ends: it holds host
 * descriptors.
 */
export class Filesystem {
  #ptr: Deno.PointerObject | null;
  readonly #reply = new Uint8Array(REPLY_MAX);
  static readonly #leaks = new FinalizationRegistry<bigint>((ptr) => {
    lib().gate_fs_free(Deno.UnsafePointer.create(ptr));
  });

  private constructor(ptr: Deno.PointerObject) {
    this.#ptr = ptr;
    Filesystem.#leaks.register(this, Deno.UnsafePointer.value(ptr) as bigint, this);
  }

  /**
   * Opens the preopened directories. Deno's own permissions are an extra
   * layer: each host directory needs read permission, and write permission
   * unless `readOnly`; without them this throws `Deno.errors.NotCapable`
   * before anything is opened. Throws `Error` when a directory cannot be
   * opened.
   */
  static open(preopens: readonly Preopen[]): Filesystem {
    for (const { host, readOnly } of preopens) {
      checkPermission("read", host);
      if (!readOnly) checkPermission("write", host);
    }
    const symbols = lib();
    const out = new BigUint64Array(1);
    const err = errorBuffer();
    let status = symbols.gate_fs_new(out, err, BigInt(err.length));
    if (status !== Status.OK) throw errorFromStatus(status, readMessage(err));
    const fs = new Filesystem(Deno.UnsafePointer.create(out[0]!) as Deno.PointerObject);
    const encoder = new TextEncoder();
    try {
      for (const { host, guest, readOnly } of preopens) {
        status = symbols.gate_fs_preopen(
          fs.#ptr,
          encoder.encode(host + "\0"),
          encoder.encode(guest + "\0"),
          readOnly ? READ_ONLY : 0,
          err,
          BigInt(err.length),
        );
        if (status !== Status.OK) throw errorFromStatus(status, readMessage(err));
      }
    } catch (e) {
      fs.close();
      throw e;
    }
    return fs;
  }

  /**
   * Serves one FS payload (the FS frame less its header) and returns the
   * FS_REPLY payload (docs/protocol.md). The reply is a fresh copy. A
   * malformed request gets an errno reply, never an exception.
   */
  call(request: Uint8Array): Uint8Array {
    if (this.#ptr === null) throw new TypeError("Cannot serve FS call: filesystem is closed");
    const n = Number(
      lib().gate_fs_call(
        this.#ptr,
        request as Uint8Array<ArrayBuffer>,
        BigInt(request.length),
        this.#reply,
        BigInt(this.#reply.length),
      ),
    );
    if (n < 0) throw errorFromStatus(-n, "Cannot serve FS call");
    return this.#reply.slice(0, n);
  }

  /** Closes every descriptor of the program. Idempotent. */
  close(): void {
    if (this.#ptr === null) return;
    Filesystem.#leaks.unregister(this);
    lib().gate_fs_free(this.#ptr);
    this.#ptr = null;
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function checkPermission(name: "read" | "write", path: string): void {
  const { state } = Deno.permissions.querySync({ name, path });
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Cannot preopen "${path}": Deno has no ${name} permission for it ` +
        `(run with --allow-${name}=${path}${name === "write" ? " or make it read-only" : ""})`,
    );
  }
}
