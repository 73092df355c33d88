/**
 * Reads a WebAssembly module's section headers (without decoding the
 * sections) and appends custom sections. Used to size the code section for
 * compile throughput and to make every compiled copy of a module unique.
 *
 * @module
 */

import { ByteWriter, WASM_HEADER } from "./wasm_encode.ts";

/** Section id of the code section (spec 5.5.13). */
export const CODE_SECTION_ID = 10;

/** One section: its id, where its payload starts, and the payload size. */
export interface SectionHeader {
  id: number;
  /** Byte offset of the payload (after the id and the size). */
  offset: number;
  size: number;
  /** For custom sections (id 0), the section's name. */
  name?: string;
}

/** Reads an unsigned LEB128 u32 at offset; returns the value and the next offset. */
export function readUleb(bytes: Uint8Array, offset: number): [number, number] {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const b = bytes[offset + i];
    if (b === undefined) throw new RangeError(`Cannot read LEB128 at offset ${offset}: truncated`);
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (result > 0xffffffff) {
        throw new RangeError(`Cannot read LEB128 at offset ${offset}: exceeds u32`);
      }
      return [result, offset + i + 1];
    }
  }
  throw new RangeError(`Cannot read LEB128 at offset ${offset}: longer than 5 bytes`);
}

/** Lists the sections of a module; throws SyntaxError on a bad header or a truncated section. */
export function readSections(bytes: Uint8Array): SectionHeader[] {
  for (let i = 0; i < WASM_HEADER.length; i++) {
    if (bytes[i] !== WASM_HEADER[i]) {
      throw new SyntaxError("Cannot read sections: not a WebAssembly version 1 module");
    }
  }
  const out: SectionHeader[] = [];
  let pos = WASM_HEADER.length;
  while (pos < bytes.length) {
    const id = bytes[pos]!;
    const [size, offset] = readUleb(bytes, pos + 1);
    if (offset + size > bytes.length) {
      throw new SyntaxError(
        `Cannot read sections: section ${id} at offset ${pos} runs past the end`,
      );
    }
    const header: SectionHeader = { id, offset, size };
    if (id === 0) {
      const [nameLen, nameAt] = readUleb(bytes, offset);
      header.name = new TextDecoder().decode(bytes.subarray(nameAt, nameAt + nameLen));
    }
    out.push(header);
    pos = offset + size;
  }
  return out;
}

/** Size of the code section's payload and the number of function bodies in it. */
export interface CodeSectionInfo {
  size: number;
  functions: number;
}

/** Finds the code section; a module without one has size 0 and no functions. */
export function codeSection(bytes: Uint8Array): CodeSectionInfo {
  const code = readSections(bytes).find((s) => s.id === CODE_SECTION_ID);
  if (!code) return { size: 0, functions: 0 };
  return { size: code.size, functions: readUleb(bytes, code.offset)[0] };
}

/**
 * Returns a copy of the module with a custom section appended. Custom
 * sections may appear anywhere and do not change the module's meaning, but
 * they change its bytes, so V8's native module cache (keyed on the wire
 * bytes) cannot answer a compile of the copy.
 */
export function appendCustomSection(
  bytes: Uint8Array,
  name: string,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const body = new ByteWriter().name(name).bytes(payload);
  const section = new ByteWriter().section(0, body).toBytes();
  const out = new Uint8Array(bytes.length + section.length);
  out.set(bytes);
  out.set(section, bytes.length);
  return out;
}

/** A module made unique by a custom section "gate-bench-nonce" holding counter as 4 bytes. */
export function withNonce(bytes: Uint8Array, counter: number): Uint8Array<ArrayBuffer> {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, counter, true);
  return appendCustomSection(bytes, "gate-bench-nonce", payload);
}
