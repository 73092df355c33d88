// `gate call`: typed arguments in, results out, traps with a backtrace;
// program arguments, and stdio that is a terminal only when it is one.
import { assert, assertEquals } from "./_assert.ts";
import { wat } from "./_wat.ts";
import { PRINT_ARGS, STDIO_FILETYPES } from "./_wasi_probes.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const CACHE = new URL("../.cache/cli_call_test/", import.meta.url).pathname;

const DENO_ARGS = [
  "run",
  "--allow-ffi",
  "--allow-read",
  "--allow-env",
  `--allow-write=${CACHE}`,
  CLI,
];

async function gate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [...DENO_ARGS, ...args],
    env: { GATE_CACHE_DIR: CACHE, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

async function moduleFile(text: string): Promise<string> {
  await Deno.mkdir(CACHE, { recursive: true });
  const path = `${CACHE}${crypto.randomUUID()}.wasm`;
  await Deno.writeFile(path, await wat(text));
  return path;
}

Deno.test("gate call prints the results of a function called with typed arguments", async () => {
  const path = await moduleFile(`(module
    (func (export "mix") (param i32 i64 f32 f64) (result f64 i64 i32)
      (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
      (i64.mul (local.get 1) (i64.const 2))
      (i32.sub (i32.const 0) (local.get 0))))`);
  const first = await gate("call", path, "mix", "7", "-4611686018427387904", "0.5", "0.25");
  assertEquals(first, { code: 0, stdout: "0.75\n-9223372036854775808\n-7\n", stderr: "" });
  // The second run takes the image from the cache and prints the same.
  const second = await gate("call", path, "mix", "7", "-4611686018427387904", "0.5", "0.25");
  assertEquals(second.stdout, first.stdout);
});

Deno.test("gate call prints a trap with its backtrace and exits 1", async () => {
  const path = await moduleFile(`(module
    (func $div (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
    (func $run (export "run") (param i32) (result i32) (call $div (local.get 0))))`);
  const { code, stdout, stderr } = await gate("call", path, "run", "0");
  assertEquals(code, 1);
  assertEquals(stdout, "");
  assert(stderr.includes("integer divide by zero"), stderr);
  assert(/at div \(function 0, offset 0x[0-9a-f]+\)\n.*at run \(function 1/.test(stderr), stderr);
});

Deno.test("gate call refuses bad arguments with exit status 2", async (t) => {
  const path = await moduleFile(`(module (func (export "f") (param i32)))`);
  const cases: [string, string[], string][] = [
    ["too few arguments", [], '"f" takes 1 arguments (i32), got 0'],
    ["not an integer", ["x"], 'Cannot parse "x" as i32'],
    ["out of range", ["4294967296"], "out of range"],
    ["no such export", [], 'exports no function "g"'],
  ];
  for (const [name, args, message] of cases) {
    await t.step(name, async () => {
      const fn = name === "no such export" ? "g" : "f";
      const { code, stderr } = await gate("call", path, fn, ...args);
      assertEquals(code, 2);
      assert(stderr.includes(message), stderr);
    });
  }
});

Deno.test("gate call passes --arg values that begin with a dash to the program", async () => {
  const path = await moduleFile(PRINT_ARGS);
  const name = path.slice(path.lastIndexOf("/") + 1);
  const result = await gate("call", "--arg", "-batch", "--arg", "--x=1", "--arg", "-", path);
  assertEquals(result, { code: 0, stdout: `${name}\n-batch\n--x=1\n-\n`, stderr: "" });
  const missing = await gate("call", "--arg");
  assertEquals(missing.code, 2);
  assert(missing.stderr.includes("--arg"), missing.stderr);
});

/** Runs `gate call` under script(1), its stdin, stdout and stderr a new terminal. */
async function gateInTerminal(...args: string[]): Promise<{ code: number; output: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const command = [Deno.execPath(), ...DENO_ARGS, ...args].map(quote).join(" ");
  const { code, stdout } = await new Deno.Command("script", {
    args: ["--quiet", "--return", "--command", command, "/dev/null"],
    env: { GATE_CACHE_DIR: CACHE, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, output: new TextDecoder().decode(stdout).replaceAll("\r\n", "\n") };
}

function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"] }).outputSync().success;
  } catch {
    return false;
  }
}

// wasi-libc's isatty() holds for a character device (2) without seek rights;
// a pipe is a socket stream (6), as in node:wasi.
Deno.test("gate call shows the program its stdio as terminals only when they are", async (t) => {
  const path = await moduleFile(STDIO_FILETYPES);
  await t.step("pipes", async () => {
    assertEquals(await gate("call", path), { code: 0, stdout: "666\n", stderr: "" });
    assertEquals(await gate("call", "--debug", path), { code: 0, stdout: "666\n", stderr: "" });
  });
  await t.step({
    name: "a terminal (script(1)); stderr only with --debug, else it goes nowhere",
    ignore: !hasScript(),
    fn: async () => {
      assertEquals(await gateInTerminal("call", path), { code: 0, output: "226\n" });
      assertEquals(await gateInTerminal("call", "--debug", path), { code: 0, output: "222\n" });
    },
  });
});
