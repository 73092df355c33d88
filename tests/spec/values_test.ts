import { deepEqual, equal, throws } from "node:assert/strict";
import {
  describeValue,
  describeValues,
  matches,
  matchesAll,
  parseArg,
  parseExpected,
  trapMatches,
} from "./values.ts";

Deno.test("parseArg() takes the unsigned bits wast2json writes, exactly", () => {
  deepEqual(parseArg({ type: "i32", value: "4294967295" }), { type: "i32", bits: 0xffff_ffffn });
  deepEqual(parseArg({ type: "f32", value: "2141192192" }), { type: "f32", bits: 0x7fa0_0000n });
  deepEqual(parseArg({ type: "f64", value: "18444492273895866368" }), {
    type: "f64",
    bits: 0xfff8_0000_0000_0000n,
  });
  deepEqual(parseArg({ type: "externref", value: "null" }), { type: "externref", bits: 0n });
  deepEqual(parseArg({ type: "externref", value: "0" }), { type: "externref", bits: 1n });
  deepEqual(parseArg({ type: "funcref", value: "null" }), { type: "funcref", bits: 0n });
  throws(() => parseArg({ type: "i32", value: "4294967296" }), SyntaxError);
  throws(() => parseArg({ type: "i32", value: "-1" }), SyntaxError);
  throws(() => parseArg({ type: "v128", value: ["0"] }), SyntaxError);
  throws(() => parseArg({ type: "funcref", value: "3" }), SyntaxError);
});

Deno.test("matches() compares bits exactly, NaN payloads and signs included", () => {
  const expected = parseExpected({ type: "f32", value: String(0x7fa0_0000) });
  equal(matches(expected, { type: "f32", bits: 0x7fa0_0000n }), true);
  equal(matches(expected, { type: "f32", bits: 0x7fc0_0000n }), false);
  equal(matches(expected, { type: "i32", bits: 0x7fa0_0000n }), false);
  const zero = parseExpected({ type: "f64", value: "0" });
  equal(matches(zero, { type: "f64", bits: 1n << 63n }), false);
});

Deno.test("matches() accepts canonical NaNs of either sign for nan:canonical", async (t) => {
  const cases = [
    ["f32", 0x7fc0_0000n, true],
    ["f32", 0xffc0_0000n, true],
    ["f32", 0x7fc0_0001n, false],
    ["f32", 0x7fa0_0000n, false],
    ["f32", 0x7f80_0000n, false],
    ["f64", 0x7ff8_0000_0000_0000n, true],
    ["f64", 0xfff8_0000_0000_0000n, true],
    ["f64", 0x7ff8_0000_0000_0001n, false],
    ["f64", 0x7ff4_0000_0000_0000n, false],
  ] as const;
  for (const [type, bits, ok] of cases) {
    await t.step(`${type} 0x${bits.toString(16)}`, () => {
      equal(matches(parseExpected({ type, value: "nan:canonical" }), { type, bits }), ok);
    });
  }
});

Deno.test("matches() accepts any quiet NaN for nan:arithmetic", async (t) => {
  const cases = [
    ["f32", 0x7fc0_0000n, true],
    ["f32", 0xffc0_0001n, true],
    ["f32", 0x7fa0_0000n, false],
    ["f32", 0x3f80_0000n, false],
    ["f64", 0x7ff8_0000_0000_0001n, true],
    ["f64", 0xfffc_0000_0000_0000n, true],
    ["f64", 0x7ff0_0000_0000_0001n, false],
  ] as const;
  for (const [type, bits, ok] of cases) {
    await t.step(`${type} 0x${bits.toString(16)}`, () => {
      equal(matches(parseExpected({ type, value: "nan:arithmetic" }), { type, bits }), ok);
    });
  }
});

Deno.test("matches() handles null, host and any non-null references", () => {
  const anyFunc = parseExpected({ type: "funcref" });
  equal(matches(anyFunc, { type: "funcref", bits: 9n }), true);
  equal(matches(anyFunc, { type: "funcref", bits: 0n }), false);
  const host = parseExpected({ type: "externref", value: "2" });
  equal(matches(host, { type: "externref", bits: 3n }), true);
  equal(matches(host, { type: "externref", bits: 2n }), false);
  equal(
    matches(parseExpected({ type: "externref", value: "null" }), { type: "externref", bits: 0n }),
    true,
  );
});

Deno.test("matchesAll() requires the same number of results", () => {
  const one = [parseExpected({ type: "i32", value: "1" })];
  equal(matchesAll(one, [{ type: "i32", bits: 1n }]), true);
  equal(matchesAll(one, []), false);
  equal(matchesAll(one, [{ type: "i32", bits: 1n }, { type: "i32", bits: 1n }]), false);
});

Deno.test("trapMatches() accepts a prefix either way, as the spec harness does", () => {
  equal(trapMatches("integer divide by zero", "integer divide by zero"), true);
  equal(trapMatches("uninitialized element 2", "uninitialized element"), true);
  equal(trapMatches("out of bounds", "out of bounds memory access"), true);
  equal(trapMatches("integer overflow", "integer divide by zero"), false);
});

Deno.test("describeValue() shows types and hex bits", () => {
  equal(describeValue({ type: "i32", bits: 42n }), "i32:0x0000002a");
  equal(describeValue(parseExpected({ type: "f64", value: "nan:canonical" })), "f64:nan:canonical");
  equal(describeValue({ type: "externref", bits: 0n }), "externref:null");
  equal(describeValues([]), "()");
});
