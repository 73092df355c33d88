import { deepEqual, equal } from "node:assert/strict";
import type { Engine } from "./engine.ts";
import { judgeValidation, runScript } from "./run_script.ts";
import type { WastScript } from "./wast_json.ts";

// Modules are named by the verdict the fake engine gives them.
const FAKE_ENGINE: Engine = {
  name: "fake",
  validate(bytes) {
    switch (bytes[0]) {
      case 0:
        return { valid: true };
      case 1:
        return { valid: false, message: "type mismatch at offset 9" };
      default:
        throw new TypeError("engine crashed");
    }
  },
};

const MODULES: Record<string, Uint8Array> = {
  "valid.wasm": new Uint8Array([0]),
  "invalid.wasm": new Uint8Array([1]),
  "crash.wasm": new Uint8Array([2]),
};

function readModule(filename: string): Uint8Array {
  const bytes = MODULES[filename];
  if (bytes === undefined) throw new Deno.errors.NotFound("no file");
  return bytes;
}

function script(commands: WastScript["commands"]): WastScript {
  return { source_filename: "t.wast", commands };
}

Deno.test("runScript() passes a valid module and a rejected invalid one", () => {
  const outcomes = runScript(
    script([
      { type: "module", line: 1, filename: "valid.wasm" },
      { type: "assert_invalid", line: 2, filename: "invalid.wasm", module_type: "binary" },
    ]),
    { engine: FAKE_ENGINE, readModule },
  );
  deepEqual(outcomes.map((o) => [o.line, o.status]), [[1, "passed"], [2, "passed"]]);
});

Deno.test("runScript() fails an invalid module and an accepted assert_malformed", () => {
  const outcomes = runScript(
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
    { engine: FAKE_ENGINE, readModule },
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

Deno.test("runScript() fails a check when the engine throws something other than a rejection", () => {
  const [outcome] = runScript(
    script([{ type: "assert_invalid", line: 4, filename: "crash.wasm", module_type: "binary" }]),
    { engine: FAKE_ENGINE, readModule },
  );
  equal(outcome?.status, "failed");
  equal(outcome?.actual, "TypeError: engine crashed");
});

Deno.test("runScript() fails a check whose module file cannot be read", () => {
  const [outcome] = runScript(
    script([{ type: "module", line: 5, filename: "missing.wasm" }]),
    { engine: FAKE_ENGINE, readModule },
  );
  equal(outcome?.status, "failed");
  equal(outcome?.actual, 'Cannot read module "missing.wasm": NotFound: no file');
});

Deno.test("runScript() counts a link assertion as one validation and one skip", () => {
  const outcomes = runScript(
    script([
      { type: "assert_unlinkable", line: 6, filename: "valid.wasm", module_type: "binary" },
      { type: "assert_return", line: 7, action: { type: "invoke", field: "f" }, expected: [] },
    ]),
    { engine: FAKE_ENGINE, readModule },
  );
  deepEqual(outcomes.map((o) => [o.line, o.status, o.reason]), [
    [6, "passed", undefined],
    [6, "skipped", "execution not implemented"],
    [7, "skipped", "execution not implemented"],
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
