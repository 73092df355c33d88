// Filesystem (ffi/_fs.ts) end to end through libgate. Run with
// deno test --allow-ffi --allow-read --allow-write=.cache --allow-env ffi/_fs_test.ts
import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { Filesystem } from "./_fs.ts";

const PATH_OPEN = 21;
const FD_READ = 2;
const FD_WRITE = 4;
const FD_PRESTAT_DIR_NAME = 14;
const RIGHTS_READ_WRITE = (1n << 1n) | (1n << 6n);
const CREAT = 1n;

const cacheDir = new URL("../.cache/", import.meta.url).pathname;

/** An FS payload: u32 op, u64 scalars, u32-len buffers. */
function request(op: number, scalars: bigint[], buffers: Uint8Array[] = []): Uint8Array {
  const size = 4 + 8 * scalars.length + buffers.reduce((n, b) => n + 4 + b.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, op, true);
  let at = 4;
  for (const s of scalars) view.setBigUint64(at, s, true), at += 8;
  for (const b of buffers) {
    view.setUint32(at, b.length, true);
    bytes.set(b, at + 4);
    at += 4 + b.length;
  }
  return bytes;
}

function errnoOf(reply: Uint8Array): number {
  return new DataView(reply.buffer, reply.byteOffset).getUint32(0, true);
}

async function tempDir(): Promise<string> {
  await Deno.mkdir(cacheDir, { recursive: true });
  return await Deno.makeTempDir({ dir: cacheDir, prefix: "fs_test_" });
}

Deno.test("Filesystem.call() opens, writes and reads a file beneath a preopen", async () => {
  const dir = await tempDir();
  try {
    using fs = Filesystem.open([{ host: dir, guest: "/data" }]);
    const enc = new TextEncoder();
    let reply = fs.call(request(FD_PRESTAT_DIR_NAME, [3n, 100n]));
    assertEquals(errnoOf(reply), 0);
    assertEquals(new TextDecoder().decode(reply.subarray(8)), "/data");
    reply = fs.call(
      request(PATH_OPEN, [3n, 0n, CREAT, RIGHTS_READ_WRITE, 0n, 0n], [enc.encode("hi.txt")]),
    );
    assertEquals(errnoOf(reply), 0);
    const fd = new DataView(reply.buffer).getBigUint64(4, true);
    assertEquals(fd, 5n); // after the Gate fd, 4
    reply = fs.call(request(FD_WRITE, [fd], [enc.encode("hello")]));
    assertEquals(errnoOf(reply), 0);
    assertEquals(new DataView(reply.buffer).getBigUint64(4, true), 5n);
    assertEquals(await Deno.readTextFile(`${dir}/hi.txt`), "hello");
    reply = fs.call(request(FD_READ, [fd, 10n]));
    assertEquals(errnoOf(reply), 0);
    assertEquals(reply.length, 8); // at the end: no data
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Filesystem.call() answers escapes and malformed requests with an errno", async () => {
  const dir = await tempDir();
  try {
    using fs = Filesystem.open([{ host: dir, guest: "/", readOnly: true }]);
    const enc = new TextEncoder();
    const open = (path: string) =>
      errnoOf(fs.call(request(PATH_OPEN, [3n, 1n, 0n, 2n, 0n, 0n], [enc.encode(path)])));
    assertEquals(open("../x"), 76); // ENOTCAPABLE
    assertEquals(open("/etc/passwd"), 76);
    assertEquals(
      errnoOf(fs.call(request(PATH_OPEN, [3n, 0n, CREAT, 2n, 0n, 0n], [enc.encode("n")]))),
      76,
    );
    assertEquals(errnoOf(fs.call(new Uint8Array([2, 0]))), 28); // EINVAL
    assertEquals(errnoOf(fs.call(request(999, []))), 52); // ENOSYS
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Filesystem.open() refuses a directory Deno may not write", () => {
  // Writable only under .cache/ in this test run: the source tree is not.
  const tree = new URL("../native/", import.meta.url).pathname;
  assertThrows(
    () => Filesystem.open([{ host: tree, guest: "/src" }]),
    Deno.errors.NotCapable,
    "no write permission",
  );
  const fs = Filesystem.open([{ host: tree, guest: "/src", readOnly: true }]);
  fs.close();
  fs.close(); // idempotent
  assertThrows(() => fs.call(request(1, [3n])), TypeError, "closed");
});

Deno.test("Filesystem.open() reports a missing directory", () => {
  assertThrows(
    () => Filesystem.open([{ host: `${cacheDir}/does-not-exist`, guest: "/x", readOnly: true }]),
    Error,
    "does-not-exist",
  );
});
