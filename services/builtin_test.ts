import { assertEquals } from "../tests/_assert.ts";
import { catalogJSON } from "./catalog.ts";
import { defaultServices } from "./mod.ts";
import { ORIGIN_WINDOW, originService } from "./origin.ts";
import { decodeData, decodeFlow, Domain, encodeData, encodeFlow } from "./packet.ts";
import { type Clock, randomService } from "./random.ts";
import { scopeService } from "./scope.ts";
import { bufferOrigin } from "./stream.ts";
import { bytes, Program, text } from "./_test_util.ts";

Deno.test('catalog answers "json" with the sorted, tab-indented service list', async () => {
  const p = new Program({ services: defaultServices() });
  await p.discover(["catalog"]);
  await p.send(0, Domain.CALL, text("json"));
  const expected = '{\n\t"services": [\n' +
    ["catalog", "identity", "origin", "random", "scope"]
      .map((n) => `\t\t{\n\t\t\t"name": "${n}",\n\t\t\t"revision": "0"\n\t\t}`).join(",\n") +
    "\n\t]\n}\n";
  assertEquals(new TextDecoder().decode((await p.next()).payload), expected);
  await p.send(0, Domain.CALL, text("xml"));
  assertEquals((await p.next()).payload.length, 0);
  await p.close();
});

Deno.test("catalogJSON() escapes like Go's encoder", () => {
  const json = new TextDecoder().decode(catalogJSON([{ name: "a<b>&", revision: "0" }]));
  assertEquals(json.includes('"a\\u003cb\\u003e\\u0026"'), true);
});

Deno.test("identity answers byte 0 with the principal and byte 1 with the instance", async () => {
  const p = new Program({ services: defaultServices(), principal: "email:me", instance: "u-1" });
  await p.discover(["identity"]);
  for (
    const [call, want] of [[bytes(0), "email:me"], [bytes(1), "u-1"], [bytes(2), ""], [
      bytes(),
      "",
    ]] as const
  ) {
    await p.send(0, Domain.CALL, call);
    assertEquals(new TextDecoder().decode((await p.next()).payload), want);
  }
  await p.close();
  const q = new Program({ services: defaultServices() });
  await q.discover(["identity"]);
  await q.send(0, Domain.CALL, bytes(0));
  assertEquals((await q.next()).payload.length, 0);
  await q.close();
});

Deno.test("scope restricts with intersection and replies with i16 0", async () => {
  const changes: (readonly string[])[] = [];
  const p = new Program({ services: [scopeService({ onChange: (s) => changes.push(s) })] });
  await p.discover(["scope"]);
  await p.send(0, Domain.CALL, bytes(0, 2, 1, ...text("a"), 1, ...text("b")));
  assertEquals(Array.from((await p.next()).payload), [0, 0]);
  await p.send(0, Domain.CALL, bytes(0, 2, 1, ...text("b"), 1, ...text("c")));
  assertEquals(Array.from((await p.next()).payload), [0, 0]);
  assertEquals([...changes], [["a", "b"], ["b"]]);
  await p.send(0, Domain.CALL, bytes(7));
  assertEquals((await p.next()).payload.length, 0);
  const state = await p.host.suspend();
  const q = new Program({ services: [scopeService({ onChange: (s) => changes.push(s) })], state });
  assertEquals(changes.at(-1), ["b"]);
  await q.send(0, Domain.CALL, bytes(0, 1, 1, ...text("a")));
  await q.next(); // discovery INFO
  assertEquals(Array.from((await q.next()).payload), [0, 0]);
  assertEquals(changes.at(-1), []);
  await q.send(0, Domain.CALL, bytes(0, 2, 1)); // truncated
  assertEquals(q.violations.length, 1);
  await q.close();
});

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimer(fn, ms) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => (timers = timers.filter((x) => x !== t));
    },
    advance(ms) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers = timers.filter((x) => x !== t);
        t.fn();
      }
    },
  };
}

Deno.test("random replies with N bytes and delays over-rate calls", async () => {
  const clock = fakeClock();
  const p = new Program({ services: [randomService({ clock })] }); // 16 bytes per second
  await p.discover(["random"]);
  await p.send(0, Domain.CALL, bytes(16));
  assertEquals((await p.next()).payload.length, 16); // first call at once; next allowed at 1000 ms
  await p.send(0, Domain.CALL, bytes(8));
  await p.send(0, Domain.CALL, bytes(8)); // extraneous: empty, after the waiting one
  assertEquals(await p.drain(), []);
  clock.advance(999);
  assertEquals(await p.drain(), []);
  clock.advance(1);
  const got = await p.drain();
  assertEquals(got.map((x) => x.payload.length), [8, 0]);
  await p.send(0, Domain.CALL, bytes(0)); // N = 0 is not a request
  await p.send(0, Domain.CALL, bytes(1, 2)); // nor is more than one byte
  assertEquals((await p.drain()).map((x) => x.payload.length), [0, 0]);
  clock.advance(500); // 8 bytes cost 500 ms
  await p.send(0, Domain.CALL, bytes(255));
  assertEquals((await p.next()).payload.length, 255);
  await p.close();
});

Deno.test("random saves a waiting call and answers it on resume", async () => {
  const clock = fakeClock();
  const p = new Program({ services: [randomService({ clock })] });
  await p.discover(["random"]);
  await p.send(0, Domain.CALL, bytes(16));
  await p.next();
  await p.send(0, Domain.CALL, bytes(4));
  const state = await p.host.suspend();
  const q = new Program({ services: [randomService({ clock })], state });
  const got = await q.drain();
  assertEquals(got.map((x) => [x.code, x.domain, x.payload.length]), [[-1, Domain.INFO, 3], [
    0,
    Domain.CALL,
    4,
  ]]);
  await q.close();
});

async function acceptOrigin(p: Program): Promise<number> {
  await p.discover(["origin"]);
  await p.send(0, Domain.CALL);
  const reply = await p.next();
  assertEquals(reply.payload.length, 8);
  const id = new DataView(reply.payload.buffer).getInt32(0, true);
  assertEquals(Array.from(reply.payload.subarray(4)), [0, 0, 0, 0]); // i16 error 0 + pad
  const grant = await p.next();
  assertEquals([grant.domain, decodeFlow(grant.payload)], [Domain.FLOW, [{
    id,
    value: ORIGIN_WINDOW,
  }]]);
  return id;
}

Deno.test("origin sends no data before a FLOW grant, then at most the grant", async () => {
  const origin = bufferOrigin(text("hello world"));
  const p = new Program({ services: [originService()], origin });
  const id = await acceptOrigin(p);
  assertEquals(id, 0);
  assertEquals(await p.drain(), []);
  await p.send(0, Domain.FLOW, encodeFlow([{ id, value: 3 }]));
  let got = await p.drain();
  assertEquals(got.map((x) => decodeData(x.payload)), [{ id, note: 0, data: text("hel") }]);
  await p.send(0, Domain.FLOW, encodeFlow([{ id, value: 2 }, { id, value: 100 }])); // grants accumulate
  got = await p.drain();
  const data = got.map((x) => decodeData(x.payload));
  assertEquals(
    new TextDecoder().decode(new Uint8Array(data.flatMap((d) => [...d.data]))),
    "lo world",
  );
  assertEquals(data.at(-1)?.data.length, 0); // EOF
  assertEquals(p.violations, []);
  await p.close();
});

Deno.test("origin rejects grants beyond 2^31-1 in total", async () => {
  const p = new Program({ services: [originService()], origin: bufferOrigin(new Uint8Array(0)) });
  const id = await acceptOrigin(p);
  // No data to read from a closed stream... use an endless origin instead.
  await p.close();
  const endless = {
    read: () => new Promise<Uint8Array | null>(() => {}),
    write: () => Promise.resolve(),
  };
  const q = new Program({ services: [originService()], origin: endless });
  await acceptOrigin(q);
  await q.send(0, Domain.FLOW, encodeFlow([{ id, value: 0x7fffffff }]));
  assertEquals(q.violations, []);
  await q.send(0, Domain.FLOW, encodeFlow([{ id, value: 1 }]));
  assertEquals(q.violations.length, 1);
  await q.close();
});

Deno.test("origin writes program data to the caller and re-grants it", async () => {
  const origin = bufferOrigin();
  const p = new Program({ services: [originService()], origin });
  const id = await acceptOrigin(p);
  await p.send(0, Domain.DATA, encodeData(id, 0, text("out")));
  assertEquals(new TextDecoder().decode(origin.output), "out");
  assertEquals((await p.drain()).map((x) => decodeFlow(x.payload)), [[{ id, value: 3 }]]);
  await p.send(0, Domain.DATA, encodeData(id, 0, new Uint8Array(0)));
  assertEquals(origin.writeClosed, true);
  assertEquals((await p.drain()).map((x) => decodeFlow(x.payload)), [[{ id, value: 0 }]]);
  await p.send(0, Domain.DATA, encodeData(id, 0, text("late")));
  assertEquals(p.violations.length, 1);
  await p.close();
});

Deno.test("origin rejects flow for an unknown stream", async () => {
  const q = new Program({ services: [originService()], origin: bufferOrigin() });
  await acceptOrigin(q);
  await q.send(0, Domain.FLOW, encodeFlow([{ id: 5, value: 1 }]));
  assertEquals(q.violations.length, 1);
  await q.close();
});

Deno.test("origin accepts one stream per connection and saves waiting accepts", async () => {
  const p = new Program({ services: [originService()], origin: bufferOrigin() });
  await acceptOrigin(p);
  await p.send(0, Domain.CALL);
  assertEquals(await p.drain(), []);
  const state = await p.host.suspend();
  // Restored without an origin: the stream drains (EOF data, FLOW 0) and the
  // waiting accept waits on.
  const q = new Program({ services: [originService()], state });
  const got = await q.drain();
  assertEquals(got.map((x) => [x.code, x.domain]), [[-1, 1], [0, 3], [0, 2]]);
  assertEquals(decodeData(got[1]!.payload), { id: 0, note: 0, data: new Uint8Array(0) });
  assertEquals(decodeFlow(got[2]!.payload), [{ id: 0, value: 0 }]);
  await q.close();
});

Deno.test("origin continues a restored stream on the new origin, flow credit kept both ways", async () => {
  const p = new Program({ services: [originService()], origin: bufferOrigin() });
  const id = await acceptOrigin(p);
  await p.send(0, Domain.FLOW, encodeFlow([{ id, value: 5 }])); // the old origin is at its end
  await p.drain();
  const q0 = new Program({ services: [originService()], origin: bufferOrigin(text("0123456789")) });
  const qid = await acceptOrigin(q0);
  await q0.send(0, Domain.FLOW, encodeFlow([{ id: qid, value: 4 }]));
  await q0.send(0, Domain.DATA, encodeData(qid, 0, text("out")));
  await q0.drain(); // data "0123", the FLOW for "out"
  const state = await q0.host.suspend();
  assertEquals(p.violations, []);
  await p.close();

  const origin = bufferOrigin(text("abcdefgh"));
  const q = new Program({ services: [originService()], origin, state });
  // No drain: the stream goes on; its grant was used up, so nothing comes yet.
  const first = await q.drain();
  assertEquals(first.map((x) => [x.code, x.domain]), [[-1, 1]]);
  await q.send(0, Domain.FLOW, encodeFlow([{ id: qid, value: 3 }]));
  const data = (await q.drain()).map((x) => decodeData(x.payload));
  assertEquals(data, [{ id: qid, note: 0, data: text("abc") }]);
  // Writing goes on too: to the new origin, and the credit comes back.
  await q.send(0, Domain.DATA, encodeData(qid, 0, text("more")));
  assertEquals(q.violations, []);
  assertEquals(new TextDecoder().decode(origin.output), "more");
  assertEquals((await q.drain()).map((x) => decodeFlow(x.payload)), [[{ id: qid, value: 4 }]]);
  await q.close();
});

Deno.test("origin gives back bytes it read after a suspension", async () => {
  let release: (bytes: Uint8Array) => void = () => {};
  const kept: Uint8Array[] = [];
  const origin = {
    read: () => new Promise<Uint8Array | null>((resolve) => release = resolve),
    write: () => Promise.resolve(),
    unread: (bytes: Uint8Array) => void kept.push(bytes),
  };
  const p = new Program({ services: [originService()], origin });
  const id = await acceptOrigin(p);
  await p.send(0, Domain.FLOW, encodeFlow([{ id, value: 10 }])); // a read starts
  await p.host.suspend();
  release(text("late"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(kept, [text("late")]);
});
