import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  appendCustomSection,
  CODE_SECTION_ID,
  codeSection,
  readSections,
  readUleb,
  withNonce,
} from "./wasm_sections.ts";
import { ByteWriter, WASM_HEADER } from "./wasm_encode.ts";

/** (func (result i32) i32.const 7) twice, exported as nothing. */
function twoFunctions(): Uint8Array<ArrayBuffer> {
  const types = new ByteWriter().uleb(1).byte(0x60, 0, 1, 0x7f);
  const funcs = new ByteWriter().uleb(2).uleb(0).uleb(0);
  const body = [0x00, 0x41, 0x07, 0x0b]; // no locals; i32.const 7; end
  const code = new ByteWriter().uleb(2).uleb(body.length).bytes(body).uleb(body.length).bytes(
    body,
  );
  return new ByteWriter().bytes(WASM_HEADER).section(1, types).section(3, funcs).section(10, code)
    .toBytes().slice();
}

Deno.test("readUleb() reads multi-byte values and reports the next offset", () => {
  assertEquals(readUleb(new Uint8Array([0xe5, 0x8e, 0x26, 0x99]), 0), [624485, 3]);
  assertEquals(readUleb(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), 0), [0xffffffff, 5]);
});

Deno.test("readUleb() rejects truncated and over-long values", () => {
  assertThrows(() => readUleb(new Uint8Array([0x80]), 0), RangeError, "truncated");
  assertThrows(() => readUleb(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0]), 0), RangeError);
  assertThrows(() => readUleb(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x1f]), 0), RangeError);
});

Deno.test("readSections() lists ids, offsets and sizes in order", () => {
  const bytes = twoFunctions();
  const sections = readSections(bytes);
  assertEquals(sections.map((s) => s.id), [1, 3, CODE_SECTION_ID]);
  const code = sections[2]!;
  assertEquals(code.offset + code.size, bytes.length);
  assertEquals(code.size, 1 + 2 * 5);
});

Deno.test("readSections() rejects a bad magic and a truncated section", () => {
  assertThrows(() => readSections(new Uint8Array([0, 0x61, 0x73, 0x6e, 1, 0, 0, 0])), SyntaxError);
  const cut = twoFunctions().subarray(0, -1);
  assertThrows(() => readSections(cut), SyntaxError, "runs past the end");
});

Deno.test("codeSection() counts function bodies", () => {
  assertEquals(codeSection(twoFunctions()), { size: 11, functions: 2 });
  assertEquals(codeSection(new Uint8Array(WASM_HEADER)), { size: 0, functions: 0 });
});

Deno.test("appendCustomSection() keeps the module valid and readable", () => {
  const bytes = twoFunctions();
  const out = appendCustomSection(bytes, "note", new Uint8Array([1, 2, 3]));
  assertEquals(WebAssembly.validate(out), true);
  const last = readSections(out).at(-1)!;
  assertEquals(last.id, 0);
  assertEquals(last.name, "note");
  assertEquals(last.size, 1 + 4 + 3);
  assertEquals(out.subarray(0, bytes.length), bytes);
});

Deno.test("withNonce() makes different counters give different bytes", () => {
  const bytes = twoFunctions();
  const a = withNonce(bytes, 1);
  const b = withNonce(bytes, 2);
  assertEquals(a.length, b.length);
  assertEquals(a.some((v, i) => v !== b[i]), true);
  assertEquals(WebAssembly.validate(b), true);
  assertEquals(codeSection(b), codeSection(bytes));
});
