/**
 * The snapshot section's program (snapshot_bench.ts, run by
 * gate_snapshot_child.ts), encoded by hand: no imports, its memory exported
 * as "memory". Pure.
 *
 * @module
 */

import { ByteWriter, WASM_HEADER } from "./wasm_encode.ts";

/** Bytes of one wasm page. */
export const PAGE = 65536;

const I32 = 0x7f;

/**
 * The section's program:
 *
 * - `touch(pages, every)`: grows memory to `pages` and fills every
 *   `every`-th 64 KiB page with a non-zero byte (page index | 1); `every` 0
 *   touches nothing.
 * - `spin()`: loops forever (a suspend check at its loop head).
 * - `fill_forever(bytes)`: memory.fill of `bytes` at 0, again and again.
 * - `noop()`: returns at once; suspended at its entry, a restored program's
 *   first instruction is its last.
 */
export function snapshotModule(): Uint8Array {
  const w = new ByteWriter().bytes(WASM_HEADER);
  // Types: 0 () -> (), 1 (i32 i32) -> (), 2 (i32) -> ().
  w.section(
    1,
    new ByteWriter().uleb(3).byte(0x60, 0, 0).byte(0x60, 2, I32, I32, 0).byte(0x60, 1, I32, 0),
  );
  w.section(3, new ByteWriter().uleb(4).uleb(1).uleb(0).uleb(2).uleb(0));
  w.section(5, new ByteWriter().uleb(1).byte(0x00).uleb(1)); // (memory 1), no maximum
  const exports = new ByteWriter().uleb(5).name("memory").byte(0x02).uleb(0);
  for (const [i, name] of ["touch", "spin", "fill_forever", "noop"].entries()) {
    exports.name(name).byte(0x00).uleb(i);
  }
  w.section(7, exports);
  const touch = new ByteWriter().uleb(1).uleb(1).byte(I32) // local $i
    // memory.grow(pages - memory.size); a failed grow makes the fill trap.
    .byte(0x20, 0, 0x3f, 0, 0x6b, 0x40, 0, 0x1a)
    // if every == 0: return
    .byte(0x20, 1, 0x45, 0x04, 0x40, 0x0f, 0x0b)
    .byte(0x03, 0x40) // loop
    .byte(0x20, 2, 0x20, 0, 0x49, 0x04, 0x40) // if i < pages
    .byte(0x20, 2, 0x41, 16, 0x74) // dest = i << 16
    .byte(0x20, 2, 0x41, 1, 0x72) // value = i | 1
    .byte(0x41).sleb(PAGE) // length
    .byte(0xfc, 0x0b, 0x00) // memory.fill
    .byte(0x20, 2, 0x20, 1, 0x6a, 0x21, 2) // i += every
    .byte(0x0c, 1) // br loop
    .byte(0x0b, 0x0b, 0x0b); // end if, end loop, end
  const spin = new ByteWriter().uleb(0).byte(0x03, 0x40, 0x0c, 0, 0x0b, 0x0b);
  const fill = new ByteWriter().uleb(0)
    .byte(0x03, 0x40, 0x41, 0, 0x41).sleb(0x5a).byte(0x20, 0, 0xfc, 0x0b, 0x00, 0x0c, 0, 0x0b)
    .byte(0x0b);
  const noop = new ByteWriter().uleb(0).byte(0x0b);
  const code = new ByteWriter().uleb(4);
  for (const body of [touch, spin, fill, noop]) code.uleb(body.length).bytes(body.toBytes());
  w.section(10, code);
  return w.toBytes().slice();
}
