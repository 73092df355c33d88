/**
 * Program I/O (issue #7's figures), each against an anchor measured in the
 * same run:
 *
 * - service call: a program (programs/call_loop.c) makes sequential
 *   one-packet CALLs to a service that replies at once, each waiting for its
 *   reply; per-call time = a round's time / calls, taken by the program's
 *   monotonic clock. Anchor: a Deno Worker's postMessage round trip (the
 *   Worker posts each message back), timed in Deno the same way.
 * - origin stream: a program (programs/write_stdout.c) writes BYTES to WASI
 *   stdout in 64 KiB fd_write calls; Deno consumes them into a counting
 *   WritableStream; MB/s of run(). Anchor: Deno reading as many bytes from a
 *   child process's stdout pipe (`head -c BYTES /dev/zero`, Deno.Command).
 *   Also as a fraction of memcpy bandwidth (limits_bench.ts).
 *
 * The measurements are engines so that tests can fake them.
 *
 * @module
 */

import { numberArray } from "./child_output.ts";
import { type Ratio, ratio, summarize, type Summary } from "./stats.ts";
import { runDenoChild } from "./subprocess.ts";
import { fixed, formatRatio, formatTable } from "./table.ts";

/** The four measurements; times per round in milliseconds. */
export interface IoEngines {
  /** ms per round of `calls` sequential calls, program-timed, per round. */
  gateCalls(calls: number, rounds: number): Promise<number[]>;
  workerCalls(calls: number, rounds: number): Promise<number[]>;
  /** ms per transfer of `bytes`, per round. */
  gateStream(bytes: number, rounds: number): Promise<number[]>;
  pipeStream(bytes: number, rounds: number): Promise<number[]>;
}

/** Sizes of the measurements. */
export interface IoOptions {
  calls: number;
  callRounds: number;
  bytes: number;
  streamRounds: number;
}

/** Per-call latency of the service call and its anchor, in microseconds. */
export interface CallRow {
  what: string;
  us: Summary;
}

/** Throughput of a stream, MB/s (10^6 bytes per second). */
export interface StreamRow {
  what: string;
  mbps: Summary;
}

/** Results of the io section. */
export interface IoReport {
  options: IoOptions;
  calls: { gate: CallRow; worker: CallRow; gateVsWorker: Ratio };
  stream: { gate: StreamRow; pipe: StreamRow; gateVsPipe: Ratio };
}

/** Runs the measurements and relates Gate to the anchors. */
export async function benchIo(engines: IoEngines, options: IoOptions): Promise<IoReport> {
  const perCall = (ms: number[]) => summarize(ms.map((m) => (m * 1000) / options.calls));
  const mbps = (ms: number[]) => summarize(ms.map((m) => options.bytes / 1e6 / (m / 1000)));
  const gateCalls = perCall(await engines.gateCalls(options.calls, options.callRounds));
  const workerCalls = perCall(await engines.workerCalls(options.calls, options.callRounds));
  const gateStream = mbps(await engines.gateStream(options.bytes, options.streamRounds));
  const pipeStream = mbps(await engines.pipeStream(options.bytes, options.streamRounds));
  return {
    options,
    calls: {
      gate: { what: "gate: one-packet service call, reply at once", us: gateCalls },
      worker: { what: "worker: postMessage round trip", us: workerCalls },
      gateVsWorker: ratio(gateCalls, workerCalls),
    },
    stream: {
      gate: { what: "gate: stdout (origin stream), 64 KiB fd_write", mbps: gateStream },
      pipe: { what: "pipe: child stdout via Deno.Command", mbps: pipeStream },
      // Throughput ratio: higher is better, so the extremes are max/min the other way.
      gateVsPipe: {
        median: gateStream.median / pipeStream.median,
        min: gateStream.min / pipeStream.max,
        max: gateStream.max / pipeStream.min,
      },
    },
  };
}

/** The report as two tables. */
export function formatIoReport(report: IoReport): string {
  const r = (s: Summary) => `${fixed(s.median)} (${fixed(s.min)}-${fixed(s.max)})`;
  const { calls, stream, options } = report;
  const callTable = formatTable(
    [
      { title: "service call" },
      { title: "us per call, median (min-max)", align: "right" },
      { title: "gate/worker time", align: "right" },
    ],
    [
      [calls.gate.what, r(calls.gate.us), formatRatio(calls.gateVsWorker)],
      [calls.worker.what, r(calls.worker.us), ""],
    ],
  );
  const streamTable = formatTable(
    [
      { title: "origin stream" },
      { title: "MB/s, median (min-max)", align: "right" },
      { title: "gate/pipe throughput", align: "right" },
    ],
    [
      [stream.gate.what, r(stream.gate.mbps), formatRatio(stream.gateVsPipe)],
      [stream.pipe.what, r(stream.pipe.mbps), ""],
    ],
  );
  return [
    `Service call: ${options.calls} sequential calls per round, ${options.callRounds} rounds` +
    " (program-timed for Gate); < 1 is faster",
    callTable,
    "",
    `Origin stream: ${options.bytes / 2 ** 20} MiB per run, ${options.streamRounds} runs;` +
    " > 1 is faster",
    streamTable,
  ].join("\n");
}

/** The real engines: Gate's child (gateIo from gate_slot.ts) and the anchors' child (v8_io_child.ts). */
export function ioEngines(
  programs: { call: string; stream: string },
  gate: (mode: "call" | "stream", path: string, n: number, rounds: number) => Promise<number[]>,
): IoEngines {
  const anchor = async (mode: "worker" | "pipe", n: number, rounds: number) => {
    const worker = decodeURIComponent(new URL("./io_worker.ts", import.meta.url).pathname);
    const { result } = await runDenoChild("./v8_io_child.ts", [mode, String(n), String(rounds)], {
      v8Flags: [],
      readPaths: [worker],
      run: ["head"],
    });
    return numberArray(result, "ms");
  };
  return {
    gateCalls: (calls, rounds) => gate("call", programs.call, calls, rounds),
    workerCalls: (calls, rounds) => anchor("worker", calls, rounds),
    gateStream: (bytes, rounds) => gate("stream", programs.stream, bytes, rounds),
    pipeStream: (bytes, rounds) => anchor("pipe", bytes, rounds),
  };
}
