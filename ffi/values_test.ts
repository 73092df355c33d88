import { assert, assertEquals, assertThrows } from "../tests/_assert.ts";
import { f32Bits, f32FromBits, f64Bits, fromRaw, Ref, toRaw } from "./values.ts";

const OWNER = {};

Deno.test("toRaw() encodes numbers and bigints as the bits of their type", () => {
  assertEquals(toRaw(-1, "i32", OWNER), { type: "i32", bits: 0xffff_ffffn });
  assertEquals(toRaw(0xffff_ffff, "i32", OWNER), { type: "i32", bits: 0xffff_ffffn });
  assertEquals(toRaw(-1n, "i64", OWNER), { type: "i64", bits: 0xffff_ffff_ffff_ffffn });
  assertEquals(toRaw(1.5, "f32", OWNER), { type: "f32", bits: 0x3fc0_0000n });
  assertEquals(toRaw(-0, "f64", OWNER), { type: "f64", bits: 0x8000_0000_0000_0000n });
  assertEquals(toRaw(null, "externref", OWNER), { type: "externref", bits: 0n });
});

Deno.test("toRaw() rejects values of the wrong kind or range", async (t) => {
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError][] = [
    ["fraction as i32", () => toRaw(1.5, "i32", OWNER), TypeError],
    ["i32 too large", () => toRaw(2 ** 32, "i32", OWNER), RangeError],
    ["i32 too small", () => toRaw(-(2 ** 31) - 1, "i32", OWNER), RangeError],
    ["number as i64", () => toRaw(1, "i64", OWNER), TypeError],
    ["i64 too large", () => toRaw(1n << 64n, "i64", OWNER), RangeError],
    ["bigint as f64", () => toRaw(1n, "f64", OWNER), TypeError],
    ["number as funcref", () => toRaw(1, "funcref", OWNER), TypeError],
    ["ref of another store", () => toRaw(new Ref({}, "funcref", 5n), "funcref", OWNER), TypeError],
    [
      "externref as funcref",
      () => toRaw(new Ref(OWNER, "externref", 5n), "funcref", OWNER),
      TypeError,
    ],
  ];
  for (const [name, fn, type] of cases) {
    await t.step(name, () => {
      assertThrows(fn, type);
    });
  }
});

Deno.test("fromRaw() returns signed integers, floats and references", () => {
  assertEquals(fromRaw({ type: "i32", bits: 0x8000_0000n }, OWNER), -(2 ** 31));
  assertEquals(fromRaw({ type: "i64", bits: 0xffff_ffff_ffff_fffen }, OWNER), -2n);
  assertEquals(fromRaw({ type: "f32", bits: 0x3fc0_0000n }, OWNER), 1.5);
  assert(Number.isNaN(fromRaw({ type: "f64", bits: 0x7ff8_0000_0000_0001n }, OWNER)));
  assertEquals(fromRaw({ type: "funcref", bits: 0n }, OWNER), null);
  const ref = fromRaw({ type: "funcref", bits: 7n }, OWNER);
  assert(ref instanceof Ref);
  assertEquals(toRaw(ref, "funcref", OWNER), { type: "funcref", bits: 7n });
  assert(ref.equals(new Ref(OWNER, "funcref", 7n)));
  assert(!ref.equals(new Ref({}, "funcref", 7n)));
});

Deno.test("f32Bits() and f64Bits() are exact, including signed zero", () => {
  assertEquals(f32Bits(0.1), 0x3dcc_cccdn);
  assertEquals(f32FromBits(0x3dcc_cccdn), Math.fround(0.1));
  assertEquals(f64Bits(-0), 1n << 63n);
  assertEquals(f32Bits(-Infinity), 0xff80_0000n);
});
