import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  decodePull,
  decodeStreamData,
  encodeAck,
  encodeProgram,
  encodeStreamData,
  ProgramFlag,
  STREAM_CHUNK,
  terminalFlags,
} from "./_program_protocol.ts";
import { ProtocolError } from "./_protocol.ts";

const config = {
  flags: 3,
  preopens: 1,
  resolution: 1000n,
  monotonic: 5n,
  seed: new Uint8Array(32).fill(7),
  args: ["prog", "é"],
  env: ["A=1"],
};

Deno.test("encodeProgram() lays out the host config of docs/protocol.md", () => {
  const p = encodeProgram(9, config);
  const v = new DataView(p.buffer);
  assertEquals([v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)], [9, 3, 1]);
  assertEquals([v.getBigUint64(12, true), v.getBigUint64(20, true)], [1000n, 5n]);
  assertEquals(p.subarray(28, 60), config.seed);
  assertEquals(v.getUint32(60, true), 2); // nargs
  assertEquals([v.getUint32(64, true), p[68]], [4, "p".charCodeAt(0)]);
  assertEquals(v.getUint32(72, true), 2); // "é" is two bytes of UTF-8
  assertEquals([p[76], p[77]], [0xc3, 0xa9]);
  assertEquals([v.getUint32(78, true), v.getUint32(82, true)], [1, 3]); // nenv, "A=1"
  assertEquals(p.length, 60 + 4 + 8 + 6 + 4 + 7);
});

Deno.test("encodeProgram() refuses bad seeds, resolutions, flags and oversized arguments", () => {
  assertThrows(() => encodeProgram(0, { ...config, seed: new Uint8Array(16) }), RangeError);
  assertThrows(() => encodeProgram(0, { ...config, resolution: 0n }), RangeError);
  assertThrows(() => encodeProgram(0, { ...config, resolution: 2_000_000_000n }), RangeError);
  assertThrows(() => encodeProgram(0, { ...config, flags: 0x40 }), RangeError, "0x40");
  assertThrows(() => encodeProgram(0, { ...config, flags: -1 }), RangeError);
  assertThrows(
    () => encodeProgram(0, { ...config, args: ["x".repeat(70_000)] }),
    RangeError,
    "at most",
  );
});

Deno.test("ProgramFlag matches the GATE_PROGRAM_* bits of native/executor/protocol.h", async () => {
  const header = await Deno.readTextFile(
    new URL("../native/executor/protocol.h", import.meta.url),
  );
  const bits = Object.fromEntries(
    [...header.matchAll(/^#define GATE_PROGRAM_(\w+) (0x[0-9a-f]+)/gm)].map((
      m,
    ) => [m[1]!, Number(m[2])]),
  );
  assertEquals(bits, { ...ProgramFlag });
});

Deno.test("terminalFlags() sets one TTY bit per terminal and none by default", () => {
  assertEquals(terminalFlags(), 0);
  assertEquals(terminalFlags({ stdin: false, stdout: false, stderr: false }), 0);
  assertEquals(terminalFlags({ stdin: true }), ProgramFlag.STDIN_TTY);
  assertEquals(
    terminalFlags({ stdout: true, stderr: true }),
    ProgramFlag.STDOUT_TTY | ProgramFlag.STDERR_TTY,
  );
  assertEquals(terminalFlags({ stdin: true, stdout: true, stderr: true }), 0x1c);
  const p = encodeProgram(0, { ...config, flags: terminalFlags({ stdout: true }) });
  assertEquals(new DataView(p.buffer).getUint32(4, true), 0x8);
});

Deno.test("stream frames round-trip and PULL counts are bounded", () => {
  const data = new Uint8Array([1, 2, 3]);
  assertEquals(decodeStreamData(encodeStreamData(1, data)), { stream: 1, data });
  assertThrows(() => encodeStreamData(0, new Uint8Array(STREAM_CHUNK + 1)), RangeError);
  assertEquals(decodePull(new Uint8Array([1, 0, 0, 0, 16, 0, 0, 0])), { stream: 1, max: 16 });
  assertThrows(() => decodePull(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])), ProtocolError);
  assertThrows(() => decodePull(new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])));
  assertThrows(() => decodePull(new Uint8Array([1, 0, 0])), ProtocolError);
  assertEquals(encodeAck(258), new Uint8Array([2, 1, 0, 0]));
});
