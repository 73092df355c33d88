/**
 * Runs the checks of one converted script against an engine, in order: a
 * session holds the script's instances, so later commands see what earlier
 * ones did.
 *
 * @module
 */

import {
  type Check,
  classifyCommand,
  type Expectation,
  SKIP_EXECUTION,
  SKIP_SIMD,
} from "./classify.ts";
import type { ActionResult, Engine, Handle, Session, Validation } from "./engine.ts";
import {
  describeValues,
  type Expected,
  matchesAll,
  parseArg,
  parseExpected,
  trapMatches,
} from "./values.ts";
import type { WastAction, WastScript } from "./wast_json.ts";

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
  /**
   * Whether the script tests SIMD (a `simd_*` file): there, a valid module
   * the engine cannot compile for SIMD is skipped rather than failed.
   */
  simd?: boolean;
}

/** A module the script defined: an instance, or why there is none. */
type Slot =
  | { kind: "instance"; handle: Handle }
  | { kind: "skipped"; reason: string }
  | { kind: "failed"; message: string };

type CheckResult = Omit<Outcome, "line" | "command">;

/** The state of a script while it runs. */
interface Run {
  options: RunScriptOptions;
  session: Session | undefined;
  current: Slot | undefined;
  named: Map<string, Slot>;
}

/** Runs every command of a script in order and returns one outcome per check. */
export async function runScript(script: WastScript, options: RunScriptOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const session = options.engine.session ? await options.engine.session() : undefined;
  const run: Run = { options, session, current: undefined, named: new Map() };
  try {
    for (const command of script.commands) {
      for (const check of classifyCommand(command)) {
        const base = { line: command.line, command: command.type };
        outcomes.push({ ...base, ...await runCheck(check, run) });
      }
    }
  } finally {
    session?.close();
  }
  return outcomes;
}

async function runCheck(check: Check, run: Run): Promise<CheckResult> {
  switch (check.kind) {
    case "skip":
      return { status: "skipped", reason: check.reason };
    case "error":
      return { status: "failed", expected: "a known command", actual: check.message };
    case "validate":
      return validateCheck(check, run.options);
    case "instantiate":
      if (run.session === undefined) {
        // Without execution the module can still be validated.
        return validateCheck(
          { kind: "validate", filename: check.filename, expect: "valid" },
          run.options,
        );
      }
      return await instantiateCheck(check, run, run.session);
    case "register":
      if (run.session === undefined) return { status: "skipped", reason: SKIP_EXECUTION };
      return registerCheck(check, run, run.session);
    case "action":
      if (run.session === undefined) return { status: "skipped", reason: SKIP_EXECUTION };
      return await actionCheck(check.action, check.expect, run, run.session);
  }
}

function validateCheck(
  check: Extract<Check, { kind: "validate" }>,
  options: RunScriptOptions,
): CheckResult {
  const { filename } = check;
  const bytes = read(filename, options);
  if (typeof bytes === "string") {
    return { status: "failed", filename, expected: describeExpected(check), actual: bytes };
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

async function instantiateCheck(
  check: Extract<Check, { kind: "instantiate" }>,
  run: Run,
  session: Session,
): Promise<CheckResult> {
  const { filename, expect } = check;
  const expected = expect === "instance"
    ? "an instance"
    : expect === "unlinkable"
    ? `LinkError ("${check.text ?? ""}")`
    : `trap "${check.text ?? ""}" in the start function`;
  const bind = (slot: Slot) => {
    if (expect !== "instance") return;
    run.current = slot;
    if (check.name !== undefined) run.named.set(check.name, slot);
  };
  const bytes = read(filename, run.options);
  if (typeof bytes === "string") {
    bind({ kind: "failed", message: bytes });
    return { status: "failed", filename, expected, actual: bytes };
  }
  const result = await session.instantiate(bytes);
  if (result.kind === "compile-error" && result.unsupported && run.options.simd) {
    bind({ kind: "skipped", reason: SKIP_SIMD });
    return { status: "skipped", filename, reason: SKIP_SIMD };
  }
  let actual: string;
  let passed = false;
  switch (result.kind) {
    case "instance":
      actual = "an instance";
      passed = expect === "instance";
      bind({ kind: "instance", handle: result.handle });
      break;
    case "compile-error":
      actual = `CompileError: ${result.message}`;
      break;
    case "link-error":
      actual = `LinkError: ${result.message}`;
      passed = expect === "unlinkable";
      break;
    case "trap":
      actual = `trap "${result.trap}": ${result.message}`;
      passed = expect === "uninstantiable" && trapMatches(check.text ?? "", result.trap);
      break;
    case "error":
      actual = result.message;
      break;
  }
  if (result.kind !== "instance") bind({ kind: "failed", message: actual });
  return { status: passed ? "passed" : "failed", filename, expected, actual };
}

function registerCheck(
  check: Extract<Check, { kind: "register" }>,
  run: Run,
  session: Session,
): CheckResult {
  const slot = check.name === undefined ? run.current : run.named.get(check.name);
  const expected = `module ${check.name ?? "(current)"} registered as "${check.as}"`;
  if (slot?.kind === "skipped") return { status: "skipped", reason: slot.reason };
  if (slot?.kind !== "instance") {
    return { status: "failed", expected, actual: describeMissing(slot, check.name) };
  }
  session.register(check.as, slot.handle);
  return { status: "passed", expected, actual: "registered" };
}

async function actionCheck(
  action: WastAction,
  expect: Expectation,
  run: Run,
  session: Session,
): Promise<CheckResult> {
  let expectedValues: Expected[] = [];
  let args;
  try {
    args = (action.args ?? []).map(parseArg);
    if (expect.kind === "return") expectedValues = expect.values.map(parseExpected);
  } catch (error) {
    return {
      status: "failed",
      expected: "values the runner understands",
      actual: describeError(error),
    };
  }
  const expected = describeExpectation(expect, expectedValues);
  const slot = action.module === undefined ? run.current : run.named.get(action.module);
  if (slot?.kind === "skipped") return { status: "skipped", reason: slot.reason };
  if (slot?.kind !== "instance") {
    return { status: "failed", expected, actual: describeMissing(slot, action.module) };
  }
  const result: ActionResult = action.type === "get"
    ? await session.get(slot.handle, action.field)
    : await session.invoke(slot.handle, action.field, args);
  const actual = describeResult(result);
  let passed = false;
  switch (expect.kind) {
    case "return":
      passed = result.kind === "values" && matchesAll(expectedValues, result.values);
      break;
    case "success":
      passed = result.kind === "values";
      break;
    case "trap":
    case "exhaustion":
      passed = result.kind === "trap" && trapMatches(expect.text, result.trap);
      break;
  }
  return { status: passed ? "passed" : "failed", expected, actual };
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

function read(filename: string, options: RunScriptOptions): Uint8Array | string {
  try {
    return options.readModule(filename);
  } catch (error) {
    return `Cannot read module "${filename}": ${describeError(error)}`;
  }
}

function describeExpected(check: Extract<Check, { kind: "validate" }>): string {
  if (check.expect === "valid") return "valid";
  return check.text === undefined ? "CompileError" : `CompileError ("${check.text}")`;
}

function describeExpectation(expect: Expectation, values: Expected[]): string {
  switch (expect.kind) {
    case "return":
      return describeValues(values);
    case "success":
      return "no trap";
    case "trap":
    case "exhaustion":
      return `trap "${expect.text}"`;
  }
}

function describeResult(result: ActionResult): string {
  switch (result.kind) {
    case "values":
      return describeValues(result.values);
    case "trap":
      return `trap "${result.trap}"`;
    case "error":
      return result.message;
  }
}

function describeMissing(slot: Slot | undefined, name: string | undefined): string {
  if (slot?.kind === "failed") return `no instance: the module failed (${slot.message})`;
  return name === undefined ? "no module defined yet" : `no module named ${name}`;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
