/**
 * Child process for the io anchors (io_bench.ts):
 *
 * - `worker CALLS ROUNDS`: a Deno Worker (io_worker.ts) posts every message
 *   back; after WARMUP round trips, each round times CALLS sequential round
 *   trips (post an 8-byte Uint8Array, await its echo).
 * - `pipe BYTES ROUNDS`: per round spawns `head -c BYTES /dev/zero` with
 *   Deno.Command and pipes its stdout into a counting WritableStream; the
 *   time from spawn to the end of the stream.
 *
 * Prints {"ms":[...]} (one per round).
 *
 * @module
 */

const WARMUP = 100;

async function worker(calls: number, rounds: number): Promise<number[]> {
  const w = new Worker(new URL("./io_worker.ts", import.meta.url), { type: "module" });
  let resolve: (v: unknown) => void = () => {};
  w.onmessage = (e) => resolve(e.data);
  const call = (i: number) =>
    new Promise((r) => {
      resolve = r;
      const data = new Uint8Array(8);
      data[0] = i;
      w.postMessage(data);
    });
  for (let i = 0; i < WARMUP; i++) await call(i);
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await call(i);
    ms.push(performance.now() - t0);
  }
  w.terminate();
  return ms;
}

async function pipe(bytes: number, rounds: number): Promise<number[]> {
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let received = 0;
    const t0 = performance.now();
    const child = new Deno.Command("head", {
      args: ["-c", String(bytes), "/dev/zero"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    await child.stdout.pipeTo(new WritableStream({ write: (c) => void (received += c.length) }));
    await child.status;
    ms.push(performance.now() - t0);
    if (received !== bytes) throw new Error(`head gave ${received} of ${bytes} bytes`);
  }
  return ms;
}

async function main(): Promise<void> {
  const [mode, a, b] = Deno.args;
  const n = Number(a), rounds = Number(b);
  if ((mode !== "worker" && mode !== "pipe") || !(n > 0) || !(rounds > 0)) {
    throw new TypeError("Usage: v8_io_child.ts worker|pipe N ROUNDS");
  }
  const ms = mode === "worker" ? await worker(n, rounds) : await pipe(n, rounds);
  console.log(JSON.stringify({ ms }));
}

if (import.meta.main) await main();
