// compile(bytes, { codegen }): code generation options compute the same
// results and are part of the image cache key.
import { assert, assertEquals } from "./_assert.ts";
import { type CodegenOptions, compile } from "../mod.ts";
import { moduleImage } from "../ffi/compile.ts";
import { wat } from "./_wat.ts";

/** Nested loops with locals live across them and a call inside: what the options change. */
const LOOPS = `(module
  (func $mix (param i32 i32) (result i32)
    (i32.xor (i32.mul (local.get 0) (i32.const 31)) (local.get 1)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $acc (call $mix (local.get $acc) (i32.add (local.get $i) (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $j) (i32.const 5))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))`;

/** The same computation in TS. */
function expected(n: number): number {
  let acc = 0, i = 0;
  do {
    for (let j = 0; j < 5; j++) acc = (Math.imul(acc, 31) ^ (i + j)) >>> 0;
    i++;
  } while (i < n);
  return acc | 0;
}

const VARIANTS: [string, CodegenOptions][] = [
  ["defaults", {}],
  ["loopChecks: false", { loopChecks: false }],
  ["pinLocals: false", { pinLocals: false }],
  ["both off", { loopChecks: false, pinLocals: false }],
];

Deno.test("compile() with codegen options computes the same results", async (t) => {
  const bytes = await wat(LOOPS);
  for (const [name, codegen] of VARIANTS) {
    await t.step(name, async () => {
      const module = await compile(bytes, { cache: false, codegen });
      using instance = await module.instantiate();
      for (const n of [1, 7, 10_000]) {
        assertEquals(await instance.invoke("run", [n]), [expected(n)]);
      }
    });
  }
  const size = async (codegen: CodegenOptions) =>
    moduleImage(await compile(bytes, { cache: false, codegen })).length;
  // The option reached the compiler: no loop checks is less code.
  assert(await size({ loopChecks: false }) < await size({}));
});

Deno.test("compile() keeps images of other codegen options apart in the cache", async () => {
  await Deno.mkdir(".cache", { recursive: true });
  const cacheDir = await Deno.makeTempDir({ dir: ".cache", prefix: "compile_codegen_test" });
  try {
    const bytes = await wat(LOOPS);
    const images = new Map<string, number>();
    for (const [name, codegen] of VARIANTS) {
      const cold = await compile(bytes, { cacheDir, codegen });
      assertEquals(cold.cached, false, `${name}: another variant's image was taken`);
      images.set(name, moduleImage(cold).length);
    }
    for (const [name, codegen] of VARIANTS) {
      const warm = await compile(bytes, { cacheDir, codegen });
      assertEquals(warm.cached, true, name);
      assertEquals(moduleImage(warm).length, images.get(name), name);
      using instance = await warm.instantiate();
      assertEquals(await instance.invoke("run", [100]), [expected(100)], name);
    }
    // Explicit defaults are the defaults' entry.
    const explicit = await compile(bytes, {
      cacheDir,
      codegen: { loopChecks: true, pinLocals: true },
    });
    assertEquals(explicit.cached, true);
    const names = [];
    for await (const entry of Deno.readDir(`${cacheDir}/images`)) names.push(entry.name);
    assertEquals(names.length, VARIANTS.length);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
