/**
 * Kernel benchmark: every kernel on every engine, rounds interleaved so slow
 * drift on a noisy machine hits all engines alike. Ratios are engine time
 * over native time, over V8 Liftoff time and over V8 TurboFan time (> 1
 * means slower), with geometric means per engine.
 *
 * Native and Liftoff are the anchors: if one of them fails, or a wasm anchor
 * returns a checksum that differs from native, the benchmark fails. Any
 * other engine that throws (a trap, an unsupported feature, a crash) or
 * returns a wrong checksum gets a failure in the report instead of a row,
 * is not run again on that kernel, and is left out of its geometric mean
 * (which then says over how many kernels it was taken).
 *
 * A contrast sets an engine against a variant of itself (Gate with and
 * without suspend checks at loop heads): base time over variant time per
 * kernel and its geometric mean, in a table of its own; the variant has no
 * columns in the main table.
 *
 * @module
 */

import type { BuiltKernel } from "./kernel_build.ts";
import { type KernelEngine, NATIVE } from "./kernel_engines.ts";
import { geomean, type Ratio, ratio, summarize, type Summary } from "./stats.ts";
import { fixed, formatRatio, formatTable } from "./table.ts";

/** The second anchor: V8's baseline compiler, the bar for a fast single-pass compiler. */
export const LIFTOFF = "v8-liftoff";

/** V8's optimizing tier: what Gate's code is compared with on the way to native. */
export const TURBOFAN = "v8-turbofan";

/** Engines whose failure fails the benchmark: the other ratios need them. */
const ANCHORS: readonly string[] = [NATIVE, LIFTOFF];

/** One kernel on one engine. */
export interface KernelRow {
  kernel: string;
  n: number;
  engine: string;
  checksum: number;
  ms: Summary;
  vsNative: Ratio;
  vsLiftoff?: Ratio;
  vsTurbofan?: Ratio;
  detail?: Record<string, unknown>;
}

/** A kernel an engine could not run, or ran to a wrong checksum. */
export interface KernelFailure {
  kernel: string;
  engine: string;
  reason: string;
}

/** Geometric means of one engine's median ratios, over the kernels it ran. */
export interface KernelGeomean {
  vsNative: number;
  vsLiftoff?: number;
  vsTurbofan?: number;
  /** How many kernels the means are taken over (fewer than all when some failed). */
  kernels: number;
}

/** An engine set against a variant of itself, both among the engines. */
export interface KernelContrast {
  /** The engine as it ships, e.g. "gate". */
  base: string;
  /** The same engine with one feature off, e.g. "gate-no-loop-checks". */
  variant: string;
  /** What base over variant measures, e.g. "Suspend checks on/off". */
  title: string;
  /** The largest ratio base/variant that meets the target, if there is one. */
  target?: number;
}

/** A contrast's ratios: base time over variant time, per kernel both ran. */
export interface KernelContrastResult extends KernelContrast {
  rows: { kernel: string; ratio: Ratio }[];
  /** Geometric mean of the median ratios; absent when no kernel ran on both. */
  geomean?: number;
  /** How many kernels the mean is taken over. */
  kernels: number;
}

/** All rows, the failures, and geometric means of the median ratios per engine. */
export interface KernelReport {
  engines: string[];
  kernels: string[];
  rows: KernelRow[];
  failures: KernelFailure[];
  geomean: Record<string, KernelGeomean>;
  /** One entry per KernelBenchOptions.contrasts. */
  contrasts?: KernelContrastResult[];
}

/** Options for benchKernels(). */
export interface KernelBenchOptions {
  engines: readonly KernelEngine[];
  /** Processes per engine and kernel, interleaved across engines. */
  rounds: number;
  /** Timed run(n) calls in each process (after one warm-up call of run(n / 4)). */
  runsPerRound: number;
  /** Progress lines; console.error by default. */
  log?: (line: string) => void;
  /** Engines set against variants of themselves (KernelEngine.variants or other engines). */
  contrasts?: readonly KernelContrast[];
}

interface Samples {
  checksum: number;
  ms: number[];
  detail?: Record<string, unknown>;
}

/** Runs every kernel on every engine; the first engine must be native. */
export async function benchKernels(
  kernels: readonly BuiltKernel[],
  options: KernelBenchOptions,
): Promise<KernelReport> {
  const { engines, rounds, runsPerRound, log = console.error, contrasts = [] } = options;
  if (engines[0]?.name !== NATIVE) throw new TypeError(`The first engine must be "${NATIVE}"`);
  const names = engines.flatMap((e) => [e.name, ...(e.variants ?? [])]);
  for (const c of contrasts) {
    for (const name of [c.base, c.variant]) {
      if (!names.includes(name)) {
        throw new TypeError(`Cannot contrast "${c.base}" with "${c.variant}": no engine "${name}"`);
      }
    }
  }
  const rows: KernelRow[] = [];
  const failures: KernelFailure[] = [];
  for (const [i, k] of kernels.entries()) {
    log(`bench: kernel ${k.name} (${i + 1}/${kernels.length}), n=${k.n}`);
    const samples = new Map<string, Samples>();
    const failed = new Set<string>();
    for (let r = 0; r < rounds; r++) {
      for (const e of engines) {
        if (failed.has(e.name)) continue;
        try {
          const res = await e.run(k, k.n, runsPerRound);
          const s = samples.get(e.name) ?? { checksum: res.checksum, ms: [] };
          if (res.checksum !== s.checksum) {
            throw new Error(
              `Kernel "${k.name}" on ${e.name} returned checksum ${s.checksum}, then ${res.checksum}`,
            );
          }
          const native = samples.get(NATIVE)?.checksum ?? res.checksum;
          if (res.checksum !== native) {
            throw new Error(
              `Kernel "${k.name}" checksum mismatch: native ${native}, ${e.name} ${res.checksum}`,
            );
          }
          for (const v of e.variants ?? []) {
            const ms = res.variants?.[v];
            if (!ms?.length) throw new Error(`Engine ${e.name} did not measure variant ${v}`);
            const vs = samples.get(v) ?? { checksum: res.checksum, ms: [] };
            vs.ms.push(...ms);
            samples.set(v, vs);
          }
          s.ms.push(...res.ms);
          if (res.detail) s.detail = res.detail;
          samples.set(e.name, s);
        } catch (error) {
          if (ANCHORS.includes(e.name)) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          log(`bench: ${e.name} failed on kernel ${k.name}: ${reason}`);
          for (const name of [e.name, ...(e.variants ?? [])]) {
            failures.push({ kernel: k.name, engine: name, reason });
            samples.delete(name);
          }
          failed.add(e.name);
        }
      }
    }
    const nativeMs = summarize(samples.get(NATIVE)!.ms);
    const anchorMs = (name: string) => {
      const s = samples.get(name);
      return s ? summarize(s.ms) : undefined;
    };
    const liftoffMs = anchorMs(LIFTOFF), turbofanMs = anchorMs(TURBOFAN);
    for (const [name, s] of samples) {
      const ms = summarize(s.ms);
      const row: KernelRow = {
        kernel: k.name,
        n: k.n,
        engine: name,
        checksum: s.checksum,
        ms,
        vsNative: ratio(ms, nativeMs),
      };
      if (liftoffMs) row.vsLiftoff = ratio(ms, liftoffMs);
      if (turbofanMs) row.vsTurbofan = ratio(ms, turbofanMs);
      if (s.detail) row.detail = s.detail;
      rows.push(row);
    }
  }
  const gm: KernelReport["geomean"] = {};
  for (const name of names) {
    const mine = rows.filter((r) => r.engine === name);
    if (!mine.length) continue;
    const g: KernelGeomean = {
      vsNative: geomean(mine.map((r) => r.vsNative.median)),
      kernels: mine.length,
    };
    if (mine.every((r) => r.vsLiftoff)) g.vsLiftoff = geomean(mine.map((r) => r.vsLiftoff!.median));
    if (mine.every((r) => r.vsTurbofan)) {
      g.vsTurbofan = geomean(mine.map((r) => r.vsTurbofan!.median));
    }
    gm[name] = g;
  }
  const report: KernelReport = {
    engines: names,
    kernels: kernels.map((k) => k.name),
    rows,
    failures,
    geomean: gm,
  };
  if (contrasts.length) report.contrasts = contrasts.map((c) => contrast(report, c));
  return report;
}

function contrast(report: KernelReport, c: KernelContrast): KernelContrastResult {
  const cell = (k: string, e: string) => report.rows.find((r) => r.kernel === k && r.engine === e);
  const rows = [];
  for (const k of report.kernels) {
    const base = cell(k, c.base), variant = cell(k, c.variant);
    if (base && variant) rows.push({ kernel: k, ratio: ratio(base.ms, variant.ms) });
  }
  const out: KernelContrastResult = { ...c, rows, kernels: rows.length };
  if (rows.length) out.geomean = geomean(rows.map((r) => r.ratio.median));
  return out;
}

/**
 * The kernel table: native ms for context, each engine against native, then
 * the engines other than the V8 anchors against Liftoff and TurboFan.
 * A failed (kernel, engine) shows FAILED, with the reasons below the table.
 */
export function formatKernelReport(report: KernelReport): string {
  const variants = new Set((report.contrasts ?? []).map((c) => c.variant));
  const others = report.engines.filter((e) => e !== NATIVE && !variants.has(e));
  const has = (e: string) => report.engines.includes(e);
  const subjects = others.filter((e) => e !== LIFTOFF && e !== TURBOFAN);
  const vsLiftoff = has(LIFTOFF) ? others.filter((e) => e !== LIFTOFF) : [];
  const vsTurbofan = has(TURBOFAN) ? subjects : [];
  const right = "right" as const;
  const columns = [
    { title: "kernel" },
    { title: "native ms", align: right },
    ...others.map((e) => ({ title: `${e}/native`, align: right })),
    ...vsLiftoff.map((e) => ({ title: `${e}/liftoff`, align: right })),
    ...vsTurbofan.map((e) => ({ title: `${e}/turbofan`, align: right })),
  ];
  const cell = (k: string, e: string) => report.rows.find((r) => r.kernel === k && r.engine === e);
  const show = (k: string, e: string, pick: (r: KernelRow) => Ratio | undefined) => {
    const r = cell(k, e);
    if (!r) return "FAILED";
    const v = pick(r);
    return v ? formatRatio(v) : "-";
  };
  const rows = report.kernels.map((k) => [
    k,
    fixed(cell(k, NATIVE)!.ms.median),
    ...others.map((e) => show(k, e, (r) => r.vsNative)),
    ...vsLiftoff.map((e) => show(k, e, (r) => r.vsLiftoff)),
    ...vsTurbofan.map((e) => show(k, e, (r) => r.vsTurbofan)),
  ]);
  const mean = (e: string, pick: (g: KernelGeomean) => number | undefined) => {
    const g = report.geomean[e];
    const v = g ? pick(g) : undefined;
    if (!g || v === undefined) return "-";
    const partial = g.kernels < report.kernels.length
      ? ` (${g.kernels}/${report.kernels.length})`
      : "";
    return `${fixed(v)}x${partial}`;
  };
  rows.push([
    "geomean",
    "",
    ...others.map((e) => mean(e, (g) => g.vsNative)),
    ...vsLiftoff.map((e) => mean(e, (g) => g.vsLiftoff)),
    ...vsTurbofan.map((e) => mean(e, (g) => g.vsTurbofan)),
  ]);
  const lines = [
    "Kernels: time per run(n) relative to the anchor, median (min-max); > 1 is slower",
    formatTable(columns, rows),
  ];
  for (const f of report.failures) {
    lines.push(`FAILED: ${f.engine} on kernel "${f.kernel}": ${f.reason}`);
  }
  for (const c of report.contrasts ?? []) lines.push("", formatContrast(report, c));
  return lines.join("\n");
}

/** A contrast's table: both engines' median ms and base/variant per kernel, with the geomean. */
export function formatContrast(report: KernelReport, c: KernelContrastResult): string {
  const right = "right" as const;
  const columns = [
    { title: "kernel" },
    { title: `${c.base} ms`, align: right },
    { title: `${c.variant} ms`, align: right },
    { title: `${c.base}/${c.variant}`, align: right },
  ];
  const ms = (k: string, e: string) => {
    const r = report.rows.find((r) => r.kernel === k && r.engine === e);
    return r ? fixed(r.ms.median) : "FAILED";
  };
  const rows = report.kernels.map((k) => {
    const r = c.rows.find((r) => r.kernel === k);
    return [k, ms(k, c.base), ms(k, c.variant), r ? formatRatio(r.ratio) : "-"];
  });
  let mean = "-";
  if (c.geomean !== undefined) {
    const n = report.kernels.length;
    mean = `${fixed(c.geomean)}x${c.kernels < n ? ` (${c.kernels}/${n})` : ""}`;
  }
  rows.push(["geomean", "", "", mean]);
  const target = c.target === undefined ? "" : `; target <= ${fixed(c.target)}x`;
  const lines = [
    `${c.title}: ${c.base} time over ${c.variant} time per run(n), median (min-max)${target}`,
    formatTable(columns, rows),
  ];
  if (c.target !== undefined && c.geomean !== undefined) {
    const target = c.target;
    const over = c.rows.filter((r) => r.ratio.median > target).map((r) => r.kernel);
    lines.push(
      `geomean ${c.geomean <= target ? "meets" : "misses"} the target` +
        (over.length ? `; kernels over it: ${over.join(", ")}` : ""),
    );
  }
  return lines.join("\n");
}
