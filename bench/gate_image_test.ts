import { assertEquals } from "../tests/_assert.ts";
import { throws } from "node:assert/strict";
import { IMAGE_CODE_SECTION, imageSizes } from "./gate_image.ts";

/** An image with the real header layout and the given (tag, payload) sections. */
function image(sections: [number, Uint8Array][]): Uint8Array {
  const parts: number[] = [0x47, 0x41, 0x54, 0x45, 0x49, 0x4d, 0x47, 0x01, ...Array(16).fill(0)];
  for (const [tag, payload] of sections) {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setUint32(0, tag, true);
    new DataView(head.buffer).setUint32(4, payload.length, true);
    parts.push(...head, ...payload);
  }
  return new Uint8Array(parts);
}

function code(n: number): Uint8Array {
  const out = new Uint8Array(4 + n);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

Deno.test("imageSizes() reads the machine code length from the code section", () => {
  const bytes = image([[1, new Uint8Array(5)], [IMAGE_CODE_SECTION, code(32)], [15, code(0)]]);
  assertEquals(imageSizes(bytes), { imageBytes: bytes.length, machineCodeBytes: 32 });
});

Deno.test("imageSizes() rejects what is not a whole image", async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["no header", new Uint8Array(30), /no GATEIMG header/],
    ["no end section", image([[IMAGE_CODE_SECTION, code(4)]]), /no end section/],
    ["no code section", image([[1, new Uint8Array(2)], [15, new Uint8Array(0)]]), /no code/],
    ["a section past the end", image([[1, new Uint8Array(8)]]).subarray(0, 36), /past the end/],
  ];
  for (const [name, bytes, message] of cases) {
    await t.step(name, () => throws(() => imageSizes(bytes), message));
  }
});
