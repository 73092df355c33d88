import { assert, assertEquals } from "../tests/_assert.ts";
import { anchorChartSections, limitFractions } from "./limit_figures.ts";
import { type LimitSamples, summarizeLimits } from "./limits_bench.ts";
import type { IoReport } from "./io_bench.ts";
import type { StartupReport } from "./startup_bench.ts";

const SAMPLES: LimitSamples = {
  memcpyGBps: [10, 12, 11],
  pageFaultNs: [1500],
  forkExitUs: [100, 200, 150],
  cloneVforkUs: [40],
  cloneNamespacesUs: [700],
  signalRoundTripUs: [10, 20, 30],
  signalSelfUs: [3],
};

const s = (median: number, min = median, max = median) => ({ median, min, max, runs: 3 });

const IO: IoReport = {
  options: { calls: 10, callRounds: 3, bytes: 1e6, streamRounds: 3 },
  calls: {
    gate: { what: "gate", us: s(40, 30, 60) },
    worker: { what: "worker", us: s(20) },
    gateVsWorker: { median: 2, min: 1.5, max: 3 },
  },
  stream: {
    gate: { what: "gate", mbps: s(1100) },
    pipe: { what: "pipe", mbps: s(2200) },
    gateVsPipe: { median: 0.5, min: 0.5, max: 0.5 },
  },
};

const STARTUP: StartupReport = {
  rows: [{
    what: "gate: launch -> instantiated",
    launches: 10,
    p50Us: 1500,
    p99Us: 3000,
    meanUs: 1600,
    vsWorker: { p50: 0.1, p99: 0.2 },
    vsForkExit: { p50: 10, p99: 10 },
  }],
};

Deno.test("limitFractions() relates startup, calls and the stream to their limits", () => {
  const rows = limitFractions(summarizeLimits(SAMPLES), { startup: STARTUP, io: IO });
  assertEquals(rows.map((r) => r.limit), [
    "forkExitUs",
    "cloneNamespacesUs",
    "signalRoundTripUs",
    "memcpyGBps",
  ]);
  assertEquals(rows[0]!.ratio.median, 10); // 1500 / 150
  assertEquals(rows[2]!.ratio, { median: 2, min: 1, max: 6 }); // 40/20, 30/30, 60/10
  assert(Math.abs(rows[3]!.ratio.median - 0.1) < 1e-12); // 1100 MB/s of 11 GB/s
  assertEquals(rows[3]!.kind, "fraction");
  assertEquals(limitFractions(summarizeLimits(SAMPLES), {}), []);
});

Deno.test("anchorChartSections() draws anchors and limits, or nothing", () => {
  assertEquals(anchorChartSections({}), []);
  const fractions = limitFractions(summarizeLimits(SAMPLES), { startup: STARTUP, io: IO });
  const [anchors, limits] = anchorChartSections({ startup: STARTUP, io: IO, fractions });
  assertEquals(anchors!.groups.map((g) => g.bars[0]!.value), [0.1, 2, 2]);
  assertEquals(limits!.groups.length, 4);
  assertEquals(limits!.groups[0]!.bars[0]!.value, 0.1); // fork+exit is 1/10 of the startup
  assert(limits!.groups[3]!.label.endsWith("vs memcpy"));
});
