// Hostile modules from anonymous sources: each is rejected with a clear
// CompileError or accepted, never a crash or an unbounded allocation.
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { CompileError, defaultLimits, validate } from "../mod.ts";
import { HEADER, I32, moduleWithBody, section, uleb, vec } from "./_wasm.ts";

Deno.test("validate() rejects a br_table claiming 2^32-1 targets", () => {
  // block; i32.const 0; br_table count=0xffffffff (then nothing)
  const body = new Uint8Array([
    0x00,
    0x02,
    0x40,
    0x41,
    0x00,
    0x0e,
    ...uleb(0xffff_ffff),
    0x0b,
    0x0b,
  ]);
  const error = assertThrows(() => validate(moduleWithBody(body)), CompileError);
  assert(/offset \d+/.test(error.message), error.message);
});

Deno.test("validate() bounds locals: 100k rejected by default, accepted under a raised limit", () => {
  const body = new Uint8Array([0x01, ...uleb(100_000), I32, 0x0b]);
  assert(defaultLimits().locals < 100_000);
  const error = assertThrows(() => validate(moduleWithBody(body)), CompileError, "locals");
  assert(/offset \d+/.test(error.message), error.message);
  assertEquals(validate(moduleWithBody(body), { limits: { locals: 200_000 } }).functions, 1);
});

Deno.test("validate() rejects locals whose counts sum past 2^32", () => {
  const body = new Uint8Array([0x02, ...uleb(0xffff_ffff), I32, ...uleb(0xffff_ffff), I32, 0x0b]);
  assertThrows(
    () => validate(moduleWithBody(body), { limits: { locals: 0xffff_ffff } }),
    CompileError,
  );
});

Deno.test("validate() handles 100k nested blocks within the nesting limit or rejects them", () => {
  const n = 100_000;
  const body = new Uint8Array(1 + 2 * n + n + 1);
  body[0] = 0x00; // no locals
  for (let i = 0; i < n; i++) body.set([0x02, 0x40], 1 + 2 * i);
  body.fill(0x0b, 1 + 2 * n);
  const limit = defaultLimits().nesting;
  if (limit < n + 1) {
    assertThrows(() => validate(moduleWithBody(body)), CompileError, "nest");
  } else {
    assertEquals(validate(moduleWithBody(body)).functions, 1);
  }
  // Raised far enough, the same module is valid: depth is not a correctness limit.
  assertEquals(validate(moduleWithBody(body), { limits: { nesting: n + 1 } }).functions, 1);
});

Deno.test("validate() rejects an element section claiming 2^32-1 segments", () => {
  const bytes = new Uint8Array([...HEADER, ...section(9, [...uleb(0xffff_ffff), 0x00])]);
  assertThrows(() => validate(bytes), CompileError);
});

Deno.test("validate() rejects an element segment claiming 2^32-1 items", () => {
  const bytes = new Uint8Array([
    ...HEADER,
    ...section(1, vec([[0x60, 0x00, 0x00]])),
    ...section(3, vec([[0x00]])),
    ...section(4, vec([[0x70, 0x00, 0x01]])), // table funcref min 1
    ...section(9, [0x01, 0x00, 0x41, 0x00, 0x0b, ...uleb(0xffff_ffff), 0x00]),
  ]);
  assertThrows(() => validate(bytes), CompileError);
});

Deno.test("validate() rejects a type section claiming 2^32-1 types", () => {
  const bytes = new Uint8Array([...HEADER, ...section(1, [...uleb(0xffff_ffff), 0x60, 0, 0])]);
  assertThrows(() => validate(bytes), CompileError);
});

Deno.test("validate() bounds module size: 64 MiB of custom section against the limit", () => {
  const size = 64 * 1024 * 1024;
  const name = [4, ...new TextEncoder().encode("junk")];
  const sizeBytes = uleb(size - HEADER.length - 1 - 4);
  const payload = size - HEADER.length - 1 - sizeBytes.length;
  const bytes = new Uint8Array(size);
  bytes.set(HEADER, 0);
  bytes.set([0, ...sizeBytes, ...name], HEADER.length);
  assertEquals(payload >= name.length, true);
  const limit = defaultLimits().moduleSize;
  if (limit < size) {
    assertThrows(() => validate(bytes), CompileError, "size");
  } else {
    assertEquals(validate(bytes).customSections, ["junk"]);
  }
  assertThrows(() => validate(bytes, { limits: { moduleSize: size - 1 } }), CompileError);
});

Deno.test("validate() rejects every truncation of a valid module", () => {
  const body = new Uint8Array([0x00, 0x41, 0x01, 0x1a, 0x0b]); // i32.const 1; drop
  const whole = moduleWithBody(body);
  assertEquals(validate(whole).functions, 1);
  const ends: number[] = []; // where each section ends (all are under 128 bytes)
  for (let o = HEADER.length; o < whole.length; o += 2 + whole[o + 1]!) {
    ends.push(o + 2 + whole[o + 1]!);
  }
  for (let n = 1; n < whole.length; n++) {
    if (n === HEADER.length || ends.includes(n)) continue;
    assertThrows(() => validate(whole.subarray(0, n)), CompileError);
  }
  // At section boundaries: the type section alone is a valid module, but
  // functions without their code section are not.
  assertEquals(validate(whole.subarray(0, ends[0])).functions, 0);
  assertThrows(() => validate(whole.subarray(0, ends[1])), CompileError, "inconsistent");
});
