/**
 * Turns a libgate status and its message buffer into an exception.
 *
 * @module
 */

import { Status, STATUS_INFO } from "./errors.gen.ts";

export { Status };

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

/** A WebAssembly program trapped. */
export class TrapError extends Error {
  /** Creates a TrapError. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TrapError";
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
  const info = STATUS_INFO[status];
  const message = readMessage(buf) || info?.description ||
    `Unknown libgate status ${status}`;
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
