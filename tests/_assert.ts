/**
 * Assertions for tests, on top of node:assert/strict (JSR's @std/assert is
 * unreachable from the build machines).
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Asserts that value is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Asserts deep strict equality. */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts that value is an instance of type. */
export function assertInstanceOf<T>(
  value: unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => T,
  message?: string,
): asserts value is T {
  nodeAssert.ok(value instanceof type, message ?? `expected an instance of ${type.name}`);
}

/** Asserts that fn throws; returns the error. Optionally checks class and message text. */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (error) {
    if (type) assertInstanceOf(error, type);
    const e = error as Error;
    if (includes !== undefined) {
      nodeAssert.ok(e.message.includes(includes), `"${e.message}" should include "${includes}"`);
    }
    return e;
  }
  throw new nodeAssert.AssertionError({ message: "expected the function to throw" });
}

/** Asserts that fn's promise rejects with an instance of type; returns the error. */
export async function assertRejects<T extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => T,
  includes?: string,
): Promise<T> {
  try {
    await fn();
  } catch (error) {
    assertInstanceOf(error, type, `expected ${type.name}, got ${String(error)}`);
    if (includes !== undefined) {
      nodeAssert.ok(
        error.message.includes(includes),
        `"${error.message}" should include "${includes}"`,
      );
    }
    return error;
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}
