/**
 * Kernel benchmark: every kernel on every engine, rounds interleaved so slow
 * drift on a noisy machine hits all engines alike. Ratios are engine time
 * over native time and over V8 Liftoff time (> 1 means slower), with
 * geometric means per engine. A checksum that differs from native fails the
 * benchmark.
 *
 * @module
 */

import type { BuiltKernel } from "./kernel_build.ts";
import { type KernelEngine, NATIVE } from "./kernel_engines.ts";
import { geomean, type Ratio, ratio, summarize, type Summary } from "./stats.ts";
import { fixed, formatRatio, formatTable } from "./table.ts";

/** The second anchor: V8's baseline compiler, the bar for a fast single-pass compiler. */
export const LIFTOFF = "v8-liftoff";

/** One kernel on one engine. */
export interface KernelRow {
  kernel: string;
  n: number;
  engine: string;
  checksum: number;
  ms: Summary;
  vsNative: Ratio;
  vsLiftoff?: Ratio;
  detail?: Record<string, unknown>;
}

/** All rows plus geometric means of the median ratios per engine. */
export interface KernelReport {
  engines: string[];
  rows: KernelRow[];
  geomean: Record<string, { vsNative: number; vsLiftoff?: number }>;
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
}

/** Runs every kernel on every engine; the first engine must be native. */
export async function benchKernels(
  kernels: readonly BuiltKernel[],
  options: KernelBenchOptions,
): Promise<KernelReport> {
  const { engines, rounds, runsPerRound, log = console.error } = options;
  if (engines[0]?.name !== NATIVE) throw new TypeError(`The first engine must be "${NATIVE}"`);
  const rows: KernelRow[] = [];
  for (const [i, k] of kernels.entries()) {
    log(`bench: kernel ${k.name} (${i + 1}/${kernels.length}), n=${k.n}`);
    const samples = new Map<string, { checksum: number; ms: number[]; detail?: unknown }>();
    for (let r = 0; r < rounds; r++) {
      for (const e of engines) {
        const res = await e.run(k, k.n, runsPerRound);
        const s = samples.get(e.name) ?? { checksum: res.checksum, ms: [] };
        if (res.checksum !== s.checksum) {
          throw new Error(
            `Kernel "${k.name}" on ${e.name} returned checksum ${res.checksum}, then ${s.checksum}`,
          );
        }
        s.ms.push(...res.ms);
        if (res.detail) s.detail = res.detail;
        samples.set(e.name, s);
      }
    }
    const native = samples.get(NATIVE)!;
    for (const [name, s] of samples) {
      if (s.checksum !== native.checksum) {
        throw new Error(
          `Kernel "${k.name}" checksum mismatch: native ${native.checksum}, ${name} ${s.checksum}`,
        );
      }
    }
    const nativeMs = summarize(native.ms);
    const liftoff = samples.get(LIFTOFF);
    const liftoffMs = liftoff ? summarize(liftoff.ms) : undefined;
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
      if (s.detail) row.detail = s.detail as Record<string, unknown>;
      rows.push(row);
    }
  }
  const names = engines.map((e) => e.name);
  const gm: KernelReport["geomean"] = {};
  for (const name of names) {
    const mine = rows.filter((r) => r.engine === name);
    gm[name] = { vsNative: geomean(mine.map((r) => r.vsNative.median)) };
    if (mine.every((r) => r.vsLiftoff)) {
      gm[name].vsLiftoff = geomean(mine.map((r) => r.vsLiftoff!.median));
    }
  }
  return { engines: names, rows, geomean: gm };
}

/** The kernel table: native ms for context, then each engine's ratios. */
export function formatKernelReport(report: KernelReport): string {
  const others = report.engines.filter((e) => e !== NATIVE);
  const vsLiftoff = others.filter((e) => e !== LIFTOFF && report.engines.includes(LIFTOFF));
  const columns = [
    { title: "kernel" },
    { title: "native ms", align: "right" as const },
    ...others.map((e) => ({ title: `${e}/native`, align: "right" as const })),
    ...vsLiftoff.map((e) => ({ title: `${e}/liftoff`, align: "right" as const })),
  ];
  const kernels = [...new Set(report.rows.map((r) => r.kernel))];
  const cell = (k: string, e: string) => report.rows.find((r) => r.kernel === k && r.engine === e)!;
  const rows = kernels.map((k) => [
    k,
    fixed(cell(k, NATIVE).ms.median),
    ...others.map((e) => formatRatio(cell(k, e).vsNative)),
    ...vsLiftoff.map((e) => formatRatio(cell(k, e).vsLiftoff!)),
  ]);
  rows.push([
    "geomean",
    "",
    ...others.map((e) => `${fixed(report.geomean[e]!.vsNative)}x`),
    ...vsLiftoff.map((e) => `${fixed(report.geomean[e]!.vsLiftoff!)}x`),
  ]);
  return [
    "Kernels: time per run(n) relative to the anchor, median (min-max); > 1 is slower",
    formatTable(columns, rows),
  ].join("\n");
}
