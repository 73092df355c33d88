import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { fixed, formatRatio, formatTable } from "./table.ts";

Deno.test("formatTable() pads columns and right-aligns numbers", () => {
  const text = formatTable(
    [{ title: "kernel" }, { title: "ms", align: "right" }],
    [["sieve", "1.5"], ["vm", "120.25"]],
  );
  assertEquals(text.split("\n"), [
    "kernel      ms",
    "------  ------",
    "sieve      1.5",
    "vm      120.25",
  ]);
});

Deno.test("formatTable() rejects a row with the wrong number of cells", () => {
  assertThrows(() => formatTable([{ title: "a" }], [["1", "2"]]), RangeError, "row 0");
});

Deno.test("formatRatio() shows the median and the range", () => {
  assertEquals(formatRatio({ median: 2.314, min: 2.2, max: 12.5 }), "2.31x (2.20-12.5)");
});

Deno.test("fixed() uses fewer decimals for bigger values", () => {
  assertEquals([fixed(1.234), fixed(12.34), fixed(123.4)], ["1.23", "12.3", "123"]);
});
