/**
 * Compile throughput (issue #5): whole-module compiles of the npm corpus and
 * the synthetic stressors, MB/s of code section and of whole module, with
 * every engine's time as a ratio against V8 Liftoff measured in the same run.
 *
 * @module
 */

import type { CompileEngine } from "./compile_engines.ts";
import { geomean, type Ratio, ratio, summarize, type Summary } from "./stats.ts";
import { fixed, formatRatio, formatTable } from "./table.ts";
import { codeSection } from "./wasm_sections.ts";

/** The anchor for compile ratios. */
export const LIFTOFF = "v8-liftoff";

/** Slow engines, with --quick, only compile modules with a code section below this (bytes). */
const QUICK_SLOW_LIMIT = 4e6;

/** A module to compile: a name and a file the child process may read. */
export interface CompileInput {
  name: string;
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** One module on one engine. */
export interface CompileRow {
  module: string;
  engine: string;
  moduleBytes: number;
  codeBytes: number;
  functions: number;
  ms: Summary;
  /** Median process CPU time over wall time: about 1 when compiling on one thread. */
  cpuOverWall?: number;
  codeMBps: number;
  moduleMBps: number;
  /** Compile time over Liftoff's for the same module: > 1 is slower. */
  vsLiftoff?: Ratio;
}

/** All rows, geometric means of the time ratios, and skipped (module, engine) pairs. */
export interface CompileReport {
  engines: string[];
  rows: CompileRow[];
  geomeanVsLiftoff: Record<string, number>;
  skipped: string[];
}

/** Options for benchCompile(). */
export interface CompileBenchOptions {
  engines: readonly CompileEngine[];
  runs: number;
  quick: boolean;
  /** Progress lines; console.error by default. */
  log?: (line: string) => void;
}

/** Compiles every input with every engine, each engine in its own process per module. */
export async function benchCompile(
  inputs: readonly CompileInput[],
  options: CompileBenchOptions,
): Promise<CompileReport> {
  const { engines, runs, quick, log = console.error } = options;
  const rows: CompileRow[] = [];
  const skipped: string[] = [];
  for (const input of inputs) {
    const code = codeSection(input.bytes);
    const mine: CompileRow[] = [];
    for (const e of engines) {
      if (e.slow && quick && code.size > QUICK_SLOW_LIMIT) {
        skipped.push(`${input.name} on ${e.name}`);
        continue;
      }
      // A slow engine spends tens of seconds per big module: three timed compiles, no warm-up.
      const big = e.slow && code.size > QUICK_SLOW_LIMIT;
      log(`bench: compile ${input.name} with ${e.name}`);
      const res = await e.compile(input.path, {
        runs: e.slow ? Math.min(runs, 3) : runs,
        warmup: big ? 0 : 1,
      });
      const ms = summarize(res.ms);
      const row: CompileRow = {
        module: input.name,
        engine: e.name,
        moduleBytes: input.bytes.length,
        codeBytes: code.size,
        functions: code.functions,
        ms,
        codeMBps: code.size / 1e6 / (ms.median / 1e3),
        moduleMBps: input.bytes.length / 1e6 / (ms.median / 1e3),
      };
      if (res.cpuMs) {
        row.cpuOverWall = summarize(res.cpuMs.map((c, i) => c / res.ms[i]!)).median;
      }
      mine.push(row);
    }
    const anchor = mine.find((r) => r.engine === LIFTOFF);
    if (anchor) { for (const r of mine) r.vsLiftoff = ratio(r.ms, anchor.ms); }
    rows.push(...mine);
  }
  const names = engines.map((e) => e.name);
  const geomeanVsLiftoff: Record<string, number> = {};
  for (const name of names) {
    const ratios = rows.filter((r) => r.engine === name && r.vsLiftoff).map((r) =>
      r.vsLiftoff!.median
    );
    if (ratios.length) geomeanVsLiftoff[name] = geomean(ratios);
  }
  return { engines: names, rows, geomeanVsLiftoff, skipped };
}

/** The compile table: sizes, then MB/s per engine, then time ratios against Liftoff. */
export function formatCompileReport(report: CompileReport): string {
  const others = report.engines.filter((e) => e !== LIFTOFF);
  const columns = [
    { title: "module" },
    { title: "code MB", align: "right" as const },
    { title: "funcs", align: "right" as const },
    ...report.engines.map((e) => ({ title: `${e} MB/s code|module`, align: "right" as const })),
    ...others.map((e) => ({ title: `${e}/liftoff time`, align: "right" as const })),
  ];
  const modules = [...new Set(report.rows.map((r) => r.module))];
  const rows = modules.map((m) => {
    const mine = report.rows.filter((r) => r.module === m);
    const first = mine[0]!;
    const of = (e: string) => mine.find((r) => r.engine === e);
    return [
      m,
      fixed(first.codeBytes / 1e6),
      String(first.functions),
      ...report.engines.map((e) => {
        const r = of(e);
        return r ? `${fixed(r.codeMBps)} | ${fixed(r.moduleMBps)}` : "skipped";
      }),
      ...others.map((e) => {
        const r = of(e)?.vsLiftoff;
        return r ? formatRatio(r) : "-";
      }),
    ];
  });
  rows.push([
    "geomean",
    "",
    "",
    ...report.engines.map(() => ""),
    ...others.map((e) => {
      const g = report.geomeanVsLiftoff[e];
      return g === undefined ? "-" : `${fixed(g)}x`;
    }),
  ]);
  const cpu = report.rows.flatMap((r) => r.cpuOverWall === undefined ? [] : [r.cpuOverWall]);
  const lines = [
    "Compile throughput: eager, single-threaded, unique bytes per compile; MB/s of the median time",
    formatTable(columns, rows),
  ];
  if (cpu.length) {
    const s = summarize(cpu);
    lines.push(
      `process CPU / wall per compile: median ${fixed(s.median)} (${fixed(s.min)}-${
        fixed(s.max)
      }); about 1 = one thread`,
    );
  }
  if (report.skipped.length) lines.push(`skipped with --quick: ${report.skipped.join("; ")}`);
  return lines.join("\n");
}

/**
 * Shows that the nonce defeats V8's native module cache: three compiles of
 * identical bytes (the later ones answered from the cache) against three of
 * unique bytes. Returns one report line.
 */
export async function moduleCacheCheck(
  engine: CompileEngine,
  input: CompileInput,
): Promise<string> {
  const same = await engine.compile(input.path, { runs: 3, warmup: 0, sameBytes: true });
  const unique = await engine.compile(input.path, { runs: 3, warmup: 0 });
  const list = (ms: number[]) => ms.map((v) => fixed(v)).join(", ");
  return `${engine.name} module cache: ${input.name} same bytes ${list(same.ms)} ms; ` +
    `unique bytes ${list(unique.ms)} ms`;
}
