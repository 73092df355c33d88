import { assert, assertEquals } from "../tests/_assert.ts";
import { escapeXml, renderChart, shortLabel } from "./chart.ts";
import { benchKernels } from "./kernel_bench.ts";
import { benchCompile } from "./compile_bench.ts";
import type { KernelEngine } from "./kernel_engines.ts";
import type { CompileEngine } from "./compile_engines.ts";
import { tinyFunctions } from "./synthetic.ts";

const quiet = { log: () => {}, rounds: 1, runsPerRound: 1 };
const KERNELS = ["a", "b"].map((name) => ({
  name,
  n: 8,
  stresses: "",
  wasmPath: `${name}.wasm`,
  nativePath: `${name}.native`,
}));

function kernelEngine(name: string, factor: number, failOn?: string): KernelEngine {
  return {
    name,
    run: (k, n, runs) =>
      k.name === failOn
        ? Promise.reject(new Error("trap"))
        : Promise.resolve({ checksum: n, ms: Array(runs).fill(n * factor) }),
  };
}

function compileEngine(name: string, ms: number): CompileEngine {
  return { name, compile: (_p, { runs }) => Promise.resolve({ ms: Array(runs).fill(ms) }) };
}

async function reports() {
  const kernels = await benchKernels(KERNELS, {
    engines: [
      kernelEngine("native", 1),
      kernelEngine("v8-liftoff", 2),
      kernelEngine("gate", 1.5, "b"),
    ],
    ...quiet,
  });
  const compile = await benchCompile(
    [{ name: "m<1>", path: "m.wasm", bytes: tinyFunctions(10).bytes }],
    {
      engines: [compileEngine("v8-liftoff", 10), compileEngine("gate", 4)],
      runs: 1,
      quick: false,
      log: () => {},
    },
  );
  return { kernels, compile };
}

Deno.test("renderChart() draws a bar per ratio and marks failures", async () => {
  const { kernels, compile } = await reports();
  const svg = renderChart(kernels, compile, { caption: "run of today" });
  assert(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert(svg.trimEnd().endsWith("</svg>"));
  // Kernel bars: a (liftoff, gate), b (liftoff), geomean (liftoff, gate); compile: m, geomean.
  assertEquals(svg.match(/<rect x="230"/g)?.length, 7);
  assert(svg.includes(">gate: FAILED</text>"));
  assert(svg.includes(">1.50x (1/2 kernels)</text>")); // gate's geomean over the kernel it ran
  assert(svg.includes(">2.50x</text>")); // compile throughput: Liftoff's time over Gate's
  assert(svg.includes(">m&#60;1&#62;</text>"));
  assertEquals(svg.match(/<text /g)?.length, svg.match(/<\/text>/g)?.length);
});

Deno.test("renderChart() draws a contrast as a section of its own", async () => {
  const kernels = await benchKernels(KERNELS, {
    engines: [
      kernelEngine("native", 1),
      kernelEngine("v8-liftoff", 2),
      {
        name: "gate",
        variants: ["gate-off"],
        run: (k, n, runs) =>
          k.name === "b" ? Promise.reject(new Error("trap")) : Promise.resolve({
            checksum: n,
            ms: Array(runs).fill(n * 1.5),
            variants: { "gate-off": Array(runs).fill(n * 1.25) },
          }),
      },
    ],
    ...quiet,
    contrasts: [{ base: "gate", variant: "gate-off", title: "Checks on/off", target: 1.03 }],
  });
  const svg = renderChart(kernels, undefined);
  assert(
    svg.includes(">Checks on/off: gate over gate-off run time (shorter is better; target 1.03x)<"),
  );
  // Kernels: a (liftoff, gate), b (liftoff), geomean (liftoff, gate); the contrast: a, geomean.
  assertEquals(svg.match(/<rect x="230"/g)?.length, 7);
  assertEquals(svg.match(/>1.20x<\/text>/g)?.length, 2);
  assert(svg.includes(">gate: FAILED</text>"));
  assertEquals(svg.includes(">gate-off<"), false); // no legend entry, no bars of its own
});

Deno.test("renderChart() draws only the sections of the run", async () => {
  const { compile } = await reports();
  const svg = renderChart(undefined, compile);
  assertEquals(svg.includes("Kernel run time"), false);
  assert(svg.includes("Compile throughput"));
});

Deno.test("escapeXml() escapes markup characters", () => {
  assertEquals(escapeXml(`a<b & "c"'`), "a&#60;b &#38; &#34;c&#34;&#39;");
});

Deno.test("shortLabel() keeps short labels and the end of long ones", () => {
  assertEquals(shortLabel("calls"), "calls");
  const long = shortLabel("@ruby/3.3-wasm-wasi/dist/ruby+stdlib.wasm");
  assert(long.startsWith("…"));
  assertEquals(long.length, 36);
  assert(long.endsWith("ruby+stdlib.wasm"));
});
