// Program.snapshot() of a program suspended while it waits for stdin: by
// default the snapshot waits for the origin's read in progress, so no byte
// is lost; with inputTimeout it does not wait for a read that has not ended
// (gate call on Ctrl-\ with an idle terminal), and the read's bytes, when
// they come, are in the next snapshot.
import { assertEquals } from "./_assert.ts";
import { bufferOrigin, compile, type Module, Program } from "../mod.ts";
import { wat } from "./_wat.ts";

const text = new TextDecoder();

/** Copies stdin to stdout, 1 KiB at a time, until the end of input. */
const CAT = `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $copy
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const 1024))
      (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
      (if (i32.eqz (i32.load (i32.const 8))) (then (return)))
      (i32.store (i32.const 4) (i32.load (i32.const 8)))
      (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $copy))))`;

/** An origin whose first read ends only when release() is called, with `late`. */
function heldOrigin(late: Uint8Array) {
  let release = () => {};
  let reads = 0;
  const held = new Promise<void>((resolve) => release = resolve);
  return {
    release: () => release(),
    get reads() {
      return reads;
    },
    read: async () => {
      if (reads++ > 0) return null;
      await held;
      return late;
    },
    write: () => Promise.resolve(),
  };
}

async function suspendedWaiting(module: Module, origin: ReturnType<typeof heldOrigin>) {
  const program = await Program.start(module, { origin });
  const run = program.run();
  // The program reads at once; its PULL starts the origin's read, which is held.
  while (origin.reads === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  program.suspend();
  assertEquals((await run).suspended, true);
  return program;
}

/** Restores a snapshot with an empty stdin and returns what the program prints. */
async function printed(snapshot: Uint8Array): Promise<string> {
  const origin = bufferOrigin();
  await using restored = await Program.restore(snapshot, { origin });
  assertEquals(await restored.resume(), { exitCode: 0, results: [], suspended: false });
  return text.decode(origin.output);
}

Deno.test("Program.snapshot() waits for a stdin read in progress, or for inputTimeout ms", async (t) => {
  const module = await compile(await wat(CAT), { cache: false });
  const late = new TextEncoder().encode("typed after the suspend\n");

  await t.step("by default the read's bytes are in the snapshot", async () => {
    const origin = heldOrigin(late);
    await using program = await suspendedWaiting(module, origin);
    const snapshot = program.snapshot();
    setTimeout(origin.release, 50);
    assertEquals(await printed(await snapshot), text.decode(late));
  });

  await t.step(
    "with inputTimeout the snapshot does not wait; the next one has the bytes",
    async () => {
      const origin = heldOrigin(late);
      await using program = await suspendedWaiting(module, origin);
      const first = await program.snapshot({ inputTimeout: 20 });
      assertEquals(await printed(first), "");
      origin.release();
      const second = await program.snapshot({ inputTimeout: 1000 });
      assertEquals(await printed(second), text.decode(late));
    },
  );
});
