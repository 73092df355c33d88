import { assert, assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  cachePath,
  decodeEntry,
  defaultCacheDir,
  encodeEntry,
  readCachedImage,
  writeCachedImage,
} from "./_image_cache.ts";

const HASH = "ab".repeat(32);
const IMAGE = new Uint8Array([1, 2, 3, 4, 5]);

Deno.test("defaultCacheDir() prefers GATE_CACHE_DIR, then XDG_CACHE_HOME, then HOME", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assertEquals(defaultCacheDir(env({ GATE_CACHE_DIR: "/c", HOME: "/h" })), "/c");
  assertEquals(defaultCacheDir(env({ XDG_CACHE_HOME: "/x", HOME: "/h" })), "/x/gate");
  assertEquals(defaultCacheDir(env({ HOME: "/h" })), "/h/.cache/gate");
  assertEquals(defaultCacheDir(env({})), undefined);
});

Deno.test("cachePath() names an entry by module hash, compiler version and codegen flags", () => {
  assertEquals(cachePath("/c", HASH, 3), `/c/images/${HASH}-3.image`);
  assertEquals(cachePath("/c", HASH, 3, 0), `/c/images/${HASH}-3.image`);
  assertEquals(cachePath("/c", HASH, 3, 1), `/c/images/${HASH}-3-1.image`);
  assertEquals(cachePath("/c", HASH, 3, 3), `/c/images/${HASH}-3-3.image`);
  assertThrows(() => cachePath("/c", "../../etc/passwd", 3), TypeError);
});

Deno.test("decodeEntry() returns the image only when every field checks out", async (t) => {
  const entry = await encodeEntry(HASH, 7, IMAGE);
  assertEquals(await decodeEntry(entry, HASH, 7), IMAGE);
  const cases: [string, Uint8Array, string, number, number?][] = [
    ["another compiler version", entry, HASH, 8],
    ["another codegen flags", entry, HASH, 7, 1],
    ["an entry of other codegen flags", await encodeEntry(HASH, 7, IMAGE, 2), HASH, 7],
    ["another module", entry, "cd".repeat(32), 7],
    ["truncated", entry.subarray(0, entry.length - 1), HASH, 7],
    [
      "a flipped image byte",
      (() => {
        const e = entry.slice();
        e[e.length - 1]! ^= 1;
        return e;
      })(),
      HASH,
      7,
    ],
    [
      "bad magic",
      (() => {
        const e = entry.slice();
        e[0] = 0;
        return e;
      })(),
      HASH,
      7,
    ],
    ["too short for a header", new Uint8Array(10), HASH, 7],
  ];
  for (const [name, bytes, hash, version, flags] of cases) {
    await t.step(name, async () => {
      assertEquals(await decodeEntry(bytes, hash, version, flags), undefined);
    });
  }
  assertEquals(await decodeEntry(await encodeEntry(HASH, 7, IMAGE, 2), HASH, 7, 2), IMAGE);
});

Deno.test("writeCachedImage() and readCachedImage() round-trip through a private folder", async () => {
  await Deno.mkdir(".cache", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".cache", prefix: "image_cache_test" });
  try {
    assertEquals(await readCachedImage(dir, HASH, 1), undefined);
    assert(await writeCachedImage(dir, HASH, 1, IMAGE));
    assertEquals(await readCachedImage(dir, HASH, 1), IMAGE);
    assertEquals(await readCachedImage(dir, HASH, 2), undefined);
    // Images compiled with other codegen flags are other entries.
    assertEquals(await readCachedImage(dir, HASH, 1, 1), undefined);
    assert(await writeCachedImage(dir, HASH, 1, IMAGE.map((b) => b + 1), 1));
    assertEquals(await readCachedImage(dir, HASH, 1, 1), IMAGE.map((b) => b + 1));
    assertEquals(await readCachedImage(dir, HASH, 1), IMAGE);
    // An entry moved under another flags' name is a miss.
    await Deno.copyFile(cachePath(dir, HASH, 1, 1), cachePath(dir, HASH, 1, 2));
    assertEquals(await readCachedImage(dir, HASH, 1, 2), undefined);
    assertEquals((await Deno.stat(`${dir}/images`)).mode! & 0o777, 0o700);
    // A corrupt entry is a miss, and the next write replaces it.
    await Deno.writeFile(cachePath(dir, HASH, 1), new Uint8Array([1, 2, 3]));
    assertEquals(await readCachedImage(dir, HASH, 1), undefined);
    assert(await writeCachedImage(dir, HASH, 1, IMAGE));
    assertEquals(await readCachedImage(dir, HASH, 1), IMAGE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
