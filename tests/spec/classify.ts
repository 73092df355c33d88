/**
 * What the runner checks for each command of a script: the one place that
 * dispatches on the command type.
 *
 * @module
 */

import { isSimdValue } from "./values.ts";
import type { WastAction, WastCommand, WastValue } from "./wast_json.ts";

/** Skip reason for modules given in the text format. */
export const SKIP_TEXT = "text format is not a binary-engine concern";

/** Skip reason for execution checks when the engine only validates. */
export const SKIP_EXECUTION = "execution not implemented";

/** Skip reason for SIMD execution: v128 values and modules whose code uses SIMD. */
export const SKIP_SIMD = "SIMD execution not implemented";

/** Skip reason for assert_exception (exception handling is not WebAssembly 2.0). */
export const SKIP_EXCEPTIONS = "exception handling is not part of WebAssembly 2.0";

/** What an action must come to. */
export type Expectation =
  | { kind: "return"; values: WastValue[] }
  | { kind: "trap"; text: string }
  | { kind: "exhaustion"; text: string }
  /** A bare `action` command: it must not trap. */
  | { kind: "success" };

/**
 * One check derived from a command; a command yields one or more.
 *
 * - `validate`: the module in `filename` must validate (`valid`) or be
 *   rejected with a CompileError (`invalid`, for malformed and invalid
 *   modules alike: the spec's message in `text` is shown, not matched).
 * - `instantiate`: the module must instantiate (`instance`; it becomes the
 *   current module, and `name` names it), fail to link (`unlinkable`), or
 *   trap in its start function (`uninstantiable`, `text` matched).
 * - `register`: the named (or current) module's exports become importable as `as`.
 * - `action`: invoke a function or get a global; the result must meet `expect`.
 * - `skip`: counted as skipped with the reason, never as passed.
 * - `error`: the command itself cannot be understood; counted as failed.
 */
export type Check =
  | { kind: "validate"; filename: string; expect: "valid" | "invalid"; text?: string }
  | {
    kind: "instantiate";
    filename: string;
    expect: "instance" | "unlinkable" | "uninstantiable";
    name?: string;
    text?: string;
  }
  | { kind: "register"; as: string; name?: string }
  | { kind: "action"; action: WastAction; expect: Expectation }
  | { kind: "skip"; reason: string }
  | { kind: "error"; message: string };

/** Returns the checks for one command of a wast2json script. */
export function classifyCommand(command: WastCommand): Check[] {
  switch (command.type) {
    case "module":
      return [instantiateCheck(command, "instance")];
    case "assert_malformed":
    case "assert_invalid":
      return [validateCheck(command)];
    case "assert_unlinkable":
      return [instantiateCheck(command, "unlinkable")];
    case "assert_uninstantiable":
      return [instantiateCheck(command, "uninstantiable")];
    case "assert_trap":
      // On a module rather than an action: a trapping start function.
      if (command.action === undefined) return [instantiateCheck(command, "uninstantiable")];
      return [actionCheck(command, { kind: "trap", text: command.text ?? "" })];
    case "assert_exhaustion":
      return [actionCheck(command, { kind: "exhaustion", text: command.text ?? "" })];
    case "assert_return":
      return [actionCheck(command, { kind: "return", values: command.expected ?? [] })];
    case "action":
      return [actionCheck(command, { kind: "success" })];
    case "register": {
      if (command.as === undefined) {
        return [{ kind: "error", message: 'Command "register" has no "as" name' }];
      }
      const check: Check = { kind: "register", as: command.as };
      if (command.name !== undefined) check.name = command.name;
      return [check];
    }
    case "assert_exception":
      return [{ kind: "skip", reason: SKIP_EXCEPTIONS }];
    default:
      return [{ kind: "error", message: `Unknown command type "${command.type}"` }];
  }
}

function moduleFile(command: WastCommand): Check | string {
  const { filename } = command;
  if (filename === undefined) {
    return { kind: "error", message: `Command "${command.type}" has no module filename` };
  }
  if (command.module_type === "text" || filename.endsWith(".wat")) {
    return { kind: "skip", reason: SKIP_TEXT };
  }
  return filename;
}

function validateCheck(command: WastCommand): Check {
  const filename = moduleFile(command);
  if (typeof filename !== "string") return filename;
  const check: Check = { kind: "validate", filename, expect: "invalid" };
  if (command.text !== undefined) check.text = command.text;
  return check;
}

function instantiateCheck(
  command: WastCommand,
  expect: "instance" | "unlinkable" | "uninstantiable",
): Check {
  const filename = moduleFile(command);
  if (typeof filename !== "string") return filename;
  const check: Check = { kind: "instantiate", filename, expect };
  if (command.name !== undefined) check.name = command.name;
  if (command.text !== undefined) check.text = command.text;
  return check;
}

function actionCheck(command: WastCommand, expect: Expectation): Check {
  const { action } = command;
  if (action === undefined) {
    return { kind: "error", message: `Command "${command.type}" has no action` };
  }
  if (action.type !== "invoke" && action.type !== "get") {
    return { kind: "error", message: `Unknown action type "${action.type}"` };
  }
  const values = [...(action.args ?? []), ...(expect.kind === "return" ? expect.values : [])];
  if (values.some(isSimdValue)) return { kind: "skip", reason: SKIP_SIMD };
  return { kind: "action", action, expect };
}
