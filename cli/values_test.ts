import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { formatBacktrace, formatValue, parseArg } from "./values.ts";

Deno.test("parseArg() reads integers in decimal and hex within their type's range", () => {
  assertEquals(parseArg("42", "i32"), 42);
  assertEquals(parseArg("-1", "i32"), -1);
  assertEquals(parseArg("0xffffffff", "i32"), -1);
  assertEquals(parseArg("4294967295", "i32"), -1);
  assertEquals(parseArg("-9223372036854775808", "i64"), -(2n ** 63n));
  assertEquals(parseArg("0xffffffffffffffff", "i64"), -1n);
  assertThrows(() => parseArg("4294967296", "i32"), RangeError, '"4294967296"');
  assertThrows(() => parseArg("1.5", "i32"), SyntaxError, "expected an integer");
  assertThrows(() => parseArg("", "i64"), SyntaxError);
});

Deno.test("parseArg() reads floats, special values and null references", () => {
  assertEquals(parseArg("0.1", "f64"), 0.1);
  assertEquals(parseArg("0.1", "f32"), Math.fround(0.1));
  assertEquals(parseArg("-inf", "f32"), -Infinity);
  assertEquals(Number.isNaN(parseArg("nan", "f64")), true);
  assertEquals(parseArg("1e3", "f64"), 1000);
  assertThrows(() => parseArg("one", "f64"), SyntaxError, '"one"');
  assertThrows(() => parseArg(" ", "f64"), SyntaxError);
  assertEquals(parseArg("null", "externref"), null);
  assertThrows(() => parseArg("1", "funcref"), SyntaxError, "null");
  assertThrows(() => parseArg("0", "v128"), SyntaxError, "SIMD");
});

Deno.test("formatValue() prints the shortest text that reads back as the same value", () => {
  assertEquals(formatValue(Math.fround(0.1), "f32"), "0.1");
  assertEquals(formatValue(0.1, "f64"), "0.1");
  assertEquals(formatValue(NaN, "f64"), "nan");
  assertEquals(formatValue(-Infinity, "f32"), "-inf");
  assertEquals(formatValue(-0, "f64"), "-0");
  assertEquals(formatValue(-5, "i32"), "-5");
  assertEquals(formatValue(-5n, "i64"), "-5");
  assertEquals(formatValue(null, "funcref"), "null");
});

Deno.test("formatBacktrace() names frames, falling back to the function index", () => {
  assertEquals(
    formatBacktrace([
      { function: 2, name: "inner", offset: 0x2a },
      { function: 5, offset: 16 },
    ]),
    ["    at inner (function 2, offset 0x2a)", "    at function[5] (function 5, offset 0x10)"],
  );
});
