import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  align,
  decodeData,
  decodeDiscoveryReply,
  decodeDiscoveryRequest,
  decodeFlow,
  decodePacket,
  Domain,
  encodeData,
  encodeDiscoveryReply,
  encodeDiscoveryRequest,
  encodeFlow,
  encodePacket,
  MAX_PACKET,
  type Packet,
  PacketError,
  PacketReassembler,
} from "./packet.ts";
import { wire } from "./_test_util.ts";

Deno.test("encodePacket() writes the 8-byte little-endian header", () => {
  const p = encodePacket(-1, Domain.FLOW, new Uint8Array([9, 8, 7]), { index: 5 });
  assertEquals(Array.from(p), [11, 0, 0, 0, 0xff, 0xff, 2, 5, 9, 8, 7]);
  assertThrows(() => encodePacket(0, Domain.CALL, new Uint8Array(MAX_PACKET - 7)), RangeError);
  assertEquals(encodePacket(0, Domain.CALL, new Uint8Array(MAX_PACKET - 8)).length, MAX_PACKET);
});

Deno.test("decodePacket() ignores the high domain bits and the padding", () => {
  const p = decodePacket(new Uint8Array([9, 0, 0, 0, 3, 0, 0xf3, 1, 42, 0, 0, 0, 0, 0, 0, 0]));
  assertEquals(p, { code: 3, domain: Domain.DATA, index: 1, payload: new Uint8Array([42]) });
});

Deno.test("decodePacket() rejects bad sizes", async (t) => {
  for (
    const [name, bytes] of [
      ["short buffer", [8, 0, 0, 0]],
      ["size 7", [7, 0, 0, 0, 0, 0, 0, 0]],
      ["size 65537", [1, 0, 1, 0, 0, 0, 0, 0]],
      ["truncated", [9, 0, 0, 0, 0, 0, 0, 0]],
    ] as const
  ) {
    await t.step(name, () => {
      assertThrows(() => decodePacket(new Uint8Array(bytes)), PacketError);
    });
  }
});

Deno.test("encodeFlow() and decodeFlow() use {i32 id, i32 value} entries", () => {
  const payload = encodeFlow([{ id: 1, value: -2 }, { id: 0x7fffffff, value: 0 }]);
  assertEquals(Array.from(payload), [
    1,
    0,
    0,
    0,
    0xfe,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0x7f,
    0,
    0,
    0,
    0,
  ]);
  assertEquals(decodeFlow(payload), [{ id: 1, value: -2 }, { id: 0x7fffffff, value: 0 }]);
  assertThrows(() => decodeFlow(new Uint8Array(12)), PacketError);
});

Deno.test("encodeData() and decodeData() use i32 id, i32 note, bytes", () => {
  const payload = encodeData(3, -1, new Uint8Array([7]));
  assertEquals(Array.from(payload), [3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 7]);
  assertEquals(decodeData(payload), { id: 3, note: -1, data: new Uint8Array([7]) });
  assertThrows(() => decodeData(new Uint8Array(7)), PacketError);
});

Deno.test("encodeDiscoveryRequest() and decodeDiscoveryRequest() round-trip", () => {
  const payload = encodeDiscoveryRequest(["ab", "c"]);
  assertEquals(Array.from(payload), [2, 0, 2, 97, 98, 1, 99]);
  assertEquals(decodeDiscoveryRequest(payload).map((n) => new TextDecoder().decode(n)), [
    "ab",
    "c",
  ]);
  assertThrows(() => encodeDiscoveryRequest([""]), RangeError);
  assertThrows(() => encodeDiscoveryRequest(["x".repeat(128)]), RangeError);
});

Deno.test("decodeDiscoveryRequest() rejects malformed payloads", async (t) => {
  for (
    const [name, bytes] of [
      ["empty", []],
      ["one byte", [1]],
      ["missing name", [1, 0]],
      ["zero length", [1, 0, 0]],
      ["length 128", [1, 0, 128, ...new Array(128).fill(97)]],
      ["truncated name", [1, 0, 3, 97, 98]],
      ["trailing bytes", [1, 0, 1, 97, 0]],
    ] as const
  ) {
    await t.step(name, () => {
      assertThrows(() => decodeDiscoveryRequest(new Uint8Array(bytes)), PacketError);
    });
  }
  assertEquals(decodeDiscoveryRequest(new Uint8Array([0, 0])), []);
});

Deno.test("encodeDiscoveryReply() writes u16 count and the states", () => {
  assertEquals(Array.from(encodeDiscoveryReply([1, 0, 1])), [3, 0, 1, 0, 1]);
  assertEquals(decodeDiscoveryReply(new Uint8Array([2, 0, 1, 0])), [1, 0]);
  assertThrows(() => decodeDiscoveryReply(new Uint8Array([2, 0, 1])), PacketError);
});

Deno.test("align() rounds up to 8", () => {
  assertEquals([0, 1, 8, 9, 16, 65535].map(align), [0, 8, 8, 16, 16, 65536]);
});

// A small deterministic PRNG so that failures reproduce.
function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

Deno.test("PacketReassembler yields the same packets for any chunking", () => {
  const random = prng(7);
  const sent: Packet[] = [];
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    const size = random() < 0.05
      ? Math.floor(random() * (MAX_PACKET - 8))
      : Math.floor(random() * 40);
    const payload = new Uint8Array(size).map((_, j) => (i + j) & 0xff);
    const p: Packet = { code: i % 300, domain: (i % 4) as Domain, index: 0, payload };
    sent.push(p);
    parts.push(wire(encodePacket(p.code, p.domain, payload)));
  }
  const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    stream.set(p, at);
    at += p.length;
  }
  for (let round = 0; round < 30; round++) {
    const r = new PacketReassembler();
    const got: Packet[] = [];
    let offset = 0;
    const maxChunk = [1, 3, 8, 13, 100, 70000][round % 6]!;
    while (offset < stream.length) {
      const n = 1 + Math.floor(random() * maxChunk);
      got.push(...r.push(stream.subarray(offset, offset + n)));
      offset += n;
    }
    assertEquals(got.length, sent.length);
    assertEquals(got, sent);
    assertEquals(r.pending.length, 0);
  }
});

Deno.test("PacketReassembler keeps a partial packet pending and rejects bad sizes", () => {
  const r = new PacketReassembler();
  assertEquals(r.push(new Uint8Array([9, 0, 0, 0, 1, 0, 0, 0, 5])), []);
  assertEquals(r.pending.length, 9);
  assertEquals(r.push(new Uint8Array(7)).length, 1);
  assertThrows(
    () => new PacketReassembler().push(new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0])),
    PacketError,
  );
  assertThrows(
    () => new PacketReassembler().push(new Uint8Array([1, 0, 1, 0, 0, 0, 0, 0])),
    PacketError,
  );
});
