/**
 * Child process for Gate's compile throughput, the counterpart of
 * v8_compile_child.ts. Compiles the module warmup + runs times in this Deno
 * process through libgate, each time on a copy made unique by the same
 * custom section the V8 anchors get (Gate has no cache on this path, but the
 * bytes stay identical to V8's), and prints
 *   {"ms":[...],"cpuMs":[...],"imageBytes":N,"machineCodeBytes":N,
 *    "rssBeforeKiB":N,"maxRssKiB":N,"overheadMs":N}
 *
 * A timed compile is exactly decode + validate (gate_module_new) and code
 * generation + image serialization (gate_image_new, a nonblocking FFI call
 * that runs on one worker thread while this thread waits); freeing the
 * module and the image is not timed. overheadMs is the median time of the
 * same two calls on an empty module: the fixed FFI and thread hand-off cost
 * inside every timed compile. The memory fields bracket all compiles: the
 * resident set before the first and the process's peak after the last.
 *
 * Usage: gate_compile_child.ts MODULE.wasm RUNS WARMUP [--same-bytes]
 *
 * @module
 */

import process from "node:process";
import { lib } from "../ffi/_library.ts";
import { errorBuffer, errorFromStatus, readMessage } from "../ffi/errors.ts";
import { Status } from "../ffi/errors.gen.ts";
import { decodeModule } from "../ffi/module.ts";
import { type ImageSizes, imageSizes } from "./gate_image.ts";
import { summarize } from "./stats.ts";
import { withNonce } from "./wasm_sections.ts";
import { WASM_HEADER } from "./wasm_encode.ts";

/** One timed compile: wall and process CPU milliseconds, and the image's sizes. */
interface Compiled {
  ms: number;
  cpuMs: number;
  sizes: ImageSizes;
}

async function compileOnce(bytes: Uint8Array): Promise<Compiled> {
  const symbols = lib();
  const out = new BigUint64Array(1);
  const err = errorBuffer();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // As compile() does: bodies are validated once, by the code generator.
  const module = decodeModule(bytes, { deferBodies: true });
  const status = await symbols.gate_image_new(module, out, err, BigInt(err.length));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  symbols.gate_module_free(module);
  if (status !== Status.OK) throw errorFromStatus(status, readMessage(err));
  const image = Deno.UnsafePointer.create(out[0]!);
  try {
    const len = new BigUint64Array(1);
    const ptr = symbols.gate_image_bytes(image, len);
    if (ptr === null) throw new Error("Cannot read compiled image: gate_image_bytes returned NULL");
    // Only the header and section table are read: a view into the image, before the free.
    const view = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(ptr, Number(len[0]!)));
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, sizes: imageSizes(view) };
  } finally {
    symbols.gate_image_free(image);
  }
}

async function main(): Promise<void> {
  const [path, runsArg, warmupArg, mode] = Deno.args;
  if (!path || !runsArg || !warmupArg) {
    throw new TypeError("Usage: gate_compile_child.ts MODULE.wasm RUNS WARMUP [--same-bytes]");
  }
  const runs = Number(runsArg), warmup = Number(warmupArg);
  const sameBytes = mode === "--same-bytes";
  const bytes = Deno.readFileSync(path);
  const empty = new Uint8Array(WASM_HEADER);
  const overhead: number[] = [];
  for (let i = 0; i < 21; i++) overhead.push((await compileOnce(empty)).ms);
  const rssBeforeKiB = Math.round(Deno.memoryUsage().rss / 1024);
  const ms: number[] = [], cpuMs: number[] = [];
  let sizes: ImageSizes | undefined;
  for (let i = 0; i < warmup + runs; i++) {
    const compiled = await compileOnce(sameBytes ? bytes : withNonce(bytes, i));
    if (i >= warmup) {
      ms.push(compiled.ms);
      cpuMs.push(compiled.cpuMs);
    }
    sizes = compiled.sizes;
  }
  const maxRssKiB = process.resourceUsage().maxRSS;
  console.log(JSON.stringify({
    ms,
    cpuMs,
    ...sizes,
    rssBeforeKiB,
    maxRssKiB,
    overheadMs: summarize(overhead).median,
  }));
}

if (import.meta.main) await main();
