import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { lastJsonLine, numberArray, numberField, peakGrowthBytes } from "./child_output.ts";

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

Deno.test("numberField() rejects a missing or non-finite number", () => {
  assertEquals(numberField({ n: 1.5 }, "n"), 1.5);
  assertThrows(() => numberField({ n: "1" }, "n"), TypeError, '"n"');
  assertThrows(() => numberField({ n: null }, "n"), TypeError);
  assertThrows(() => numberField({}, "n"), TypeError);
});

Deno.test("peakGrowthBytes() is the peak over the start, never negative", () => {
  assertEquals(peakGrowthBytes({ rssBeforeKiB: 100, maxRssKiB: 150 }), 50 * 1024);
  assertEquals(peakGrowthBytes({ rssBeforeKiB: 100, maxRssKiB: 90 }), 0);
  assertThrows(() => peakGrowthBytes({ rssBeforeKiB: 100 }), TypeError, '"maxRssKiB"');
});
