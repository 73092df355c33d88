import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { geomean, ratio, summarize, timeRuns } from "./stats.ts";

Deno.test("summarize() takes the median of odd and even samples", () => {
  assertEquals(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, runs: 3 });
  assertEquals(summarize([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, runs: 4 });
});

Deno.test("summarize() rejects an empty sample", () => {
  assertThrows(() => summarize([]), RangeError);
});

Deno.test("geomean() of 1, 4 and 16 is 4", () => {
  assertEquals(Math.round(geomean([1, 4, 16]) * 1e9) / 1e9, 4);
});

Deno.test("timeRuns() calls fn once more than the runs it reports", () => {
  let calls = 0;
  assertEquals(timeRuns(3, () => calls++).length, 3);
  assertEquals(calls, 4);
});

Deno.test("ratio() divides medians and spans the widest range", () => {
  const x = summarize([4, 6, 8]);
  const anchor = summarize([1, 2, 4]);
  assertEquals(ratio(x, anchor), { median: 3, min: 1, max: 8 });
});
