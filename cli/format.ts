/**
 * Human-readable rendering of module descriptions for the CLI.
 *
 * @module
 */

import type { ExternType, FunctionType, ModuleInfo } from "../ffi/module.ts";

/** Renders a function signature as `(i32, i64) -> (f32)`. */
export function formatFunctionType(t: FunctionType): string {
  return `(${t.params.join(", ")}) -> (${t.results.join(", ")})`;
}

/** Renders an import or export's type in one line. */
export function formatExternType(e: ExternType): string {
  switch (e.kind) {
    case "function":
      return `function ${formatFunctionType(e.type)}`;
    case "memory":
      return `memory ${formatLimits(e.type)} pages`;
    case "table":
      return `table ${e.type.element} ${formatLimits(e.type)}`;
    case "global":
      return `global ${e.type.mutable ? "mut " : ""}${e.type.value}`;
  }
}

function formatLimits(l: { minimum: number; maximum?: number }): string {
  return l.maximum === undefined ? `${l.minimum}..` : `${l.minimum}..${l.maximum}`;
}

/** Renders a whole module description, one item per line. */
export function formatModuleInfo(path: string, sha256: string, info: ModuleInfo): string {
  const names = new Map(info.functionNames);
  const lines = [
    `${path}: valid WebAssembly module, ${info.functions} functions`,
    `  sha256 ${sha256}`,
  ];
  for (const i of info.imports) {
    lines.push(`  import ${i.module}.${i.name}: ${formatExternType(i)}`);
  }
  for (const e of info.exports) {
    const name = e.kind === "function" && names.has(e.index) ? ` (${names.get(e.index)})` : "";
    lines.push(`  export ${e.name}: ${formatExternType(e)} #${e.index}${name}`);
  }
  for (const m of info.memories) lines.push(`  memory ${formatLimits(m)} pages`);
  if (info.start !== null) lines.push(`  start function #${info.start}`);
  if (info.customSections.length) {
    lines.push(`  custom sections: ${info.customSections.join(", ")}`);
  }
  return lines.join("\n");
}
