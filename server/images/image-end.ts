// Where an image's own data ends, per format, from its structure alone: JPEG at the EOI after its last
// scan, PNG after IEND, GIF after the trailer, WebP where its RIFF header says, AVIF after its last
// top-level box. Walking there also proves the structure complete: a chunk, segment or box that runs
// past the end of the file, a bad PNG CRC or a missing end marker is IMAGE_INVALID (truncated or
// corrupt), whatever a decoder would make of it. Whatever follows the end is judged in trailing-data.ts.
import { crc32 } from 'node:zlib';
import { corrupt, ImageError, truncated } from './errors.ts';
import { gifEnd } from './gif-structure.ts';
import { readJpegStructure } from './jpeg-structure.ts';
import { sniffImageFormat, type ImageFormat } from './sniff.ts';

const latin1 = (bytes: Buffer, start: number, end: number) => bytes.toString('latin1', start, end);

function pngEnd(bytes: Buffer): number {
  const NAME = 'PNG';
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length) throw truncated(NAME, 'it ends before its IEND chunk');
    const length = bytes.readUInt32BE(at);
    const type = latin1(bytes, at + 4, at + 8);
    if (!/^[A-Za-z]{4}$/.test(type) || length > 0x7fffffff) throw corrupt(NAME, `it has an invalid chunk header at byte ${at}`);
    if (at === 8 && type !== 'IHDR') throw corrupt(NAME, 'it does not start with an IHDR chunk');
    const dataEnd = at + 8 + length;
    if (dataEnd + 4 > bytes.length) throw truncated(NAME, `it ends inside its ${type} chunk`);
    // Every chunk, critical or not: libpng only warns about a bad CRC in an ancillary chunk.
    if (crc32(bytes.subarray(at + 4, dataEnd)) !== bytes.readUInt32BE(dataEnd)) throw corrupt(NAME, `the CRC of its ${type} chunk is wrong`);
    if (type === 'IEND') return dataEnd + 4;
    at = dataEnd + 4;
  }
}

function webpEnd(bytes: Buffer): number {
  const NAME = 'WebP';
  if (bytes.length < 20) throw truncated(NAME, 'it ends inside its header');
  const end = 8 + bytes.readUInt32LE(4);
  if (end > bytes.length) throw truncated(NAME, `its RIFF header announces ${end} bytes but the file has ${bytes.length}`);
  let at = 12;
  while (at < end) {
    if (at + 8 > end) throw corrupt(NAME, 'a chunk header runs past the end its RIFF header gives');
    const size = bytes.readUInt32LE(at + 4);
    if (at + 8 + size > end) throw corrupt(NAME, `its ${latin1(bytes, at, at + 4).trim()} chunk runs past the end its RIFF header gives`);
    at += 8 + size + (size & 1); // a chunk of odd size is followed by a padding byte
  }
  if (end === 12) throw corrupt(NAME, 'it has no chunks');
  return end;
}

/** A top-level box type as ISO-BMFF writers use them: four lower-case letters or digits. */
function isBoxType(bytes: Buffer, at: number): boolean {
  for (let i = at; i < at + 4; i++) {
    const b = bytes[i]!;
    if (!((b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39))) return false;
  }
  return true;
}

/**
 * Top-level boxes of HEIF/AVIF and MP4 files. Only a box of one of these types that claims more bytes
 * than remain means a cut-short file; any other such "box" is data appended after the file.
 */
const KNOWN_BOXES = new Set(['ftyp', 'meta', 'moov', 'mdat', 'free', 'skip', 'wide', 'uuid', 'moof', 'mfra', 'styp', 'sidx', 'ssix', 'prft', 'emsg', 'pdin', 'meco', 'etyp']);

export interface Boxes {
  /** Offset just past the last whole box. */
  end: number;
  /** The type of a box whose header claims more bytes than the file has after it (a cut-short file), if any. */
  cutShort?: string;
}

/**
 * Walks ISO-BMFF top-level boxes from `start` while the bytes look like box headers; stops at the first
 * that does not (data appended after the file) or that claims more than the bytes up to `limit` hold.
 */
export function walkBoxes(bytes: Buffer, start: number, limit = bytes.length): Boxes {
  let at = start;
  while (at + 8 <= limit && isBoxType(bytes, at + 4)) {
    let size = bytes.readUInt32BE(at);
    let header = 8;
    const type = latin1(bytes, at + 4, at + 8);
    const cutShort = KNOWN_BOXES.has(type) ? { end: at, cutShort: type } : { end: at };
    if (size === 1) {
      if (at + 16 > limit) return cutShort;
      size = Number(bytes.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = limit - at; // "extends to the end of the file"
    }
    if (size < header) break;
    if (at + size > limit) return cutShort;
    at += size;
  }
  return { end: at };
}

function avifEnd(bytes: Buffer): number {
  const { end, cutShort } = walkBoxes(bytes, 0);
  if (cutShort) throw truncated('AVIF', `it ends inside its '${cutShort}' box`);
  return end;
}

/**
 * Offset just past the image's own data in `bytes` (a file sniffed as `format`). Throws IMAGE_INVALID
 * when the structure is cut short or broken.
 */
export function imageEnd(bytes: Buffer, format: ImageFormat): number {
  switch (format) {
    case 'jpeg':
      return readJpegStructure(bytes).end;
    case 'png':
      return pngEnd(bytes);
    case 'gif':
      return gifEnd(bytes);
    case 'webp':
      return webpEnd(bytes);
    case 'avif':
      return avifEnd(bytes);
  }
}

/**
 * Just the image: `bytes` up to the end of the image they start with, without anything appended (a
 * motion photo's video, padding, an archive). All of `bytes` when they are not an image of an accepted
 * format or their structure is broken (the probe refuses those).
 */
export function imageOnly(bytes: Buffer): Buffer {
  const format = sniffImageFormat(bytes);
  if (!format) return bytes;
  try {
    const end = imageEnd(bytes, format);
    return end < bytes.length ? bytes.subarray(0, end) : bytes;
  } catch (error) {
    if (error instanceof ImageError) return bytes;
    throw error;
  }
}
