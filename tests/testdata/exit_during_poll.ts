// Dies of an uncaught rejection (a CPU limit) while another store is being
// invoked in a loop, so a nonblocking gate_executor_poll is in flight at exit.
import { compile, Store } from "../../mod.ts";
import { wat } from "../_wat.ts";
const loop = await compile(await wat(`(module (func (export "spin") (loop (br 0))))`), {
  cache: false,
});
const ok = await compile(await wat(`(module (func (export "one") (result i32) (i32.const 1)))`), {
  cache: false,
});
const s1 = await Store.create({ cpuTimeLimit: 1 });
const a = await loop.instantiate({ store: s1 });
const s2 = await Store.create();
const b = await ok.instantiate({ store: s2 });
(async () => {
  for (;;) await b.invoke("one", []);
})();
await a.invoke("spin", []); // uncaught rejection at the CPU limit
