import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { decodeBuffers, decodeOpened, emptyBuffers, encodeBuffers } from "./_snapshot_wire.ts";
import { ProtocolError, Writer } from "./_protocol.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("encodeBuffers() lays out gate.buffer: varuint sizes, named states, then the bytes", () => {
  const payload = encodeBuffers({
    input: new Uint8Array(200).fill(1), // 200 takes two LEB128 bytes: c8 01
    output: bytes(2, 3),
    services: [{ name: "ab", state: bytes(9) }, { name: "é", state: bytes() }],
  });
  const head = [0xc8, 0x01, 2, 2, 2, 0x61, 0x62, 1, 2, 0xc3, 0xa9, 0];
  assertEquals([...payload.subarray(0, head.length)], head);
  assertEquals(payload.length, head.length + 200 + 2 + 1);
  assertEquals([...payload.subarray(head.length + 200)], [2, 3, 9]);
});

Deno.test("encodeBuffers() writes nothing when all buffers are empty", () => {
  assertEquals(encodeBuffers(emptyBuffers()).length, 0);
});

Deno.test("decodeBuffers() reads what encodeBuffers() wrote", () => {
  const buffers = {
    input: new Uint8Array(70_000).map((_, i) => i & 0xff),
    output: bytes(),
    services: [{ name: "gate.packets", state: bytes(1, 2, 3) }],
  };
  assertEquals(decodeBuffers(encodeBuffers(buffers)), buffers);
  assertEquals(decodeBuffers(bytes()), emptyBuffers());
});

Deno.test("encodeBuffers() refuses bad service lists", async (t) => {
  const one = (name: string) => ({ name, state: bytes() });
  const cases: [string, { name: string; state: Uint8Array }[], string][] = [
    ["an empty name", [one("")], "1..127 bytes"],
    ["a name of 128 bytes", [one("x".repeat(128))], "1..127 bytes"],
    ["a name twice", [one("a"), one("a")], "twice"],
    ["257 services", Array.from({ length: 257 }, (_, i) => one(`s${i}`)), "at most 256"],
  ];
  for (const [name, services, message] of cases) {
    await t.step(name, () => {
      assertThrows(
        () => encodeBuffers({ input: bytes(1), output: bytes(), services }),
        RangeError,
        message,
      );
    });
  }
});

Deno.test("decodeBuffers() refuses malformed payloads", async (t) => {
  const cases: [string, Uint8Array][] = [
    ["truncated input", bytes(5, 0, 0, 1, 2)],
    ["trailing bytes", bytes(1, 0, 0, 7, 8)],
    ["a size over 32 bits", bytes(0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0)],
    ["an unterminated size", bytes(0x80, 0x80, 0x80, 0x80, 0x80)],
    ["a name of 0 bytes", bytes(0, 0, 1, 0, 0)],
    ["a name that is not UTF-8", bytes(0, 0, 1, 1, 0xff, 0)],
    ["257 services", bytes(0, 0, 0x81, 0x02)],
  ];
  for (const [name, payload] of cases) {
    await t.step(name, () => void assertThrows(() => decodeBuffers(payload), ProtocolError));
  }
});

function opened(flags: number, buffers: Uint8Array, stack: Uint8Array): Uint8Array {
  return new Writer().u32(flags).u32(15).u32(-3 >>> 0).u64(123_456_789_012n)
    .u32(buffers.length).bytes(buffers).u32(stack.length).bytes(stack).finish();
}

Deno.test("decodeOpened() reads gate_snapshot_open's blob", () => {
  const buffers = encodeBuffers({ input: bytes(7), output: bytes(), services: [] });
  const blob = opened(0, buffers, bytes(1, 2, 3));
  assertEquals(decodeOpened(blob), {
    final: false,
    trap: 15,
    result: -3,
    monotonic: 123_456_789_012n,
    buffers: { input: bytes(7), output: bytes(), services: [] },
    stack: bytes(1, 2, 3),
  });
  assertEquals(decodeOpened(opened(1, bytes(), bytes())).final, true);
  assertEquals(decodeOpened(opened(1, bytes(), bytes())).buffers, emptyBuffers());
});

Deno.test("decodeOpened() refuses truncated and padded blobs and unknown flags", () => {
  const blob = opened(0, bytes(), bytes(1, 2, 3));
  assertThrows(() => decodeOpened(blob.subarray(0, blob.length - 1)), ProtocolError, "Truncated");
  assertThrows(() => decodeOpened(new Uint8Array([...blob, 0])), ProtocolError, "trailing");
  assertThrows(() => decodeOpened(opened(2, bytes(), bytes())), ProtocolError, "flags");
});
