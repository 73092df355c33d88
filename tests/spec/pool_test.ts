import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { mapLimited } from "./pool.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("mapLimited() returns results in item order whatever order they finish in", async () => {
  const promises = mapLimited([30, 0, 10, 0], 2, async (ms, index) => {
    await delay(ms);
    return index;
  });
  deepEqual(await Promise.all(promises), [0, 1, 2, 3]);
});

Deno.test("mapLimited() keeps at most limit calls in flight and starts them in order", async () => {
  let active = 0;
  let peak = 0;
  const started: number[] = [];
  const promises = mapLimited([5, 1, 3, 1, 2, 1], 2, async (ms, index) => {
    started.push(index);
    peak = Math.max(peak, ++active);
    await delay(ms);
    active--;
  });
  await Promise.all(promises);
  equal(peak, 2);
  deepEqual(started, [0, 1, 2, 3, 4, 5]);
});

Deno.test("mapLimited() delivers a rejection to whoever awaits it and goes on", async () => {
  const promises = mapLimited([1, 2, 3], 1, (n) => {
    return n === 1 ? Promise.reject(new Error("first")) : Promise.resolve(n);
  });
  // Awaiting late must not leave an unhandled rejection behind.
  await delay(5);
  await rejects(promises[0]!, { message: "first" });
  deepEqual(await Promise.all(promises.slice(1)), [2, 3]);
});

Deno.test("mapLimited() rejects a limit that is not a positive integer", () => {
  throws(() => mapLimited([], 0, () => Promise.resolve()), RangeError);
  throws(() => mapLimited([], 1.5, () => Promise.resolve()), RangeError);
});
