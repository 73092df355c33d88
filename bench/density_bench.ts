/**
 * Density: how many concurrently waiting instances fit, and the memory each
 * costs, at several counts. A Gate instance is a program blocked in
 * fd_read(0) (programs/wait_stdin.c) in its own sandboxed process; the
 * anchors are the same count of idle Deno Workers (where feasible) and of
 * `sleep` processes (the smallest ordinary process). One measurement per
 * count and engine, each in a fresh child (gate_density_child.ts,
 * anchor_density_child.ts); memory is PSS (proportional: shared pages split
 * among their users) plus the kernel's own memory from /proc/meminfo, per
 * instance, in KiB. The runner takes the measurements as engines so that
 * tests can fake them.
 *
 * @module
 */

import { numberArray, numberField } from "./child_output.ts";
import { runDenoChild } from "./subprocess.ts";
import { fixed, formatTable } from "./table.ts";

/** Memory of one measurement in KiB (totals over all instances). */
export interface DensitySample {
  count: number;
  /** Milliseconds to start them all. */
  startMs: number;
  /** The instances' (or sleeps') own processes. */
  processes: { rssKib: number; pssKib: number };
  /** Gate's executor (absent for the anchors). */
  executor?: { rssKib: number; pssKib: number };
  /** Growth of the Deno process that started them. */
  deno: { rssKib: number; pssKib: number };
  /** Growth of the kernel's memory (slab, stacks, page tables, per-CPU). */
  kernelKib: number;
  /** Gate only: resident KiB of one instance's linear memory (the program's own pages). */
  linearKib?: number;
  /** Gate only: milliseconds to close every instance. */
  closeMs?: number;
  /** Gate only: elapsed ms when each tenth of the instances had started. */
  tenthsMs?: number[];
}

/** Milliseconds per start in the first and in the last tenth of the starts (Gate only). */
export function startTenths(s: DensitySample): { first: number; last: number } | undefined {
  const t = s.tenthsMs;
  if (!t || t.length < 2) return undefined;
  const per = s.count / t.length;
  return { first: t[0]! / per, last: (t[t.length - 1]! - t[t.length - 2]!) / per };
}

/** The measurements; an anchor returns undefined when it is skipped at that count. */
export interface DensityEngines {
  gate(count: number): Promise<DensitySample>;
  worker(count: number): Promise<DensitySample | undefined>;
  sleep(count: number): Promise<DensitySample | undefined>;
}

/** Per-instance KiB of a sample: by part, and the total by PSS and by RSS. */
export interface PerInstance {
  processKib: number;
  executorKib: number;
  denoKib: number;
  kernelKib: number;
  /** PSS of everything + kernel. */
  totalKib: number;
  /** The same with RSS instead of PSS (shared pages counted in full for each). */
  totalRssKib: number;
}

/** Splits a sample's totals per instance. */
export function perInstance(s: DensitySample): PerInstance {
  const n = s.count;
  const exec = s.executor ?? { rssKib: 0, pssKib: 0 };
  const processKib = s.processes.pssKib / n, executorKib = exec.pssKib / n;
  const denoKib = Math.max(0, s.deno.pssKib) / n, kernelKib = s.kernelKib / n;
  return {
    processKib,
    executorKib,
    denoKib,
    kernelKib,
    totalKib: processKib + executorKib + denoKib + kernelKib,
    totalRssKib: (s.processes.rssKib + exec.rssKib + Math.max(0, s.deno.rssKib) + s.kernelKib) /
      n,
  };
}

/** One count's row. */
export interface DensityRow {
  count: number;
  gate: DensitySample;
  gatePer: PerInstance;
  /** Gate's total per instance minus the program's own pages (the target's figure). */
  beyondOwnKib: number;
  worker?: DensitySample;
  workerPer?: PerInstance;
  sleep?: DensitySample;
  sleepPer?: PerInstance;
}

/** Results of the density section. */
export interface DensityReport {
  rows: DensityRow[];
}

/** Measures every count with every engine (Gate first, then the anchors). */
export async function benchDensity(
  engines: DensityEngines,
  counts: readonly number[],
): Promise<DensityReport> {
  const rows: DensityRow[] = [];
  for (const count of counts) {
    const gate = await engines.gate(count);
    const gatePer = perInstance(gate);
    const row: DensityRow = {
      count,
      gate,
      gatePer,
      beyondOwnKib: gatePer.totalKib - (gate.linearKib ?? 0),
    };
    const worker = await engines.worker(count);
    if (worker) Object.assign(row, { worker, workerPer: perInstance(worker) });
    const sleep = await engines.sleep(count);
    if (sleep) Object.assign(row, { sleep, sleepPer: perInstance(sleep) });
    rows.push(row);
  }
  return { rows };
}

/** The target of issue #5: 10,000 waiting instances, <= 200 KiB each beyond their own pages. */
export const TARGET = { count: 10_000, beyondOwnKib: 200 };

/** The report as a table, with the target. */
export function formatDensityReport(report: DensityReport): string {
  const k = (v: number | undefined) => v === undefined ? "" : fixed(v);
  const x = (a: number, b: number | undefined) => b === undefined ? "" : `${fixed(a / b)}x`;
  const table = formatTable(
    [
      { title: "instances", align: "right" },
      { title: "gate KiB each", align: "right" },
      { title: "process", align: "right" },
      { title: "executor", align: "right" },
      { title: "deno", align: "right" },
      { title: "kernel", align: "right" },
      { title: "own pages", align: "right" },
      { title: "beyond own", align: "right" },
      { title: "(RSS-based)", align: "right" },
      { title: "worker KiB", align: "right" },
      { title: "gate/worker", align: "right" },
      { title: "sleep KiB", align: "right" },
      { title: "gate/sleep", align: "right" },
      { title: "gate start ms each", align: "right" },
      { title: "first/last tenth", align: "right" },
      { title: "close ms each", align: "right" },
    ],
    report.rows.map((r) => [
      String(r.count),
      fixed(r.gatePer.totalKib),
      fixed(r.gatePer.processKib),
      fixed(r.gatePer.executorKib),
      fixed(r.gatePer.denoKib),
      fixed(r.gatePer.kernelKib),
      k(r.gate.linearKib),
      fixed(r.beyondOwnKib),
      fixed(r.gatePer.totalRssKib),
      k(r.workerPer?.totalKib),
      x(r.gatePer.totalKib, r.workerPer?.totalKib),
      k(r.sleepPer?.totalKib),
      x(r.gatePer.totalKib, r.sleepPer?.totalKib),
      fixed(r.gate.startMs / r.count),
      ((t) => t ? `${fixed(t.first)}/${fixed(t.last)}` : "")(startTenths(r.gate)),
      r.gate.closeMs === undefined ? "" : fixed(r.gate.closeMs / r.count),
    ]),
  );
  const at = report.rows.find((r) => r.count === TARGET.count);
  const target = at
    ? `target ${TARGET.count} waiting instances at <= ${TARGET.beyondOwnKib} KiB each beyond` +
      ` their own pages: ${at.beyondOwnKib <= TARGET.beyondOwnKib ? "met" : "not met"} (${
        fixed(at.beyondOwnKib)
      } KiB)`
    : `target ${TARGET.count} waiting instances: not measured in this run (--quick)`;
  return [
    "Density: memory per waiting instance in KiB (PSS + kernel; one measurement per count)",
    table,
    "gate = instance processes + executor + Deno's growth + kernel (slab, kernel stacks, page" +
    " tables, per-CPU from /proc/meminfo); own pages = one instance's resident linear memory." +
    " worker = idle Deno Workers (Deno's growth + kernel); sleep = `sleep` processes.",
    target,
  ].join("\n");
}

/** Reads a child's {rssKib, pssKib} field. */
function memoryField(result: Record<string, unknown>, key: string) {
  const v = result[key];
  if (typeof v !== "object" || v === null) {
    throw new TypeError(`Cannot use result field "${key}": expected an object`);
  }
  const o = v as Record<string, unknown>;
  return { rssKib: numberField(o, "rssKib"), pssKib: numberField(o, "pssKib") };
}

/** A DensitySample from a density child's output (gate or anchor). */
export function densitySample(result: Record<string, unknown>): DensitySample {
  const gate = "instances" in result;
  const sample: DensitySample = {
    count: numberField(result, "count"),
    startMs: numberField(result, "startMs"),
    processes: memoryField(result, gate ? "instances" : "processes"),
    deno: memoryField(result, "deno"),
    kernelKib: numberField(result, "kernelKib"),
  };
  if (gate) {
    sample.executor = memoryField(result, "executor");
    sample.closeMs = numberField(result, "closeMs");
    if (typeof result.linearKib === "number") sample.linearKib = result.linearKib;
    if (Array.isArray(result.tenthsMs)) sample.tenthsMs = numberArray(result, "tenthsMs");
  }
  return sample;
}

/**
 * The real engines: Gate's child (gateDensity from gate_slot.ts) and the
 * anchors' child; Workers only at counts up to maxWorkers (they take about
 * 30 ms and 6 MB each to start), `sleep` processes at every count.
 */
export function densityEngines(
  modulePath: string,
  gate: (path: string, count: number) => Promise<Record<string, unknown>>,
  options: { maxWorkers: number },
): DensityEngines {
  const anchor = async (mode: "worker" | "sleep", count: number) => {
    const worker = decodeURIComponent(new URL("./density_worker.ts", import.meta.url).pathname);
    const { result } = await runDenoChild("./anchor_density_child.ts", [mode, String(count)], {
      v8Flags: [],
      readPaths: [worker],
      run: ["sleep", "head"],
    });
    return densitySample(result);
  };
  return {
    gate: async (count) => densitySample(await gate(modulePath, count)),
    worker: (count) =>
      count <= options.maxWorkers ? anchor("worker", count) : Promise.resolve(undefined),
    sleep: (count) => anchor("sleep", count),
  };
}
