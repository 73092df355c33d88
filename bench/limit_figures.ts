/**
 * Relates the runtime's figures from the other sections to the machine's
 * limits (limits_bench.ts), and draws the io, density and limit ratios as
 * chart sections. Pure.
 *
 * @module
 */

import type { Bar, ChartSection } from "./chart.ts";
import type { DensityReport } from "./density_bench.ts";
import type { IoReport } from "./io_bench.ts";
import type { LimitFraction, LimitsReport } from "./limits_bench.ts";
import type { StartupReport } from "./startup_bench.ts";
import type { Ratio, Summary } from "./stats.ts";
import { fixed } from "./table.ts";

/** x / limit with the range the samples allow; a single value for x when it has no range. */
function over(x: Summary | number, limit: Summary): Ratio {
  const s = typeof x === "number" ? { median: x, min: x, max: x } : x;
  return { median: s.median / limit.median, min: s.min / limit.max, max: s.max / limit.min };
}

/** The runtime's figures against the limits, for the sections that ran. */
export function limitFractions(
  limits: LimitsReport,
  reports: { startup?: StartupReport | undefined; io?: IoReport | undefined },
): LimitFraction[] {
  const out: LimitFraction[] = [];
  const inst = reports.startup?.rows[0];
  if (inst) {
    const figure = `p50 ${inst.p50Us.toFixed(0)} us`;
    out.push(
      {
        what: "gate startup: launch -> instantiated",
        label: "startup p50 vs fork+exit",
        figure,
        limit: "forkExitUs",
        ratio: over(inst.p50Us, limits.forkExitUs),
        kind: "multiple",
      },
      {
        what: "gate startup: launch -> instantiated",
        label: "startup p50 vs namespaced clone",
        figure,
        limit: "cloneNamespacesUs",
        ratio: over(inst.p50Us, limits.cloneNamespacesUs),
        kind: "multiple",
      },
    );
  }
  const io = reports.io;
  if (io) {
    out.push({
      what: "gate service call, per call",
      label: "service call vs signal round trip",
      figure: `${fixed(io.calls.gate.us.median)} us`,
      limit: "signalRoundTripUs",
      ratio: over(io.calls.gate.us, limits.signalRoundTripUs),
      kind: "multiple",
    });
    // MB/s over GB/s * 1000: the fraction of memcpy bandwidth.
    const gbps = io.stream.gate.mbps;
    out.push({
      what: "gate origin stream (stdout)",
      label: "stream MB/s vs memcpy",
      figure: `${fixed(gbps.median)} MB/s`,
      limit: "memcpyGBps",
      ratio: over(
        { median: gbps.median / 1000, min: gbps.min / 1000, max: gbps.max / 1000, runs: 0 },
        limits.memcpyGBps,
      ),
      kind: "fraction",
    });
  }
  return out;
}

const bar = (value: number | undefined, note?: string): Bar =>
  value === undefined
    ? { engine: "gate", note: note ?? "-" }
    : { engine: "gate", value, ...(note ? { note } : {}) };

/**
 * Chart sections: Gate against its anchors (time and memory ratios,
 * shorter is better) and against the machine's limits (the fraction of the
 * limit reached, longer is better, 1 = at the limit).
 */
export function anchorChartSections(reports: {
  startup?: StartupReport | undefined;
  io?: IoReport | undefined;
  density?: DensityReport | undefined;
  fractions?: readonly LimitFraction[];
}): ChartSection[] {
  const groups: ChartSection["groups"] = [];
  const inst = reports.startup?.rows[0];
  if (inst?.vsWorker) {
    groups.push({ label: "startup p50 / Worker", bars: [bar(inst.vsWorker.p50)] });
  }
  if (reports.io) {
    const { calls, stream } = reports.io;
    groups.push({ label: "service call / Worker message", bars: [bar(calls.gateVsWorker.median)] });
    groups.push({ label: "stream time / pipe", bars: [bar(1 / stream.gateVsPipe.median)] });
  }
  for (const r of reports.density?.rows ?? []) {
    if (r.workerPer) {
      groups.push({
        label: `memory per instance / Worker (${r.count})`,
        bars: [bar(r.gatePer.totalKib / r.workerPer.totalKib)],
      });
    }
    if (r.sleepPer) {
      groups.push({
        label: `memory per instance / sleep (${r.count})`,
        bars: [bar(r.gatePer.totalKib / r.sleepPer.totalKib)],
      });
    }
  }
  const out: ChartSection[] = [];
  if (groups.length) {
    out.push({
      title: "Startup, I/O and density relative to the anchors (shorter is better)",
      marks: [{ at: 1, label: "anchor" }],
      groups,
    });
  }
  const fractions = reports.fractions ?? [];
  if (fractions.length) {
    out.push({
      title: "Share of the machine's limit reached (longer is better; 1 = at the limit)",
      marks: [{ at: 1, label: "limit" }],
      groups: fractions.map((f) => ({
        label: f.label,
        bars: [bar(f.kind === "fraction" ? f.ratio.median : 1 / f.ratio.median)],
      })),
    });
  }
  return out;
}
