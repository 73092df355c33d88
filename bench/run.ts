/**
 * `deno task bench [--quick] [--json FILE]`: runs every benchmark, prints a
 * table, and writes bench/results/latest.json. Every figure is a ratio
 * against an anchor measured in the same run; absolute times are for context.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadCorpus } from "./corpus.ts";
import { benchValidate, type ValidateRow } from "./validate.ts";
import { geomean } from "./stats.ts";

function formatValidate(rows: ValidateRow[]): string {
  const lines = [
    "Validation throughput (gate = libgate decode+validate, anchor = V8 WebAssembly.validate)",
    "module                                   MB     gate MB/s  V8 MB/s   ratio (min..max)",
  ];
  for (const r of rows) {
    const gateRate = r.megabytes / (r.gate.median / 1000);
    const v8Rate = r.megabytes / (r.v8.median / 1000);
    const lo = r.v8.min / r.gate.max;
    const hi = r.v8.max / r.gate.min;
    lines.push(
      `${r.module.padEnd(40)} ${r.megabytes.toFixed(1).padStart(5)}  ${
        gateRate.toFixed(0).padStart(9)
      }  ${v8Rate.toFixed(0).padStart(7)}  ${r.ratio.toFixed(2)}x (${lo.toFixed(2)}..${
        hi.toFixed(2)
      })`,
    );
  }
  lines.push(`geometric mean ratio: ${geomean(rows.map((r) => r.ratio)).toFixed(2)}x`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { quick: { type: "boolean", default: false }, json: { type: "string" } },
  });
  const runs = values.quick ? 3 : 11;
  const corpus = await loadCorpus();
  const validateRows = benchValidate(corpus, runs);
  console.log(formatValidate(validateRows));
  const result = {
    date: new Date().toISOString(),
    runs,
    deno: Deno.version,
    validate: validateRows,
  };
  const text = JSON.stringify(result, null, 2) + "\n";
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(new URL("./results/latest.json", import.meta.url), text);
  if (values.json) await Deno.writeTextFile(values.json, text);
}

if (import.meta.main) await main();
