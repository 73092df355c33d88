import { assertEquals } from "../tests/_assert.ts";
import { benchCompile, type CompileInput, formatCompileReport } from "./compile_bench.ts";
import type { CompileEngine } from "./compile_engines.ts";
import { hugeFunction, tinyFunctions } from "./synthetic.ts";
import { codeSection } from "./wasm_sections.ts";
import { fixed } from "./table.ts";
import { rejects } from "node:assert/strict";

const SMALL = tinyFunctions(100);
const INPUTS: CompileInput[] = [
  { name: "small", path: "small.wasm", bytes: SMALL.bytes },
  // Big enough that a slow engine skips it with --quick.
  { name: "big", path: "big.wasm", bytes: hugeFunction(400_000).bytes },
];

function fake(name: string, ms: number, slow = false): CompileEngine & { calls: string[] } {
  const calls: string[] = [];
  return {
    name,
    slow,
    calls,
    compile(path, { runs }) {
      calls.push(path);
      return Promise.resolve({ ms: Array(runs).fill(ms), cpuMs: Array(runs).fill(ms) });
    },
  };
}

Deno.test("benchCompile() reports MB/s and time against Liftoff", async () => {
  const liftoff = fake("v8-liftoff", 10), turbofan = fake("v8-turbofan", 50, true);
  const report = await benchCompile(INPUTS, {
    engines: [liftoff, turbofan],
    runs: 5,
    quick: false,
    log: () => {},
  });
  const row = report.rows.find((r) => r.module === "small" && r.engine === "v8-turbofan")!;
  assertEquals(row.ms.runs, 3); // a slow engine gets at most three runs
  assertEquals(row.vsLiftoff!.median, 5);
  assertEquals(row.moduleMBps, SMALL.bytes.length / 1e6 / 0.05);
  assertEquals(row.cpuOverWall, 1);
  assertEquals(report.geomeanVsLiftoff["v8-turbofan"]!.toFixed(9), "5.000000000");
});

Deno.test("benchCompile() skips big modules on slow engines with --quick", async () => {
  const liftoff = fake("v8-liftoff", 10), turbofan = fake("v8-turbofan", 50, true);
  const report = await benchCompile(INPUTS, {
    engines: [liftoff, turbofan],
    runs: 3,
    quick: true,
    log: () => {},
  });
  assertEquals(turbofan.calls, ["small.wasm"]);
  assertEquals(liftoff.calls, ["small.wasm", "big.wasm"]);
  assertEquals(report.skipped, ["big on v8-turbofan"]);
  assertEquals(formatCompileReport(report).includes("skipped"), true);
});

Deno.test("benchCompile() reports a failing engine instead of failing the run", async () => {
  const liftoff = fake("v8-liftoff", 10);
  const gate: CompileEngine = {
    name: "gate",
    compile: (path, { runs }) =>
      path === "big.wasm"
        ? Promise.reject(new Error("Cannot compile module: unsupported opcode 0xfd"))
        : Promise.resolve({ ms: Array(runs).fill(5) }),
  };
  const report = await benchCompile(INPUTS, {
    engines: [liftoff, gate],
    runs: 3,
    quick: false,
    log: () => {},
  });
  assertEquals(report.failures, [
    { module: "big", engine: "gate", reason: "Cannot compile module: unsupported opcode 0xfd" },
  ]);
  assertEquals(report.geomeanVsLiftoff["gate"], 0.5);
  const lines = formatCompileReport(report).split("\n");
  assertEquals(lines.some((l) => l.startsWith("big ") && l.includes("FAILED")), true);
  assertEquals(
    lines.includes('FAILED: gate on module "big": Cannot compile module: unsupported opcode 0xfd'),
    true,
  );
});

Deno.test("benchCompile() fails when Liftoff fails", async () => {
  const liftoff: CompileEngine = {
    name: "v8-liftoff",
    compile: () => Promise.reject(new Error("child exited 1")),
  };
  await rejects(
    benchCompile(INPUTS, { engines: [liftoff], runs: 3, quick: false, log: () => {} }),
    /child exited 1/,
  );
});

Deno.test("formatCompileReport() shows peak memory and machine code per wasm byte", async () => {
  const code = codeSection(SMALL.bytes).size;
  const engine = (name: string, peakBytes: number, machineCodeBytes?: number): CompileEngine => ({
    name,
    compile: (_path, { runs }) =>
      Promise.resolve({
        ms: Array(runs).fill(1),
        peakBytes,
        ...(machineCodeBytes === undefined ? {} : { machineCodeBytes, imageBytes: 2e6 }),
        overheadMs: 0.02,
      }),
  });
  const report = await benchCompile([INPUTS[0]!], {
    engines: [engine("v8-liftoff", 4e6), engine("gate", 1e6, code * 3)],
    runs: 3,
    quick: false,
    log: () => {},
  });
  const gate = report.rows.find((r) => r.engine === "gate")!;
  assertEquals(gate.peakVsLiftoff, 0.25);
  const text = formatCompileReport(report);
  const row = text.split("\n").find((l) => l.startsWith("small ") && l.includes("4.00"))!;
  assertEquals(row.trim().split(/\s+/).slice(2), [
    "4.00",
    "1.00",
    "0.25x",
    fixed(code * 3 / 1e6),
    "3.00x",
    "2.00",
  ]);
  assertEquals(text.includes("gate: fixed cost inside each timed compile"), true);
});
