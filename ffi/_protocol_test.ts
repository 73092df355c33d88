import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  decodeError,
  decodeExit,
  decodeExport,
  decodeFrames,
  decodeHello,
  decodeIndex,
  decodeTrap,
  decodeValue,
  decodeValues,
  encodeExport,
  encodeFrame,
  encodeInstantiate,
  encodeInvoke,
  ExternKind,
  FRAME_HEADER,
  FRAME_MAX,
  Msg,
  ProtocolError,
  type RawValue,
  Writer,
} from "./_protocol.ts";

function le32(...words: number[]): Uint8Array {
  const w = new Writer();
  for (const word of words) w.u32(word);
  return w.finish();
}

Deno.test("encodeFrame() writes the 16-byte little-endian header before the payload", () => {
  const frame = encodeFrame(Msg.INVOKE, 0x01020304, 7, new Uint8Array([9, 8]), 1);
  assertEquals(Array.from(frame), [18, 0, 0, 0, 0x05, 0x01, 1, 0, 4, 3, 2, 1, 7, 0, 0, 0, 9, 8]);
  assertThrows(() => encodeFrame(Msg.INVOKE, 1, 1, new Uint8Array(FRAME_MAX)), RangeError);
});

Deno.test("decodeFrames() splits a batch and copies each payload", () => {
  const a = encodeFrame(Msg.OK, 1, 2, new Uint8Array([1, 2, 3]));
  const b = encodeFrame(Msg.EXIT, 3, 0, le32(2, 9));
  const batch = new Uint8Array([...a, ...b]);
  const frames = decodeFrames(batch);
  assertEquals(frames.map((f) => [f.type, f.instance, f.seq, f.payload.length]), [
    [Msg.OK, 1, 2, 3],
    [Msg.EXIT, 3, 0, 8],
  ]);
  batch.fill(0);
  assertEquals(Array.from(frames[0]!.payload), [1, 2, 3]);
  assertEquals(decodeFrames(new Uint8Array(0)), []);
});

Deno.test("decodeFrames() rejects sizes out of bounds", async (t) => {
  const good = encodeFrame(Msg.OK, 1, 1, new Uint8Array(4));
  const cases: [string, Uint8Array][] = [
    ["truncated header", good.subarray(0, 10)],
    [
      "size below the header",
      (() => {
        const f = good.slice();
        new DataView(f.buffer).setUint32(0, FRAME_HEADER - 1, true);
        return f;
      })(),
    ],
    [
      "size past the batch",
      (() => {
        const f = good.slice();
        new DataView(f.buffer).setUint32(0, good.length + 1, true);
        return f;
      })(),
    ],
    [
      "size over the maximum",
      (() => {
        const f = new Uint8Array(FRAME_MAX + 8);
        new DataView(f.buffer).setUint32(0, FRAME_MAX + 8, true);
        return f;
      })(),
    ],
  ];
  for (const [name, batch] of cases) {
    await t.step(name, () => {
      assertThrows(() => decodeFrames(batch), ProtocolError);
    });
  }
});

Deno.test("encodeInvoke() and decodeValues() round-trip every value type exactly", () => {
  const values: RawValue[] = [
    { type: "i32", bits: 0xffff_ffffn },
    { type: "i64", bits: 0x8000_0000_0000_0001n },
    { type: "f32", bits: 0x7fa0_0001n },
    { type: "f64", bits: 0xfff8_0000_0000_0001n },
    { type: "v128", bits: (1n << 127n) | 5n },
    { type: "funcref", bits: 0n },
    { type: "externref", bits: 43n },
  ];
  const payload = encodeInvoke(12, values);
  // The reply format is the request's minus the function index.
  assertEquals(decodeValues(payload.subarray(4)), values);
  assertEquals(new DataView(payload.buffer).getUint32(0, true), 12);
  assertThrows(() => encodeInvoke(0, [{ type: "i32", bits: 1n << 32n }]), RangeError);
  assertThrows(() => encodeInvoke(0, [{ type: "i64", bits: -1n }]), RangeError);
});

Deno.test("decodeValues() rejects truncated, oversized and unknown values", async (t) => {
  const cases: [string, Uint8Array][] = [
    ["count past the payload", le32(1000)],
    ["truncated value", new Uint8Array([1, 0, 0, 0, 0x7f, 1, 2])],
    ["unknown type", new Uint8Array([1, 0, 0, 0, 0x40, 1, 2, 3, 4])],
    ["trailing bytes", new Uint8Array([0, 0, 0, 0, 1])],
  ];
  for (const [name, payload] of cases) {
    await t.step(name, () => {
      assertThrows(() => decodeValues(payload), ProtocolError);
    });
  }
  assertThrows(() => decodeValue(new Uint8Array([0x7c, 1, 2, 3])), ProtocolError);
});

Deno.test("decodeExport() reads kind, address and a function's type", () => {
  const func = new Writer().u8(ExternKind.FUNC).u8(0).u8(0).u8(0).u32(5).u32(2).u32(1)
    .bytes(new Uint8Array([0x7f, 0x7e, 0x7d])).finish();
  assertEquals(decodeExport(func), {
    kind: ExternKind.FUNC,
    addr: 5,
    params: ["i32", "i64"],
    results: ["f32"],
  });
  const memory = new Writer().u8(ExternKind.MEMORY).u8(0).u8(0).u8(0).u32(1).finish();
  assertEquals(decodeExport(memory), { kind: ExternKind.MEMORY, addr: 1 });
  assertThrows(
    () => decodeExport(new Writer().u8(9).u8(0).u8(0).u8(0).u32(1).finish()),
    ProtocolError,
  );
  const lying = new Writer().u8(0).u8(0).u8(0).u8(0).u32(5).u32(200).u32(0).finish();
  assertThrows(() => decodeExport(lying), ProtocolError);
});

Deno.test("decodeTrap() reads the kind and frames and bounds the frame count", () => {
  assertEquals(decodeTrap(le32(7, 2, 1, 40, 0, 0, 30, 0, 0)), {
    kind: 7,
    frames: [{ func: 1, offset: 40, module: 0 }, { func: 0, offset: 30, module: 0 }],
    code: 0,
  });
  assertEquals(decodeTrap(le32(12, 0, 3)).code, 3);
  assertThrows(() => decodeTrap(le32(7, 0xffff_ffff)), ProtocolError);
  assertThrows(() => decodeTrap(le32(7, 1, 1, 2)), ProtocolError);
});

Deno.test("decodeError(), decodeExit(), decodeHello() and decodeIndex() read their replies", () => {
  const error = new Writer().u32(11).bytes(new TextEncoder().encode("Bad \u00e9")).finish();
  assertEquals(decodeError(error), { status: 11, message: "Bad \u00e9" });
  assertEquals(decodeError(new Uint8Array([8, 0, 0, 0, 0xff])).message, "\ufffd");
  assertEquals(decodeExit(le32(2, 9)), { how: 2, value: 9 });
  assertThrows(() => decodeExit(le32(3, 9)), ProtocolError);
  assertEquals(decodeHello(le32(1, 2, 1234)), { version: 1, abi: 2, pid: 1234 });
  assertEquals(decodeIndex(le32(42)), 42);
  assertThrows(() => decodeIndex(le32(1, 2)), ProtocolError);
  assertThrows(() => decodeError(new Uint8Array(2)), ProtocolError);
});

Deno.test("encodeInstantiate() and encodeExport() lay out their payloads", () => {
  assertEquals(
    Array.from(encodeInstantiate(3, [{ kind: ExternKind.GLOBAL, addr: 0x0102 }])),
    [3, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 2, 1, 0, 0],
  );
  assertEquals(Array.from(encodeExport(1, "f\u00e9")), [1, 0, 0, 0, 0x66, 0xc3, 0xa9]);
});
