/**
 * Summary statistics for repeated timings.
 *
 * @module
 */

/** Median, minimum and maximum of a sample. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Summarises a non-empty sample. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError("Cannot summarize an empty sample");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: values.length };
}

/** Times fn runs times (after one warm-up) and returns milliseconds per run. */
export function timeRuns(runs: number, fn: () => void): number[] {
  fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Geometric mean of positive numbers. */
export function geomean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("Cannot take the geometric mean of nothing");
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

/** A ratio of two timings: of the medians, and the extremes the samples allow. */
export interface Ratio {
  median: number;
  min: number;
  max: number;
}

/** x over anchor: the median ratio, and min/max from the samples' extremes (x.min / anchor.max, ...). */
export function ratio(x: Summary, anchor: Summary): Ratio {
  return { median: x.median / anchor.median, min: x.min / anchor.max, max: x.max / anchor.min };
}
