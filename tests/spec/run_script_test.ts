import { deepEqual, equal } from "node:assert/strict";
import type { Engine, Instantiation, Session } from "./engine.ts";
import { judgeValidation, runScript } from "./run_script.ts";
import type { WastScript } from "./wast_json.ts";

// Modules are named by the verdict the fake engine gives them.
const MODULES: Record<string, Uint8Array> = {
  "valid.wasm": new Uint8Array([0]),
  "invalid.wasm": new Uint8Array([1]),
  "crash.wasm": new Uint8Array([2]),
  "unlinkable.wasm": new Uint8Array([3]),
  "start-traps.wasm": new Uint8Array([4]),
  "simd.wasm": new Uint8Array([5]),
};

function validate(bytes: Uint8Array) {
  switch (bytes[0]) {
    case 1:
      return { valid: false as const, message: "type mismatch at offset 9" };
    case 2:
      throw new TypeError("engine crashed");
    default:
      return { valid: true as const };
  }
}

const VALIDATING_ENGINE: Engine = { name: "fake", validate };

/** A fake executing engine; handles are numbers, and "$registered" imports need a register. */
function executingEngine(log: string[] = []): Engine {
  return {
    name: "fake-exec",
    validate,
    session(): Promise<Session> {
      let next = 0;
      return Promise.resolve({
        instantiate(bytes: Uint8Array): Promise<Instantiation> {
          const results: Record<number, Instantiation> = {
            0: { kind: "instance", handle: next++ },
            1: { kind: "compile-error", message: "type mismatch" },
            3: { kind: "link-error", message: "unknown import" },
            4: { kind: "trap", trap: "unreachable", message: "Trap in start" },
            5: { kind: "compile-error", message: "SIMD not supported", unsupported: true },
          };
          return Promise.resolve(results[bytes[0]!] ?? { kind: "error", message: "crash" });
        },
        register(as, handle) {
          log.push(`register ${as}=${handle}`);
        },
        invoke(handle, field, args) {
          log.push(`invoke ${handle}.${field}(${args.map((a) => a.bits).join(",")})`);
          switch (field) {
            case "one":
              return Promise.resolve({ kind: "values", values: [{ type: "i32", bits: 1n }] });
            case "nan":
              return Promise.resolve({
                kind: "values",
                values: [{ type: "f32", bits: 0x7fc0_0000n }],
              });
            case "div":
              return Promise.resolve({ kind: "trap", trap: "integer divide by zero", message: "" });
            case "deep":
              return Promise.resolve({ kind: "trap", trap: "call stack exhausted", message: "" });
            default:
              return Promise.resolve({ kind: "error", message: `no export ${field}` });
          }
        },
        get(handle, field) {
          log.push(`get ${handle}.${field}`);
          return Promise.resolve({ kind: "values", values: [{ type: "i64", bits: 7n }] });
        },
        close() {
          log.push("close");
        },
      });
    },
  };
}

function readModule(filename: string): Uint8Array {
  const bytes = MODULES[filename];
  if (bytes === undefined) throw new Deno.errors.NotFound("no file");
  return bytes;
}

function script(commands: WastScript["commands"]): WastScript {
  return { source_filename: "t.wast", commands };
}

const invoke = (field: string, args: { type: string; value: string }[] = []) => ({
  type: "invoke",
  field,
  args,
});

Deno.test("runScript() passes a valid module and a rejected invalid one", async () => {
  const outcomes = await runScript(
    script([
      { type: "module", line: 1, filename: "valid.wasm" },
      { type: "assert_invalid", line: 2, filename: "invalid.wasm", module_type: "binary" },
    ]),
    { engine: VALIDATING_ENGINE, readModule },
  );
  deepEqual(outcomes.map((o) => [o.line, o.status]), [[1, "passed"], [2, "passed"]]);
});

Deno.test("runScript() fails an invalid module and an accepted assert_malformed", async () => {
  const outcomes = await runScript(
    script([
      { type: "module", line: 1, filename: "invalid.wasm" },
      {
        type: "assert_malformed",
        line: 2,
        filename: "valid.wasm",
        module_type: "binary",
        text: "unexpected end",
      },
    ]),
    { engine: VALIDATING_ENGINE, readModule },
  );
  deepEqual(outcomes, [
    {
      line: 1,
      command: "module",
      filename: "invalid.wasm",
      status: "failed",
      expected: "valid",
      actual: "CompileError: type mismatch at offset 9",
    },
    {
      line: 2,
      command: "assert_malformed",
      filename: "valid.wasm",
      status: "failed",
      expected: 'CompileError ("unexpected end")',
      actual: "valid",
    },
  ]);
});

Deno.test("runScript() fails a check when the engine throws something other than a rejection", async () => {
  const [outcome] = await runScript(
    script([{ type: "assert_invalid", line: 4, filename: "crash.wasm", module_type: "binary" }]),
    { engine: VALIDATING_ENGINE, readModule },
  );
  equal(outcome?.status, "failed");
  equal(outcome?.actual, "TypeError: engine crashed");
});

Deno.test("runScript() fails a check whose module file cannot be read", async () => {
  const [outcome] = await runScript(
    script([{ type: "module", line: 5, filename: "missing.wasm" }]),
    { engine: VALIDATING_ENGINE, readModule },
  );
  equal(outcome?.status, "failed");
  equal(outcome?.actual, 'Cannot read module "missing.wasm": NotFound: no file');
});

Deno.test("runScript() without execution validates link assertions and skips actions", async () => {
  const outcomes = await runScript(
    script([
      { type: "assert_unlinkable", line: 6, filename: "valid.wasm", module_type: "binary" },
      { type: "assert_return", line: 7, action: invoke("f"), expected: [] },
      { type: "register", line: 8, as: "m" },
    ]),
    { engine: VALIDATING_ENGINE, readModule },
  );
  deepEqual(outcomes.map((o) => [o.line, o.status, o.reason]), [
    [6, "passed", undefined],
    [7, "skipped", "execution not implemented"],
    [8, "skipped", "execution not implemented"],
  ]);
});

Deno.test("runScript() runs actions against the current and named modules", async () => {
  const log: string[] = [];
  const outcomes = await runScript(
    script([
      { type: "module", line: 1, filename: "valid.wasm", name: "$A" },
      { type: "module", line: 2, filename: "valid.wasm" },
      {
        type: "assert_return",
        line: 3,
        action: invoke("one", [{ type: "i32", value: "5" }]),
        expected: [{ type: "i32", value: "1" }],
      },
      {
        type: "assert_return",
        line: 4,
        action: { ...invoke("nan"), module: "$A" },
        expected: [{ type: "f32", value: "nan:canonical" }],
      },
      {
        type: "assert_return",
        line: 5,
        action: { type: "get", field: "g" },
        expected: [{ type: "i64", value: "7" }],
      },
      { type: "register", line: 6, as: "lib", name: "$A" },
      { type: "action", line: 7, action: invoke("one") },
    ]),
    { engine: executingEngine(log), readModule },
  );
  deepEqual(outcomes.map((o) => [o.line, o.status]), [
    [1, "passed"],
    [2, "passed"],
    [3, "passed"],
    [4, "passed"],
    [5, "passed"],
    [6, "passed"],
    [7, "passed"],
  ]);
  deepEqual(log, [
    "invoke 1.one(5)",
    "invoke 0.nan()",
    "get 1.g",
    "register lib=0",
    "invoke 1.one()",
    "close",
  ]);
});

Deno.test("runScript() fails a wrong result and reports both sides", async () => {
  const [, outcome] = await runScript(
    script([
      { type: "module", line: 1, filename: "valid.wasm" },
      {
        type: "assert_return",
        line: 2,
        action: invoke("one"),
        expected: [{ type: "i32", value: "2" }],
      },
    ]),
    { engine: executingEngine(), readModule },
  );
  deepEqual(outcome, {
    line: 2,
    command: "assert_return",
    status: "failed",
    expected: "(i32:0x00000002)",
    actual: "(i32:0x00000001)",
  });
});

Deno.test("runScript() matches traps, exhaustion and module failures", async () => {
  const outcomes = await runScript(
    script([
      { type: "module", line: 1, filename: "valid.wasm" },
      { type: "assert_trap", line: 2, action: invoke("div"), text: "integer divide by zero" },
      { type: "assert_trap", line: 3, action: invoke("div"), text: "integer overflow" },
      { type: "assert_exhaustion", line: 4, action: invoke("deep"), text: "call stack exhausted" },
      { type: "assert_unlinkable", line: 5, filename: "unlinkable.wasm", text: "unknown import" },
      { type: "assert_unlinkable", line: 6, filename: "valid.wasm", text: "unknown import" },
      { type: "assert_uninstantiable", line: 7, filename: "start-traps.wasm", text: "unreachable" },
      { type: "assert_trap", line: 8, filename: "start-traps.wasm", text: "unreachable" },
      {
        type: "assert_return",
        line: 9,
        action: invoke("one"),
        expected: [{ type: "i32", value: "1" }],
      },
    ]),
    { engine: executingEngine(), readModule },
  );
  deepEqual(outcomes.map((o) => [o.line, o.status]), [
    [1, "passed"],
    [2, "passed"],
    [3, "failed"],
    [4, "passed"],
    [5, "passed"],
    [6, "failed"],
    [7, "passed"],
    [8, "passed"],
    // Failed instantiation assertions do not replace the current module.
    [9, "passed"],
  ]);
});

Deno.test("runScript() skips SIMD modules in SIMD files only, and actions on them", async (t) => {
  const commands: WastScript["commands"] = [
    { type: "module", line: 1, filename: "simd.wasm" },
    { type: "assert_return", line: 2, action: invoke("one"), expected: [] },
  ];
  await t.step("simd file", async () => {
    const outcomes = await runScript(script(commands), {
      engine: executingEngine(),
      readModule,
      simd: true,
    });
    deepEqual(outcomes.map((o) => [o.status, o.reason]), [
      ["skipped", "SIMD execution not implemented"],
      ["skipped", "SIMD execution not implemented"],
    ]);
  });
  await t.step("other file", async () => {
    const outcomes = await runScript(script(commands), { engine: executingEngine(), readModule });
    deepEqual(outcomes.map((o) => o.status), ["failed", "failed"]);
    equal(outcomes[1]?.actual, "no instance: the module failed (CompileError: SIMD not supported)");
  });
});

Deno.test("runScript() fails actions before any module and on unknown names", async () => {
  const outcomes = await runScript(
    script([
      { type: "action", line: 1, action: invoke("one") },
      { type: "module", line: 2, filename: "valid.wasm" },
      { type: "action", line: 3, action: { ...invoke("one"), module: "$Nope" } },
      { type: "register", line: 4, as: "x", name: "$Nope" },
    ]),
    { engine: executingEngine(), readModule },
  );
  deepEqual(outcomes.map((o) => [o.line, o.status, o.actual]), [
    [1, "failed", "no module defined yet"],
    [2, "passed", "an instance"],
    [3, "failed", "no module named $Nope"],
    [4, "failed", "no module named $Nope"],
  ]);
});

Deno.test("judgeValidation() passes only when the verdict matches the expectation", async (t) => {
  const valid = { valid: true } as const;
  const invalid = { valid: false, message: "bad" } as const;
  const cases = [
    ["valid", valid, "passed"],
    ["valid", invalid, "failed"],
    ["invalid", invalid, "passed"],
    ["invalid", valid, "failed"],
  ] as const;
  for (const [expect, validation, status] of cases) {
    await t.step(`expect ${expect}, got ${validation.valid ? "valid" : "invalid"}`, () => {
      const check = { kind: "validate", filename: "m.wasm", expect } as const;
      equal(judgeValidation(check, validation).status, status);
    });
  }
});
