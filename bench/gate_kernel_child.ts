/**
 * Child process for Gate's kernel runs, the counterpart of
 * v8_kernel_child.ts. Compiles the kernel with Gate (no image cache), starts
 * an instance process, calls run(n / 4) once to warm up, then times `runs`
 * calls of run(n) and prints
 *   {"checksum":1234,"ms":[...],"compileMs":1.2,"invokeMs":0.1}
 * or, when Gate cannot compile or run the kernel,
 *   {"error":"Trap in invoke \"run\": ..."}
 * so the benchmark reports the failure instead of stopping.
 *
 * The kernel runs in the instance process; each run(n) is timed here, around
 * Instance.invoke(), so the time includes one request and reply through the
 * executor. invokeMs is the median of that round trip alone, measured on an
 * empty exported function in the same instance process; it is about 0.1 ms
 * against run(n) calls of about 300 ms.
 *
 * With --and-no-loop-checks the kernel is also compiled without suspend
 * checks at loop heads (`codegen: { loopChecks: false }`) and instantiated
 * in the same instance process; after a warm-up call of each, the two are
 * timed in turns (on, off, then off, on, ...), so drift on the machine hits
 * both alike, and the result adds "msNoLoopChecks":[...] (RUNS each).
 *
 * Usage: gate_kernel_child.ts KERNEL.wasm N RUNS [--and-no-loop-checks]
 *
 * @module
 */

import { compile, type Instance, TrapError } from "../mod.ts";
import { closeExecutor } from "../ffi/_executor.ts";
import { summarize } from "./stats.ts";
import { ByteWriter, WASM_HEADER } from "./wasm_encode.ts";

/** (module (func (export "nop"))): one invoke is one round trip and no work. */
function nopModule(): Uint8Array {
  const w = new ByteWriter().bytes(WASM_HEADER);
  w.section(1, new ByteWriter().uleb(1).byte(0x60, 0, 0));
  w.section(3, new ByteWriter().uleb(1).uleb(0));
  w.section(7, new ByteWriter().uleb(1).name("nop").byte(0x00).uleb(0));
  w.section(10, new ByteWriter().uleb(1).uleb(2).byte(0, 0x0b));
  return w.toBytes();
}

/** run(arg) of an instance, as an unsigned checksum. */
function runner(instance: Instance): (arg: number) => Promise<number> {
  return async (arg) => {
    const [c] = await instance.invoke("run", [arg]);
    if (typeof c !== "number") throw new TypeError(`run(${arg}) returned ${String(c)}, not an i32`);
    return c >>> 0;
  };
}

async function measure(
  path: string,
  n: number,
  runs: number,
  noLoopChecks: boolean,
): Promise<Record<string, unknown>> {
  const bytes = Deno.readFileSync(path);
  const t0 = performance.now();
  const module = await compile(bytes, { cache: false });
  const compileMs = performance.now() - t0;
  using instance = await module.instantiate();
  const variants = [{ run: runner(instance), ms: [] as number[] }];
  if (noLoopChecks) {
    const other = await compile(bytes, { cache: false, codegen: { loopChecks: false } });
    const off = await other.instantiate({ store: instance.store });
    variants.push({ run: runner(off), ms: [] });
  }
  for (const v of variants) await v.run(n >= 4 ? Math.floor(n / 4) : n);
  let checksum: number | undefined;
  for (let i = 0; i < runs; i++) {
    for (const v of i % 2 ? [...variants].reverse() : variants) {
      const start = performance.now();
      const c = await v.run(n);
      v.ms.push(performance.now() - start);
      checksum ??= c;
      if (c !== checksum) {
        throw new Error(
          `Kernel "${path}" changed its checksum between runs: ${checksum} then ${c}`,
        );
      }
    }
  }
  const ms = variants[0]!.ms;
  const nop = await (await compile(nopModule(), { cache: false })).instantiate({
    store: instance.store,
  });
  const roundTrips: number[] = [];
  for (let i = 0; i < 51; i++) {
    const start = performance.now();
    await nop.invoke("nop");
    roundTrips.push(performance.now() - start);
  }
  const result = { checksum, ms, compileMs, invokeMs: summarize(roundTrips).median };
  return noLoopChecks ? { ...result, msNoLoopChecks: variants[1]!.ms } : result;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof TrapError && error.backtrace.length) {
    const frames = error.backtrace.slice(0, 4).map((f) =>
      `${f.name ?? `func ${f.function}`}@${f.offset}`
    );
    return `${error.message} (at ${frames.join(" < ")})`;
  }
  return error.message;
}

async function main(): Promise<void> {
  const [path, nArg, runsArg, flag] = Deno.args;
  if (!path || !nArg || !runsArg || (flag !== undefined && flag !== "--and-no-loop-checks")) {
    throw new TypeError("Usage: gate_kernel_child.ts KERNEL.wasm N RUNS [--and-no-loop-checks]");
  }
  let result: Record<string, unknown>;
  try {
    result = await measure(path, Number(nArg), Number(runsArg), flag !== undefined);
  } catch (error) {
    result = { error: describe(error) };
  } finally {
    await closeExecutor();
  }
  console.log(JSON.stringify(result));
}

if (import.meta.main) await main();
