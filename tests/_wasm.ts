/**
 * A tiny WebAssembly binary writer for tests that need modules no assembler
 * would produce (hostile counts, truncated sections).
 *
 * @module
 */

/** Encodes an unsigned LEB128 integer (up to 2^53). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** Encodes a section: id, size, contents. */
export function section(id: number, contents: ArrayLike<number>): number[] {
  return [id, ...uleb(contents.length), ...Array.from(contents)];
}

/** Encodes a vector: count then the items' bytes. */
export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** The 8-byte module header. */
export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Value type bytes. */
export const I32 = 0x7f;

/**
 * A module with one function of type [] -> [] whose body (locals + code,
 * without the size prefix) is given; big bodies are built as Uint8Array.
 */
export function moduleWithBody(body: Uint8Array): Uint8Array {
  const head = [
    ...HEADER,
    ...section(1, vec([[0x60, 0x00, 0x00]])), // type 0: [] -> []
    ...section(3, vec([[0x00]])), // function 0: type 0
  ];
  const entry = [...uleb(body.length)];
  const codeContents = [...uleb(1), ...entry];
  const codeSize = uleb(codeContents.length + body.length);
  const out = new Uint8Array(head.length + 1 + codeSize.length + codeContents.length + body.length);
  out.set(head, 0);
  let o = head.length;
  out[o++] = 10;
  out.set(codeSize, o);
  o += codeSize.length;
  out.set(codeContents, o);
  o += codeContents.length;
  out.set(body, o);
  return out;
}
