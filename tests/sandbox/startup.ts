// Instance start-up latency: `deno run -A tests/sandbox/startup.ts [N]`.
// Each round starts an instance process (Store.create), waits for its first
// reply (spectest, so the process is serving) and closes it. Prints p50,
// p99 and mean in microseconds. Not a test: docs/sandbox.md has the numbers.
import { Store } from "../../mod.ts";

const n = Number(Deno.args[0] ?? 500);
const times: number[] = [];
for (let i = 0; i < n + 20; i++) {
  const t0 = performance.now();
  const store = await Store.create();
  await store.spectest();
  const t1 = performance.now();
  store.close();
  if (i >= 20) times.push((t1 - t0) * 1000); // the first 20 warm up
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
const mean = times.reduce((a, b) => a + b, 0) / times.length;
console.log(
  `${n} starts: p50 ${at(0.5).toFixed(0)} us, p99 ${at(0.99).toFixed(0)} us, mean ${
    mean.toFixed(0)
  } us`,
);
