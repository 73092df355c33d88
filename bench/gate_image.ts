/**
 * Reads the section table of a serialized Gate image (docs/image.md) to size
 * its machine code: the payload of the code section, which holds the shared
 * trap entry, entry trampolines, host-call stubs, the functions with their
 * out-of-line paths, and the constant pool. Pure.
 *
 * @module
 */

/** Bytes before the first section: magic, compiler version, architecture, hash. */
const HEADER_SIZE = 24;

/** Tag of the code section, whose payload is `u32 len` then the machine code. */
export const IMAGE_CODE_SECTION = 11;

/** Tag of the last section. */
const END_SECTION = 15;

const MAGIC = [0x47, 0x41, 0x54, 0x45, 0x49, 0x4d, 0x47, 0x01]; // "GATEIMG\x01"

/** Sizes of an image: all of it, and its machine code. */
export interface ImageSizes {
  imageBytes: number;
  machineCodeBytes: number;
}

/** Sizes an image; throws SyntaxError when it is not an image or its sections do not add up. */
export function imageSizes(image: Uint8Array): ImageSizes {
  if (image.length < HEADER_SIZE || MAGIC.some((b, i) => image[i] !== b)) {
    throw new SyntaxError("Cannot read image: no GATEIMG header");
  }
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  let pos = HEADER_SIZE;
  let machineCodeBytes: number | undefined;
  while (pos + 8 <= image.length) {
    const tag = view.getUint32(pos, true), len = view.getUint32(pos + 4, true);
    const payload = pos + 8;
    if (payload + len > image.length) {
      throw new SyntaxError(`Cannot read image: section ${tag} at offset ${pos} runs past the end`);
    }
    if (tag === IMAGE_CODE_SECTION) {
      if (len < 4) throw new SyntaxError("Cannot read image: code section too short");
      machineCodeBytes = view.getUint32(payload, true);
    }
    if (tag === END_SECTION) {
      if (machineCodeBytes === undefined) {
        throw new SyntaxError("Cannot read image: no code section");
      }
      return { imageBytes: image.length, machineCodeBytes };
    }
    pos = payload + len;
  }
  throw new SyntaxError("Cannot read image: no end section");
}
