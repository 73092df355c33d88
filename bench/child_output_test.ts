import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { lastJsonLine, numberArray } from "./child_output.ts";

Deno.test("lastJsonLine() skips trace lines and takes the last object", () => {
  const out = 'Compiled function x#0 using Liftoff\n{"a":1}\nnoise\n{"checksum":7,"ms":[1.5]}\n';
  assertEquals(lastJsonLine(out), { checksum: 7, ms: [1.5] });
});

Deno.test("lastJsonLine() rejects output without a result line", () => {
  assertThrows(() => lastJsonLine("nothing\n"), SyntaxError, "Cannot find");
});

Deno.test("numberArray() rejects non-numeric arrays", () => {
  assertEquals(numberArray({ ms: [1, 2] }, "ms"), [1, 2]);
  assertThrows(() => numberArray({ ms: [1, "2"] }, "ms"), TypeError, '"ms"');
  assertThrows(() => numberArray({}, "ms"), TypeError);
});
