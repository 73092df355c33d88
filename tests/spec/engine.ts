/**
 * What the spec runner needs from a WebAssembly engine.
 *
 * Today Gate decodes and validates only. Execution (issue #4) extends this
 * interface with instantiation and invocation; classifyCommand() then turns
 * the execution commands into checks that call them instead of skipping.
 *
 * @module
 */

/** The verdict of an engine on a module's bytes. */
export type Validation = { valid: true } | { valid: false; message: string };

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
}
