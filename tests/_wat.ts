/**
 * WebAssembly text to binary for tests, with wabt's wat2wasm (installed by
 * tools/setup.sh, like wast2json for the spec runner). Conversions are cached
 * in .cache/wat/ by the SHA-256 of the text.
 *
 * @module
 */

import { sha256 } from "hash-wasm";
import { fileURLToPath } from "node:url";

const CACHE = fileURLToPath(new URL("../.cache/wat/", import.meta.url));

/** Converts WebAssembly text to a binary module, keeping names (--debug-names). */
export async function wat(text: string): Promise<Uint8Array> {
  const key = await sha256(text);
  const wasmPath = `${CACHE}${key}.wasm`;
  try {
    return await Deno.readFile(wasmPath);
  } catch {
    // Not converted yet.
  }
  await Deno.mkdir(CACHE, { recursive: true });
  const watPath = `${CACHE}${key}.wat`;
  await Deno.writeTextFile(watPath, text);
  const tmp = `${wasmPath}.${crypto.randomUUID()}.tmp`;
  const { code, stderr } = await new Deno.Command("wat2wasm", {
    args: ["--debug-names", watPath, "-o", tmp],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`Cannot convert WebAssembly text: ${new TextDecoder().decode(stderr)}`);
  }
  await Deno.rename(tmp, wasmPath);
  return await Deno.readFile(wasmPath);
}
