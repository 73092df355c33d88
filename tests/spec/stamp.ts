/**
 * The cache key of a converted script: what wast2json read and how it ran.
 *
 * @module
 */

/** The flags the runner converts with; part of the stamp. */
export const WAST2JSON_FLAGS: readonly string[] = ["--enable-all"];

/**
 * Returns the stamp for a `.wast` file's bytes converted by the given
 * wast2json version. A cached conversion is reused only when its stored
 * stamp equals this one.
 */
export async function stampFor(wast: Uint8Array, version: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", wast as Uint8Array<ArrayBuffer>),
  );
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `wast2json ${version} ${WAST2JSON_FLAGS.join(" ")}\nsha256 ${hex}\n`;
}

/**
 * Returns the version that `wast2json --version` printed, such as "1.0.32".
 *
 * Throws `SyntaxError` when the output is not a version.
 */
export function parseWast2jsonVersion(output: string): string {
  const version = output.trim();
  if (!/^\d+(\.\d+)*\S*$/.test(version)) {
    throw new SyntaxError(`Cannot parse wast2json version: "${version}"`);
  }
  return version;
}
