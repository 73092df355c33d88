// Faults (issue #6): kill -9 of an instance process and of the executor,
// through the normal path. Deno never crashes; the affected calls reject
// with a ProcessError that says what happened; other stores, or the next
// executor, keep working; descriptors and processes return to their
// baseline.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { compile, ProcessError, Store } from "../../mod.ts";
import { getExecutor } from "../../ffi/_executor.ts";
import { wat } from "../_wat.ts";
import { childrenOf, cpuTicks, openDescriptors, running, settle } from "./_counts.ts";

const LOOP = `(module
  (func (export "spin") (loop $l (br $l)))
  (func (export "one") (result i32) (i32.const 1)))`;

/** Waits until a call is running inside the instance (its process uses CPU). */
async function busy(pid: number): Promise<void> {
  const start = await cpuTicks(pid);
  await settle(() => cpuTicks(pid), (now) => now > start);
}

Deno.test("Store: kill -9 of an instance process rejects its calls and spares other stores", async () => {
  const module = await compile(await wat(LOOP), { cache: false });
  const executor = await getExecutor();
  const fds = await openDescriptors();
  const children = (await childrenOf(executor.pid)).length;

  const victim = await module.instantiate();
  const other = await module.instantiate();
  const spinning = victim.invoke("spin");
  await busy(victim.store.pid);
  Deno.kill(victim.store.pid, "SIGKILL");

  const pending = await assertRejects(() => spinning, ProcessError, "killed by signal SIGKILL");
  assertEquals(pending.exit, { signal: 9 });
  assertEquals(pending.lost, false);
  const later = await assertRejects(() => victim.invoke("one"), ProcessError, "SIGKILL");
  assertEquals(later.lost, false);
  assert(victim.store.closed);
  assertEquals(await other.invoke("one"), [1]);
  assertEquals((await getExecutor()).pid, executor.pid, "the executor is the same");

  victim.close();
  other.close();
  assertEquals(
    await settle(async () => (await childrenOf(executor.pid)).length, (n) => n <= children),
    children,
  );
  const after = await settle(openDescriptors, (n) => n <= fds);
  assert(after <= fds, `${after} descriptors open, ${fds} before`);
});

Deno.test("Store: kill -9 of the executor reports its instances as lost and the next use restarts it", async () => {
  const module = await compile(await wat(LOOP), { cache: false });
  const executor = await getExecutor();
  // Baseline with one executor running: its restart replaces its descriptors.
  const fds = await openDescriptors();

  const spinner = await module.instantiate();
  const idle = await module.instantiate();
  const pids = [spinner.store.pid, idle.store.pid];
  const spinning = spinner.invoke("spin");
  await busy(spinner.store.pid);
  Deno.kill(executor.pid, "SIGKILL");

  const pending = await assertRejects(() => spinning, ProcessError, "was lost: gate-executor");
  assertEquals(pending.lost, true);
  assertEquals(pending.exit, undefined);
  const later = await assertRejects(() => idle.invoke("one"), ProcessError, "was lost");
  assertEquals(later.lost, true);
  assert(later.message.includes(`Instance process ${idle.store.pid} was lost`), later.message);
  assert(spinner.store.closed && idle.store.closed);
  assertEquals(executor.alive, false);

  // The next use starts a new executor; new stores work.
  const fresh = await module.instantiate();
  assertEquals(await fresh.invoke("one"), [1]);
  const next = await getExecutor();
  assert(next.pid !== executor.pid, "a new executor");

  // The lost instances die with their executor (parent-death signal), and
  // the old executor is reaped.
  for (const pid of [executor.pid, ...pids]) {
    assertEquals(await settle(() => running(pid), (alive) => !alive), false, `pid ${pid}`);
  }
  spinner.close();
  idle.close();
  fresh.close();
  assertEquals(await settle(async () => (await childrenOf(next.pid)).length, (n) => n === 0), 0);
  const after = await settle(openDescriptors, (n) => n <= fds);
  assert(after <= fds, `${after} descriptors open, ${fds} before`);
});

Deno.test("Store: kill -9 of the executor while stores are created ends in errors or stores, never a crash", async () => {
  const module = await compile(await wat(LOOP), { cache: false });
  const executor = await getExecutor();
  const fds = await openDescriptors();
  const creating = Array.from({ length: 8 }, () => module.instantiate());
  Deno.kill(executor.pid, "SIGKILL");
  const outcomes = await Promise.allSettled(creating);
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") {
      assert(outcome.reason instanceof ProcessError, String(outcome.reason));
      assertEquals(outcome.reason.lost, true, outcome.reason.message);
    } else {
      outcome.value.close();
    }
  }
  using store = await Store.create();
  assertEquals(await (await store.spectest()).global("global_i32"), 666);
  store.close();
  const next = await getExecutor();
  assertEquals(await settle(async () => (await childrenOf(next.pid)).length, (n) => n === 0), 0);
  const after = await settle(openDescriptors, (n) => n <= fds);
  assert(after <= fds, `${after} descriptors open, ${fds} before`);
});
