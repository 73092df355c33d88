// Tests that prove the FFI seam: loading, buffers, errors, structs, nonblocking calls.
import { assert, assertEquals, assertInstanceOf, assertThrows } from "./_assert.ts";
import { lib, libraryPath } from "../ffi/_library.ts";
import { ABI_VERSION } from "../ffi/_symbols.ts";
import { LIMITS_LAYOUT } from "../ffi/_structs.ts";
import { CompileError, errorBuffer, readMessage, Status, statusError } from "../ffi/errors.ts";
import { STATUS_INFO } from "../ffi/errors.gen.ts";

Deno.test("lib() loads libgate and its ABI version matches the symbol table", () => {
  assertEquals(lib().gate_abi_version(), ABI_VERSION);
});

Deno.test("libraryPath() honours GATE_LIB", () => {
  const saved = Deno.env.get("GATE_LIB");
  try {
    Deno.env.set("GATE_LIB", "/nonexistent/libgate.so");
    assertEquals(libraryPath(), "/nonexistent/libgate.so");
  } finally {
    if (saved === undefined) Deno.env.delete("GATE_LIB");
    else Deno.env.set("GATE_LIB", saved);
  }
});

Deno.test("a missing library fails with a message that says how to build it", async () => {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["eval", "import { lib } from './ffi/_library.ts'; lib();"],
    env: { GATE_LIB: "/nonexistent/libgate.so" },
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stderr } = await cmd.output();
  const text = new TextDecoder().decode(stderr);
  assert(code !== 0);
  assert(text.includes('Cannot load libgate from "/nonexistent/libgate.so"'), text);
  assert(text.includes("make"), text);
});

Deno.test("gate_selftest_hash() computes FNV-1a of a buffer passed to C", () => {
  const bytes = new TextEncoder().encode("hello, gate");
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  assertEquals(lib().gate_selftest_hash(bytes, BigInt(bytes.length)), h);
  assertEquals(lib().gate_selftest_hash(bytes.subarray(0, 0), 0n), 0xcbf29ce484222325n);
});

Deno.test("statusError() round-trips every status and message of the error table", async (t) => {
  for (const [status, info] of Object.entries(STATUS_INFO)) {
    const code = Number(status);
    if (code === Status.OK) continue;
    await t.step(info.name, () => {
      const err = errorBuffer();
      const detail = new TextEncoder().encode(`case ${info.name}\0`);
      assertEquals(lib().gate_selftest_fail(code, detail, err, BigInt(err.length)), code);
      const error = statusError(code, err);
      assert(error);
      assertEquals(
        error.message,
        `Self-test failure: case ${info.name}` +
          (info.className === "Error" ? ` (${info.name})` : ""),
      );
      assertEquals(error.constructor.name, info.className);
      const cname = lib().gate_status_name(code);
      assert(cname);
      assertEquals(new Deno.UnsafePointerView(cname).getCString(), info.name);
    });
  }
});

Deno.test("statusError() maps MALFORMED to CompileError and OK to undefined", () => {
  const err = errorBuffer();
  lib().gate_selftest_fail(
    Status.MALFORMED,
    new TextEncoder().encode("bad\0"),
    err,
    BigInt(err.length),
  );
  const error = statusError(Status.MALFORMED, err);
  assertInstanceOf(error, CompileError);
  assertEquals(error.status, Status.MALFORMED);
  assertEquals(statusError(Status.OK, err), undefined);
});

Deno.test("readMessage() stops at NUL and C truncates to the buffer", () => {
  const err = new Uint8Array(8);
  lib().gate_selftest_fail(Status.INVALID, new TextEncoder().encode("long detail\0"), err, 8n);
  assertEquals(readMessage(err), "Self-te");
});

Deno.test("every struct that crosses the seam has the same size on both sides", () => {
  for (const layout of [LIMITS_LAYOUT]) {
    assertEquals(Number(lib().gate_struct_size(layout.id)), layout.size);
  }
  assertEquals(Number(lib().gate_struct_size(0)), 0);
});

Deno.test("a nonblocking FFI call resolves its promise off the main thread", async () => {
  const pending = lib().gate_selftest_sleep(50);
  assertInstanceOf(pending, Promise);
  let ticked = false;
  setTimeout(() => ticked = true, 0);
  assertEquals(await pending, 51);
  assert(ticked, "the event loop ran while C slept");
});

Deno.test("statusError() names unknown statuses", () => {
  const error = statusError(12345, new Uint8Array(1));
  assert(error);
  assertEquals(error.message, "Unknown libgate status 12345");
  assertThrows(() => {
    throw error;
  });
});
