import { assertEquals } from "../tests/_assert.ts";
import { deepNesting, hugeFunction, tinyFunctions } from "./synthetic.ts";
import { codeSection } from "./wasm_sections.ts";

Deno.test("synthetic stressors are valid modules with the promised shape", async (t) => {
  const cases = [
    { mod: hugeFunction(1000), functions: 1 },
    { mod: tinyFunctions(250), functions: 250 },
    { mod: deepNesting(300), functions: 1 },
  ];
  for (const { mod, functions } of cases) {
    await t.step(mod.name, () => {
      assertEquals(WebAssembly.validate(mod.bytes), true);
      assertEquals(codeSection(mod.bytes).functions, functions);
    });
  }
});

Deno.test("hugeFunction() grows linearly with its group count", () => {
  const small = codeSection(hugeFunction(1000).bytes).size;
  const big = codeSection(hugeFunction(4000).bytes).size;
  assertEquals(big > 3.5 * small && big < 4.5 * small, true, `${small} -> ${big}`);
});

Deno.test("synthetic stressors compute the same results on every run", async (t) => {
  const cases = [hugeFunction(500), tinyFunctions(10), deepNesting(60)];
  for (const mod of cases) {
    await t.step(mod.name, () => {
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(mod.bytes));
      const f0 = exports.f0 as (x: number) => number;
      assertEquals(f0(3), f0(3));
      assertEquals(typeof f0(3), "number");
    });
  }
});
