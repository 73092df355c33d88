import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { parseBytes, parseDir, parseEnv, parseSeconds } from "./options.ts";

Deno.test("parseBytes() reads bytes with K, M and G suffixes and refuses the rest", () => {
  assertEquals(parseBytes("4096"), 4096);
  assertEquals(parseBytes("64M"), 64 * 1024 * 1024);
  assertEquals(parseBytes("1g"), 1024 ** 3);
  assertEquals(parseBytes("2KiB"), 2048);
  assertThrows(() => parseBytes("0"), RangeError, '"0"');
  assertThrows(() => parseBytes("-1M"), RangeError);
  assertThrows(() => parseBytes("1T"), RangeError);
  assertThrows(() => parseBytes(""), RangeError);
});

Deno.test("parseSeconds() takes whole positive seconds only", () => {
  assertEquals(parseSeconds("2"), 2);
  for (const bad of ["0", "0.5", "-1", "", "x", "Infinity"]) assertThrows(() => parseSeconds(bad));
});

Deno.test("parseEnv() splits at the first = and needs a name", () => {
  assertEquals(parseEnv(["A=1", "B=x=y", "C="]), { A: "1", B: "x=y", C: "" });
  assertThrows(() => parseEnv(["=1"]), RangeError, "KEY=VALUE");
  assertThrows(() => parseEnv(["A"]), RangeError);
});

Deno.test("parseDir() reads HOST[::GUEST]", () => {
  assertEquals(parseDir("out"), { host: "out", guest: "out" });
  assertEquals(parseDir("/tmp/x::/data"), { host: "/tmp/x", guest: "/data" });
  assertThrows(() => parseDir("::/data"), RangeError);
  assertThrows(() => parseDir("x::"), RangeError);
});
