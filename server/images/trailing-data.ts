// What may follow the end of an image (issue 13). Decoders ignore data after the end, which is what
// makes polyglots work: a JPEG with a ZIP appended opens in both an image viewer and an unzipper.
// Phones and cameras append data too, and their photos must still upload, so what they append is
// recognised by its structure and allowed; anything else beyond a few bytes is refused. Allowed data
// is never stored either: processing keeps only the image (see imageOnly in image-end.ts).
//
// Allowed after every format:
// - padding: runs of 0x00 or 0xFF bytes;
// - at the very end, the closing delimiter of a multipart body ("\r\n--boundary--"), left by an
//   upload tool that saved a form field's bytes to the end (the real Nokia Lumia photo in
//   test/fixtures/camera has one);
// - at the very end, up to TOLERATED_TRAILING_BYTES of anything.
// Allowed after a JPEG besides, in any order and number (no device appends anything to the others):
// - further complete JPEG images: the preview a camera adds (Multi-Picture Format), the gain map of an
//   Ultra HDR photo, the depth map of a portrait shot;
// - an ISO-BMFF file (first box `ftyp`): the video of a Google-style motion photo, whose XMP
//   (Container:Directory or GCamera:MicroVideo) points at it;
// - a Samsung trailer ("SEF": data blocks, then a `SEFH` directory, ending in `SEFT`) at the end of the
//   file: the video of a Samsung motion photo and the capture data most Galaxy photos carry.
import { ImageError } from './errors.ts';
import { walkBoxes } from './image-end.ts';
import { readJpegStructure } from './jpeg-structure.ts';
import type { ImageFormat } from './sniff.ts';

/**
 * Unrecognised bytes tolerated at the very end (a stray newline or CRLF from a tool). Too few for
 * another format to live in: a ZIP's end record alone is 22 bytes.
 */
export const TOLERATED_TRAILING_BYTES = 16;

const NAME: Record<ImageFormat, string> = { jpeg: 'JPEG', png: 'PNG', gif: 'GIF', webp: 'WebP', avif: 'AVIF' };

/** Whether an appended JPEG (SOI) or ISO-BMFF file (a box header naming `ftyp`) starts at `at`. */
const startsFile = (bytes: Buffer, at: number) =>
  (bytes[at] === 0xff && bytes[at + 1] === 0xd8) || (bytes[at + 4] === 0x66 && bytes.toString('latin1', at + 4, at + 8) === 'ftyp');

/** Past a run of padding bytes (the 0xFF of an SOI or the zeros of a box size are not padding). */
function skipPadding(bytes: Buffer, at: number, limit: number): number {
  while (at < limit && (bytes[at] === 0x00 || bytes[at] === 0xff) && !startsFile(bytes, at)) at++;
  return at;
}

/** End of a complete JPEG image starting at `at`, or null when there is none. */
function appendedJpeg(bytes: Buffer, at: number, limit: number): number | null {
  if (bytes[at] !== 0xff || bytes[at + 1] !== 0xd8 || bytes[at + 2] !== 0xff) return null;
  try {
    const { end } = readJpegStructure(bytes.subarray(0, limit), at);
    return end;
  } catch (error) {
    if (error instanceof ImageError) return null;
    throw error;
  }
}

/** End of a whole ISO-BMFF file (an MP4 or MOV video) starting at `at`, or null when there is none. */
function appendedVideo(bytes: Buffer, at: number, limit: number): number | null {
  if (at + 16 > limit || bytes.toString('latin1', at + 4, at + 8) !== 'ftyp') return null;
  const { end, cutShort } = walkBoxes(bytes, at, limit);
  return cutShort || end === at ? null : end;
}

/**
 * Where a Samsung trailer that ends the file starts, or null when the file does not end with one. The
 * last 8 bytes are the directory's length (little-endian) and `SEFT`; the directory starts with `SEFH`,
 * a version and an entry count; each 12-byte entry gives a block's distance back from the directory and
 * its size. The trailer starts at the block farthest back.
 */
function samsungTrailerStart(bytes: Buffer, from: number): number | null {
  const length = bytes.length;
  if (length - from < 8 + 12 || bytes.toString('latin1', length - 4) !== 'SEFT') return null;
  const directoryLength = bytes.readUInt32LE(length - 8);
  const directory = length - 8 - directoryLength;
  if (directoryLength < 12 || directory < from || bytes.toString('latin1', directory, directory + 4) !== 'SEFH') return null;
  const entries = bytes.readUInt32LE(directory + 8);
  if (directory + 12 + 12 * entries > length - 8) return null;
  let start = directory;
  for (let i = 0; i < entries; i++) {
    const entry = directory + 12 + 12 * i;
    const distance = bytes.readUInt32LE(entry + 4);
    const size = bytes.readUInt32LE(entry + 8);
    if (distance > directory - from || size > distance) return null;
    start = Math.min(start, directory - distance);
  }
  return start;
}

/** A multipart closing delimiter (RFC 2046: boundary of 1–70 characters from a small set). */
const MULTIPART_CLOSE = /^\r?\n--[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]--(?:\r?\n)?$/;

/**
 * Throws IMAGE_INVALID unless everything in `bytes` after `end` (where the image sniffed as `format`
 * ends) is something the list above allows.
 */
export function checkTrailingData(bytes: Buffer, end: number, format: ImageFormat): void {
  if (end >= bytes.length) return;
  const limit = (format === 'jpeg' && samsungTrailerStart(bytes, end)) || bytes.length;
  let at = end;
  while (at < limit) {
    const padded = skipPadding(bytes, at, limit);
    const next = padded > at ? padded : format === 'jpeg' ? (appendedJpeg(bytes, at, limit) ?? appendedVideo(bytes, at, limit)) : null;
    if (next === null) break;
    at = next;
  }
  const unknown = limit - at;
  const tolerated = unknown <= TOLERATED_TRAILING_BYTES || (unknown <= 80 && MULTIPART_CLOSE.test(bytes.toString('latin1', at, limit)));
  if (!tolerated) {
    throw new ImageError(
      'IMAGE_INVALID',
      `The ${NAME[format]} image is followed by ${unknown} bytes of other data (at byte ${at}); a file that is also something else than an image is refused`,
    );
  }
}
