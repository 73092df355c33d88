// Deno must be able to exit while a nonblocking FFI call runs inside libgate:
// libgate is linked with -z nodelete, so exit's dlclose cannot unmap code that
// a poll thread is still executing (it segfaulted in about 2 of 3 runs).
import { assertEquals } from "./_assert.ts";

Deno.test("Deno exits cleanly when it dies with an executor poll in flight", async () => {
  const script = new URL("./testdata/exit_during_poll.ts", import.meta.url).pathname;
  for (let run = 0; run < 4; run++) {
    const { code, signal, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-ffi",
        "--allow-read",
        "--allow-env",
        "--allow-run",
        "--allow-write=.cache",
        script,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stderr);
    assertEquals(signal, null, `run ${run} ended by a signal:\n${text}`);
    assertEquals(code, 1, text);
    assertEquals(text.includes("CPU time limit"), true, text);
  }
});
