import { assert, assertEquals } from "../tests/_assert.ts";
import {
  formatLimitFractions,
  formatLimitsReport,
  LIMITS,
  type LimitSamples,
  summarizeLimits,
} from "./limits_bench.ts";

const SAMPLES: LimitSamples = {
  memcpyGBps: [10, 12, 11],
  pageFaultNs: [1500, 1600],
  forkExitUs: [100, 200, 150],
  cloneVforkUs: [40, 50],
  cloneNamespacesUs: [700, 800],
  signalRoundTripUs: [10, 20, 30],
  signalSelfUs: [3],
};

Deno.test("summarizeLimits() summarises every limit", () => {
  const report = summarizeLimits(SAMPLES);
  assertEquals(Object.keys(report).sort(), Object.keys(LIMITS).sort());
  assertEquals(report.memcpyGBps, { median: 11, min: 10, max: 12, runs: 3 });
  assertEquals(report.signalRoundTripUs.median, 20);
});

Deno.test("formatLimitsReport() prints a row per limit with its unit", () => {
  const lines = formatLimitsReport(summarizeLimits(SAMPLES)).split("\n");
  const memcpy = lines.find((l) => l.startsWith("memcpy bandwidth"))!;
  assert(memcpy.includes("GB/s") && memcpy.includes("11.0"), memcpy);
  assertEquals(lines.filter((l) => l.includes(" us ")).length, 5);
});

Deno.test("formatLimitFractions() prints multiples and percentages", () => {
  assertEquals(formatLimitFractions([]), "");
  const text = formatLimitFractions([
    {
      what: "call",
      label: "c",
      figure: "50 us",
      limit: "signalRoundTripUs",
      ratio: { median: 2.5, min: 2, max: 3 },
      kind: "multiple",
    },
    {
      what: "stream",
      label: "s",
      figure: "800 MB/s",
      limit: "memcpyGBps",
      ratio: { median: 0.08, min: 0.07, max: 0.09 },
      kind: "fraction",
    },
  ]);
  assert(text.includes("2.50x (2.00-3.00)"), text);
  assert(text.includes("8.00 % (7.00 %-9.00 %)"), text);
});
