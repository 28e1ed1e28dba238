// A GIF's block structure, read without decoding pixels: where the image ends (its trailer), and
// whether every frame's LZW data really covers the frame. libvips' GIF decoder (libnsgif) reports
// neither: like a browser it shows the frames and rows that arrived, so a GIF cut mid-frame, even
// one whose sub-blocks were re-terminated and given a trailer, decodes "fine" with the rest missing.
import { corrupt, truncated } from './errors.ts';

const NAME = 'GIF';
const TRAILER = 0x3b;
const EXTENSION = 0x21;
const IMAGE = 0x2c;
const MAX_CODE_SIZE = 12;

const u16le = (bytes: Buffer, at: number) => bytes[at]! | (bytes[at + 1]! << 8);
/** Bytes of the colour table that follows a descriptor whose packed field is `flags` (none when its top bit is clear). */
const colourTableSize = (flags: number) => (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);

/** Offset just past the zero-length block that ends the data sub-blocks starting at `at`. */
function skipSubBlocks(bytes: Buffer, at: number): number {
  for (;;) {
    if (at >= bytes.length) throw truncated(NAME, 'it ends inside a block');
    const size = bytes[at]!;
    if (size === 0) return at + 1;
    at += size + 1;
  }
}

/**
 * Pixels the LZW data in the sub-blocks at `at` decodes to, counting string lengths only (no pixels
 * are produced), stopping once `needed` are reached, at the end code, at the end of the data or at an
 * invalid code.
 */
function lzwPixels(bytes: Buffer, at: number, minCodeSize: number, needed: number): number {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  // lengths[code] = length of the string that code stands for.
  const lengths = new Uint16Array(1 << MAX_CODE_SIZE);
  lengths.fill(1, 0, clear);
  let codeSize = minCodeSize + 1;
  let next = end + 1;
  let previous = -1;
  let pixels = 0;
  let bits = 0;
  let bitCount = 0;
  let blockLeft = 0;
  for (;;) {
    while (bitCount < codeSize) {
      if (blockLeft === 0) {
        blockLeft = bytes[at++] ?? 0;
        if (blockLeft === 0) return pixels; // the data ended before the end code: allowed, if it was enough
      }
      if (at >= bytes.length) return pixels;
      bits |= bytes[at++]! << bitCount;
      bitCount += 8;
      blockLeft--;
    }
    const code = bits & ((1 << codeSize) - 1);
    bits >>>= codeSize;
    bitCount -= codeSize;
    if (code === clear) {
      codeSize = minCodeSize + 1;
      next = end + 1;
      previous = -1;
      continue;
    }
    if (code === end) return pixels;
    let length: number;
    if (previous === -1) {
      if (code > clear) return pixels; // the first code after a clear must be a literal
      length = 1;
    } else if (code < next) {
      length = lengths[code]!;
    } else if (code === next) {
      length = lengths[previous]! + 1;
    } else {
      return pixels; // a code not yet defined: corrupt data
    }
    if (previous !== -1 && next < lengths.length) {
      lengths[next] = lengths[previous]! + 1;
      next++;
      if (next === 1 << codeSize && codeSize < MAX_CODE_SIZE) codeSize++;
    }
    pixels += length;
    previous = code;
    if (pixels >= needed) return pixels;
  }
}

/**
 * Walks the blocks to the trailer and returns the offset just past it. Throws IMAGE_INVALID when the
 * file ends before the trailer, has an unknown block, or has a frame whose data decodes to fewer
 * pixels than the frame has (a frame cut short, whatever follows it).
 */
export function gifEnd(bytes: Buffer): number {
  if (bytes.length < 13) throw truncated(NAME, 'it ends inside its header');
  let at = 13 + colourTableSize(bytes[10]!);
  let frames = 0;
  for (;;) {
    if (at >= bytes.length) throw truncated(NAME, 'it ends before its trailer');
    const block = bytes[at]!;
    if (block === TRAILER) {
      if (frames === 0) throw corrupt(NAME, 'it has no frame');
      return at + 1;
    }
    if (block === EXTENSION) {
      at = skipSubBlocks(bytes, at + 2);
      continue;
    }
    if (block !== IMAGE) throw corrupt(NAME, `it has an unknown block 0x${block.toString(16)}`);
    if (at + 11 > bytes.length) throw truncated(NAME, `it ends inside frame ${frames + 1}`);
    const width = u16le(bytes, at + 5);
    const height = u16le(bytes, at + 7);
    at += 10 + colourTableSize(bytes[at + 9]!);
    if (at >= bytes.length) throw truncated(NAME, `it ends inside frame ${frames + 1}`);
    const minCodeSize = bytes[at]!;
    if (minCodeSize < 1 || minCodeSize >= MAX_CODE_SIZE) throw corrupt(NAME, `frame ${frames + 1} has an invalid LZW code size`);
    const dataEnd = skipSubBlocks(bytes, at + 1);
    const pixels = lzwPixels(bytes, at + 1, minCodeSize, width * height);
    frames++;
    if (pixels < width * height) {
      throw truncated(NAME, `the data of frame ${frames} covers ${pixels} of its ${width}×${height} pixels`);
    }
    at = dataEnd;
  }
}
