/**
 * Layouts of the C structs that cross the FFI seam. Each mirrors a struct in
 * native/libgate.h whose size is asserted there (_Static_assert) and checked
 * against these layouts by tests/ffi_seam_test.ts.
 *
 * @module
 */

/** A struct field: name, byte offset, and integer width. */
export interface Field {
  name: string;
  offset: number;
  type: "u32" | "u64";
}

/** A struct layout: its fields, its total size, and its id for gate_struct_size(). */
export interface Layout {
  id: number;
  size: number;
  fields: readonly Field[];
}

/** Mirror of `gate_limits` (native/libgate.h, asserted in native/lib/abi.c). */
export const LIMITS_LAYOUT: Layout = layout(1, [
  ["moduleSize", "u64"],
  ["types", "u32"],
  ["functions", "u32"],
  ["imports", "u32"],
  ["exports", "u32"],
  ["globals", "u32"],
  ["tables", "u32"],
  ["memories", "u32"],
  ["elemSegments", "u32"],
  ["dataSegments", "u32"],
  ["params", "u32"],
  ["results", "u32"],
  ["locals", "u32"],
  ["bodySize", "u32"],
  ["nesting", "u32"],
  ["brTable", "u32"],
  ["operandStack", "u32"],
  ["tableSize", "u32"],
  ["elemItems", "u32"],
  ["names", "u32"],
]);

/** Computes C natural-alignment offsets for a list of integer fields. */
function layout(id: number, fields: [string, "u32" | "u64"][]): Layout {
  let offset = 0;
  let align = 1;
  const out: Field[] = [];
  for (const [name, type] of fields) {
    const size = type === "u64" ? 8 : 4;
    offset = Math.ceil(offset / size) * size;
    out.push({ name, offset, type });
    offset += size;
    align = Math.max(align, size);
  }
  return { id, size: Math.ceil(offset / align) * align, fields: out };
}

/** Reads the fields of a struct from buf into a plain object. */
export function readStruct(layout: Layout, buf: Uint8Array): Record<string, number> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Record<string, number> = {};
  for (const f of layout.fields) {
    out[f.name] = f.type === "u64"
      ? Number(view.getBigUint64(f.offset, true))
      : view.getUint32(f.offset, true);
  }
  return out;
}

/** Writes the given fields of a plain object into buf; others keep their value. */
export function writeStruct(
  layout: Layout,
  buf: Uint8Array,
  values: Readonly<Record<string, number | undefined>>,
): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) continue;
    const max = f.type === "u64" ? Number.MAX_SAFE_INTEGER : 0xffff_ffff;
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new RangeError(`Cannot set limit "${f.name}": ${v} is not an integer in [0, ${max}]`);
    }
    if (f.type === "u64") view.setBigUint64(f.offset, BigInt(v), true);
    else view.setUint32(f.offset, v, true);
  }
}
