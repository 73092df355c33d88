/**
 * Validation throughput: libgate's decoder + validator against V8's
 * `WebAssembly.validate` on the same bytes, in the same Deno process.
 *
 * @module
 */

import { validate } from "../mod.ts";
import type { CorpusModule } from "./corpus.ts";
import { geomean, summarize, type Summary, timeRuns } from "./stats.ts";
import { fixed, formatTable } from "./table.ts";

/** One module's result: times in ms and the throughput ratio gate/V8. */
export interface ValidateRow {
  module: string;
  megabytes: number;
  gate: Summary;
  v8: Summary;
  /** Median V8 time over median Gate time: > 1 means Gate validates faster. */
  ratio: number;
}

/** Measures each module runs times with each validator, interleaved. */
export function benchValidate(corpus: readonly CorpusModule[], runs: number): ValidateRow[] {
  return corpus.map(({ name, bytes }) => {
    if (!WebAssembly.validate(bytes)) throw new Error(`V8 rejects corpus module "${name}"`);
    const gate = summarize(timeRuns(runs, () => validate(bytes)));
    const v8 = summarize(timeRuns(runs, () => WebAssembly.validate(bytes)));
    return {
      module: name,
      megabytes: bytes.length / 1e6,
      gate,
      v8,
      ratio: v8.median / gate.median,
    };
  });
}

/** The validation table: MB/s of each validator and the throughput ratio with its range. */
export function formatValidateReport(rows: readonly ValidateRow[]): string {
  const columns = [
    { title: "module" },
    { title: "MB", align: "right" as const },
    { title: "gate MB/s", align: "right" as const },
    { title: "V8 MB/s", align: "right" as const },
    { title: "gate/V8 throughput", align: "right" as const },
  ];
  const body = rows.map((r) => [
    r.module,
    fixed(r.megabytes),
    fixed(r.megabytes / (r.gate.median / 1000)),
    fixed(r.megabytes / (r.v8.median / 1000)),
    `${fixed(r.ratio)}x (${fixed(r.v8.min / r.gate.max)}-${fixed(r.v8.max / r.gate.min)})`,
  ]);
  body.push(["geomean", "", "", "", `${fixed(geomean(rows.map((r) => r.ratio)))}x`]);
  return [
    "Validation throughput (gate = libgate decode+validate, anchor = V8 WebAssembly.validate; > 1 is faster)",
    formatTable(columns, body),
  ].join("\n");
}
