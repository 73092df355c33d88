/**
 * Turns a libgate status and its message buffer into an exception.
 *
 * @module
 */

import { Status, STATUS_INFO } from "./errors.gen.ts";
import { TRAP_INFO, type TrapName } from "./traps.gen.ts";

export { Status };
export type { TrapName };

/** A module failed to decode, validate or stay within resource limits. */
export class CompileError extends Error {
  /** The libgate status (MALFORMED, INVALID or LIMIT). */
  readonly status: number;

  /** Creates a CompileError with the libgate status that caused it. */
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "CompileError";
    this.status = status;
  }
}

/** Imports of a module do not match what they are bound to. */
export class LinkError extends Error {
  /** Creates a LinkError. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LinkError";
  }
}

/** One WebAssembly frame of a trap's backtrace, innermost first. */
export interface TrapFrame {
  /** Function index within its module (imports included). */
  function: number;
  /** The function's name: from the `name` section, else its export name, if any. */
  name?: string;
  /** Byte offset of the trapping (or calling) instruction in the module. */
  offset: number;
  /** SHA-256 of the module the function belongs to, when known. */
  module?: string;
}

/** Options of a {@linkcode TrapError}. */
export interface TrapErrorOptions extends ErrorOptions {
  /** The trap kind; "NONE" when unknown. */
  trap?: TrapName;
  /** The WebAssembly frames, innermost first. */
  backtrace?: TrapFrame[];
  /** The proc_exit code of an EXIT trap. */
  exitCode?: number;
}

/** A WebAssembly program trapped. */
export class TrapError extends Error {
  /** The trap kind, such as "INTEGER_DIVIDE_BY_ZERO" (native/rt/traps.def). */
  readonly trap: TrapName;
  /** The WebAssembly frames at the trap, innermost first (at most 64). */
  readonly backtrace: readonly TrapFrame[];
  /** The proc_exit code when `trap` is "EXIT", else 0. */
  readonly exitCode: number;

  /** Creates a TrapError. */
  constructor(message: string, options: TrapErrorOptions = {}) {
    super(message, options);
    this.name = "TrapError";
    this.trap = options.trap ?? "NONE";
    this.backtrace = options.backtrace ?? [];
    this.exitCode = options.exitCode ?? 0;
  }
}

/** Returns the spec testsuite's message of a trap kind ("integer divide by zero"). */
export function trapMessage(trap: TrapName): string {
  for (const info of Object.values(TRAP_INFO)) if (info.name === trap) return info.message;
  return trap;
}

/** How a process ended. */
export type ProcessExit = { code: number } | { signal: number };

/** Options of the {@linkcode ProcessError} constructor. */
export interface ProcessErrorOptions extends ErrorOptions {
  /** The instance process was lost with its executor (see ProcessError.lost). */
  lost?: boolean;
}

/**
 * An instance process (or the executor) ended while requests were pending
 * or before a request: a crash, a kill or a lost executor. The instances in
 * it are gone.
 */
export class ProcessError extends Error {
  /** How the process ended, when known. */
  readonly exit: ProcessExit | undefined;
  /**
   * True when gate-executor ended (killed, crashed) and the instance
   * processes in it were lost with it: their exit status is unknown and
   * their state is gone. The next `Store.create()` starts a new executor.
   */
  readonly lost: boolean;

  /** Creates a ProcessError. */
  constructor(message: string, exit?: ProcessExit, options?: ProcessErrorOptions) {
    super(message, options);
    this.name = "ProcessError";
    this.exit = exit;
    this.lost = options?.lost ?? false;
  }
}

/** Size of the message buffers handed to C (err, err_len). */
export const ERROR_BUFFER_SIZE = 512;

/** Returns a new buffer for C to write an error message into. */
export function errorBuffer(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(ERROR_BUFFER_SIZE);
}

/** Decodes the NUL-terminated message C wrote into buf. */
export function readMessage(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}

/**
 * Returns the exception for a status and the message C wrote into buf, or
 * undefined for OK. The class comes from the error table (native/errors.def).
 */
export function statusError(status: number, buf: Uint8Array): Error | undefined {
  if (status === Status.OK) return undefined;
  return errorFromStatus(status, readMessage(buf));
}

/**
 * Returns the exception for a non-OK status and its message (an empty
 * message falls back to the table's description). The class comes from
 * the error table (native/errors.def).
 */
export function errorFromStatus(status: number, text: string): Error {
  const info = STATUS_INFO[status];
  const message = text || info?.description || `Unknown libgate status ${status}`;
  switch (info?.className) {
    case "CompileError":
      return new CompileError(message, status);
    case "LinkError":
      return new LinkError(message);
    case "TrapError":
      return new TrapError(message);
    case "TypeError":
      return new TypeError(message);
    case "RangeError":
      return new RangeError(message);
    default:
      return new Error(info ? `${message} (${info.name})` : message);
  }
}

/** Throws the exception for a status unless it is OK. */
export function check(status: number, buf: Uint8Array): void {
  const error = statusError(status, buf);
  if (error) throw error;
}
