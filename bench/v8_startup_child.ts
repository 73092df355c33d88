/**
 * Child process for the startup anchor: a Deno Worker per launch. Compiles
 * the module once (WebAssembly.Module), then per launch starts a Worker
 * (startup_worker.ts), posts it the compiled module, and timestamps here the
 * arrival of its "instantiated" message and of run()'s result; then
 * terminates the Worker. 20 launches warm up. Stops early, after at least
 * MIN launches, once the timed launches take longer than BUDGET_MS. Prints
 *   {"instantiatedUs":[...],"resultUs":[...],"result":42}
 *
 * Usage: v8_startup_child.ts MODULE.wasm LAUNCHES
 *
 * @module
 */

const WARMUP = 20;
const MIN = 100;
const BUDGET_MS = 60_000;

function launch(module: WebAssembly.Module): Promise<[number, number, unknown]> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let t1 = 0;
    const worker = new Worker(new URL("./startup_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e) => {
      if (e.data === "instantiated") {
        t1 = performance.now();
        return;
      }
      const t2 = performance.now();
      worker.terminate();
      resolve([(t1 - t0) * 1000, (t2 - t0) * 1000, e.data]);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      reject(new Error(`Startup worker failed: ${e.message}`));
    };
    worker.postMessage(module);
  });
}

async function main(): Promise<void> {
  const [path, count] = Deno.args;
  if (!path || !count) throw new TypeError("Usage: v8_startup_child.ts MODULE.wasm LAUNCHES");
  const launches = Number(count);
  const module = new WebAssembly.Module(Deno.readFileSync(path));
  const instantiatedUs: number[] = [], resultUs: number[] = [];
  let result: unknown;
  for (let i = 0; i < WARMUP; i++) await launch(module);
  const started = performance.now();
  for (let i = 0; i < launches; i++) {
    const [a, b, r] = await launch(module);
    instantiatedUs.push(a);
    resultUs.push(b);
    result = r;
    if (i + 1 >= MIN && performance.now() - started > BUDGET_MS) break;
  }
  console.log(JSON.stringify({ instantiatedUs, resultUs, result }));
}

if (import.meta.main) await main();
