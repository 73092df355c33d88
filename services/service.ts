/**
 * The interface for adding a service that programs can discover by name.
 *
 * A {@linkcode Service} is registered once (pass it to the runtime in the
 * `services` list); {@linkcode Service.createSession} makes one
 * {@linkcode ServiceSession} per program instance, the first time the program
 * discovers the name. The packet runtime decodes packets, checks the protocol
 * and keeps the CALL reply order; a session only sees payloads.
 *
 * @example An "echo" service: each call is answered with its own content
 * ```ts
 * import type { Service } from "./service.ts";
 *
 * export const echo: Service = {
 *   name: "example.org/echo",
 *   revision: "1",
 *   createSession(context) {
 *     let calls = 0;
 *     return {
 *       call(payload) {
 *         calls++;
 *         context.send("info", new Uint8Array([calls])); // an async notification
 *         return payload; // the CALL reply
 *       },
 *     };
 *   },
 * };
 * ```
 *
 * @module
 */

import type { Origin } from "./stream.ts";

/** Name and revision of a service, as the catalog lists them. */
export interface ServiceInfo {
  /** 1..127 bytes of UTF-8; see {@linkcode validateServiceName}. */
  readonly name: string;
  /** Version string of the service's protocol ("0" for the built-ins). */
  readonly revision: string;
}

/** A service that programs can discover. */
export interface Service extends ServiceInfo {
  /**
   * Creates the service's session for one program instance. `restored` is
   * what {@linkcode ServiceSession.state} returned when the instance was
   * suspended (absent on a fresh start). May throw to refuse a bad state.
   */
  createSession(context: ServiceContext, restored?: Uint8Array): ServiceSession;
}

/** Packet kinds a session may send on its own initiative. */
export type SendDomain = "call" | "info" | "flow" | "data";

/** What the runtime gives a session. */
export interface ServiceContext {
  /**
   * Queues a packet (this service's code, the given domain) towards the
   * program; the payload is copied. "info" packets are held until the
   * program has sent a packet to this service. "call" is only for replies the
   * session owes without a returned value (see {@linkcode ServiceSession.call}).
   * Throws a RangeError if the packet would exceed 65536 bytes; does nothing
   * after the session is closed.
   */
  send(domain: SendDomain, payload: Uint8Array): void;
  /**
   * Reports that the program broke this service's protocol; the instance is
   * killed ("ABI violation").
   */
  violation(message: string): void;
  /** The caller's byte stream, if the instance has one. */
  readonly origin: Origin | undefined;
  /** Principal ID of the instance's owner, if known. */
  readonly principal: string | undefined;
  /** Instance ID (a UUID string), if known. */
  readonly instance: string | undefined;
  /** Every service offered to the instance (for the catalog). */
  readonly services: readonly ServiceInfo[];
  /** Aborted when the session is closed. */
  readonly signal: AbortSignal;
}

/**
 * A service's state for one program instance. Every handler is optional: a
 * missing `call` answers each call with an empty reply (doc/service.md), a
 * missing `info` ignores info packets, and a missing `flow` or `data` makes
 * such a packet a protocol violation (the service has no streams).
 */
export interface ServiceSession {
  /**
   * Handles a CALL; returns the reply payload (the runtime sends replies in
   * call order, once each promise settles). Returning `undefined` means the
   * session sends the reply itself later with `send("call", ...)` and keeps
   * the order itself. A rejected promise or a throw is a violation.
   */
  call?(payload: Uint8Array): Uint8Array | Promise<Uint8Array> | undefined;
  /** Handles an INFO packet. */
  info?(payload: Uint8Array): void | Promise<void>;
  /** Handles a FLOW packet's entries. */
  flow?(entries: { id: number; value: number }[]): void | Promise<void>;
  /** Handles a DATA packet; empty `data` is end of stream. */
  data?(id: number, note: number, data: Uint8Array): void | Promise<void>;
  /**
   * Returns what to save on suspend, to be passed to `createSession` on
   * resume (empty: nothing to save). Called after the runtime has stopped
   * delivering packets to the session.
   */
  state?(): Uint8Array;
  /** Releases resources; no packets are sent after it. */
  close?(): void | Promise<void>;
}

const _LETTERS_NUMBERS_PUNCT = /^[\p{L}\p{N}\p{P}]+$/u;

/**
 * Checks a service name (reference b.5): UTF-8 letters, numbers and
 * punctuation, 1..127 bytes. Returns an error message, or `null` if valid.
 */
export function validateServiceName(name: string): string | null {
  const len = new TextEncoder().encode(name).length;
  if (len < 1 || len > 127) return `Service name "${name}" is ${len} bytes, not 1..127`;
  if (!_LETTERS_NUMBERS_PUNCT.test(name)) {
    return `Service name "${name}" contains a character that is not a letter, number or punctuation`;
  }
  return null;
}

/**
 * Checks a revision string: like a name, but marks and symbols are allowed
 * too. Returns an error message, or `null` if valid.
 */
export function validateRevision(revision: string): string | null {
  const len = new TextEncoder().encode(revision).length;
  if (len < 1 || len > 127) return `Service revision "${revision}" is ${len} bytes, not 1..127`;
  if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S}]+$/u.test(revision)) {
    return `Service revision "${revision}" contains a character that is not allowed`;
  }
  return null;
}
