/**
 * What the spec runner needs from a WebAssembly engine: validation, and
 * for engines that execute, sessions that instantiate, link and invoke.
 *
 * @module
 */

import type { RawValue } from "../../mod.ts";

/** The verdict of an engine on a module's bytes. */
export type Validation = { valid: true } | { valid: false; message: string };

/** An instance inside a session; opaque to the runner. */
export type Handle = unknown;

/** What instantiating a module came to. */
export type Instantiation =
  | { kind: "instance"; handle: Handle }
  /**
   * Compilation failed. `unsupported` is set when the module is valid but
   * uses something the engine cannot run yet (such as SIMD).
   */
  | { kind: "compile-error"; message: string; unsupported?: boolean }
  | { kind: "link-error"; message: string }
  /** The start function trapped; `trap` is the kind's spec message. */
  | { kind: "trap"; trap: string; message: string }
  /** Anything else: a crash, a lost process. */
  | { kind: "error"; message: string };

/** What an action (invoke or get) came to. */
export type ActionResult =
  | { kind: "values"; values: RawValue[] }
  | { kind: "trap"; trap: string; message: string }
  | { kind: "error"; message: string };

/**
 * The state of one script: instances, and the names modules are registered
 * under for imports (`spectest` is registered from the start).
 */
export interface Session {
  /** Compiles and instantiates a module, its imports bound through the registry. */
  instantiate(bytes: Uint8Array): Promise<Instantiation>;
  /** Makes an instance's exports importable under a module name. */
  register(as: string, handle: Handle): void;
  /** Calls an exported function. */
  invoke(handle: Handle, field: string, args: RawValue[]): Promise<ActionResult>;
  /** Reads an exported global. */
  get(handle: Handle, field: string): Promise<ActionResult>;
  /** Ends the session and everything in it. */
  close(): void;
}

/** A WebAssembly engine as seen by the spec runner. */
export interface Engine {
  /** A short name for output, such as "gate". */
  readonly name: string;
  /**
   * Decodes and validates a module. Returns `{ valid: false }` when the
   * engine rejects the module as malformed or invalid; throws for any other
   * failure (a crash of the engine is not a correct rejection).
   */
  validate(bytes: Uint8Array): Validation;
  /**
   * Starts a session for one script. Engines without it only validate: the
   * runner then skips execution and only validates the modules it meets.
   */
  session?(): Promise<Session>;
}
