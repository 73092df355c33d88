/**
 * Instance startup: launch of a precompiled module -> instantiated and ->
 * first result, p50 and p99 over many launches, against a Deno Worker that
 * instantiates the same module with WebAssembly and against the bare cost of
 * fork + exit + wait on this machine (limits/fork_exit.c, built into
 * .cache/bench/startup/). Each figure is measured in its own child process;
 * the runner takes them as engines so that tests can fake them.
 *
 * @module
 */

import { numberArray } from "./child_output.ts";
import { runChild, runDenoChild } from "./subprocess.ts";
import { fixed, formatTable } from "./table.ts";
import { ByteWriter, WASM_HEADER } from "./wasm_encode.ts";

/** What run() of the startup module returns. */
export const STARTUP_RESULT = 42;

/** (module (func (export "run") (result i32) i32.const 42)). */
export function startupModule(): Uint8Array {
  const w = new ByteWriter().bytes(WASM_HEADER);
  w.section(1, new ByteWriter().uleb(1).byte(0x60, 0, 1, 0x7f));
  w.section(3, new ByteWriter().uleb(1).uleb(0));
  w.section(7, new ByteWriter().uleb(1).name("run").byte(0x00).uleb(0));
  w.section(10, new ByteWriter().uleb(1).uleb(4).byte(0, 0x41, STARTUP_RESULT, 0x0b));
  return w.toBytes();
}

/** The q-quantile (0 < q <= 1) of a non-empty sample by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError("Cannot take a quantile of an empty sample");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/** p50, p99 and mean of a sample of microseconds. */
export interface Latency {
  launches: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

/** Summarises a sample of microseconds. */
export function latency(us: readonly number[]): Latency {
  return {
    launches: us.length,
    p50Us: quantile(us, 0.5),
    p99Us: quantile(us, 0.99),
    meanUs: us.reduce((s, v) => s + v, 0) / us.length,
  };
}

/** Timings of one way to launch the module, in microseconds per launch. */
export interface LaunchSamples {
  instantiatedUs: number[];
  resultUs: number[];
}

/** The three measurements of the section; each takes the number of launches wanted. */
export interface StartupEngines {
  gate(launches: number): Promise<LaunchSamples>;
  worker(launches: number): Promise<LaunchSamples>;
  forkExit(launches: number): Promise<number[]>;
}

/** One row of the report and of latest.json. */
export interface StartupRow extends Latency {
  what: string;
  /** gate / worker for the same span, gate / fork+exit; on Gate's rows only. */
  vsWorker?: { p50: number; p99: number };
  vsForkExit?: { p50: number; p99: number };
}

/** Results of the startup section. */
export interface StartupReport {
  rows: StartupRow[];
}

const ratios = (x: Latency, anchor: Latency) => ({
  p50: x.p50Us / anchor.p50Us,
  p99: x.p99Us / anchor.p99Us,
});

/** Runs the three measurements and relates Gate's figures to the anchors. */
export async function benchStartup(
  engines: StartupEngines,
  launches: number,
): Promise<StartupReport> {
  const gate = await engines.gate(launches);
  const worker = await engines.worker(launches);
  const fork = latency(await engines.forkExit(launches));
  const gateInst = latency(gate.instantiatedUs), gateResult = latency(gate.resultUs);
  const workerInst = latency(worker.instantiatedUs), workerResult = latency(worker.resultUs);
  return {
    rows: [
      {
        what: "gate: launch -> instantiated",
        ...gateInst,
        vsWorker: ratios(gateInst, workerInst),
        vsForkExit: ratios(gateInst, fork),
      },
      {
        what: "gate: launch -> first result",
        ...gateResult,
        vsWorker: ratios(gateResult, workerResult),
        vsForkExit: ratios(gateResult, fork),
      },
      { what: "worker: launch -> instantiated", ...workerInst },
      { what: "worker: launch -> first result", ...workerResult },
      { what: "fork + exit + wait", ...fork },
    ],
  };
}

/** The report as a table, with the target (p50 <= 1 ms, p99 <= 5 ms to first instruction). */
export function formatStartupReport(report: StartupReport): string {
  const x = (v: number | undefined) => v === undefined ? "" : `${fixed(v)}x`;
  const table = formatTable(
    [
      { title: "startup" },
      { title: "launches", align: "right" },
      { title: "p50 us", align: "right" },
      { title: "p99 us", align: "right" },
      { title: "mean us", align: "right" },
      { title: "/worker p50", align: "right" },
      { title: "/worker p99", align: "right" },
      { title: "/fork p50", align: "right" },
      { title: "/fork p99", align: "right" },
    ],
    report.rows.map((r) => [
      r.what,
      String(r.launches),
      r.p50Us.toFixed(0),
      r.p99Us.toFixed(0),
      r.meanUs.toFixed(0),
      x(r.vsWorker?.p50),
      x(r.vsWorker?.p99),
      x(r.vsForkExit?.p50),
      x(r.vsForkExit?.p99),
    ]),
  );
  const inst = report.rows[0]!;
  const met = (ok: boolean) => ok ? "met" : "not met";
  return [
    table,
    "Gate: Store.create() (new sandboxed instance process) + instantiate() of a compiled module;" +
    " instantiated = its reply reached Deno, an upper bound on the first instruction.",
    "Worker: new Worker + postMessage(WebAssembly.Module) + WebAssembly.instantiate, timed at" +
    " the messages' arrival. fork: fork() + _exit(0) + waitpid() in C.",
    `target p50 <= 1000 us to first instruction: ${met(inst.p50Us <= 1000)} (${
      inst.p50Us.toFixed(0)
    } us); p99 <= 5000 us: ${met(inst.p99Us <= 5000)} (${inst.p99Us.toFixed(0)} us)`,
  ].join("\n");
}

const CACHE = new URL("../.cache/bench/startup/", import.meta.url);
const path = (url: URL) => decodeURIComponent(url.pathname);

/** Writes the startup module to .cache/bench/startup/run42.wasm; returns its path. */
export async function writeStartupModule(): Promise<string> {
  await Deno.mkdir(CACHE, { recursive: true });
  const file = path(new URL("run42.wasm", CACHE));
  await Deno.writeFile(file, startupModule());
  return file;
}

/** Builds limits/fork_exit.c with $CC (default cc) into .cache/bench/startup/; returns its path. */
export async function buildForkExit(): Promise<string> {
  await Deno.mkdir(CACHE, { recursive: true });
  const out = path(new URL("fork_exit", CACHE));
  const src = path(new URL("./limits/fork_exit.c", import.meta.url));
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
      `Cannot build fork_exit: "${cc} ${args.join(" ")}" exited ${result.code}: ${
        new TextDecoder().decode(result.stderr)
      }`,
    );
  }
  return out;
}

/** Checks a child's samples and that run() returned STARTUP_RESULT. */
function launchSamples(result: Record<string, unknown>, who: string): LaunchSamples {
  if (result.result !== STARTUP_RESULT) {
    throw new Error(`${who} run() returned ${String(result.result)}, not ${STARTUP_RESULT}`);
  }
  return {
    instantiatedUs: numberArray(result, "instantiatedUs"),
    resultUs: numberArray(result, "resultUs"),
  };
}

/** The real engines: Gate's child (gateOptions from gate_slot.ts), a Worker child, fork_exit. */
export function startupEngines(
  modulePath: string,
  forkExitPath: string,
  gate: (launches: number) => Promise<Record<string, unknown>>,
): StartupEngines {
  return {
    async gate(launches) {
      return launchSamples(await gate(launches), "Gate's");
    },
    async worker(launches) {
      const worker = path(new URL("./startup_worker.ts", import.meta.url));
      const { result } = await runDenoChild(
        "./v8_startup_child.ts",
        [modulePath, String(launches)],
        { v8Flags: [], readPaths: [modulePath, worker] },
      );
      return launchSamples(result, "The Worker's");
    },
    async forkExit(launches) {
      const { result } = await runChild(forkExitPath, [String(launches)]);
      return numberArray(result, "us");
    },
  };
}
