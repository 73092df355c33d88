/**
 * The suspend-to-resume round trip of examples/counter.c across two `gate`
 * processes, as a user does it: `gate call` is sent SIGQUIT (Ctrl-\) after
 * "tick 2" and writes a snapshot; `gate resume` continues it in a new
 * process, which prints "tick 3".
 *
 * counter sleeps a second between ticks. A sleep interrupted by a suspend
 * keeps its deadline on the program's clock, which does not count the time
 * the program was suspended, so "tick 3" comes the rest of that second
 * after the resumed program starts: the second less the time from "tick 2"
 * to SIGQUIT is subtracted. The anchor is `gate call hello.wasm` in the same run: a
 * whole CLI launch, compile (cached) and run.
 *
 *     deno run -A tools/counter_roundtrip.ts [--runs 5]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildExamples } from "../tests/real/_run.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const SLEEP_MS = 1000; // counter's tick interval
const text = new TextDecoder();

function gate(cwd: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-env",
      `--allow-write=${cwd}`,
      CLI,
      ...args,
    ],
    cwd,
    env: { GATE_CACHE_DIR: `${cwd}/image-cache/`, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads stdout until it includes `until`; returns the time it did (performance.now()). */
async function timeOf(child: Deno.ChildProcess, until: string): Promise<number> {
  const reader = child.stdout.getReader();
  let out = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`No "${until.trim()}" in the output: ${JSON.stringify(out)}`);
      out += text.decode(value, { stream: true });
      if (out.includes(until)) return performance.now();
    }
  } finally {
    reader.releaseLock();
  }
}

async function finish(child: Deno.ChildProcess, what: string): Promise<void> {
  await child.stdout.cancel().catch(() => {});
  const stderr = await new Response(child.stderr).text();
  const { code } = await child.status;
  if (code !== 0) throw new Error(`${what} exited ${code}: ${stderr}`);
}

interface Trial {
  /** SIGQUIT to the first process's exit, snapshot written. */
  suspendMs: number;
  /** `gate resume` launched to the resumed program's first output, the rest of the sleep taken off. */
  resumeMs: number;
  /** Bytes of the snapshot. */
  bytes: number;
}

async function trial(examples: string, cwd: string): Promise<Trial> {
  const call = gate(cwd, ["call", "--snapshot", "c.wasm", "--arg", "3", `${examples}counter.wasm`]);
  const ticked = await timeOf(call, "tick 2\n");
  const quit = performance.now();
  call.kill("SIGQUIT");
  await finish(call, "gate call");
  const exited = performance.now();
  const bytes = (await Deno.stat(`${cwd}/c.wasm`)).size;
  const launched = performance.now();
  const resume = gate(cwd, ["resume", "c.wasm"]);
  const tick = await timeOf(resume, "tick 3\n");
  await finish(resume, "gate resume");
  const rest = SLEEP_MS - (quit - ticked); // of the sleep, on the program's clock
  return { suspendMs: exited - quit, resumeMs: tick - launched - rest, bytes };
}

async function hello(examples: string, cwd: string): Promise<number> {
  const t0 = performance.now();
  const child = gate(cwd, ["call", `${examples}hello.wasm`]);
  await timeOf(child, "hello, world\n");
  await finish(child, "gate call hello.wasm");
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string" } } });
  const runs = Number(values.runs ?? 5);
  const examples = await buildExamples();
  const cwd = await Deno.makeTempDir({ prefix: "gate-roundtrip-" });
  try {
    await hello(examples, cwd); // warms the image cache
    const trials: Trial[] = [];
    const anchors: number[] = [];
    for (let i = 0; i < runs; i++) {
      trials.push(await trial(examples, cwd));
      anchors.push(await hello(examples, cwd));
    }
    const suspend = median(trials.map((t) => t.suspendMs));
    const resume = median(trials.map((t) => t.resumeMs));
    const anchor = median(anchors);
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    console.log(`counter round trip over ${runs} runs (medians):`);
    console.log(`  SIGQUIT to snapshot written and exit: ${ms(suspend)}`);
    console.log(`  gate resume to the next tick (rest of the sleep taken off): ${ms(resume)}`);
    console.log(
      `  round trip ${ms(suspend + resume)}: ${((suspend + resume) / anchor).toFixed(2)}x ` +
        `gate call hello.wasm (${ms(anchor)}); snapshot ${trials[0]!.bytes} bytes`,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

if (import.meta.main) await main();
