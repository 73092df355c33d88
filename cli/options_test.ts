import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { parseArgs } from "node:util";
import { parseBytes, parseDir, parseEnv, parseSeconds, splitCallArgs } from "./options.ts";

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

Deno.test("splitCallArgs() ends the options at FILE and joins each valued option to its value", async (t) => {
  const valued = new Set(["arg", "env", "dir"]);
  // [name, args, options, rest]
  const cases: [string, string, string, string][] = [
    ["no options", "f.wasm", "", "f.wasm"],
    [
      "values that begin with a dash",
      "--arg -batch --arg -- --env A=-1 --dir -d f.wasm",
      "--arg=-batch --arg=-- --env=A=-1 --dir=-d",
      "f.wasm",
    ],
    ["a value like an option", "--arg --debug --debug f.wasm", "--arg=--debug --debug", "f.wasm"],
    ["--name=VALUE as it is", "--arg=-x --dir=a::b f.wasm", "--arg=-x --dir=a::b", "f.wasm"],
    [
      "what follows FILE is the program's",
      "--debug f.wasm run -1 --arg",
      "--debug",
      "f.wasm run -1 --arg",
    ],
    ["-- ends the options", "--arg x -- --odd.wasm -2", "--arg=x", "--odd.wasm -2"],
    ["a missing value is left for parseArgs", "--arg", "--arg", ""],
    ["unknown options are left for parseArgs", "--nope x f.wasm", "--nope", "x f.wasm"],
    ["a single dash is no option", "-x f.wasm", "", "-x f.wasm"],
  ];
  const words = (text: string) => text === "" ? [] : text.split(" ");
  for (const [name, args, options, rest] of cases) {
    await t.step(name, () => {
      assertEquals(splitCallArgs(words(args), valued), {
        options: words(options),
        rest: words(rest),
      });
    });
  }
});

Deno.test("splitCallArgs() gives parseArgs values that begin with a dash, which it refuses alone", () => {
  const options = { arg: { type: "string", multiple: true }, debug: { type: "boolean" } } as const;
  const args = ["--arg", "-batch", "--arg", "--debug", "f.wasm"];
  assertThrows(() => parseArgs({ args: args.slice(0, 4), options }), TypeError, "ambiguous");
  const { values } = parseArgs({ args: splitCallArgs(args, new Set(["arg"])).options, options });
  assertEquals(values.arg, ["-batch", "--debug"]);
  assertEquals(values.debug, undefined);
});
