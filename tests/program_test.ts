// Program and runProgram (ffi/program.ts) with their I/O wired to streams:
// what stdio looks like to the program, and what a run says when the
// caller's side of its I/O fails.
import { assert, assertEquals, assertInstanceOf, assertRejects } from "./_assert.ts";
import { compile, ProcessError, Program, runProgram, TrapError } from "../mod.ts";
import { wat } from "./_wat.ts";
import { COUNT_STDIN, STDIO_FILETYPES, WRITE_X } from "./_wasi_probes.ts";

/** A stdout that keeps what is written; `text()` decodes it. */
function sink(): { stream: WritableStream<Uint8Array>; text(): string } {
  const chunks: Uint8Array[] = [];
  return {
    stream: new WritableStream({ write: (chunk) => void chunks.push(chunk.slice()) }),
    text: () => chunks.map((c) => new TextDecoder().decode(c)).join(""),
  };
}

Deno.test("Program.start() shows stdio as pipes, or as the terminals options.terminal names", async (t) => {
  const module = await compile(await wat(STDIO_FILETYPES), { cache: false });
  const cases: [string, Parameters<typeof Program.start>[1], string][] = [
    ["by default no terminal", {}, "666\n"],
    ["stdin", { terminal: { stdin: true } }, "266\n"],
    ["stdout and stderr", { terminal: { stdout: true, stderr: true } }, "622\n"],
    ["all", { terminal: { stdin: true, stdout: true, stderr: true } }, "222\n"],
  ];
  for (const [name, options, expected] of cases) {
    await t.step(name, async () => {
      const out = sink();
      const result = await runProgram(module, { ...options, stdout: out.stream });
      assertEquals(result.exitCode, 0);
      assertEquals(out.text(), expected);
    });
  }
});

/** A stdout whose every write fails. */
function brokenStdout(): WritableStream<Uint8Array> {
  return new WritableStream({
    write() {
      throw new Error("the sink is closed");
    },
  });
}

Deno.test("Program.run() kills the program and rejects with a ProcessError when its stdout cannot be written", async (t) => {
  const module = await compile(await wat(WRITE_X), { cache: false });
  // "forever" is killed while it runs; "_start" has returned before the write failed.
  for (const fn of ["forever", "_start"]) {
    await t.step(fn, async () => {
      await using program = await Program.start(module, { stdout: brokenStdout() });
      const error = await assertRejects(
        () => program.run(fn),
        ProcessError,
        "was killed: writing the program's stdout failed: the sink is closed",
      );
      assert(!(error instanceof TrapError));
      assertInstanceOf(error.cause, Error);
      assertEquals(error.cause.message, "the sink is closed");
      // The process is gone: the next run says the same.
      await assertRejects(
        () => program.run(fn),
        ProcessError,
        "writing the program's stdout failed",
      );
    });
  }
});

Deno.test("Program.run() kills the program and rejects with a ProcessError when its stdin cannot be read", async () => {
  const module = await compile(await wat(COUNT_STDIN), { cache: false });
  const stdin = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error("the source failed"));
    },
  });
  const error = await assertRejects(
    () => runProgram(module, { stdin }),
    ProcessError,
    "was killed: reading the program's stdin failed: the source failed",
  );
  assertEquals((error.cause as Error).message, "the source failed");
});

Deno.test("Program.run() resolves once the program's output has been written", async () => {
  const module = await compile(await wat(WRITE_X), { cache: false });
  const written: string[] = [];
  const stdout = new WritableStream<Uint8Array>({
    async write(chunk) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      written.push(new TextDecoder().decode(chunk));
    },
  });
  assertEquals(await runProgram(module, { stdout }), {
    exitCode: 0,
    results: [],
    suspended: false,
  });
  assertEquals(written, ["x"]);
});
