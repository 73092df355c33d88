import { assertEquals } from "../tests/_assert.ts";
import { programArgs } from "./wasm_programs.ts";

Deno.test("programArgs() builds for wasm32-wasi with the examples' flags", () => {
  const args = programArgs("p.c", "/inc/", "p.wasm");
  assertEquals(args.slice(0, 3), ["--target=wasm32-wasi", "-std=c11", "-O2"]);
  assertEquals(args.slice(-3), ["p.c", "-o", "p.wasm"]);
  assertEquals(args.includes("-I/inc/") && args.includes("-Werror"), true);
});
