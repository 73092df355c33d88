/**
 * Counting and formatting of results: what the runner prints.
 *
 * @module
 */

import type { Outcome } from "./run_script.ts";

/** The outcomes of one `.wast` file. */
export interface FileResult {
  /** The file's name, such as "address.wast". */
  file: string;
  outcomes: Outcome[];
}

/** How many checks passed, failed and were skipped. */
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** The skipped checks that share a reason. */
export interface SkipGroup {
  reason: string;
  total: number;
  /** Skipped checks per command type, most frequent first. */
  byCommand: [string, number][];
}

/** Counts the outcomes by status. */
export function countOutcomes(outcomes: readonly Outcome[]): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const outcome of outcomes) counts[outcome.status]++;
  return counts;
}

/** Adds up counts. */
export function sumCounts(all: readonly Counts[]): Counts {
  const sum: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const counts of all) {
    sum.passed += counts.passed;
    sum.failed += counts.failed;
    sum.skipped += counts.skipped;
  }
  return sum;
}

/** Formats counts as "N passed, N failed, N skipped". */
export function formatCounts(counts: Counts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

/** Formats the one line of a file: "address.wast: 12 passed, 0 failed, 250 skipped". */
export function formatFileLine(result: FileResult): string {
  return `${result.file}: ${formatCounts(countOutcomes(result.outcomes))}`;
}

/**
 * Formats one outcome with its location, for failures and `--verbose`:
 * `address.wast:3 module address.0.wasm: failed: expected valid, got CompileError: ...`.
 */
export function formatOutcome(file: string, outcome: Outcome): string {
  const where = `${file}:${outcome.line} ${outcome.command}` +
    (outcome.filename === undefined ? "" : ` ${outcome.filename}`);
  switch (outcome.status) {
    case "skipped":
      return `${where}: skipped: ${outcome.reason ?? "no reason given"}`;
    case "failed":
      return `${where}: failed: expected ${outcome.expected ?? "?"}, got ${outcome.actual ?? "?"}`;
    case "passed":
      return `${where}: passed: ${outcome.actual ?? "ok"}`;
  }
}

/** Groups the skipped outcomes of all files by reason, largest group first. */
export function summarizeSkips(results: readonly FileResult[]): SkipGroup[] {
  const groups = new Map<string, Map<string, number>>();
  for (const { outcomes } of results) {
    for (const outcome of outcomes) {
      if (outcome.status !== "skipped") continue;
      const reason = outcome.reason ?? "no reason given";
      let byCommand = groups.get(reason);
      if (byCommand === undefined) groups.set(reason, byCommand = new Map());
      byCommand.set(outcome.command, (byCommand.get(outcome.command) ?? 0) + 1);
    }
  }
  return [...groups].map(([reason, byCommand]) => ({
    reason,
    total: [...byCommand.values()].reduce((a, b) => a + b, 0),
    byCommand: [...byCommand].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  })).sort((a, b) => b.total - a.total || a.reason.localeCompare(b.reason));
}

/** Formats the skip summary, one line per reason; no lines when nothing was skipped. */
export function formatSkipSummary(groups: readonly SkipGroup[]): string[] {
  if (groups.length === 0) return [];
  return [
    "Skipped by reason:",
    ...groups.map(({ reason, total, byCommand }) =>
      `  ${total} ${reason} (${byCommand.map(([command, n]) => `${command} ${n}`).join(", ")})`
    ),
  ];
}
