import { assertEquals } from "./_assert.ts";
import { createHandler } from "../server.ts";
import { ABI_VERSION } from "../ffi/_symbols.ts";

Deno.test("createHandler() reports health with the library ABI version", async () => {
  const res = await createHandler()(new Request("http://localhost/health"));
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { ok: true, abi: ABI_VERSION });
});

Deno.test("createHandler() says the API is not implemented under the base path", async () => {
  const res = await createHandler()(new Request("http://localhost/gate-0/module/"));
  assertEquals(res.status, 501);
  assertEquals(await res.text(), "The Gate HTTP API is not implemented yet\n");
});

Deno.test("createHandler() answers 404 elsewhere, quoting the path", async () => {
  const res = await createHandler()(new Request("http://localhost/nope"));
  assertEquals(res.status, 404);
  assertEquals(await res.text(), 'Not found: "/nope"\n');
});
