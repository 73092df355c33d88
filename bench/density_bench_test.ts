import { assert, assertEquals } from "../tests/_assert.ts";
import {
  benchDensity,
  type DensitySample,
  densitySample,
  formatDensityReport,
  perInstance,
  startTenths,
} from "./density_bench.ts";

function sample(count: number, kib: number): DensitySample {
  return {
    count,
    startMs: count,
    processes: { rssKib: 2 * kib * count, pssKib: kib * count },
    deno: { rssKib: 10 * count, pssKib: 10 * count },
    kernelKib: kib * count,
  };
}

Deno.test("perInstance() splits the totals per instance", () => {
  const s = { ...sample(100, 50), executor: { rssKib: 2000, pssKib: 1000 } };
  assertEquals(perInstance(s), {
    processKib: 50,
    executorKib: 10,
    denoKib: 10,
    kernelKib: 50,
    totalKib: 120,
    totalRssKib: 100 + 20 + 10 + 50,
  });
  // A Deno process that shrank counts as zero.
  assertEquals(perInstance({ ...s, deno: { rssKib: -5, pssKib: -5 } }).denoKib, 0);
});

Deno.test("benchDensity() measures each count and skips missing anchors", async () => {
  const report = await benchDensity({
    gate: (n) => Promise.resolve({ ...sample(n, 100), linearKib: 4, tenthsMs: [10, 20, 40] }),
    worker: (n) => Promise.resolve(n <= 100 ? sample(n, 1000) : undefined),
    sleep: (n) => Promise.resolve(sample(n, 50)),
  }, [100, 10_000]);
  assertEquals(report.rows.map((r) => r.count), [100, 10_000]);
  assertEquals(report.rows[0]!.beyondOwnKib, 210 - 4);
  assertEquals(report.rows[1]!.worker, undefined);
  const text = formatDensityReport(report);
  assert(text.includes("200 KiB each beyond their own pages: not met (206 KiB)"), text);
  assert(text.split("\n")[3]!.includes("0.10x"), text); // 210 / 2010 against the Workers
  const quick = formatDensityReport({ rows: report.rows.slice(0, 1) });
  assert(quick.includes("not measured in this run"));
});

Deno.test("startTenths() gives ms per start in the first and last tenth", () => {
  const s = { ...sample(100, 1), tenthsMs: [10, 20, 40] }; // tenths of 100/3 starts
  const t = startTenths(s)!;
  assertEquals([t.first, t.last].map((v) => Math.round(v * 100)), [30, 60]);
  assertEquals(startTenths(sample(10, 1)), undefined);
});

Deno.test("densitySample() reads a Gate child's and an anchor's output", () => {
  const gate = densitySample({
    count: 10,
    startMs: 5,
    closeMs: 2,
    kernelKib: 100,
    instances: { rssKib: 30, pssKib: 20, unreadable: 0 },
    executor: { rssKib: 3, pssKib: 2 },
    deno: { rssKib: 1, pssKib: 1 },
    linearKib: 4,
    tenthsMs: [1, 2],
  });
  assertEquals(gate.processes, { rssKib: 30, pssKib: 20 });
  assertEquals(gate.linearKib, 4);
  assertEquals(gate.tenthsMs, [1, 2]);
  const anchor = densitySample({
    count: 10,
    startMs: 5,
    kernelKib: 100,
    processes: { rssKib: 30, pssKib: 20 },
    deno: { rssKib: 1, pssKib: 1 },
  });
  assertEquals(anchor.executor, undefined);
});
