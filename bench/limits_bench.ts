/**
 * The machine's physical limits, measured by small C programs in limits/
 * in the same run as everything else, and the runtime's figures as
 * multiples or fractions of them:
 *
 * - memcpy bandwidth (memcpy_bw.c): GB/s copying 128 MiB buffers, warmed up
 * - first-touch page fault (page_fault.c): ns per 4 KiB page of anonymous memory
 * - fork + exit + wait (fork_exit.c, shared with the startup section)
 * - clone(CLONE_VM | CLONE_VFORK) + exit + wait, and a clone into the seven
 *   namespaces of a Gate instance (clone_exit.c)
 * - signal round trip between two processes, and a self-signal with a handler
 *   (signal_rtt.c)
 *
 * Each program is built with $CC and the flags of startup_bench.ts's
 * buildForkExit() into .cache/bench/limits/. The runner takes the
 * measurements as one engine so that tests can fake them.
 *
 * @module
 */

import { numberArray } from "./child_output.ts";
import { buildForkExit } from "./startup_bench.ts";
import { type Ratio, summarize, type Summary } from "./stats.ts";
import { runChild } from "./subprocess.ts";
import { fixed, formatTable } from "./table.ts";

/** Raw samples of every limit, each in its row's unit. */
export interface LimitSamples {
  memcpyGBps: number[];
  pageFaultNs: number[];
  forkExitUs: number[];
  cloneVforkUs: number[];
  cloneNamespacesUs: number[];
  signalRoundTripUs: number[];
  signalSelfUs: number[];
}

/** Key of a limit in LimitSamples and in the report. */
export type LimitKey = keyof LimitSamples;

/** How each limit is named and in which unit. */
export const LIMITS: Record<LimitKey, { what: string; unit: string }> = {
  memcpyGBps: { what: "memcpy bandwidth, 128 MiB buffers", unit: "GB/s" },
  pageFaultNs: { what: "first-touch page fault, per 4 KiB page", unit: "ns" },
  forkExitUs: { what: "fork + _exit + waitpid", unit: "us" },
  cloneVforkUs: { what: "clone(CLONE_VM|CLONE_VFORK) + _exit + waitpid", unit: "us" },
  cloneNamespacesUs: { what: "clone into 7 new namespaces + _exit + waitpid", unit: "us" },
  signalRoundTripUs: { what: "signal round trip between two processes", unit: "us" },
  signalSelfUs: { what: "self-signal with a handler (raise)", unit: "us" },
};

/** The measured limits: median, min and max of each. */
export type LimitsReport = Record<LimitKey, Summary>;

/** Summarises every limit's samples. */
export function summarizeLimits(samples: LimitSamples): LimitsReport {
  const out = {} as LimitsReport;
  for (const k of Object.keys(LIMITS) as LimitKey[]) out[k] = summarize(samples[k]);
  return out;
}

/** The limits as a table. */
export function formatLimitsReport(report: LimitsReport): string {
  const table = formatTable(
    [
      { title: "physical limit" },
      { title: "unit" },
      { title: "median", align: "right" },
      { title: "min", align: "right" },
      { title: "max", align: "right" },
      { title: "runs", align: "right" },
    ],
    (Object.keys(LIMITS) as LimitKey[]).map((k) => [
      LIMITS[k].what,
      LIMITS[k].unit,
      fixed(report[k].median),
      fixed(report[k].min),
      fixed(report[k].max),
      String(report[k].runs),
    ]),
  );
  return [
    "Physical limits of this machine (bench/limits/*.c, native, in this run)",
    table,
    "memcpy: bytes copied per second (each read once, written once). Page fault: mmap" +
    " anonymous + MADV_NOHUGEPAGE, one write per page, kernel zeroing included. Signal round" +
    " trip: kill() to a process asleep in sigsuspend(), whose handler kill()s back.",
  ].join("\n");
}

/** A runtime figure set against a limit: "x" = figure / limit (time), "%" = figure / limit (rate). */
export interface LimitFraction {
  what: string;
  /** A short label for the chart. */
  label: string;
  figure: string;
  limit: LimitKey;
  /** figure / limit: a multiple for times, a fraction for throughput. */
  ratio: Ratio;
  kind: "multiple" | "fraction";
}

/** Formats figures against their limits; empty when there are none. */
export function formatLimitFractions(rows: readonly LimitFraction[]): string {
  if (rows.length === 0) return "";
  const table = formatTable(
    [
      { title: "runtime figure" },
      { title: "value" },
      { title: "limit" },
      { title: "figure / limit, median (min-max)", align: "right" },
    ],
    rows.map((r) => [
      r.what,
      r.figure,
      LIMITS[r.limit].what,
      r.kind === "fraction"
        ? `${pct(r.ratio.median)} (${pct(r.ratio.min)}-${pct(r.ratio.max)})`
        : `${fixed(r.ratio.median)}x (${fixed(r.ratio.min)}-${fixed(r.ratio.max)})`,
    ]),
  );
  return ["Runtime figures against the physical limits (time: multiple; rate: fraction)", table]
    .join("\n");
}

function pct(v: number): string {
  return `${fixed(v * 100)} %`;
}

const CACHE = new URL("../.cache/bench/limits/", import.meta.url);
const path = (url: URL) => decodeURIComponent(url.pathname);

/** Builds limits/NAME.c with $CC (default cc) and buildForkExit()'s flags; returns its path. */
export async function buildLimit(name: string): Promise<string> {
  await Deno.mkdir(CACHE, { recursive: true });
  const out = path(new URL(name, CACHE));
  const src = path(new URL(`./limits/${name}.c`, import.meta.url));
  const cc = Deno.env.get("CC") ?? "cc";
  const args = ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", out, src];
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(cc, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (cause) {
    throw new Error(`Cannot run "${cc}": install gcc or clang, or set CC`, { cause });
  }
  if (!result.success) {
    throw new Error(
      `Cannot build ${name}: "${cc} ${args.join(" ")}" exited ${result.code}: ${
        new TextDecoder().decode(result.stderr)
      }`,
    );
  }
  return out;
}

/** Builds and runs every limits program; `runs` samples of each (launches for fork/clone). */
export async function measureLimits(
  options: { runs: number; launches: number },
): Promise<LimitSamples> {
  const [memcpy, fault, clone, signal] = await Promise.all(
    ["memcpy_bw", "page_fault", "clone_exit", "signal_rtt"].map(buildLimit),
  );
  const fork = await buildForkExit();
  const runs = String(options.runs), launches = String(options.launches);
  const out = async (cmd: string, args: string[]) => (await runChild(cmd, args)).result;
  const sig = await out(signal!, [runs]);
  return {
    memcpyGBps: numberArray(await out(memcpy!, [runs]), "gbps"),
    pageFaultNs: numberArray(await out(fault!, [runs]), "ns"),
    forkExitUs: numberArray(await out(fork, [launches]), "us"),
    cloneVforkUs: numberArray(await out(clone!, [launches, "vfork"]), "us"),
    cloneNamespacesUs: numberArray(await out(clone!, [launches, "ns"]), "us"),
    signalRoundTripUs: numberArray(sig, "roundTripUs"),
    signalSelfUs: numberArray(sig, "selfUs"),
  };
}
