import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { ByteWriter } from "./wasm_encode.ts";

Deno.test("ByteWriter.uleb() encodes the spec's examples", async (t) => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [624485, [0xe5, 0x8e, 0x26]],
    [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  for (const [n, bytes] of cases) {
    await t.step(`${n}`, () => assertEquals([...new ByteWriter().uleb(n).toBytes()], bytes));
  }
});

Deno.test("ByteWriter.sleb() encodes negative and boundary values", async (t) => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [-1, [0x7f]],
    [63, [0x3f]],
    [64, [0xc0, 0x00]],
    [-64, [0x40]],
    [-65, [0xbf, 0x7f]],
    [-123456, [0xc0, 0xbb, 0x78]],
  ];
  for (const [n, bytes] of cases) {
    await t.step(`${n}`, () => assertEquals([...new ByteWriter().sleb(n).toBytes()], bytes));
  }
});

Deno.test("ByteWriter.uleb() rejects values that are not u32", () => {
  assertThrows(() => new ByteWriter().uleb(-1), RangeError, "out of range");
  assertThrows(() => new ByteWriter().uleb(2 ** 32), RangeError);
  assertThrows(() => new ByteWriter().uleb(1.5), RangeError);
});

Deno.test("ByteWriter grows past its initial buffer and keeps every byte", () => {
  const w = new ByteWriter();
  for (let i = 0; i < 10_000; i++) w.byte(i);
  const out = w.toBytes();
  assertEquals(out.length, 10_000);
  assertEquals(out[9_999], 9_999 & 0xff);
  assertEquals(out[300], 300 & 0xff);
});

Deno.test("ByteWriter.section() prefixes the payload with id and size", () => {
  const payload = new ByteWriter().name("hi");
  assertEquals([...new ByteWriter().section(0, payload).toBytes()], [0, 3, 2, 0x68, 0x69]);
});
