// C programs built by Debian's clang run under Gate, and their traps name C functions.
import { assertEquals, assertInstanceOf } from "./_assert.ts";
import { compile, TrapError } from "../mod.ts";

async function clang(source: string): Promise<Uint8Array> {
  const dir = new URL("../.cache/clang/", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  const out = await Deno.makeTempFile({ dir, suffix: ".wasm" });
  try {
    const { code, stderr } = await new Deno.Command("clang", {
      args: ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-o", out, source],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`clang failed: ${new TextDecoder().decode(stderr)}`);
    return await Deno.readFile(out);
  } finally {
    await Deno.remove(out);
  }
}

Deno.test("a trap in a C program built by clang has a backtrace of C function names", async () => {
  const source = new URL("./testdata/trap.c", import.meta.url).pathname;
  const module = await compile(await clang(source), { cache: false });
  using instance = await module.instantiate();
  assertEquals(await instance.invoke("run", [5]), [42]);
  let error: unknown;
  try {
    await instance.invoke("run", [0]);
  } catch (e) {
    error = e;
  }
  assertInstanceOf(error, TrapError);
  assertEquals(error.trap, "INTEGER_DIVIDE_BY_ZERO");
  assertEquals(error.backtrace.map((f) => f.name), ["divide", "middle", "run"]);
});
