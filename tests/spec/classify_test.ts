import { deepEqual } from "node:assert/strict";
import { classifyCommand, SKIP_EXECUTION, SKIP_TEXT } from "./classify.ts";
import type { WastCommand } from "./wast_json.ts";

const INVOKE = { type: "invoke", field: "f", args: [] };

Deno.test("classifyCommand() expects a binary module to validate", () => {
  deepEqual(classifyCommand({ type: "module", line: 3, filename: "a.0.wasm" }), [
    { kind: "validate", filename: "a.0.wasm", expect: "valid" },
  ]);
});

Deno.test("classifyCommand() expects binary assert_malformed and assert_invalid to be rejected", async (t) => {
  for (const type of ["assert_malformed", "assert_invalid"]) {
    await t.step(type, () => {
      const command: WastCommand = {
        type,
        line: 7,
        filename: "a.1.wasm",
        module_type: "binary",
        text: "type mismatch",
      };
      deepEqual(classifyCommand(command), [
        { kind: "validate", filename: "a.1.wasm", expect: "invalid", text: "type mismatch" },
      ]);
    });
  }
});

Deno.test("classifyCommand() skips text-form assert_malformed", () => {
  const command = {
    type: "assert_malformed",
    line: 9,
    filename: "a.2.wat",
    module_type: "text" as const,
    text: "unexpected token",
  };
  deepEqual(classifyCommand(command), [{ kind: "skip", reason: SKIP_TEXT }]);
});

Deno.test("classifyCommand() skips a module written as a .wat file", () => {
  deepEqual(classifyCommand({ type: "module", line: 1, filename: "a.3.wat" }), [
    { kind: "skip", reason: SKIP_TEXT },
  ]);
});

Deno.test("classifyCommand() validates the module of a link or instantiation assertion and skips the rest", async (t) => {
  for (const type of ["assert_unlinkable", "assert_uninstantiable", "assert_trap"]) {
    await t.step(type, () => {
      const command: WastCommand = {
        type,
        line: 12,
        filename: "a.4.wasm",
        module_type: "binary",
        text: "unknown import",
      };
      deepEqual(classifyCommand(command), [
        { kind: "validate", filename: "a.4.wasm", expect: "valid", text: "unknown import" },
        { kind: "skip", reason: SKIP_EXECUTION },
      ]);
    });
  }
});

Deno.test("classifyCommand() skips execution commands", async (t) => {
  const commands: WastCommand[] = [
    { type: "assert_return", line: 1, action: INVOKE, expected: [] },
    { type: "assert_trap", line: 2, action: INVOKE, text: "unreachable", expected: [] },
    { type: "assert_exhaustion", line: 3, action: INVOKE, text: "call stack exhausted" },
    { type: "assert_exception", line: 4, action: INVOKE },
    { type: "action", line: 5, action: INVOKE, expected: [] },
    { type: "register", line: 6, as: "m" },
  ];
  for (const command of commands) {
    await t.step(command.type, () => {
      deepEqual(classifyCommand(command), [{ kind: "skip", reason: SKIP_EXECUTION }]);
    });
  }
});

Deno.test("classifyCommand() reports an unknown command type as an error", () => {
  deepEqual(classifyCommand({ type: "assert_suspension", line: 4 }), [
    { kind: "error", message: 'Unknown command type "assert_suspension"' },
  ]);
});

Deno.test("classifyCommand() reports a module command without a filename as an error", () => {
  deepEqual(classifyCommand({ type: "assert_invalid", line: 5, module_type: "binary" }), [
    { kind: "error", message: 'Command "assert_invalid" has no module filename' },
  ]);
});
