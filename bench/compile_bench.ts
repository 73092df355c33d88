/**
 * Compile throughput (issue #5): whole-module compiles of the npm corpus and
 * the synthetic stressors, MB/s of code section and of whole module, with
 * every engine's time as a ratio against V8 Liftoff measured in the same run;
 * then, where engines report them, peak memory (against Liftoff's) and the
 * size of the machine code per byte of wasm code.
 *
 * Liftoff is the anchor: if it fails, the benchmark fails. Another engine
 * that fails on a module (a compile error, a crash of its child process)
 * gets a failure in the report instead of a row.
 *
 * @module
 */

import type { CompileEngine, CompileResult } from "./compile_engines.ts";
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
  /** Peak resident-set growth while compiling (bytes), see CompileResult.peakBytes. */
  peakBytes?: number;
  /** peakBytes over Liftoff's for the same module. */
  peakVsLiftoff?: number;
  /** Machine code produced (bytes), when the engine reports it. */
  machineCodeBytes?: number;
  /** Whole compiled artifact (bytes), when the engine reports it. */
  imageBytes?: number;
  /** Fixed cost inside every timed compile (ms), when the engine reports it. */
  overheadMs?: number;
}

/** A module an engine could not compile. */
export interface CompileFailure {
  module: string;
  engine: string;
  reason: string;
}

/** All rows, geometric means of the time ratios, skipped (module, engine) pairs and failures. */
export interface CompileReport {
  engines: string[];
  rows: CompileRow[];
  geomeanVsLiftoff: Record<string, number>;
  skipped: string[];
  failures: CompileFailure[];
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
  const failures: CompileFailure[] = [];
  for (const input of inputs) {
    const code = codeSection(input.bytes);
    const mine: CompileRow[] = [];
    for (const e of engines) {
      if (e.slow && quick && code.size > QUICK_SLOW_LIMIT) {
        skipped.push(`${input.name} on ${e.name}`);
        continue;
      }
      // A slow engine spends tens of seconds per big module (TurboFan: 28 s on
      // ruby): two timed compiles, no warm-up; three on the others.
      const big = e.slow && code.size > QUICK_SLOW_LIMIT;
      log(`bench: compile ${input.name} with ${e.name}`);
      let res: CompileResult;
      try {
        res = await e.compile(input.path, {
          runs: e.slow ? Math.min(runs, big ? 2 : 3) : runs,
          warmup: big ? 0 : 1,
        });
      } catch (error) {
        if (e.name === LIFTOFF) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        log(`bench: ${e.name} failed on ${input.name}: ${reason}`);
        failures.push({ module: input.name, engine: e.name, reason });
        continue;
      }
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
      if (res.peakBytes !== undefined) row.peakBytes = res.peakBytes;
      if (res.machineCodeBytes !== undefined) row.machineCodeBytes = res.machineCodeBytes;
      if (res.imageBytes !== undefined) row.imageBytes = res.imageBytes;
      if (res.overheadMs !== undefined) row.overheadMs = res.overheadMs;
      mine.push(row);
    }
    const anchor = mine.find((r) => r.engine === LIFTOFF);
    if (anchor) {
      for (const r of mine) {
        r.vsLiftoff = ratio(r.ms, anchor.ms);
        if (r.peakBytes !== undefined && anchor.peakBytes) {
          r.peakVsLiftoff = r.peakBytes / anchor.peakBytes;
        }
      }
    }
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
  return { engines: names, rows, geomeanVsLiftoff, skipped, failures };
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
        if (r) return `${fixed(r.codeMBps)} | ${fixed(r.moduleMBps)}`;
        return report.failures.some((f) => f.module === m && f.engine === e) ? "FAILED" : "skipped";
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
  for (const f of report.failures) {
    lines.push(`FAILED: ${f.engine} on module "${f.module}": ${f.reason}`);
  }
  const output = formatOutputTable(report);
  if (output) lines.push("", output);
  for (const e of report.engines) {
    const fixedCost = report.rows.flatMap((r) =>
      r.engine === e && r.overheadMs !== undefined ? [r.overheadMs] : []
    );
    if (fixedCost.length) {
      lines.push(
        `${e}: fixed cost inside each timed compile (the same calls on an empty module): ` +
          `median ${fixed(summarize(fixedCost).median * 1000)} us`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * Peak memory per engine (and against Liftoff's), and, for engines that
 * report it, machine code per byte of wasm code; "" when no engine reported
 * either.
 */
function formatOutputTable(report: CompileReport): string {
  const withPeak = report.engines.filter((e) =>
    report.rows.some((r) => r.engine === e && r.peakBytes !== undefined)
  );
  const withCode = report.engines.filter((e) =>
    report.rows.some((r) => r.engine === e && r.machineCodeBytes !== undefined)
  );
  if (!withPeak.length && !withCode.length) return "";
  const peakRatio = withPeak.filter((e) => e !== LIFTOFF && withPeak.includes(LIFTOFF));
  const right = "right" as const;
  const columns = [
    { title: "module" },
    { title: "code MB", align: right },
    ...withPeak.map((e) => ({ title: `${e} peak MB`, align: right })),
    ...peakRatio.map((e) => ({ title: `${e}/liftoff peak`, align: right })),
    ...withCode.flatMap((e) => [
      { title: `${e} machine code MB`, align: right },
      { title: `${e} machine/wasm code`, align: right },
      { title: `${e} image MB`, align: right },
    ]),
  ];
  const mb = (v: number | undefined) => v === undefined ? "-" : fixed(v / 1e6);
  const x = (v: number | undefined) => v === undefined ? "-" : `${fixed(v)}x`;
  const perWasm = (r: CompileRow | undefined) =>
    r?.machineCodeBytes === undefined || !r.codeBytes
      ? undefined
      : r.machineCodeBytes / r.codeBytes;
  const modules = [...new Set(report.rows.map((r) => r.module))];
  const rows = modules.map((m) => {
    const mine = report.rows.filter((r) => r.module === m);
    const of = (e: string) => mine.find((r) => r.engine === e);
    return [
      m,
      fixed(mine[0]!.codeBytes / 1e6),
      ...withPeak.map((e) => mb(of(e)?.peakBytes)),
      ...peakRatio.map((e) => x(of(e)?.peakVsLiftoff)),
      ...withCode.flatMap((e) => [
        mb(of(e)?.machineCodeBytes),
        x(perWasm(of(e))),
        mb(of(e)?.imageBytes),
      ]),
    ];
  });
  const gm = (values: (number | undefined)[]) => {
    const v = values.filter((n): n is number => n !== undefined && n > 0);
    return v.length ? `${fixed(geomean(v))}x` : "-";
  };
  rows.push([
    "geomean",
    "",
    ...withPeak.map(() => ""),
    ...peakRatio.map((e) =>
      gm(report.rows.filter((r) => r.engine === e).map((r) => r.peakVsLiftoff))
    ),
    ...withCode.flatMap((e) => [
      "",
      gm(report.rows.filter((r) => r.engine === e).map(perWasm)),
      "",
    ]),
  ]);
  return [
    "Compile output and memory: peak = growth of the process's peak resident set over its " +
    "resident set before compiling; machine code = the image's code section",
    formatTable(columns, rows),
  ].join("\n");
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
