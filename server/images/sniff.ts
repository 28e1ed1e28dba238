// What an upload really is, decided from its bytes: declared types and file names are never trusted.
import { formatOfType, IMAGE_FORMATS, type ImageFormat } from '../../media/formats.ts';

export type { ImageFormat };

/** The canonical content type of each accepted format. */
export const MIME_BY_FORMAT = Object.fromEntries(Object.entries(IMAGE_FORMATS).map(([format, info]) => [format, info.contentType])) as Record<ImageFormat, string>;

/** Only the accepted types (media/formats.ts); `image/jpg`, `image/svg+xml` and friends are refused. */
export const formatFromMime = formatOfType;

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return bytes.length >= signature.length && signature.every((byte, i) => bytes[i] === byte);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];

/** AVIF is an ISO-BMFF file whose leading `ftyp` box names avif (still) or avis (sequence) as a brand. */
function isAvif(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return false;
  const boxSize = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  if (boxSize < 16 || boxSize > bytes.length) return false;
  const brands = [ascii(bytes, 8, 12)]; // major brand; minor version at 12..16 is skipped
  for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(ascii(bytes, at, at + 4));
  return brands.includes('avif') || brands.includes('avis');
}

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, JPEG)) return 'jpeg';
  if (startsWith(bytes, PNG)) return 'png';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (isAvif(bytes)) return 'avif';
  return null;
}

// The markup check lives in markup.ts (it scans the whole file); re-exported for existing importers.
export { containsMarkup } from './markup.ts';
