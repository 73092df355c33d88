/**
 * Gate's own engine (mod.ts) behind the spec runner's {@linkcode Engine}.
 *
 * @module
 */

import { CompileError, validate } from "../../mod.ts";
import type { Engine, Validation } from "./engine.ts";

// The smallest module: magic and version. Validating it loads libgate.
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/**
 * Returns the engine the spec runner tests: Gate's decoder and validator.
 *
 * Throws when libgate cannot be loaded, so that a missing library stops the
 * run instead of failing every check.
 */
export function createGateEngine(): Engine {
  try {
    validateWithGate(EMPTY_MODULE);
  } catch (cause) {
    throw new Error("Cannot start the Gate engine", { cause });
  }
  return { name: "gate", validate: validateWithGate };
}

function validateWithGate(bytes: Uint8Array): Validation {
  try {
    validate(bytes);
    return { valid: true };
  } catch (error) {
    if (error instanceof CompileError) return { valid: false, message: error.message };
    throw error;
  }
}
