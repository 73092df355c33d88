/**
 * `deno task bench [--quick] [--json FILE] [--only limits,validate,kernels,compile,startup,io,snapshot,density]`:
 * runs the benchmarks, prints tables, and writes bench/results/latest.json
 * and a chart of the ratios, bench/results/latest.svg.
 * Every figure is a ratio against an anchor measured in the same run, with
 * the median and the range over repeated runs; absolute times are context.
 *
 * - validate: libgate's validator against WebAssembly.validate
 * - kernels:  bench/kernels/*.c natively, on V8 Liftoff and V8 TurboFan (and Gate, gate_slot.ts);
 *             Gate's kernels also compiled without suspend checks at loop heads, timed in
 *             turns in the same process: checks on/off per kernel
 * - compile:  compile throughput of V8 Liftoff and TurboFan (and Gate) on the npm corpus
 *             and synthetic stressors
 * - startup:  launch of a precompiled module to instantiated and to first result, p50/p99,
 *             against a Deno Worker and fork + exit (startup_bench.ts)
 * - limits:   the machine's memcpy bandwidth, page fault, fork/clone and signal latency
 *             (limits_bench.ts); the other sections' figures as fractions of them
 * - io:       a program's one-packet service call against a Worker's postMessage round
 *             trip, and stdout (origin stream) throughput against a pipe (io_bench.ts)
 * - snapshot: suspend latency p50/p99; snapshot() and restore to first instruction at 1 MiB,
 *             64 MiB and 1 GiB, fitted as fixed + per-MB cost; snapshot size against touched
 *             memory; against memcpy and fork + exit in the same run (snapshot_bench.ts)
 * - density:  memory per waiting instance at 100, 1,000, 10,000 against idle Workers and
 *             `sleep` processes (density_bench.ts)
 *
 * Kernel builds and synthetic modules go to .cache/bench/.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadCorpus } from "./corpus.ts";
import { benchValidate, formatValidateReport } from "./validate.ts";
import { buildKernels } from "./kernel_build.ts";
import { KERNELS } from "./kernel_list.ts";
import { type KernelEngine, nativeEngine, v8Engine } from "./kernel_engines.ts";
import { benchKernels, formatKernelReport, type KernelContrast } from "./kernel_bench.ts";
import { type CompileEngine, v8CompileEngine } from "./compile_engines.ts";
import {
  benchCompile,
  type CompileInput,
  formatCompileReport,
  moduleCacheCheck,
} from "./compile_bench.ts";
import {
  GATE,
  GATE_NO_LOOP_CHECKS,
  gateCompileEngine,
  gateDensity,
  gateIo,
  gateKernelEngine,
  gateStartup,
} from "./gate_slot.ts";
import {
  benchStartup,
  buildForkExit,
  formatStartupReport,
  startupEngines,
  writeStartupModule,
} from "./startup_bench.ts";
import { syntheticModules } from "./synthetic.ts";
import { codeSection } from "./wasm_sections.ts";
import { renderChart } from "./chart.ts";
import type { KernelReport } from "./kernel_bench.ts";
import type { CompileReport } from "./compile_bench.ts";
import type { StartupReport } from "./startup_bench.ts";
import {
  formatLimitFractions,
  formatLimitsReport,
  type LimitsReport,
  measureLimits,
  summarizeLimits,
} from "./limits_bench.ts";
import { benchIo, formatIoReport, ioEngines, type IoReport } from "./io_bench.ts";
import {
  benchDensity,
  densityEngines,
  type DensityReport,
  formatDensityReport,
} from "./density_bench.ts";
import { anchorChartSections, limitFractions } from "./limit_figures.ts";
import { buildProgram } from "./wasm_programs.ts";
import { benchSnapshot, snapshotEngines } from "./snapshot_bench.ts";
import { formatSnapshotReport } from "./snapshot_report.ts";
import { snapshotPlan } from "./snapshot_samples.ts";

const SECTIONS = [
  "limits",
  "validate",
  "kernels",
  "compile",
  "startup",
  "io",
  "snapshot",
  "density",
] as const;
type Section = typeof SECTIONS[number];
const CACHE = new URL("../.cache/bench/", import.meta.url);

function kernelEngines(): KernelEngine[] {
  const gate = gateKernelEngine({ noLoopChecks: true });
  return [nativeEngine(), v8Engine("liftoff"), v8Engine("turbofan"), ...(gate ? [gate] : [])];
}

/** Issue #5: suspend checks at loop heads may cost at most 3 % of run time. */
const SUSPEND_CHECKS: KernelContrast = {
  base: GATE,
  variant: GATE_NO_LOOP_CHECKS,
  title: "Suspend checks on/off",
  target: 1.03,
};

function compileEngines(): CompileEngine[] {
  const gate = gateCompileEngine();
  return [v8CompileEngine("liftoff"), v8CompileEngine("turbofan"), ...(gate ? [gate] : [])];
}

function parseSections(only: string | undefined): Section[] {
  if (only === undefined) return [...SECTIONS];
  const names = only.split(",").map((s) => s.trim());
  for (const n of names) {
    if (!(SECTIONS as readonly string[]).includes(n)) {
      throw new TypeError(`Cannot run section "${n}": expected one of ${SECTIONS.join(", ")}`);
    }
  }
  return names as Section[];
}

async function writeSynthetic(): Promise<CompileInput[]> {
  const dir = new URL("./synthetic/", CACHE);
  await Deno.mkdir(dir, { recursive: true });
  const out: CompileInput[] = [];
  for (const m of syntheticModules()) {
    const path = decodeURIComponent(new URL(`${m.name.replace(/\W+/g, "_")}.wasm`, dir).pathname);
    await Deno.writeFile(path, m.bytes);
    out.push({ name: m.name, path, bytes: m.bytes });
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      only: { type: "string" },
    },
  });
  const quick = values.quick;
  const sections = parseSections(values.only);
  const started = performance.now();
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    quick,
    deno: Deno.version,
    cpus: navigator.hardwareConcurrency,
  };
  const checks: string[] = [];
  result.checks = checks;
  let kernelReport: KernelReport | undefined, compileReport: CompileReport | undefined;
  let startupReport: StartupReport | undefined, ioReport: IoReport | undefined;
  let densityReport: DensityReport | undefined, limits: LimitsReport | undefined;
  const seconds: Record<string, number> = {};
  result.sectionSeconds = seconds;
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      seconds[name] = (performance.now() - t0) / 1000;
    }
  };
  const corpus = sections.some((s) => s === "validate" || s === "compile")
    ? await loadCorpus()
    : [];

  // Measured first, on a quiet machine; io needs memcpy bandwidth for its fraction.
  if (sections.includes("limits") || sections.includes("io")) {
    const options = { runs: quick ? 5 : 11, launches: quick ? 200 : 1000 };
    limits = await timed("limits", async () => summarizeLimits(await measureLimits(options)));
    if (sections.includes("limits")) console.log(formatLimitsReport(limits) + "\n");
    result.limits = { ...options, ...limits };
  }

  if (sections.includes("validate")) {
    const runs = quick ? 3 : 11;
    const rows = await timed("validate", () => Promise.resolve(benchValidate(corpus, runs)));
    console.log(formatValidateReport(rows) + "\n");
    result.validate = { runs, rows };
  }

  if (sections.includes("kernels")) {
    const kernels = await buildKernels(KERNELS);
    const engines = kernelEngines();
    // Check the engines' flags on the kernel with the most functions.
    const sizes = await Promise.all(
      kernels.map(async (k) => codeSection(await Deno.readFile(k.wasmPath)).functions),
    );
    const probe = kernels[sizes.indexOf(Math.max(...sizes))]!;
    for (const e of engines) if (e.verify) checks.push(await e.verify(probe));
    const paired = engines.some((e) => e.variants?.includes(GATE_NO_LOOP_CHECKS));
    const contrasts = paired ? [SUSPEND_CHECKS] : [];
    // --quick: 2 timed runs each, which pays for gate-no-loop-checks within its 3 minutes.
    // Full: 9 runs in 3 interleaved rounds, about 4.5 minutes of the 15.
    const options = { engines, rounds: quick ? 1 : 3, runsPerRound: quick ? 2 : 3, contrasts };
    const report = kernelReport = await timed("kernels", () => benchKernels(kernels, options));
    console.log(checks.join("\n"));
    console.log(formatKernelReport(report) + "\n");
    result.kernels = { rounds: options.rounds, runsPerRound: options.runsPerRound, ...report };
  }

  if (sections.includes("compile")) {
    const inputs: CompileInput[] = [...corpus, ...await writeSynthetic()];
    const engines = compileEngines();
    const esbuild = corpus.find((m) => m.name.startsWith("esbuild")) ?? inputs[0]!;
    const cacheLine = await moduleCacheCheck(engines[0]!, esbuild);
    checks.push(cacheLine);
    const runs = quick ? 3 : 11;
    const report = compileReport = await timed(
      "compile",
      () => benchCompile(inputs, { engines, runs, quick }),
    );
    console.log(cacheLine);
    console.log(formatCompileReport(report) + "\n");
    result.compile = { runs, ...report };
  }

  if (sections.includes("startup")) {
    const launches = quick ? 200 : 1000;
    const modulePath = await writeStartupModule();
    const engines = startupEngines(
      modulePath,
      await buildForkExit(),
      (n) => gateStartup(modulePath, n),
    );
    const report = startupReport = await timed("startup", () => benchStartup(engines, launches));
    console.log(formatStartupReport(report) + "\n");
    result.startup = { launches, ...report };
  }

  if (sections.includes("io")) {
    const options = {
      calls: 2000,
      callRounds: quick ? 5 : 11,
      bytes: (quick ? 64 : 256) * 2 ** 20,
      streamRounds: quick ? 3 : 7,
    };
    const report = ioReport = await timed("io", async () => {
      const programs = {
        call: await buildProgram("call_loop"),
        stream: await buildProgram("write_stdout"),
      };
      return await benchIo(ioEngines(programs, gateIo), options);
    });
    console.log(formatIoReport(report) + "\n");
    result.io = report;
  }

  if (sections.includes("snapshot")) {
    const plan = snapshotPlan(quick);
    const report = await timed("snapshot", () => benchSnapshot(snapshotEngines(), plan));
    console.log(formatSnapshotReport(report) + "\n");
    result.snapshot = report;
  }

  if (sections.includes("density")) {
    const counts = quick ? [100, 1000] : [100, 1000, 10_000];
    const report = densityReport = await timed("density", async () => {
      const module = await buildProgram("wait_stdin");
      const engines = densityEngines(module, gateDensity, { maxWorkers: quick ? 100 : 1000 });
      return await benchDensity(engines, counts);
    });
    console.log(formatDensityReport(report) + "\n");
    result.density = report;
  }

  const fractions = limits ? limitFractions(limits, { startup: startupReport, io: ioReport }) : [];
  if (fractions.length) {
    console.log(formatLimitFractions(fractions) + "\n");
    result.limitFractions = fractions;
  }

  const total = (performance.now() - started) / 1000;
  const parts = Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(", ");
  console.log(`bench: done in ${total.toFixed(0)} s${parts ? ` (${parts})` : ""}`);
  result.seconds = total;
  const text = JSON.stringify(result, null, 2) + "\n";
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(new URL("./results/latest.json", import.meta.url), text);
  if (values.json) await Deno.writeTextFile(values.json, text);
  const extra = anchorChartSections({
    startup: startupReport,
    io: ioReport,
    density: densityReport,
    fractions,
  });
  if (kernelReport || compileReport || extra.length) {
    const caption = `deno task bench${quick ? " --quick" : ""}, ${
      String(result.date).slice(0, 10)
    }, ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}: median ratios`;
    const svg = renderChart(kernelReport, compileReport, { caption, sections: extra });
    await Deno.writeTextFile(new URL("./results/latest.svg", import.meta.url), svg);
  }
}

if (import.meta.main) await main();
