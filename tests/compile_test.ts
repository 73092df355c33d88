// compile(): validation, the code generator and the image cache.
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { compile, CompileError } from "../mod.ts";
import { wat } from "./_wat.ts";
import { moduleWithBody } from "./_wasm.ts";

const ADD = `(module (func (export "add") (param i32 i32) (result i32)
  (i32.add (local.get 0) (local.get 1))))`;

Deno.test("compile() describes the module and hashes its bytes", async () => {
  const bytes = await wat(ADD);
  const module = await compile(bytes, { cache: false });
  assertEquals(module.hash.length, 64);
  assertEquals(module.exports, [
    { name: "add", kind: "function", index: 0, type: { params: ["i32", "i32"], results: ["i32"] } },
  ]);
  assertEquals(module.imports, []);
  assertEquals(module.cached, false);
});

Deno.test("compile() caches images by hash and compiler version, and ignores bad entries", async () => {
  await Deno.mkdir(".cache", { recursive: true });
  const cacheDir = await Deno.makeTempDir({ dir: ".cache", prefix: "compile_test" });
  try {
    const bytes = await wat(ADD);
    const cold = await compile(bytes, { cacheDir });
    const warm = await compile(bytes, { cacheDir });
    assertEquals([cold.cached, warm.cached], [false, true]);
    using instance = await warm.instantiate();
    assertEquals(await instance.invoke("add", [1, 2]), [3]);
    // Corrupt every entry: the next compile does not trust it.
    for await (const entry of Deno.readDir(`${cacheDir}/images`)) {
      const path = `${cacheDir}/images/${entry.name}`;
      const data = await Deno.readFile(path);
      data[data.length - 1]! ^= 0xff;
      await Deno.writeFile(path, data);
    }
    const again = await compile(bytes, { cacheDir });
    assertEquals(again.cached, false);
    assertEquals((await compile(bytes, { cacheDir })).cached, true);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("compile() rejects malformed and invalid modules with CompileError", async () => {
  await assertRejects(() => compile(new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0])), CompileError);
  // A [] -> [] function that leaves an i32 on the stack.
  const invalid = moduleWithBody(new Uint8Array([0x00, 0x41, 0x00, 0x0b]));
  const error = await assertRejects(() => compile(invalid, { cache: false }), CompileError);
  assert(/offset \d+/.test(error.message), error.message);
});
