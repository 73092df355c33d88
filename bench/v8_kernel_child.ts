/**
 * Child process for the V8 kernel anchors; the V8 flags come from the
 * command line that starts it. Compiles the kernel, calls run(n / 4) once to
 * warm up (as kernels/native_main.c does), then times `runs` calls of run(n)
 * in-process and prints
 *   {"checksum":1234,"ms":[...],"compileMs":1.2}
 * With --compile-only it only compiles (to count eagerly compiled
 * functions in V8's trace) and prints {"compileMs":1.2}.
 *
 * Usage: v8_kernel_child.ts KERNEL.wasm N RUNS [--compile-only]
 *
 * @module
 */

function main(): void {
  const [path, nArg, runsArg, mode] = Deno.args;
  if (!path || !nArg || !runsArg) {
    throw new TypeError("Usage: v8_kernel_child.ts KERNEL.wasm N RUNS [--compile-only]");
  }
  const n = Number(nArg), runs = Number(runsArg);
  const bytes = Deno.readFileSync(path);
  const t0 = performance.now();
  const module = new WebAssembly.Module(bytes);
  const compileMs = performance.now() - t0;
  if (mode === "--compile-only") {
    console.log(JSON.stringify({ compileMs }));
    return;
  }
  const run = new WebAssembly.Instance(module).exports.run as (n: number) => number;
  run(n >= 4 ? Math.floor(n / 4) : n);
  let checksum: number | undefined;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const c = run(n) >>> 0;
    ms.push(performance.now() - start);
    checksum ??= c;
    if (c !== checksum) {
      throw new Error(`Kernel "${path}" changed its checksum between runs: ${checksum} then ${c}`);
    }
  }
  console.log(JSON.stringify({ checksum, ms, compileMs }));
}

if (import.meta.main) main();
