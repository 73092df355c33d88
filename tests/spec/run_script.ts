/**
 * Runs the checks of one converted script against an engine.
 *
 * @module
 */

import { type Check, classifyCommand } from "./classify.ts";
import type { Engine, Validation } from "./engine.ts";
import type { WastScript } from "./wast_json.ts";

/** How a check ended. */
export type Status = "passed" | "failed" | "skipped";

/** The result of one check of a command. */
export interface Outcome {
  /** The `.wast` line of the command, as wast2json reports it. */
  line: number;
  /** The command type, such as "assert_invalid". */
  command: string;
  status: Status;
  /** The module the check read, if any. */
  filename?: string;
  /** Why the check was skipped. */
  reason?: string;
  /** What the spec expects, for checks that ran. */
  expected?: string;
  /** What the engine did, for checks that ran. */
  actual?: string;
}

/** Options for {@linkcode runScript}. */
export interface RunScriptOptions {
  engine: Engine;
  /** Returns the bytes of a module file named by the script; throws if it cannot. */
  readModule(filename: string): Uint8Array;
}

/** Runs every command of a script in order and returns one outcome per check. */
export function runScript(script: WastScript, options: RunScriptOptions): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const command of script.commands) {
    for (const check of classifyCommand(command)) {
      const base = { line: command.line, command: command.type };
      outcomes.push({ ...base, ...runCheck(check, options) });
    }
  }
  return outcomes;
}

type CheckResult = Omit<Outcome, "line" | "command">;

function runCheck(check: Check, options: RunScriptOptions): CheckResult {
  switch (check.kind) {
    case "skip":
      return { status: "skipped", reason: check.reason };
    case "error":
      return { status: "failed", expected: "a known command", actual: check.message };
    case "validate": {
      const { filename } = check;
      let bytes: Uint8Array;
      try {
        bytes = options.readModule(filename);
      } catch (error) {
        return {
          status: "failed",
          filename,
          expected: describeExpected(check),
          actual: `Cannot read module "${filename}": ${describeError(error)}`,
        };
      }
      let validation: Validation;
      try {
        validation = options.engine.validate(bytes);
      } catch (error) {
        return {
          status: "failed",
          filename,
          expected: describeExpected(check),
          actual: describeError(error),
        };
      }
      return { filename, ...judgeValidation(check, validation) };
    }
  }
}

/** Compares an engine's verdict with what a validate check expects. */
export function judgeValidation(
  check: Extract<Check, { kind: "validate" }>,
  validation: Validation,
): { status: Status; expected: string; actual: string } {
  const expected = describeExpected(check);
  const actual = validation.valid ? "valid" : `CompileError: ${validation.message}`;
  const passed = validation.valid === (check.expect === "valid");
  return { status: passed ? "passed" : "failed", expected, actual };
}

function describeExpected(check: Extract<Check, { kind: "validate" }>): string {
  if (check.expect === "valid") return "valid";
  return check.text === undefined ? "CompileError" : `CompileError ("${check.text}")`;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
