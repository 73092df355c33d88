/**
 * Reads the result a benchmark child process prints: one JSON object on the
 * last line that starts with "{". Other lines (V8's compile trace) may come
 * before it. Pure.
 *
 * @module
 */

/** Parses the last line of output that starts with "{"; throws SyntaxError if there is none. */
export function lastJsonLine(output: string): Record<string, unknown> {
  const lines = output.split("\n").filter((l) => l.startsWith("{"));
  const last = lines.at(-1);
  if (last === undefined) throw new SyntaxError("Cannot find a JSON result line in the output");
  const value: unknown = JSON.parse(last);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SyntaxError(`Cannot use result line "${last}": expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Reads a field that must be an array of finite numbers. */
export function numberArray(result: Record<string, unknown>, key: string): number[] {
  const v = result[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new TypeError(`Cannot use result field "${key}": expected an array of numbers`);
  }
  return v as number[];
}

/** Reads a field that must be a finite number. */
export function numberField(result: Record<string, unknown>, key: string): number {
  const v = result[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(`Cannot use result field "${key}": expected a number`);
  }
  return v;
}

/**
 * Peak memory of a child's work, in bytes: its peak resident set after the
 * work (maxRssKiB, from getrusage) minus its resident set before (rssBeforeKiB).
 */
export function peakGrowthBytes(result: Record<string, unknown>): number {
  const grew = numberField(result, "maxRssKiB") - numberField(result, "rssBeforeKiB");
  return Math.max(0, grew) * 1024;
}
