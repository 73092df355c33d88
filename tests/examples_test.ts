// The C examples (examples/*.c, include/gate.h) built by `make examples` and
// run with `gate call` as a user would: stdout, stdin, exit status, backtraces.
import { assert, assertEquals } from "./_assert.ts";
import { buildExamples, gateCall } from "./real/_run.ts";

const dir = await buildExamples();
const text = new TextDecoder();

Deno.test("examples/hello.c prints hello, world", async () => {
  const { code, stdout, stderr } = await gateCall(`${dir}hello.wasm`);
  assertEquals(
    { code, stdout: text.decode(stdout) },
    { code: 0, stdout: "hello, world\n" },
    stderr,
  );
});

Deno.test("examples/echo.c copies stdin to stdout through the origin service", async (t) => {
  await t.step("a line", async () => {
    const input = new TextEncoder().encode("echo me\n");
    const { code, stdout, stderr } = await gateCall(`${dir}echo.wasm`, { stdin: input });
    assertEquals({ code, stdout: text.decode(stdout) }, { code: 0, stdout: "echo me\n" }, stderr);
  });
  await t.step("no input", async () => {
    const { code, stdout, stderr } = await gateCall(`${dir}echo.wasm`, { stdin: new Uint8Array() });
    assertEquals({ code, length: stdout.length }, { code: 0, length: 0 }, stderr);
  });
  await t.step("300 KB of every byte value, more than the flow windows", async () => {
    const input = new Uint8Array(300_000).map((_, i) => (i * 7 + (i >> 9)) & 0xff);
    const { code, stdout, stderr } = await gateCall(`${dir}echo.wasm`, { stdin: input });
    assertEquals(code, 0, stderr);
    assertEquals(stdout.length, input.length);
    assert(stdout.every((b, i) => b === input[i]), "the output differs from the input");
  });
});

Deno.test("examples/catalog.c lists the built-in services and an unknown one as unavailable", async () => {
  const { code, stdout, stderr } = await gateCall(`${dir}catalog.wasm`);
  assertEquals(code, 0, stderr);
  const out = text.decode(stdout);
  const last = out.lastIndexOf("\n", out.length - 2);
  assertEquals(out.slice(last + 1), "example.invalid/no-such-service: unavailable\n");
  const doc = JSON.parse(out.slice(0, last + 1)) as {
    services: { name: string; revision: string }[];
  };
  const names = doc.services.map((s) => s.name);
  for (const name of ["origin", "catalog", "identity", "random", "scope"]) {
    assert(names.includes(name), `catalog lacks "${name}": ${out}`);
  }
  assertEquals(names, [...names].sort(), "the catalog is sorted by name");
  assert(doc.services.every((s) => s.revision === "0"), out);
});

Deno.test("examples/counter.c prints a tick per second, COUNT times", async () => {
  const start = performance.now();
  const { code, stdout, stderr } = await gateCall(`${dir}counter.wasm`, { args: ["3"] });
  const seconds = (performance.now() - start) / 1000;
  assertEquals(
    { code, stdout: text.decode(stdout) },
    { code: 0, stdout: "tick 1\ntick 2\ntick 3\n" },
    stderr,
  );
  // Ticks at 0, 1 and 2 s: at least 2 s of sleeping (poll_oneoff), plus startup.
  assert(seconds >= 2 && seconds < 20, `took ${seconds} s`);
});

Deno.test("examples/trap.c exits 1 with a backtrace of C function names", async () => {
  const { code, stdout, stderr } = await gateCall(`${dir}trap.wasm`);
  assertEquals({ code, stdout: text.decode(stdout) }, { code: 1, stdout: "" }, stderr);
  assert(stderr.includes("integer divide by zero"), stderr);
  assert(/at ratio \(.*\n\s*at average \(.*\n\s*at report \(/.test(stderr), stderr);
});
