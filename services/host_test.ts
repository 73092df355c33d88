import { assert, assertEquals } from "../tests/_assert.ts";
import { PacketHost } from "./host.ts";
import { defaultServices } from "./mod.ts";
import { CODE_SERVICES, decodeDiscoveryReply, Domain, encodePacket } from "./packet.ts";
import type { Service } from "./service.ts";
import { bytes, Program, text, wire } from "./_test_util.ts";

function counter(name: string): Service {
  return {
    name,
    revision: "0",
    createSession(context, restored) {
      let n = restored?.[0] ?? 0;
      return {
        call: (payload) => {
          n++;
          context.send("info", bytes(n));
          return payload.length === 0 ? new Uint8Array(0) : bytes(n);
        },
        state: () => bytes(n),
      };
    },
  };
}

Deno.test("PacketHost discovery lists all discovered services, unknown names unavailable", async () => {
  const p = new Program({ services: defaultServices() });
  assertEquals(await p.discover(["catalog", "nope"]), [1, 0]);
  assertEquals(await p.discover(["random"]), [1, 0, 1]);
  assertEquals(await p.discover([]), [1, 0, 1]);
  assertEquals(p.violations, []);
  await p.close();
});

Deno.test("PacketHost discovery reply is byte-exact and padded", async () => {
  const host = new PacketHost({ services: defaultServices(), onViolation: () => {} });
  await host.write(wire(encodePacket(-1, Domain.CALL, bytes(1, 0, 5, ...text("scope")))));
  assertEquals(Array.from(await host.read(100)), [
    11,
    0,
    0,
    0,
    0xff,
    0xff,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
  ]);
  await host.close();
});

Deno.test("PacketHost caps discovery at 256 services across requests", async () => {
  const p = new Program({ services: defaultServices() });
  const names = Array.from({ length: 200 }, (_, i) => `x${i}`);
  assertEquals((await p.discover(names)).length, 200);
  const states = await p.discover(["catalog", ...names]);
  assertEquals(states.length, 256); // fewer than 200 + 201: the cap was reached
  assertEquals(states[200], 1);
  assertEquals((await p.discover(["random"])).length, 256);
  assertEquals(p.violations, []);
  await p.close();
});

Deno.test("PacketHost reports violations", async (t) => {
  const cases: [string, (p: Program) => Promise<void>][] = [
    ["unavailable service", async (p) => {
      await p.discover(["nope"]);
      await p.send(0, Domain.CALL);
    }],
    ["code beyond discovered", async (p) => {
      await p.discover(["catalog"]);
      await p.send(1, Domain.CALL);
    }],
    ["code before discovery", (p) => p.send(0, Domain.CALL)],
    ["malformed discovery", (p) => p.send(CODE_SERVICES, Domain.CALL, bytes(1, 0, 0))],
    ["discovery as INFO", (p) => p.send(CODE_SERVICES, Domain.INFO, bytes(0, 0))],
    ["domain 4", async (p) => {
      await p.discover(["catalog"]);
      await p.host.write(wire(new Uint8Array([8, 0, 0, 0, 0, 0, 4, 0])));
    }],
    ["size 4", (p) => p.host.write(new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0]))],
    ["flow to a service without streams", async (p) => {
      await p.discover(["catalog"]);
      await p.send(0, Domain.FLOW, new Uint8Array(8));
    }],
    ["data to a service without streams", async (p) => {
      await p.discover(["random"]);
      await p.send(0, Domain.DATA, new Uint8Array(8));
    }],
  ];
  for (const [name, run] of cases) {
    await t.step(name, async () => {
      const p = new Program({ services: defaultServices() });
      await run(p);
      assertEquals(p.violations.length, 1, p.violations.join());
      assert(p.host.violated);
      await p.send(CODE_SERVICES, Domain.CALL, bytes(0, 0)); // ignored after a violation
      assertEquals(p.violations.length, 1);
      await p.close();
    });
  }
});

Deno.test("PacketHost ignores reserved negative codes", async () => {
  const p = new Program({ services: defaultServices() });
  await p.send(-2, Domain.CALL);
  assertEquals(p.violations, []);
  assertEquals(p.host.buffered, 0);
  await p.close();
});

Deno.test("PacketHost handles packets split across writes", async () => {
  const p = new Program({ services: defaultServices() });
  const request = wire(encodePacket(-1, Domain.CALL, bytes(1, 0, 7, ...text("catalog"))));
  for (const b of request) await p.host.write(bytes(b));
  const reply = await p.next();
  assertEquals(decodeDiscoveryReply(reply.payload), [1]);
  await p.close();
});

Deno.test("PacketHost sends CALL replies in call order", async () => {
  let release: (() => void) | null = null;
  const slow: Service = {
    name: "example.org/slow",
    revision: "0",
    createSession: () => ({
      call: (payload) =>
        payload[0] === 1
          ? new Promise<Uint8Array>((resolve) => (release = () => resolve(bytes(1))))
          : bytes(payload[0]!),
    }),
  };
  const p = new Program({ services: [slow] });
  await p.discover(["example.org/slow"]);
  await p.send(0, Domain.CALL, bytes(1));
  await p.send(0, Domain.CALL, bytes(2));
  assertEquals(await p.drain(), []);
  release!();
  const got = await p.drain();
  assertEquals(got.map((x) => Array.from(x.payload)), [[1], [2]]);
  await p.close();
});

Deno.test("PacketHost answers a call with an empty reply when the session has no call handler", async () => {
  const p = new Program({
    services: [{ name: "example.org/mute", revision: "0", createSession: () => ({}) }],
  });
  await p.discover(["example.org/mute"]);
  await p.send(0, Domain.CALL, bytes(1, 2, 3));
  const reply = await p.next();
  assertEquals([reply.code, reply.domain, reply.payload.length], [0, Domain.CALL, 0]);
  await p.close();
});

Deno.test("PacketHost holds INFO packets until the program has sent to the service", async () => {
  let send: ((payload: Uint8Array) => void) | null = null;
  const svc: Service = {
    name: "example.org/notify",
    revision: "0",
    createSession: (context) => {
      send = (payload) => context.send("info", payload);
      return {};
    },
  };
  const p = new Program({ services: [svc] });
  await p.discover(["example.org/notify"]);
  send!(bytes(1));
  assertEquals(await p.drain(), []);
  await p.send(0, Domain.INFO);
  const got = await p.drain();
  assertEquals(got.map((x) => [x.code, x.domain, Array.from(x.payload)]), [[0, Domain.INFO, [1]]]);
  await p.close();
});

Deno.test("PacketHost serves a custom service added through the public interface", async () => {
  const p = new Program({ services: [...defaultServices(), counter("example.org/counter")] });
  assertEquals(await p.discover(["example.org/counter"]), [1]);
  await p.send(0, Domain.CALL, bytes(0));
  const got = await p.drain();
  // The info packet sent during the call, then the reply.
  assertEquals(got.map((x) => [x.domain, Array.from(x.payload)]), [[Domain.INFO, [1]], [
    Domain.CALL,
    [1],
  ]]);
  await p.close();
});

Deno.test("PacketHost.read() splits packets at max and waits for data", async () => {
  const host = new PacketHost({ services: defaultServices(), onViolation: () => {} });
  const pending = host.read(3);
  await host.write(wire(encodePacket(-1, Domain.CALL, bytes(0, 0))));
  assertEquals(Array.from(await pending), [10, 0, 0]);
  assertEquals((await host.read(100)).length, 13);
  const late = host.read(10);
  await host.close();
  assertEquals((await late).length, 0);
});

Deno.test("PacketHost.unread() puts bytes back in front; cancelReads() ends reads, not the stream", async () => {
  const host = new PacketHost({ services: defaultServices(), onViolation: () => {} });
  const pending = host.read(100);
  host.cancelReads();
  assertEquals((await pending).length, 0);
  await host.write(wire(encodePacket(-1, Domain.CALL, bytes(0, 0))));
  const first = await host.read(5);
  const second = await host.read(3);
  host.unread(second); // a reader could not deliver them
  host.unread(first);
  const all = await host.read(100);
  assertEquals(all.length, 16);
  assertEquals(Array.from(all.subarray(0, 8)), [...first, ...second]);
  await host.close();
});

Deno.test("PacketHost.suspend() saves services, sessions and unread output", async () => {
  const p = new Program({ services: [counter("example.org/counter")] });
  await p.discover(["nope", "example.org/counter"]);
  await p.send(1, Domain.CALL, bytes(0));
  const partial = await p.host.read(4); // the program got half a reply
  await p.host.write(bytes(8, 0, 0)); // and sent the start of a packet
  const state = await p.host.suspend();

  const q = new Program({ services: [counter("example.org/counter")], state });
  const rest = await q.host.read(65536);
  // The rest of the info packet and the reply, then the discovery INFO.
  const stream = new Uint8Array([...partial, ...rest]);
  assertEquals(Array.from(stream.subarray(0, 16)), [
    9,
    0,
    0,
    0,
    1,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assertEquals(Array.from(stream.subarray(16, 32)), [
    9,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assertEquals(Array.from(stream.subarray(32)), [
    12,
    0,
    0,
    0,
    0xff,
    0xff,
    1,
    0,
    2,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
  ]);
  // The partial input packet continues after resume: code 0 is "nope".
  await q.host.write(bytes(0, 0, 0, 0, 0));
  assertEquals(q.violations, ["Packet code 0 is an unavailable service"]);
  await q.close();
});

Deno.test("PacketHost restores session state and the received flag", async () => {
  const p = new Program({ services: [counter("example.org/counter")] });
  await p.discover(["example.org/counter"]);
  await p.send(0, Domain.CALL, bytes(0));
  await p.drain();
  const state = await p.host.suspend();
  const q = new Program({ services: [counter("example.org/counter")], state });
  assertEquals(decodeDiscoveryReply((await q.next()).payload), [1]);
  await q.send(0, Domain.CALL, bytes(0));
  const got = await q.drain();
  assertEquals(got.map((x) => [x.domain, Array.from(x.payload)]), [[Domain.INFO, [2]], [
    Domain.CALL,
    [2],
  ]]);
  await q.close();
});
