/**
 * The SVG chart of a benchmark run (bench/results/latest.svg, embedded by
 * the README): horizontal bars of the median ratios, one group per kernel
 * (run time against native, shorter is better) and per module (compile
 * throughput against V8 Liftoff, longer is better), and each kernel contrast
 * (Gate's time with suspend checks over its time without, shorter is
 * better). Hand-written SVG with
 * no dependencies. Pure.
 *
 * @module
 */

import type { CompileReport } from "./compile_bench.ts";
import { NATIVE } from "./kernel_engines.ts";
import type { KernelContrastResult, KernelReport } from "./kernel_bench.ts";
import { fixed } from "./table.ts";

const LIFTOFF = "v8-liftoff";
const WIDTH = 820;
const LABEL = 230; // left column for kernel and module names
const PLOT = WIDTH - LABEL - 70; // room on the right for the value of the longest bar
const BAR = 9, GAP = 2, GROUP_GAP = 7;
const COLORS: Record<string, string> = {
  [LIFTOFF]: "#8fa8c8",
  "v8-turbofan": "#2f5d8a",
  gate: "#d9622b",
};
const FALLBACK = ["#6a994e", "#8e44ad", "#7f8c8d"];

/** One bar: an engine's value, or why there is none ("FAILED", "skipped"). */
export interface Bar {
  engine: string;
  value?: number;
  note?: string;
}

/** A section of the chart: a title, reference lines and groups of bars. */
export interface ChartSection {
  title: string;
  /** Vertical lines at these values, with labels. */
  marks: { at: number; label: string }[];
  groups: { label: string; bars: Bar[] }[];
}

/** Escapes text for SVG character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Longest group label that fits the left column at 11 px (long module paths keep their end). */
const MAX_LABEL = 36;

/** Shortens a label to MAX_LABEL characters, keeping its end (the file name). */
export function shortLabel(label: string): string {
  return label.length <= MAX_LABEL ? label : `…${label.slice(label.length - MAX_LABEL + 1)}`;
}

function color(engine: string, engines: readonly string[]): string {
  return COLORS[engine] ?? FALLBACK[engines.indexOf(engine) % FALLBACK.length]!;
}

function kernelSection(report: KernelReport): ChartSection {
  const variants = new Set((report.contrasts ?? []).map((c) => c.variant));
  const engines = report.engines.filter((e) => e !== NATIVE && !variants.has(e));
  const groups = report.kernels.map((k) => ({
    label: k,
    bars: engines.map((engine): Bar => {
      const row = report.rows.find((r) => r.kernel === k && r.engine === engine);
      return row ? { engine, value: row.vsNative.median } : { engine, note: "FAILED" };
    }),
  }));
  groups.push({
    label: "geomean",
    bars: engines.map((engine): Bar => {
      const g = report.geomean[engine];
      if (!g) return { engine, note: "no kernel ran" };
      const partial = g.kernels < report.kernels.length
        ? ` (${g.kernels}/${report.kernels.length} kernels)`
        : "";
      return partial ? { engine, value: g.vsNative, note: partial } : { engine, value: g.vsNative };
    }),
  });
  return {
    title: "Kernel run time relative to native clang -O2 (shorter is better)",
    marks: [{ at: 1, label: "native" }],
    groups,
  };
}

function contrastSection(report: KernelReport, c: KernelContrastResult): ChartSection {
  const engine = c.base;
  const groups = report.kernels.map((k) => {
    const r = c.rows.find((r) => r.kernel === k);
    return { label: k, bars: [r ? { engine, value: r.ratio.median } : { engine, note: "FAILED" }] };
  });
  groups.push({
    label: "geomean",
    bars: [c.geomean === undefined ? { engine, note: "-" } : { engine, value: c.geomean }],
  });
  const target = c.target === undefined ? "" : `; target ${c.target}x`;
  return {
    title: `${c.title}: ${c.base} over ${c.variant} run time (shorter is better${target})`,
    marks: c.target === undefined ? [] : [{ at: c.target, label: "target" }],
    groups,
  };
}

function compileSection(report: CompileReport): ChartSection {
  const engines = report.engines.filter((e) => e !== LIFTOFF);
  const modules = [...new Set(report.rows.map((r) => r.module))];
  const groups = modules.map((m) => ({
    label: m,
    bars: engines.map((engine): Bar => {
      const row = report.rows.find((r) => r.module === m && r.engine === engine);
      if (row?.vsLiftoff) return { engine, value: 1 / row.vsLiftoff.median };
      const failed = report.failures.some((f) => f.module === m && f.engine === engine);
      return { engine, note: failed ? "FAILED" : "skipped" };
    }),
  }));
  groups.push({
    label: "geomean",
    bars: engines.map((engine): Bar => {
      const g = report.geomeanVsLiftoff[engine];
      return g === undefined ? { engine, note: "-" } : { engine, value: 1 / g };
    }),
  });
  return {
    title: "Compile throughput relative to V8 Liftoff (longer is better; target 2x)",
    marks: [{ at: 1, label: "Liftoff" }, { at: 2, label: "target" }],
    groups,
  };
}

/**
 * Renders the sections present in a run (either report may be missing) as
 * one SVG document; `sections` are drawn after them (io, density, limits).
 */
export function renderChart(
  kernels: KernelReport | undefined,
  compile: CompileReport | undefined,
  options: { caption?: string; sections?: readonly ChartSection[] } = {},
): string {
  const sections = [
    ...(kernels ? [kernelSection(kernels)] : []),
    ...(kernels?.contrasts ?? []).map((c) => contrastSection(kernels!, c)),
    ...(compile ? [compileSection(compile)] : []),
    ...(options.sections ?? []),
  ];
  const engines = [
    ...new Set(sections.flatMap((s) => s.groups.flatMap((g) => g.bars.map((b) => b.engine)))),
  ];
  const out: string[] = [];
  let y = 20;
  if (options.caption) {
    out.push(text(10, y, options.caption, { size: 12, fill: "#555" }));
    y += 18;
  }
  // Legend
  let x = 10;
  for (const e of engines) {
    out.push(`<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${color(e, engines)}"/>`);
    out.push(text(x + 16, y, e));
    x += 24 + e.length * 7;
  }
  y += 14;
  for (const s of sections) {
    y += 18;
    out.push(text(10, y, s.title, { size: 14, weight: "bold" }));
    y += 10;
    const max = Math.max(
      ...s.marks.map((m) => m.at * 1.15),
      ...s.groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)),
    );
    const scale = (v: number) => LABEL + (v / max) * PLOT;
    const top = y;
    for (const g of s.groups) {
      const height = g.bars.length * (BAR + GAP) - GAP;
      out.push(text(LABEL - 8, y + height / 2 + 4, shortLabel(g.label), { anchor: "end" }));
      for (const b of g.bars) {
        if (b.value !== undefined) {
          const w = Math.max(1, scale(b.value) - LABEL);
          out.push(
            `<rect x="${LABEL}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" ` +
              `fill="${color(b.engine, engines)}"><title>${escapeXml(b.engine)}: ${
                fixed(b.value)
              }x</title></rect>`,
          );
          out.push(text(LABEL + w + 4, y + BAR - 1, `${fixed(b.value)}x${b.note ?? ""}`, {
            size: 10,
          }));
        } else {
          const failed = b.note === "FAILED";
          out.push(text(LABEL + 4, y + BAR - 1, `${b.engine}: ${b.note ?? ""}`, {
            size: 10,
            fill: failed ? "#c0392b" : "#777",
            weight: failed ? "bold" : "normal",
          }));
        }
        y += BAR + GAP;
      }
      y += GROUP_GAP;
    }
    for (const m of s.marks) {
      const mx = scale(m.at).toFixed(1);
      out.push(
        `<line x1="${mx}" y1="${top - 4}" x2="${mx}" y2="${y - GROUP_GAP + 2}" ` +
          `stroke="#333" stroke-dasharray="3,3"/>`,
      );
      out.push(text(Number(mx), y + 8, `${m.label} (${m.at}x)`, { size: 10, anchor: "middle" }));
    }
    y += 14;
  }
  y += 6;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" ` +
    `viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...out,
    "</svg>",
    "",
  ].join("\n");
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size?: number; anchor?: string; fill?: string; weight?: string } = {},
): string {
  const attrs = [
    `x="${x.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    `font-size="${style.size ?? 11}"`,
    ...(style.anchor ? [`text-anchor="${style.anchor}"`] : []),
    ...(style.fill ? [`fill="${style.fill}"`] : []),
    ...(style.weight ? [`font-weight="${style.weight}"`] : []),
  ];
  return `<text ${attrs.join(" ")}>${escapeXml(content)}</text>`;
}
