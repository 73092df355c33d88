import { assert, assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  benchStartup,
  formatStartupReport,
  latency,
  quantile,
  STARTUP_RESULT,
  startupModule,
} from "./startup_bench.ts";

Deno.test("startupModule() exports run() returning STARTUP_RESULT", () => {
  const { exports } = new WebAssembly.Instance(
    new WebAssembly.Module(new Uint8Array(startupModule())),
  );
  assertEquals((exports.run as () => number)(), STARTUP_RESULT);
});

Deno.test("quantile() takes the nearest rank", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  assertEquals(quantile(values, 0.5), 50);
  assertEquals(quantile(values, 0.99), 99);
  assertEquals(quantile(values, 1), 100);
  assertEquals(quantile([7], 0.99), 7);
  assertThrows(() => quantile([], 0.5), RangeError);
});

Deno.test("benchStartup() relates Gate to the Worker and fork + exit", async () => {
  const us = (v: number) => Array.from({ length: 10 }, () => v);
  const report = await benchStartup({
    gate: (n) => Promise.resolve({ instantiatedUs: us(n), resultUs: us(2 * n) }),
    worker: (n) => Promise.resolve({ instantiatedUs: us(4 * n), resultUs: us(4 * n) }),
    forkExit: (n) => Promise.resolve(us(n / 10)),
  }, 1000);
  const [inst, result, worker, , fork] = report.rows;
  assertEquals(inst!.p50Us, 1000);
  assertEquals(inst!.vsWorker, { p50: 0.25, p99: 0.25 });
  assertEquals(inst!.vsForkExit, { p50: 10, p99: 10 });
  assertEquals(result!.vsWorker, { p50: 0.5, p99: 0.5 });
  assertEquals(worker!.vsWorker, undefined);
  assert(Math.abs(fork!.meanUs - 100) < 1e-9);
  const text = formatStartupReport(report);
  assert(text.includes("p50 <= 1000 us to first instruction: met (1000 us)"));
  assert(text.split("\n")[2]!.includes("0.25x"));
});

Deno.test("latency() summarises launches", () => {
  assertEquals(latency([1, 2, 3, 4]), { launches: 4, p50Us: 2, p99Us: 4, meanUs: 2.5 });
});
