import { assertEquals } from "../tests/_assert.ts";
import { formatExternType, formatFunctionType, formatModuleInfo } from "./format.ts";
import type { ModuleInfo } from "../ffi/module.ts";

Deno.test("formatFunctionType() lists params and results", () => {
  assertEquals(
    formatFunctionType({ params: ["i32", "i64"], results: ["f32"] }),
    "(i32, i64) -> (f32)",
  );
  assertEquals(formatFunctionType({ params: [], results: [] }), "() -> ()");
});

Deno.test("formatExternType() renders every kind", async (t) => {
  const cases: [Parameters<typeof formatExternType>[0], string][] = [
    [{ kind: "function", type: { params: ["i32"], results: [] } }, "function (i32) -> ()"],
    [{ kind: "memory", type: { minimum: 1, maximum: 2 } }, "memory 1..2 pages"],
    [{ kind: "memory", type: { minimum: 0 } }, "memory 0.. pages"],
    [{ kind: "table", type: { element: "funcref", minimum: 3 } }, "table funcref 3.."],
    [{ kind: "global", type: { value: "i64", mutable: true } }, "global mut i64"],
    [{ kind: "global", type: { value: "f32", mutable: false } }, "global f32"],
  ];
  for (const [input, expected] of cases) {
    await t.step(expected, () => assertEquals(formatExternType(input), expected));
  }
});

Deno.test("formatModuleInfo() names exported functions from the name section", () => {
  const info: ModuleInfo = {
    imports: [{ module: "env", name: "f", kind: "function", type: { params: [], results: [] } }],
    exports: [{ name: "run", kind: "function", index: 1, type: { params: [], results: ["i32"] } }],
    functions: 2,
    memories: [],
    tables: [],
    globals: [],
    start: 1,
    customSections: ["name"],
    functionNames: [[1, "main"]],
  };
  assertEquals(
    formatModuleInfo("x.wasm", "ab", info),
    [
      "x.wasm: valid WebAssembly module, 2 functions",
      "  sha256 ab",
      "  import env.f: function () -> ()",
      "  export run: function () -> (i32) #1 (main)",
      "  start function #1",
      "  custom sections: name",
    ].join("\n"),
  );
});
