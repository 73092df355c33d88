/**
 * What the runner checks for each command of a script: the one place that
 * dispatches on the command type.
 *
 * @module
 */

import type { WastCommand } from "./wast_json.ts";

/** Skip reason for modules given in the text format. */
export const SKIP_TEXT = "text format is not a binary-engine concern";

/** Skip reason for everything that needs instantiation or invocation. */
export const SKIP_EXECUTION = "execution not implemented";

/**
 * One check derived from a command; a command yields one or more.
 *
 * - `validate`: the module in `filename` must validate (`valid`) or be
 *   rejected with a CompileError (`invalid`, for malformed and invalid
 *   modules alike: the spec's message in `text` is shown, not matched).
 * - `skip`: counted as skipped with the reason, never as passed.
 * - `error`: the command itself cannot be understood; counted as failed.
 */
export type Check =
  | { kind: "validate"; filename: string; expect: "valid" | "invalid"; text?: string }
  | { kind: "skip"; reason: string }
  | { kind: "error"; message: string };

/** Returns the checks for one command of a wast2json script. */
export function classifyCommand(command: WastCommand): Check[] {
  switch (command.type) {
    case "module":
      return [moduleCheck(command, "valid")];
    case "assert_malformed":
    case "assert_invalid":
      return [moduleCheck(command, "invalid")];
    case "assert_unlinkable":
    case "assert_uninstantiable":
    case "assert_trap":
      // assert_trap on a module (a trapping start function) rather than on
      // an action: the module must validate before it can fail to run.
      if (command.action !== undefined) return [skipExecution()];
      return [moduleCheck(command, "valid"), skipExecution()];
    case "assert_return":
    case "assert_exhaustion":
    case "assert_exception":
    case "action":
    case "register":
      return [skipExecution()];
    default:
      return [{ kind: "error", message: `Unknown command type "${command.type}"` }];
  }
}

function moduleCheck(command: WastCommand, expect: "valid" | "invalid"): Check {
  const { filename } = command;
  if (filename === undefined) {
    return { kind: "error", message: `Command "${command.type}" has no module filename` };
  }
  if (command.module_type === "text" || filename.endsWith(".wat")) {
    return { kind: "skip", reason: SKIP_TEXT };
  }
  const check: Check = { kind: "validate", filename, expect };
  if (command.text !== undefined) check.text = command.text;
  return check;
}

function skipExecution(): Check {
  return { kind: "skip", reason: SKIP_EXECUTION };
}
