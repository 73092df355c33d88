/**
 * A stand-in engine built on V8's WebAssembly, for developing and testing the
 * runner itself independently of Gate's validator. The `deno task spec`
 * command never uses it: it tests Gate only.
 *
 * @module
 */

import type { Engine, Validation } from "./engine.ts";

/** Returns an engine that validates with V8 (`new WebAssembly.Module`). */
export function createV8Engine(): Engine {
  return { name: "v8", validate: validateWithV8 };
}

function validateWithV8(bytes: Uint8Array): Validation {
  try {
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    return { valid: true };
  } catch (error) {
    if (error instanceof WebAssembly.CompileError) {
      return { valid: false, message: error.message };
    }
    throw error;
  }
}
