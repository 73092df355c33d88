// gate-executor and its protocol: malformed input is rejected with an error
// reply, never a crash; a lost executor surfaces as ProcessError and is
// replaced on the next use.
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { closeExecutor, Executor, executorPath, getExecutor } from "../ffi/_executor.ts";
import { decodeIndex, encodeFrame, Msg } from "../ffi/_protocol.ts";
import { ProcessError } from "../ffi/errors.ts";

Deno.test("Executor.start() fails clearly for a missing gate-executor", async () => {
  const error = await assertRejects(
    () => Executor.start("/nonexistent/gate-executor"),
    Error,
    'Cannot start gate-executor "/nonexistent/gate-executor"',
  );
  assert(error.message.includes("make"), error.message);
});

Deno.test("gate-executor answers a frame of unknown type with a protocol error", async () => {
  const executor = await getExecutor();
  await assertRejects(() => executor.request(0, 0x0042), Error, "Unknown frame type 0x0042");
  await assertRejects(() => executor.request(77777, Msg.INVOKE), TypeError, "No instance 77777");
  // An executor-level frame with a payload it does not expect (SPAWN takes
  // none or 16 bytes of limits).
  await assertRejects(
    () => executor.request(5, Msg.SPAWN, new Uint8Array(3)),
    Error,
    "Cannot spawn instance 5: malformed options",
  );
  // Still serving.
  const channel = await executor.spawn();
  assert(channel.pid > 0);
  channel.close();
});

Deno.test("gate_executor_send() refuses a frame whose size field lies", async () => {
  const executor = await getExecutor();
  const frame = encodeFrame(Msg.SPECTEST, 1, 1);
  new DataView(frame.buffer).setUint32(0, 999, true);
  assertThrows(() => executor.send(frame), TypeError, "malformed frame");
  const short = new Uint8Array(8);
  assertThrows(() => executor.send(short), TypeError, "malformed frame");
});

Deno.test({
  name: "an instance process rejects malformed requests and keeps serving",
  async fn() {
    const executor = await getExecutor();
    const channel = await executor.spawn();
    try {
      // Cases: truncated INVOKE, INSTANTIATE claiming 2^32-1 imports, LOAD
      // without a descriptor, an unknown request type, trailing bytes.
      await assertRejects(
        () => channel.request(Msg.INVOKE, new Uint8Array([1, 0])),
        Error,
        "GATE_PROTOCOL",
      );
      await assertRejects(
        () => channel.request(Msg.INSTANTIATE, new Uint8Array([0, 0, 0, 0, 255, 255, 255, 255])),
        Error,
        "truncated",
      );
      await assertRejects(() => channel.request(Msg.LOAD), Error, "no descriptor");
      await assertRejects(() => channel.request(0x0170), Error, "Unknown request type 0x0170");
      await assertRejects(
        () => channel.request(Msg.SPECTEST, new Uint8Array(1)),
        Error,
        "malformed",
      );
      await assertRejects(
        () => channel.request(Msg.INVOKE, new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0])),
        TypeError,
        "no such function",
      );
      const reply = await channel.request(Msg.SPECTEST);
      assertEquals(reply.type, Msg.OK);
      assert(decodeIndex(reply.payload) >= 0);
    } finally {
      channel.close();
    }
  },
});

Deno.test({
  name: "a killed instance process is reported with its signal",
  async fn() {
    const executor = await getExecutor();
    const channel = await executor.spawn();
    const pending = channel.request(Msg.SPECTEST).then(() => channel.request(Msg.LOAD));
    channel.kill();
    const error = await assertRejects(() => pending, ProcessError);
    assert(/SIGKILL|closed/.test(error.message), error.message);
    assert(channel.endedWith !== undefined);
    channel.close();
  },
});

Deno.test("a lost executor rejects requests with ProcessError and is replaced on next use", async () => {
  const executor = await getExecutor();
  const pid = executor.pid;
  Deno.kill(pid, "SIGKILL");
  await assertRejects(() => executor.spawn(), ProcessError);
  assertEquals(executor.alive, false);
  const next = await getExecutor();
  assert(next.pid !== pid, "a new executor");
  const channel = await next.spawn();
  channel.close();
  await closeExecutor();
});

Deno.test("executorPath() honours GATE_EXECUTOR", () => {
  const saved = Deno.env.get("GATE_EXECUTOR");
  try {
    Deno.env.set("GATE_EXECUTOR", "/opt/gate-executor");
    assertEquals(executorPath(), "/opt/gate-executor");
  } finally {
    if (saved === undefined) Deno.env.delete("GATE_EXECUTOR");
    else Deno.env.set("GATE_EXECUTOR", saved);
  }
});
