/**
 * Gate's own engine (mod.ts) behind the spec runner's {@linkcode Engine}:
 * validation in the Deno process, and execution through the real path, one
 * instance process (a Store) per script.
 *
 * @module
 */

import {
  compile,
  CompileError,
  type Instance,
  LinkError,
  type RawValue,
  Store,
  TrapError,
  trapMessage,
  validate,
} from "../../mod.ts";
import type { ActionResult, Engine, Handle, Instantiation, Session, Validation } from "./engine.ts";

// The smallest module: magic and version. Validating it loads libgate.
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** Options for {@linkcode createGateEngine}. */
export interface GateEngineOptions {
  /** Execute scripts (default true); false only validates. */
  execute?: boolean;
}

/**
 * Returns the engine the spec runner tests: Gate's decoder and validator,
 * and its compiler, executor and runtime.
 *
 * Throws when libgate cannot be loaded, so that a missing library stops the
 * run instead of failing every check.
 */
export function createGateEngine(options: GateEngineOptions = {}): Engine {
  try {
    validateWithGate(EMPTY_MODULE);
  } catch (cause) {
    throw new Error("Cannot start the Gate engine", { cause });
  }
  const engine: Engine = { name: "gate", validate: validateWithGate };
  if (options.execute !== false) engine.session = createSession;
  return engine;
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

async function createSession(): Promise<Session> {
  let store = await Store.create();
  let registry = new Map<string, Instance>([["spectest", await store.spectest()]]);

  // After a crash of the instance process, later modules get a new one;
  // what was registered before is gone with the old process.
  async function liveStore(): Promise<Store> {
    if (!store.closed) return store;
    store.close();
    store = await Store.create();
    registry = new Map([["spectest", await store.spectest()]]);
    return store;
  }

  return {
    async instantiate(bytes: Uint8Array): Promise<Instantiation> {
      try {
        validate(bytes);
      } catch (error) {
        if (error instanceof CompileError) return { kind: "compile-error", message: error.message };
        return { kind: "error", message: describe(error) };
      }
      try {
        // No image cache: the spec tests the compiler, every run.
        const module = await compile(bytes, { cache: false });
        const target = await liveStore();
        const instance = await module.instantiate({
          store: target,
          imports: Object.fromEntries(registry),
        });
        return { kind: "instance", handle: instance };
      } catch (error) {
        // The module validated, so a CompileError here is the code
        // generator declining it.
        if (error instanceof CompileError) {
          return { kind: "compile-error", message: error.message, unsupported: isSimd(error) };
        }
        if (error instanceof LinkError) return { kind: "link-error", message: error.message };
        if (error instanceof TrapError) {
          return { kind: "trap", trap: trapMessage(error.trap), message: error.message };
        }
        return { kind: "error", message: describe(error) };
      }
    },
    register(as: string, handle: Handle): void {
      registry.set(as, handle as Instance);
    },
    invoke(handle: Handle, field: string, args: RawValue[]): Promise<ActionResult> {
      return act(() => (handle as Instance).invokeRaw(field, args));
    },
    get(handle: Handle, field: string): Promise<ActionResult> {
      return act(async () => [await (handle as Instance).globalRaw(field)]);
    },
    close(): void {
      store.close();
    },
  };
}

async function act(run: () => Promise<RawValue[]>): Promise<ActionResult> {
  try {
    return { kind: "values", values: await run() };
  } catch (error) {
    if (error instanceof TrapError) {
      return { kind: "trap", trap: trapMessage(error.trap), message: error.message };
    }
    return { kind: "error", message: describe(error) };
  }
}

function isSimd(error: CompileError): boolean {
  return /\bSIMD\b|\bv128\b/i.test(error.message);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
