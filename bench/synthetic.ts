/**
 * Synthetic compile stressors, generated so each isolates one shape a
 * compiler must scale on: one huge function, many tiny functions, and deep
 * control-flow nesting. Pure: returns module bytes.
 *
 * @module
 */

import { ByteWriter, WASM_HEADER } from "./wasm_encode.ts";

const I32 = 0x7f;
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Xor: 0x73,
  i32Shl: 0x74,
  emptyBlockType: 0x40,
} as const;

/** A synthetic module and what it stresses. */
export interface SyntheticModule {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** Assembles a module whose functions all have type (i32) -> i32 and the given bodies. */
function moduleOf(bodies: ByteWriter[]): Uint8Array<ArrayBuffer> {
  const types = new ByteWriter().uleb(1).byte(0x60, 1, I32, 1, I32);
  const funcs = new ByteWriter().uleb(bodies.length);
  for (let i = 0; i < bodies.length; i++) funcs.uleb(0);
  const exports = new ByteWriter().uleb(1).name("f0").byte(0x00).uleb(0);
  const code = new ByteWriter().uleb(bodies.length);
  for (const b of bodies) code.uleb(b.length).bytes(b.toBytes());
  return new ByteWriter().bytes(WASM_HEADER).section(1, types).section(3, funcs)
    .section(7, exports).section(10, code).toBytes().slice();
}

/**
 * One function of straight-line integer code, about 12 bytes per group of
 * instructions, over 8 locals (so values stay live across the whole body).
 */
export function hugeFunction(groups: number): SyntheticModule {
  const locals = 8;
  const body = new ByteWriter().uleb(1).uleb(locals).byte(I32);
  for (let g = 0; g < groups; g++) {
    const a = g % (locals + 1), b = (g * 7 + 3) % (locals + 1), dst = 1 + (g * 5) % locals;
    body.byte(OP.localGet).uleb(a).byte(OP.localGet).uleb(b);
    body.byte(g & 1 ? OP.i32Add : OP.i32Xor);
    body.byte(OP.i32Const).sleb((g * 2654435761) | 0).byte(OP.i32Mul);
    body.byte(OP.localSet).uleb(dst);
  }
  body.byte(OP.localGet).uleb(1).byte(OP.end);
  return { name: `huge-function(${groups} groups)`, bytes: moduleOf([body]) };
}

/** count functions of three instructions each: x -> x * k + k. */
export function tinyFunctions(count: number): SyntheticModule {
  const bodies: ByteWriter[] = [];
  for (let i = 0; i < count; i++) {
    bodies.push(
      new ByteWriter().uleb(0).byte(OP.localGet).uleb(0).byte(OP.i32Const).sleb(i)
        .byte(OP.i32Mul).byte(OP.i32Const).sleb(i).byte(OP.i32Add).byte(OP.end),
    );
  }
  return { name: `tiny-functions(${count})`, bytes: moduleOf(bodies) };
}

/**
 * One function nesting depth control constructs (block, loop and if in
 * turn), each with a little arithmetic on the way in and a branch out.
 */
export function deepNesting(depth: number): SyntheticModule {
  const body = new ByteWriter().uleb(0);
  for (let d = 0; d < depth; d++) {
    body.byte(OP.localGet).uleb(0).byte(OP.i32Const).sleb(d).byte(OP.i32Add)
      .byte(OP.localSet).uleb(0);
    switch (d % 3) {
      case 0:
        body.byte(OP.block, OP.emptyBlockType);
        break;
      case 1:
        body.byte(OP.loop, OP.emptyBlockType);
        break;
      default:
        body.byte(OP.localGet).uleb(0).byte(OP.if, OP.emptyBlockType);
    }
  }
  for (let d = depth - 1; d >= 0; d--) {
    // Branch out when the running value is non-zero, always forward to the
    // end of a block (never back to a loop head), so the function terminates:
    // a block to itself, a loop to the block around it, an if two levels up.
    body.byte(OP.localGet).uleb(0).byte(OP.i32Const).sleb(1).byte(OP.i32Shl)
      .byte(OP.localGet).uleb(0).byte(OP.i32Xor).byte(OP.localSet).uleb(0);
    const label = d % 3 === 0 ? 0 : d % 3 === 1 ? 1 : 2;
    body.byte(OP.localGet).uleb(0).byte(OP.brIf).uleb(label).byte(OP.end);
  }
  body.byte(OP.localGet).uleb(0).byte(OP.end);
  return { name: `deep-nesting(${depth})`, bytes: moduleOf([body]) };
}

/** The stressors at sizes that compile in about a second with TurboFan on this machine. */
export function syntheticModules(): SyntheticModule[] {
  return [hugeFunction(100_000), tinyFunctions(10_000), deepNesting(5_000)];
}
