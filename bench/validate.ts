/**
 * Validation throughput: libgate's decoder + validator against V8's
 * `WebAssembly.validate` on the same bytes, in the same Deno process.
 *
 * @module
 */

import { validate } from "../mod.ts";
import type { CorpusModule } from "./corpus.ts";
import { summarize, type Summary, timeRuns } from "./stats.ts";

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
