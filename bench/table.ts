/**
 * Plain-text tables for benchmark reports. Pure.
 *
 * @module
 */

/** A column: its heading and whether cells align left (text) or right (numbers). */
export interface Column {
  title: string;
  align?: "left" | "right";
}

/** Formats rows under headings, padding each column to its widest cell. */
export function formatTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  for (const [i, row] of rows.entries()) {
    if (row.length !== columns.length) {
      throw new RangeError(
        `Cannot format row ${i}: it has ${row.length} cells for ${columns.length} columns`,
      );
    }
  }
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) =>
      columns[i]!.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)
    ).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(columns.map((c) => c.title)), rule, ...rows.map(line)].join("\n");
}

/** Formats a ratio with its range: "2.31x (2.20-2.45)". */
export function formatRatio(r: { median: number; min: number; max: number }): string {
  return `${fixed(r.median)}x (${fixed(r.min)}-${fixed(r.max)})`;
}

/** Two decimals below 10, one below 100, none above: keeps columns narrow. */
export function fixed(v: number): string {
  const a = Math.abs(v);
  return v.toFixed(a < 10 ? 2 : a < 100 ? 1 : 0);
}
