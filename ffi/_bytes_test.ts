import { assertEquals } from "../tests/_assert.ts";
import { readWholeFile, sha256Hex } from "./_bytes.ts";

Deno.test("sha256Hex() gives the SHA-256 of the bytes in hex", async () => {
  assertEquals(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    await sha256Hex(new Uint8Array(0)),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("readWholeFile() reads empty, small and large files exactly", async () => {
  const dir = await Deno.makeTempDir({ dir: new URL("../.cache/", import.meta.url).pathname });
  try {
    for (const size of [0, 1, 4095, 4096, 5 << 20]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + (i >> 8)) & 0xff);
      const path = `${dir}/${size}.bin`;
      await Deno.writeFile(path, bytes);
      const read = await readWholeFile(path);
      assertEquals(read.length, size);
      assertEquals(await sha256Hex(read), await sha256Hex(bytes));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
