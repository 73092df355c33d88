// Execution through the real path: compile in Deno (FFI), instantiate and
// invoke in instance processes created by gate-executor.
import { assert, assertEquals, assertInstanceOf, assertRejects } from "./_assert.ts";
import {
  compile,
  Instance,
  LinkError,
  ProcessError,
  type RawValue,
  Ref,
  Store,
  TrapError,
} from "../mod.ts";
import { wat } from "./_wat.ts";

const ARITH = `(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mulf32") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "divf64") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "swap") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
  (func (export "idf32") (param f32) (result f32) (local.get 0))
  (func (export "nothing"))
  (global (export "answer") i32 (i32.const 42)))`;

Deno.test({
  name: "Instance.invoke() runs compiled code in an instance process",
  async fn() {
    const module = await compile(await wat(ARITH), { cache: false });
    assertEquals(module.exports.map((e) => e.name).slice(0, 3), ["add", "add64", "mulf32"]);
    using instance = await module.instantiate();
    assert(instance.store.pid > 0);
    assertEquals(await instance.invoke("add", [2, 40]), [42]);
    assertEquals(await instance.invoke("add", [0x7fff_ffff, 1]), [-(2 ** 31)]);
    assertEquals(await instance.invoke("add64", [2n ** 62n, 2n ** 62n]), [-(2n ** 63n)]);
    assertEquals(await instance.invoke("mulf32", [1.5, 0.1]), [
      Math.fround(1.5 * Math.fround(0.1)),
    ]);
    assertEquals(await instance.invoke("divf64", [1, 3]), [1 / 3]);
    assertEquals(await instance.invoke("swap", [7, 9n]), [9n, 7]);
    assertEquals(await instance.invoke("nothing"), []);
    assertEquals(await instance.global("answer"), 42);
  },
});

Deno.test({
  name: "Instance.invokeRaw() keeps NaN payloads exactly",
  async fn() {
    const module = await compile(await wat(ARITH), { cache: false });
    using instance = await module.instantiate();
    const nan: RawValue = { type: "f32", bits: 0x7fa0_0001n };
    assertEquals(await instance.invokeRaw("idf32", [nan]), [nan]);
    const negative: RawValue = { type: "f32", bits: 0xffc0_1234n };
    assertEquals(await instance.invokeRaw("idf32", [negative]), [negative]);
  },
});

Deno.test({
  name: "Instance.invoke() rejects wrong arguments before they reach the process",
  async fn() {
    const module = await compile(await wat(ARITH), { cache: false });
    using instance = await module.instantiate();
    await assertRejects(() => instance.invoke("add", [1]), TypeError, "1 arguments, expected 2");
    await assertRejects(() => instance.invoke("add", [1, 2 ** 32]), RangeError, "out of range");
    await assertRejects(() => instance.invoke("add64", [1, 2n]), TypeError, "expected a bigint");
    await assertRejects(() => instance.invoke("answer"), TypeError, "not a function");
    await assertRejects(() => instance.invoke("nope"), TypeError, "no such export");
    assertEquals(await instance.invoke("add", [1, 2]), [3]);
  },
});

const TRAPS = `(module
  (func $inner (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $middle (param i32) (result i32) (call $inner (local.get 0)))
  (func $divide (export "divide") (param i32) (result i32) (call $middle (local.get 0)))
  (func $boom (unreachable))
  (func (export "boom") (call $boom))
  (func $recurse (export "recurse") (call $recurse)))`;

Deno.test({
  name: "Instance.invoke() throws TrapError with a backtrace of named functions",
  async fn() {
    const module = await compile(await wat(TRAPS), { cache: false });
    using instance = await module.instantiate();
    assertEquals(await instance.invoke("divide", [1]), [1]);
    const error = await assertRejects(() => instance.invoke("divide", [0]), TrapError);
    assertEquals(error.trap, "INTEGER_DIVIDE_BY_ZERO");
    assert(error.message.includes("integer divide by zero"), error.message);
    const names = error.backtrace.map((frame) => frame.name);
    assertEquals(names.slice(0, 3), ["inner", "middle", "divide"]);
    for (const frame of error.backtrace.slice(0, 3)) {
      assert(frame.offset > 0, `offset of ${frame.name}`);
      assertEquals(frame.module, module.hash);
    }
    const unreachable = await assertRejects(() => instance.invoke("boom"), TrapError);
    assertEquals(unreachable.trap, "UNREACHABLE");
    assertEquals(unreachable.backtrace[0]?.name, "boom");
    // The process survives traps and keeps serving.
    assertEquals(await instance.invoke("divide", [-1]), [-1]);
  },
});

Deno.test({
  name: "Instance.invoke() turns unbounded recursion into a call stack exhausted trap",
  async fn() {
    const module = await compile(await wat(TRAPS), { cache: false });
    using instance = await module.instantiate();
    const error = await assertRejects(() => instance.invoke("recurse"), TrapError);
    assertEquals(error.trap, "CALL_STACK_EXHAUSTED");
    assertEquals(await instance.invoke("divide", [1]), [1]);
  },
});

const PROVIDER = `(module
  (memory (export "memory") 1)
  (global $count (export "count") (mut i32) (i32.const 0))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "bump") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count)))`;

const CONSUMER = `(module
  (import "lib" "memory" (memory 1))
  (import "lib" "bump" (func $bump (result i32)))
  (import "lib" "count" (global $count (mut i32)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "twice") (result i32) (drop (call $bump)) (call $bump))
  (func (export "seen") (result i32) (global.get $count)))`;

Deno.test({
  name: "Module.instantiate() links imports to another instance's exports in one process",
  async fn() {
    const provider = await compile(await wat(PROVIDER), { cache: false });
    const consumer = await compile(await wat(CONSUMER), { cache: false });
    using store = await Store.create();
    const lib = await provider.instantiate({ store });
    const user = await consumer.instantiate({ imports: { lib } });
    assertEquals(user.store, store);
    await lib.invoke("store", [64, 0x1234_5678]);
    assertEquals(await user.invoke("load", [64]), [0x1234_5678]);
    assertEquals(await user.invoke("twice"), [2]);
    assertEquals(await lib.invoke("bump"), [3]);
    assertEquals(await user.invoke("seen"), [3]);
    assertEquals(await lib.global("count"), 3);
  },
});

Deno.test({
  name: "Module.instantiate() throws LinkError for a missing or mistyped import",
  async fn() {
    const provider = await compile(await wat(PROVIDER), { cache: false });
    const consumer = await compile(await wat(CONSUMER), { cache: false });
    await assertRejects(() => consumer.instantiate(), LinkError, "unknown import");
    using store = await Store.create();
    const lib = await provider.instantiate({ store });
    const wrong = await compile(
      await wat(`(module (import "lib" "bump" (func (param i32))))`),
      { cache: false },
    );
    await assertRejects(() => wrong.instantiate({ imports: { lib } }), LinkError, "incompatible");
    const missing = await compile(
      await wat(`(module (import "lib" "nope" (func)))`),
      { cache: false },
    );
    await assertRejects(
      () => missing.instantiate({ imports: { lib } }),
      LinkError,
      "unknown import",
    );
  },
});

Deno.test({
  name: "Module.instantiate() throws TrapError when the start function traps",
  async fn() {
    const module = await compile(
      await wat(`(module (func $start (unreachable)) (start $start))`),
      { cache: false },
    );
    const error = await assertRejects(() => module.instantiate(), TrapError);
    assertEquals(error.trap, "UNREACHABLE");
    assertEquals(error.backtrace[0]?.name, "start");
  },
});

Deno.test({
  name: "Store.spectest() provides the spec testsuite's host module",
  async fn() {
    using store = await Store.create();
    const spectest = await store.spectest();
    assertInstanceOf(spectest, Instance);
    assertEquals(await spectest.global("global_i32"), 666);
    const module = await compile(
      await wat(`(module
        (import "spectest" "print_i32" (func $print (param i32)))
        (import "spectest" "global_i64" (global $g i64))
        (func (export "f") (result i64) (call $print (i32.const 1)) (global.get $g)))`),
      { cache: false },
    );
    const instance = await module.instantiate({ imports: { spectest } });
    assertEquals(await instance.invoke("f"), [666n]);
  },
});

Deno.test({
  name: "Instance.invoke() returns references as opaque Refs usable only in their store",
  async fn() {
    const module = await compile(
      await wat(`(module
        (func $f) (elem declare func $f)
        (func (export "get") (result funcref) (ref.func $f))
        (func (export "null") (result funcref) (ref.null func))
        (func (export "is_null") (param funcref) (result i32) (ref.is_null (local.get 0))))`),
      { cache: false },
    );
    using a = await module.instantiate();
    using b = await module.instantiate();
    const [ref] = await a.invoke("get");
    assertInstanceOf(ref, Ref);
    assertEquals(await a.invoke("null"), [null]);
    assertEquals(await a.invoke("is_null", [ref]), [0]);
    assertEquals(await a.invoke("is_null", [null]), [1]);
    await assertRejects(() => b.invoke("is_null", [ref]), TypeError, "another store");
  },
});

const LOOP =
  `(module (func (export "spin") (loop $l (br $l))) (func (export "one") (result i32) (i32.const 1)))`;

Deno.test({
  name: "a killed instance process rejects pending and later calls with ProcessError",
  async fn() {
    const module = await compile(await wat(LOOP), { cache: false });
    using instance = await module.instantiate();
    assertEquals(await instance.invoke("one"), [1]);
    const spinning = instance.invoke("spin");
    await new Promise((resolve) => setTimeout(resolve, 50));
    Deno.kill(instance.store.pid, "SIGKILL");
    const error = await assertRejects(() => spinning, ProcessError, "killed by signal SIGKILL");
    assertEquals(error.exit, { signal: 9 });
    await assertRejects(() => instance.invoke("one"), ProcessError, "SIGKILL");
    assert(instance.store.closed);
    // Other instance processes are unaffected.
    using other = await module.instantiate();
    assertEquals(await other.invoke("one"), [1]);
  },
});

Deno.test({
  name: "Instance.close() ends its own process and later calls reject",
  async fn() {
    const module = await compile(await wat(LOOP), { cache: false });
    const instance = await module.instantiate();
    const pid = instance.store.pid;
    instance.close();
    instance.close();
    await assertRejects(() => instance.invoke("one"), ProcessError, "closed");
    // The executor reaps it: the pid is gone soon after.
    for (let i = 0; i < 100; i++) {
      try {
        Deno.kill(pid, "SIGCONT");
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`instance process ${pid} still exists`);
  },
});
