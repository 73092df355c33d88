import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { checkTrace, countTraceTiers, v8FlagArg, v8Flags } from "./v8_flags.ts";

Deno.test("v8Flags() pins each tier and always compiles eagerly", async (t) => {
  await t.step("liftoff", () => {
    const flags = v8Flags("liftoff");
    assertEquals(flags.includes("--liftoff-only"), true);
    assertEquals(flags.includes("--no-liftoff"), false);
    assertEquals(flags.includes("--no-wasm-lazy-compilation"), true);
  });
  await t.step("turbofan", () => {
    const flags = v8Flags("turbofan");
    assertEquals(flags.includes("--no-liftoff"), true);
    assertEquals(flags.some((f) => f.startsWith("--liftoff")), false);
    assertEquals(flags.includes("--no-wasm-lazy-compilation"), true);
  });
});

Deno.test("v8Flags() adds optional flags only when asked", () => {
  assertEquals(v8Flags("turbofan").includes("--single-threaded"), false);
  const all = v8Flags("turbofan", { singleThreaded: true, trace: true, exposeGc: true });
  assertEquals(all.slice(-3), [
    "--single-threaded",
    "--trace-wasm-compilation-times",
    "--expose-gc",
  ]);
});

Deno.test("v8FlagArg() joins with commas and rejects flags that would split", () => {
  assertEquals(v8FlagArg(["--no-liftoff", "--a=1"]), "--v8-flags=--no-liftoff,--a=1");
  assertThrows(() => v8FlagArg(["--a,--b"]), TypeError, '"--a,--b"');
  assertThrows(() => v8FlagArg(["no-dashes"]), TypeError);
});

const TRACE = `Compiled function 0x55c6e22e69f8#0 using Liftoff, took 80 μs and 13256 bytes
Compiled function 0x55c6e22e69f8#1 using Liftoff, took 21 μs and 13352 bytes
{"checksum":1}
Compiled function 0x55c6e22e69f8#1 using TurboFan, took 1589 μs and 106112 / 283672 max/total bytes
`;

Deno.test("countTraceTiers() counts lines per tier and ignores other output", () => {
  assertEquals(countTraceTiers(TRACE), { Liftoff: 2, TurboFan: 1 });
  assertEquals(countTraceTiers("no trace here\n"), {});
});

Deno.test("checkTrace() rejects a foreign tier and too few compilations", () => {
  assertEquals(checkTrace({ Liftoff: 2 }, "liftoff", 2), undefined);
  assertEquals(
    checkTrace({ Liftoff: 2, TurboFan: 1 }, "liftoff", 2)?.includes("1 by TurboFan"),
    true,
  );
  assertEquals(
    checkTrace({ TurboFan: 1 }, "turbofan", 2),
    "expected 2 TurboFan compilations, got 1",
  );
  assertEquals(checkTrace({}, "turbofan", 1) !== undefined, true);
});
