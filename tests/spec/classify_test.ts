import { deepEqual } from "node:assert/strict";
import { classifyCommand, SKIP_EXCEPTIONS, SKIP_SIMD, SKIP_TEXT } from "./classify.ts";
import type { WastCommand } from "./wast_json.ts";

const INVOKE = { type: "invoke", field: "f", args: [] };

Deno.test("classifyCommand() expects a binary module to instantiate, under its name", () => {
  deepEqual(classifyCommand({ type: "module", line: 3, filename: "a.0.wasm" }), [
    { kind: "instantiate", filename: "a.0.wasm", expect: "instance" },
  ]);
  deepEqual(classifyCommand({ type: "module", line: 3, filename: "a.0.wasm", name: "$M" }), [
    { kind: "instantiate", filename: "a.0.wasm", expect: "instance", name: "$M" },
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

Deno.test("classifyCommand() expects link and start failures of assertion modules", async (t) => {
  const cases = [
    ["assert_unlinkable", "unlinkable"],
    ["assert_uninstantiable", "uninstantiable"],
    ["assert_trap", "uninstantiable"],
  ] as const;
  for (const [type, expect] of cases) {
    await t.step(type, () => {
      const command: WastCommand = {
        type,
        line: 12,
        filename: "a.4.wasm",
        module_type: "binary",
        text: "unknown import",
      };
      deepEqual(classifyCommand(command), [
        { kind: "instantiate", filename: "a.4.wasm", expect, text: "unknown import" },
      ]);
    });
  }
});

Deno.test("classifyCommand() turns actions into checks with their expectation", async (t) => {
  const cases: [WastCommand, unknown][] = [
    [
      { type: "assert_return", line: 1, action: INVOKE, expected: [{ type: "i32", value: "1" }] },
      { kind: "return", values: [{ type: "i32", value: "1" }] },
    ],
    [
      { type: "assert_trap", line: 2, action: INVOKE, text: "unreachable", expected: [] },
      { kind: "trap", text: "unreachable" },
    ],
    [
      { type: "assert_exhaustion", line: 3, action: INVOKE, text: "call stack exhausted" },
      { kind: "exhaustion", text: "call stack exhausted" },
    ],
    [{ type: "action", line: 5, action: INVOKE, expected: [] }, { kind: "success" }],
  ];
  for (const [command, expect] of cases) {
    await t.step(command.type, () => {
      deepEqual(classifyCommand(command), [{ kind: "action", action: INVOKE, expect }]);
    });
  }
});

Deno.test("classifyCommand() registers the named or current module", () => {
  deepEqual(classifyCommand({ type: "register", line: 6, as: "m" }), [
    { kind: "register", as: "m" },
  ]);
  deepEqual(classifyCommand({ type: "register", line: 6, as: "m", name: "$M" }), [
    { kind: "register", as: "m", name: "$M" },
  ]);
});

Deno.test("classifyCommand() skips actions with v128 values and assert_exception", () => {
  const v128 = { type: "v128", lane_type: "i32", value: ["0", "0", "0", "0"] };
  deepEqual(
    classifyCommand({ type: "assert_return", line: 1, action: INVOKE, expected: [v128] }),
    [{ kind: "skip", reason: SKIP_SIMD }],
  );
  deepEqual(
    classifyCommand({
      type: "assert_return",
      line: 1,
      action: { ...INVOKE, args: [v128] },
      expected: [],
    }),
    [{ kind: "skip", reason: SKIP_SIMD }],
  );
  deepEqual(classifyCommand({ type: "assert_exception", line: 4, action: INVOKE }), [
    { kind: "skip", reason: SKIP_EXCEPTIONS },
  ]);
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
