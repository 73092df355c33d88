import { assertEquals } from "../tests/_assert.ts";
import { benchCompile, type CompileInput, formatCompileReport } from "./compile_bench.ts";
import type { CompileEngine } from "./compile_engines.ts";
import { hugeFunction, tinyFunctions } from "./synthetic.ts";

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
