/**
 * Child process for Gate's startup: compiles the module once with Gate
 * (`compile(bytes, { cache: false })`, the "precompiled module"), then per
 * launch times, in Deno:
 *
 * - launch -> instantiated: `Store.create()` (a new sandboxed instance
 *   process, up and serving) plus `module.instantiate({ store })` until its
 *   reply arrives here. At that point the instance is linked and
 *   initialised in its process and ready to run its first instruction; the
 *   figure is an upper bound on launch -> first instruction by one reply.
 * - launch -> first result: the same plus `invoke("run", [])` until its
 *   result arrives here.
 *
 * `store.close()` is not timed. 20 launches warm up. Prints
 *   {"instantiatedUs":[...],"resultUs":[...],"result":42}
 *
 * Usage: gate_startup_child.ts MODULE.wasm LAUNCHES
 *
 * @module
 */

import { compile, Store } from "../mod.ts";
import { closeExecutor } from "../ffi/_executor.ts";

const WARMUP = 20;

async function main(): Promise<void> {
  const [path, count] = Deno.args;
  if (!path || !count) throw new TypeError("Usage: gate_startup_child.ts MODULE.wasm LAUNCHES");
  const launches = Number(count);
  const module = await compile(Deno.readFileSync(path), { cache: false });
  const instantiatedUs: number[] = [], resultUs: number[] = [];
  let result: unknown;
  for (let i = 0; i < WARMUP + launches; i++) {
    const t0 = performance.now();
    const store = await Store.create();
    try {
      const instance = await module.instantiate({ store });
      const t1 = performance.now();
      const [r] = await instance.invoke("run", []);
      const t2 = performance.now();
      result = r;
      if (i >= WARMUP) {
        instantiatedUs.push((t1 - t0) * 1000);
        resultUs.push((t2 - t0) * 1000);
      }
    } finally {
      store.close();
    }
  }
  await closeExecutor();
  console.log(JSON.stringify({ instantiatedUs, resultUs, result }));
}

if (import.meta.main) await main();
