/**
 * The on-disk cache of compiled images, keyed by the module's SHA-256, the
 * compiler version and the code generation flags (docs/image_cache.md).
 *
 * An entry is a small header and the image:
 *
 *   "GATEIMG\0"  u32 compiler version  u32 codegen flags  u32 image length
 *   32 bytes SHA-256 of the module   32 bytes SHA-256 of the image
 *   image
 *
 * A read checks every field and the image's hash, so a truncated, corrupt
 * or misplaced entry is a miss, never an input to the runtime. (The
 * instance process checks images anyway; the cache directory is created
 * private, 0700, because an image holds machine code.) Writes go to a
 * temporary file renamed into place, so readers never see half an entry.
 * The cache is best effort: failures to read or write it never fail a
 * compile, and without permission Gate neither reads nor writes it.
 *
 * @module
 */

import { join } from "node:path";
import { envGet } from "./_env.ts";
import { readWholeFile, sha256Hex } from "./_bytes.ts";

const MAGIC = new TextEncoder().encode("GATEIMG\0");
const HEADER = 8 + 4 + 4 + 4 + 32 + 32;

/** Where images are cached, from the environment; undefined if nowhere. */
export function defaultCacheDir(
  env: (name: string) => string | undefined = envGet,
): string | undefined {
  const explicit = env("GATE_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "gate");
  const home = env("HOME");
  return home ? join(home, ".cache", "gate") : undefined;
}

/**
 * The entry's path: one file per module hash, compiler version and code
 * generation flags (`gate_image_new_flags()`; the default, 0, adds nothing
 * to the name).
 */
export function cachePath(
  dir: string,
  moduleHash: string,
  compilerVersion: number,
  codegenFlags = 0,
): string {
  if (!/^[0-9a-f]{64}$/.test(moduleHash)) {
    throw new TypeError(`Cannot name a cache entry for hash "${moduleHash}"`);
  }
  const flags = codegenFlags ? `-${codegenFlags.toString(16)}` : "";
  return join(dir, "images", `${moduleHash}-${compilerVersion}${flags}.image`);
}

/** Builds an entry (header + image). */
export async function encodeEntry(
  moduleHash: string,
  compilerVersion: number,
  image: Uint8Array,
  codegenFlags = 0,
): Promise<Uint8Array<ArrayBuffer>> {
  const out = new Uint8Array(HEADER + image.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, compilerVersion, true);
  view.setUint32(12, codegenFlags, true);
  view.setUint32(16, image.length, true);
  out.set(fromHex(moduleHash), 20);
  out.set(fromHex(await sha256Hex(image)), 52);
  out.set(image, HEADER);
  return out;
}

/** Returns the image of an entry if every check passes, else undefined. */
export async function decodeEntry(
  entry: Uint8Array,
  moduleHash: string,
  compilerVersion: number,
  codegenFlags = 0,
): Promise<Uint8Array | undefined> {
  if (entry.length < HEADER) return undefined;
  const view = new DataView(entry.buffer, entry.byteOffset, entry.byteLength);
  if (!MAGIC.every((b, i) => entry[i] === b)) return undefined;
  if (view.getUint32(8, true) !== compilerVersion) return undefined;
  if (view.getUint32(12, true) !== codegenFlags) return undefined;
  if (view.getUint32(16, true) !== entry.length - HEADER) return undefined;
  if (toHex(entry.subarray(20, 52)) !== moduleHash) return undefined;
  const image = entry.subarray(HEADER);
  if (toHex(entry.subarray(52, 84)) !== await sha256Hex(image)) return undefined;
  return image;
}

/** Reads a cached image; undefined on a miss, a bad entry or no permission. */
export async function readCachedImage(
  dir: string,
  moduleHash: string,
  compilerVersion: number,
  codegenFlags = 0,
): Promise<Uint8Array | undefined> {
  const path = cachePath(dir, moduleHash, compilerVersion, codegenFlags);
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
  let entry: Uint8Array;
  try {
    entry = await readWholeFile(path);
  } catch {
    return undefined;
  }
  return await decodeEntry(entry, moduleHash, compilerVersion, codegenFlags);
}

/** Writes an image to the cache; returns whether it did. */
export async function writeCachedImage(
  dir: string,
  moduleHash: string,
  compilerVersion: number,
  image: Uint8Array,
  codegenFlags = 0,
): Promise<boolean> {
  const path = cachePath(dir, moduleHash, compilerVersion, codegenFlags);
  const folder = join(dir, "images");
  if (Deno.permissions.querySync({ name: "write", path: folder }).state !== "granted") {
    return false;
  }
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
    await Deno.writeFile(
      temp,
      await encodeEntry(moduleHash, compilerVersion, image, codegenFlags),
      { mode: 0o600 },
    );
    await Deno.rename(temp, path);
    return true;
  } catch {
    await Deno.remove(temp).catch(() => {});
    return false;
  }
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
