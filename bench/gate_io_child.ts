/**
 * Child process for Gate's program I/O (io_bench.ts), through the public
 * API: `compile()` and `Program.start(module, options)` + `program.run()`.
 *
 * - `call MODULE CALLS ROUNDS`: runs programs/call_loop.c once with a
 *   service, `gate.bench/call`, added through the Service interface, that
 *   answers each call at once with its own content; the program times each
 *   round of CALLS calls and writes its nanoseconds to stdout.
 * - `stream MODULE BYTES ROUNDS`: per round starts programs/write_stdout.c
 *   (start not timed) and times run() while its stdout, BYTES bytes in
 *   64 KiB writes, goes into a counting WritableStream.
 *
 * Prints {"ms":[...]} (one per round).
 *
 * @module
 */

import { compile, type Module } from "../mod.ts";
import { Program } from "../ffi/program.ts";
import { closeExecutor } from "../ffi/_executor.ts";
import type { Service } from "../services/service.ts";

/** The bench service: every call is answered at once with its own content. */
export const CALL_SERVICE: Service = {
  name: "gate.bench/call",
  revision: "1",
  createSession() {
    return { call: (payload) => payload };
  },
};

/** A stream that appends the text written to it to into[0]. */
function collect(into: [string]): WritableStream<Uint8Array> {
  const decoder = new TextDecoder();
  return new WritableStream({
    write: (chunk) => void (into[0] += decoder.decode(chunk, { stream: true })),
  });
}

async function calls(module: Module, n: string, rounds: string) {
  const out: [string] = [""], debug: [string] = [""];
  await using program = await Program.start(module, {
    name: "call_loop",
    args: [CALL_SERVICE.name, n, rounds],
    services: [CALL_SERVICE],
    stdout: collect(out),
    debug: collect(debug),
  });
  const { exitCode } = await program.run();
  const text = out[0];
  if (exitCode !== 0) throw new Error(`call_loop exited ${exitCode}: ${debug[0].trim()}`);
  const ms = text.trim().split("\n").map((l) => Number(l) / 1e6);
  if (ms.length !== Number(rounds) || !ms.every((v) => v > 0)) {
    throw new Error(`call_loop printed "${text.trim()}", not ${rounds} round times`);
  }
  return ms;
}

async function stream(module: Module, bytes: string, rounds: string) {
  const ms: number[] = [];
  for (let r = 0; r < Number(rounds); r++) {
    let received = 0;
    await using program = await Program.start(module, {
      name: "write_stdout",
      args: [bytes, "65536"],
      stdout: new WritableStream({ write: (chunk) => void (received += chunk.length) }),
    });
    const t0 = performance.now();
    const { exitCode } = await program.run();
    ms.push(performance.now() - t0);
    if (exitCode !== 0 || received !== Number(bytes)) {
      throw new Error(`write_stdout exited ${exitCode} after ${received} of ${bytes} bytes`);
    }
  }
  return ms;
}

async function main(): Promise<void> {
  const [mode, path, a, b] = Deno.args;
  if ((mode !== "call" && mode !== "stream") || !path || !a || !b) {
    throw new TypeError("Usage: gate_io_child.ts call|stream MODULE N ROUNDS");
  }
  const module = await compile(Deno.readFileSync(path), { cache: false });
  const ms = mode === "call" ? await calls(module, a, b) : await stream(module, a, b);
  await closeExecutor();
  console.log(JSON.stringify({ ms }));
}

if (import.meta.main) await main();
