import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { formatFrame, formatSnapshot, programName, snapshotFileName } from "./snapshot.ts";
import type { SnapshotDescription } from "../ffi/snapshot.ts";

const ID = "1a2b3c4d" + "0".repeat(56);

Deno.test("programName() strips .wasm and a snapshot's id suffix", async (t) => {
  const cases: [string, string][] = [
    ["native/build/examples/counter.wasm", "counter"],
    ["counter.1a2b3c4d.snapshot.wasm", "counter"],
    ["/tmp/a.b.wasm", "a.b"],
    ["noext", "noext"],
    [".wasm", "program"],
    // Not a snapshot name: the id part must be 8 hex digits.
    ["x.1234.snapshot.wasm", "x.1234.snapshot"],
  ];
  for (const [path, name] of cases) {
    await t.step(path, () => assertEquals(programName(path), name));
  }
});

Deno.test("snapshotFileName() is ./NAME.SHA8.snapshot.wasm, also for snapshots of snapshots", () => {
  assertEquals(snapshotFileName("dir/counter.wasm", ID), "./counter.1a2b3c4d.snapshot.wasm");
  assertEquals(
    snapshotFileName("counter.ffffffff.snapshot.wasm", ID),
    "./counter.1a2b3c4d.snapshot.wasm",
  );
  assertThrows(() => snapshotFileName("a.wasm", "xyz"), RangeError, "xyz");
});

Deno.test("formatFrame() renders each frame kind in one line", async (t) => {
  const cases: [Parameters<typeof formatFrame>[0], string][] = [
    [
      { kind: "at", function: 1, name: "loop", offset: 12, locals: ["i32:3"], stack: ["i64:-1"] },
      "at loop (function 1, offset 0xc) locals [i32:3] stack [i64:-1]",
    ],
    [
      { kind: "call", function: 7, offset: 0x2a, locals: [], stack: [] },
      "call function[7] (function 7, offset 0x2a) locals [] stack []",
    ],
    [
      { kind: "host", function: 0, name: "fd_write", args: ["i32:1", "i32:1024"] },
      "host fd_write (function 0) arguments [i32:1, i32:1024]",
    ],
    [
      { kind: "host", instruction: "memory.fill", args: ["i32:0", "i32:0", "i32:65536"] },
      "host memory.fill arguments [i32:0, i32:0, i32:65536]",
    ],
  ];
  for (const [frame, line] of cases) {
    await t.step(line, () => assertEquals(formatFrame(frame), line));
  }
});

Deno.test("formatSnapshot() says how the program stopped, then its frames", () => {
  const info: SnapshotDescription = {
    version: 1,
    final: false,
    trap: 15,
    result: 0,
    monotonic: 1_500_000_000,
    memory: 131072,
    input: 0,
    output: 0,
    services: [],
    frames: [{ kind: "at", function: 1, name: "loop", offset: 12, locals: [], stack: [] }],
  };
  assertEquals(
    formatSnapshot("c.snapshot.wasm", ID, info),
    [
      "c.snapshot.wasm: snapshot, suspended (resumable)",
      `  sha256 ${ID}`,
      "  monotonic clock 1.500000000 s, memory 131072 bytes, input 0 bytes, output 0 bytes",
      "  stack, innermost frame first:",
      "    at loop (function 1, offset 0xc) locals [] stack []",
    ].join("\n"),
  );
  const exited = formatSnapshot("f", ID, { ...info, final: true, trap: 12, result: 3, frames: [] });
  assertEquals(exited.split("\n")[0], "f: snapshot, final: the program exited with code 3");
  assertEquals(exited.split("\n").at(-1), "  no stack");
  const trapped = formatSnapshot("f", ID, { ...info, final: true, trap: 7, services: ["x"] });
  assertEquals(
    trapped.split("\n")[0],
    "f: snapshot, final: the program trapped: integer divide by zero",
  );
  assertEquals(trapped.split("\n")[3], "  services: x");
});
