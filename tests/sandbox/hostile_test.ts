// Hostile programs through the normal path (issue #6): each ends with a
// defined status, and Deno, the executor and other instances keep working.
// Programs that flood their output or input, or poll, exit and trap in the
// middle of their I/O, are in hostile_program_test.ts (the Program API).
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { compile, ProcessError, Store, TrapError } from "../../mod.ts";
import { getExecutor } from "../../ffi/_executor.ts";
import { wat } from "../_wat.ts";
import { childrenOf, openDescriptors, settle } from "./_counts.ts";

const LOOP = `(module
  (func (export "spin") (loop $l (br $l)))
  (func (export "one") (result i32) (i32.const 1)))`;

Deno.test("Store.create({ cpuTimeLimit }) ends an infinite loop while another store keeps answering", async () => {
  const module = await compile(await wat(LOOP), { cache: false });
  using limited = await Store.create({ cpuTimeLimit: 1 });
  using other = await Store.create();
  const looping = await module.instantiate({ store: limited });
  const answering = await module.instantiate({ store: other });

  let ended: unknown;
  const spin = looping.invoke("spin").then(
    () => ended = new Error("the loop returned"),
    (error) => ended = error,
  );
  let answers = 0;
  while (ended === undefined) {
    assertEquals(await answering.invoke("one"), [1]);
    answers++;
  }
  await spin;
  assert(ended instanceof ProcessError, String(ended));
  assert(ended.message.includes("exceeded its CPU time limit"), ended.message);
  assertEquals(ended.exit, { code: 13 }); // GATE_CPU_LIMIT
  assert(answers > 0, "the other store answered while the loop ran");
  await assertRejects(() => looping.invoke("one"), ProcessError, "CPU time limit");
  assert(limited.closed);
  assertEquals(await answering.invoke("one"), [1]);
});

const GROW = `(module
  (memory (export "memory") 1 MAX)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0))))`;

/** Grows one page at a time until memory.grow returns -1; returns the pages reached. */
async function growToLimit(
  instance: { invoke(name: string, args?: number[]): Promise<unknown[]> },
) {
  let pages = 1;
  for (;;) {
    const [previous] = await instance.invoke("grow", [1]);
    if (previous === -1) return pages;
    assertEquals(previous, pages);
    pages++;
  }
}

Deno.test("memory.grow returns -1 at the module's maximum and the instance keeps working", async () => {
  const module = await compile(await wat(GROW.replace("MAX", "8")), { cache: false });
  using instance = await module.instantiate();
  assertEquals(await growToLimit(instance), 8);
  assertEquals(await instance.invoke("grow", [0x7fff_ffff]), [-1]);
  assertEquals(await instance.invoke("size"), [8]);
  const last = 8 * 65536 - 4;
  await instance.invoke("poke", [last, 1234]);
  assertEquals(await instance.invoke("peek", [last]), [1234]);
  await assertRejects(() => instance.invoke("peek", [8 * 65536]), TrapError, "out of bounds");
  assertEquals(await instance.invoke("peek", [last]), [1234]);
});

Deno.test("memory.grow returns -1 at Store memoryLimit and the instance keeps working", async () => {
  const module = await compile(await wat(GROW.replace("MAX", "")), { cache: false });
  using store = await Store.create({ memoryLimit: 40 * 65536 });
  using instance = await module.instantiate({ store });
  assertEquals(await growToLimit(instance), 40);
  assertEquals(await instance.invoke("grow", [65536]), [-1]);
  assertEquals(await instance.invoke("size"), [40]);
  const last = 40 * 65536 - 4;
  await instance.invoke("poke", [last, -7]);
  assertEquals(await instance.invoke("peek", [last]), [-7]);
  assert(!store.closed);
});

const RECURSION = `(module
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
  (func $wide (export "wide") (param i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    (local f64 f64 f64 f64 f64 f64 f64 f64 v128 v128 v128 v128)
    (call $wide (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                (local.get 4) (local.get 5) (local.get 6) (local.get 7)))
  (func $even (export "even") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 1))
      (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
  (func $odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (call $even (i32.sub (local.get 0) (i32.const 1)))))))`;

Deno.test("deep and mutual recursion trap with CALL_STACK_EXHAUSTED and the instance stays usable", async (t) => {
  const module = await compile(await wat(RECURSION), { cache: false });
  using instance = await module.instantiate();
  const cases: [string, number[] | bigint[]][] = [
    ["deep", [0x7fff_ffff]],
    ["wide", [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]],
    ["even", [0x7fff_ffff]],
  ];
  for (const [name, args] of cases) {
    await t.step(name, async () => {
      for (let round = 0; round < 3; round++) {
        const error = await assertRejects(() => instance.invoke(name, args), TrapError);
        assertEquals(error.trap, "CALL_STACK_EXHAUSTED");
        assert(error.message.includes("call stack exhausted"), error.message);
        // Usable afterwards, with a moderate depth that fits.
        assertEquals(await instance.invoke("deep", [1000]), [1000]);
        assertEquals(await instance.invoke("even", [1001]), [0]);
      }
    });
  }
  assert(!instance.store.closed);
});

const LAUNCHES = 10_000;

Deno.test(`Module.instantiate() launches ${LAUNCHES} instances in a row without leaking descriptors or processes`, async () => {
  const module = await compile(
    await wat(`(module (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1))))`),
    { cache: false },
  );
  const executor = await getExecutor();
  const fds = await openDescriptors();
  const children = (await childrenOf(executor.pid)).length;
  for (let i = 0; i < LAUNCHES; i++) {
    const instance = await module.instantiate();
    const [sum] = await instance.invoke("add", [i, 1]);
    if (sum !== i + 1) assertEquals(sum, i + 1, `launch ${i}`);
    instance.close();
  }
  assertEquals((await getExecutor()).pid, executor.pid, "the same executor served them all");
  const left = await settle(
    async () => (await childrenOf(executor.pid)).length,
    (n) => n <= children,
  );
  assertEquals(left, children);
  const after = await settle(openDescriptors, (n) => n <= fds);
  assert(after <= fds, `${after} descriptors open, ${fds} before`);
});
