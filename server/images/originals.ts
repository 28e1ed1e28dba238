// What is kept of an upload as its original (SPEC §4): the image, for recrop and the default crop, and nothing
// personal. Everything after the image's end goes (issue 13: no polyglot at rest), and so does every metadata block
// (EXIF with its GPS position, serial numbers, maker notes and thumbnail; XMP; IPTC; comments; text chunks) —
// losslessly: the image data are copied byte for byte, never decoded and encoded again.
//
// The orientation is kept, as an EXIF block that holds nothing else, so the stored original is read exactly as the
// upload was (sharp's autoOrient, which the pipeline and recrop use): the same size, so a crop given for the upload
// is the same crop of the original. AVIF says its orientation in its own boxes (irot/imir), which stay. Colour data
// stays too (ICC profiles, PNG's colour chunks, Adobe's JPEG colour transform): it is not about a person.
import { crc32 } from 'node:zlib';
import { imageOnly } from './image-end.ts';
import type { ImageFormat } from './sniff.ts';

/**
 * The bytes to store as the original of an upload of `format` that passed the probe: `bytes` itself when there is
 * nothing to take away. A structure the walk does not understand is left as it is (the probe accepted it).
 */
export function keptOriginal(bytes: Buffer, format: ImageFormat): Buffer {
  const image = imageOnly(bytes);
  try {
    return STRIP[format](image) ?? image;
  } catch (error) {
    if (error instanceof RangeError) return image; // a walk that ran off the end: not ours to fix
    throw error;
  }
}

/** Each format's stripper: the stripped bytes, or null when nothing needed to go. */
const STRIP: Record<ImageFormat, (bytes: Buffer) => Buffer | null> = { jpeg: stripJpeg, png: stripPng, webp: stripWebp, gif: stripGif, avif: stripAvif };

// ---- EXIF: the orientation, and a block that says only it ----

const ORIENTATION_TAG = 0x0112;

/** The orientation (1-8) in a TIFF structure (an EXIF block after its "Exif\0\0"), or 1 when it has none. */
export function exifOrientation(tiff: Buffer): number {
  if (tiff.length < 8) return 1;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return 1;
  const le = order === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count && ifd + 2 + 12 * (i + 1) <= tiff.length; i++) {
    const entry = ifd + 2 + 12 * i;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    const value = u16(entry + 8);
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

/** A TIFF structure whose one IFD holds the orientation alone (big-endian, 26 bytes). */
function orientationTiff(orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('MM\u0000\u002a', 0, 'latin1');
  tiff.writeUInt32BE(8, 4); // the IFD follows the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(ORIENTATION_TAG, 10);
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // one value, held in the entry
  tiff.writeUInt16BE(orientation, 18);
  // bytes 22-25: no next IFD
  return tiff;
}

const EXIF_HEADER = Buffer.from('Exif\u0000\u0000', 'latin1');

/** The TIFF structure of an EXIF payload, with or without its "Exif\0\0" header. */
const tiffOf = (payload: Buffer) => (payload.subarray(0, 6).equals(EXIF_HEADER) ? payload.subarray(6) : payload);

// ---- JPEG: marker segments ----

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const COM = 0xfe;

/** Segments that stay: JFIF (without its thumbnail), ICC profiles, Adobe's colour transform; any marker not APPn or COM. */
function jpegSegmentKept(marker: number, payload: Buffer): Buffer | null {
  if (marker === COM) return null;
  if (marker < APP0 || marker > 0xef) return payload;
  if (marker === APP0 && payload.toString('latin1', 0, 5) === 'JFIF\u0000' && payload.length >= 14) {
    // Version, units and density; a thumbnail (an image of the whole picture) goes.
    const header = Buffer.from(payload.subarray(0, 14));
    header[12] = 0;
    header[13] = 0;
    return header;
  }
  if (marker === APP2 && payload.toString('latin1', 0, 12) === 'ICC_PROFILE\u0000') return payload;
  if (marker === APP14 && payload.toString('latin1', 0, 5) === 'Adobe') return payload;
  return null;
}

function segment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/**
 * Walks the segments, keeping what jpegSegmentKept keeps, and copies each scan's entropy-coded data as it is. Bytes
 * between segments that belong to none (some cameras pad so) go too.
 */
function stripJpeg(bytes: Buffer): Buffer | null {
  const out: Buffer[] = [bytes.subarray(0, 2)];
  let orientation = 1;
  let changed = false;
  let at = 2;
  let afterJfif = 1; // where the orientation's APP1 goes: after SOI, or after a JFIF APP0 that comes first
  for (;;) {
    if (bytes[at] !== 0xff) {
      changed = true; // stray bytes
      const next = bytes.indexOf(0xff, at);
      if (next === -1) return null;
      at = next;
      continue;
    }
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === EOI) {
      out.push(bytes.subarray(at, at + 2));
      break;
    }
    if (marker === SOI || (marker >= 0xd0 && marker <= 0xd7)) {
      out.push(bytes.subarray(at, at + 2));
      at += 2;
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    const payload = bytes.subarray(at + 4, at + 2 + length);
    if (payload.length !== length - 2) throw new RangeError('a segment runs past the end');
    if (marker === APP1 && orientation === 1 && payload.subarray(0, 6).equals(EXIF_HEADER)) orientation = exifOrientation(payload.subarray(6));
    const kept = jpegSegmentKept(marker, payload);
    if (kept === payload) out.push(bytes.subarray(at, at + 2 + length));
    else {
      changed = true;
      if (kept) out.push(segment(marker, kept));
    }
    if (marker === APP0 && out.length === 2 && kept) afterJfif = 2;
    at += 2 + length;
    if (marker === SOS) {
      const dataEnd = entropyEnd(bytes, at);
      out.push(bytes.subarray(at, dataEnd));
      at = dataEnd;
    }
  }
  if (orientation !== 1) out.splice(afterJfif, 0, segment(APP1, Buffer.concat([EXIF_HEADER, orientationTiff(orientation)])));
  if (!changed && orientation === 1) return null;
  return Buffer.concat(out);
}

/** The offset of the marker that ends the entropy-coded data starting at `at` (stuffed 00s and RSTn belong to it). */
function entropyEnd(bytes: Buffer, at: number): number {
  for (let i = bytes.indexOf(0xff, at); i !== -1; i = bytes.indexOf(0xff, i + 1)) {
    const next = bytes[i + 1];
    if (next === undefined) break;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) continue;
    if (next === 0xff) continue; // fill bytes before a marker: the last 0xFF starts it
    return i;
  }
  throw new RangeError('the scan runs to the end of the file');
}

// ---- PNG: chunks ----

/**
 * Chunks that stay: the image, its transparency, colour and animation; every other chunk goes (tEXt, zTXt, iTXt, tIME,
 * eXIf, and private ones such as C2PA manifests or a camera's own).
 */
const PNG_KEPT = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'cHRM', 'gAMA', 'iCCP', 'sBIT', 'sRGB', 'cICP', 'mDCV', 'cLLI', 'bKGD', 'hIST', 'pHYs', 'sPLT', 'acTL', 'fcTL', 'fdAT']);

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

function stripPng(bytes: Buffer): Buffer | null {
  const out: Buffer[] = [bytes.subarray(0, 8)];
  let changed = false;
  for (let at = 8; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const end = at + 12 + length;
    if (end > bytes.length) throw new RangeError('a chunk runs past the end');
    if (PNG_KEPT.has(type)) out.push(bytes.subarray(at, end));
    else {
      changed = true;
      const orientation = type === 'eXIf' ? exifOrientation(tiffOf(bytes.subarray(at + 8, at + 8 + length))) : 1;
      if (orientation !== 1) out.push(pngChunk('eXIf', orientationTiff(orientation)));
    }
    at = end;
  }
  return changed ? Buffer.concat(out) : null;
}

// ---- WebP: RIFF chunks ----

const WEBP_KEPT = new Set(['VP8X', 'VP8 ', 'VP8L', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function riffChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(8 + data.length + (data.length & 1));
  chunk.write(type, 0, 'latin1');
  chunk.writeUInt32LE(data.length, 4);
  data.copy(chunk, 8);
  return chunk;
}

function stripWebp(bytes: Buffer): Buffer | null {
  const end = 8 + bytes.readUInt32LE(4);
  const chunks: Buffer[] = [];
  let changed = false;
  let orientation = 1;
  for (let at = 12; at + 8 <= end; ) {
    const type = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const next = at + 8 + size + (size & 1);
    if (next > end + (size & 1)) throw new RangeError('a chunk runs past the end');
    if (WEBP_KEPT.has(type)) chunks.push(bytes.subarray(at, Math.min(next, end)));
    else {
      changed = true;
      if (type === 'EXIF') orientation = exifOrientation(tiffOf(bytes.subarray(at + 8, at + 8 + size)));
    }
    at = next;
  }
  if (!changed) return null;
  const first = chunks[0];
  if (first?.toString('latin1', 0, 4) === 'VP8X') {
    const vp8x = Buffer.from(first);
    vp8x[8] = (vp8x[8]! & ~(VP8X_EXIF | VP8X_XMP)) | (orientation !== 1 ? VP8X_EXIF : 0);
    chunks[0] = vp8x;
    if (orientation !== 1) chunks.push(riffChunk('EXIF', orientationTiff(orientation)));
  }
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(4 + body.length, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}

// ---- GIF: blocks ----

const GIF_EXTENSION = 0x21;
const GIF_IMAGE = 0x2c;
const GIF_TRAILER = 0x3b;
const GIF_COMMENT = 0xfe;
const GIF_APPLICATION = 0xff;
/** Application extensions that stay: the loop count (two spellings) and an ICC profile. */
const GIF_APPLICATIONS_KEPT = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0', 'ICCRGBG1012']);

const colourTableSize = (flags: number) => (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);

function subBlocksEnd(bytes: Buffer, at: number): number {
  for (;;) {
    const size = bytes[at];
    if (size === undefined) throw new RangeError('the blocks run past the end');
    if (size === 0) return at + 1;
    at += size + 1;
  }
}

/** Comments and application extensions other than the loop count and colour profile go (XMP among them). */
function stripGif(bytes: Buffer): Buffer | null {
  let at = 13 + colourTableSize(bytes[10]!);
  const out: Buffer[] = [bytes.subarray(0, at)];
  let changed = false;
  for (;;) {
    const block = bytes[at];
    if (block === undefined) throw new RangeError('no trailer');
    if (block === GIF_TRAILER) {
      out.push(bytes.subarray(at, at + 1));
      break;
    }
    let end: number;
    if (block === GIF_EXTENSION) {
      end = subBlocksEnd(bytes, at + 2);
      const label = bytes[at + 1];
      const application = label === GIF_APPLICATION ? bytes.toString('latin1', at + 3, at + 3 + bytes[at + 2]!) : '';
      if (label === GIF_COMMENT || (label === GIF_APPLICATION && !GIF_APPLICATIONS_KEPT.has(application))) {
        changed = true;
        at = end;
        continue;
      }
    } else if (block === GIF_IMAGE) {
      end = subBlocksEnd(bytes, at + 10 + colourTableSize(bytes[at + 9]!) + 1);
    } else {
      throw new RangeError('an unknown block');
    }
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return changed ? Buffer.concat(out) : null;
}

// ---- AVIF: items in the meta box ----

interface Box {
  type: string;
  /** Where its content starts (after the header) and ends. */
  start: number;
  end: number;
}

function* boxes(bytes: Buffer, from: number, to: number): Generator<Box> {
  for (let at = from; at + 8 <= to; ) {
    let size = bytes.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      size = Number(bytes.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) throw new RangeError('a box runs past its parent');
    yield { type: bytes.toString('latin1', at + 4, at + 8), start: at + header, end: at + size };
    at += size;
  }
}

const readSized = (bytes: Buffer, at: number, size: number): number => {
  if (size === 0) return 0;
  if (size === 4) return bytes.readUInt32BE(at);
  if (size === 8) return Number(bytes.readBigUInt64BE(at));
  throw new RangeError(`an iloc field of ${size} bytes`);
};

type MetadataKind = 'exif' | 'xmp';

/** Exif items and XMP (mime application/rdf+xml) items by id, from the iinf box. */
function metadataItems(bytes: Buffer, iinf: Box): Map<number, MetadataKind> {
  const version = bytes[iinf.start]!;
  const ids = new Map<number, MetadataKind>();
  const first = iinf.start + 4 + (version === 0 ? 2 : 4);
  for (const infe of boxes(bytes, first, iinf.end)) {
    if (infe.type !== 'infe') continue;
    const infeVersion = bytes[infe.start]!;
    if (infeVersion < 2) continue;
    const idSize = infeVersion === 2 ? 2 : 4;
    const id = idSize === 2 ? bytes.readUInt16BE(infe.start + 4) : bytes.readUInt32BE(infe.start + 4);
    const typeAt = infe.start + 4 + idSize + 2;
    const itemType = bytes.toString('latin1', typeAt, typeAt + 4);
    const nameEnd = bytes.indexOf(0, typeAt + 4);
    const contentType = itemType === 'mime' && nameEnd !== -1 ? bytes.toString('latin1', nameEnd + 1, Math.max(nameEnd + 1, bytes.indexOf(0, nameEnd + 1))) : '';
    if (itemType === 'Exif') ids.set(id, 'exif');
    else if (contentType === 'application/rdf+xml') ids.set(id, 'xmp');
  }
  return ids;
}

interface Extent {
  kind: MetadataKind;
  start: number;
  end: number;
}

/** The byte ranges of the given items' data, from the iloc box (file offsets, or offsets in idat). */
function itemExtents(bytes: Buffer, iloc: Box, items: Map<number, MetadataKind>, idat: Box | undefined): Extent[] {
  const version = bytes[iloc.start]!;
  let at = iloc.start + 4;
  const offsetSize = bytes[at]! >> 4;
  const lengthSize = bytes[at]! & 15;
  const baseOffsetSize = bytes[at + 1]! >> 4;
  const indexSize = version === 1 || version === 2 ? bytes[at + 1]! & 15 : 0;
  at += 2;
  const count = version < 2 ? bytes.readUInt16BE(at) : bytes.readUInt32BE(at);
  at += version < 2 ? 2 : 4;
  const extents: Extent[] = [];
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? bytes.readUInt16BE(at) : bytes.readUInt32BE(at);
    at += version < 2 ? 2 : 4;
    const construction = version === 1 || version === 2 ? bytes.readUInt16BE(at) & 15 : 0;
    if (version === 1 || version === 2) at += 2;
    at += 2; // data_reference_index
    const base = readSized(bytes, at, baseOffsetSize);
    at += baseOffsetSize;
    const extentCount = bytes.readUInt16BE(at);
    at += 2;
    for (let e = 0; e < extentCount; e++) {
      at += indexSize;
      const offset = readSized(bytes, at, offsetSize);
      at += offsetSize;
      const length = readSized(bytes, at, lengthSize);
      at += lengthSize;
      const kind = items.get(id);
      if (kind === undefined) continue;
      const start = construction === 0 ? base + offset : construction === 1 && idat ? idat.start + base + offset : NaN;
      if (Number.isNaN(start)) throw new RangeError('an item stored in a way not handled here');
      extents.push({ kind, start, end: start + length });
    }
  }
  return extents;
}

/**
 * Exif and XMP items are overwritten where they are, at the same length (so no offset in the file changes): an Exif
 * item by an empty TIFF structure padded with zeros, an XMP item by spaces. The orientation of an AVIF is in its
 * irot/imir properties, which stay.
 */
function stripAvif(bytes: Buffer): Buffer | null {
  const meta = [...boxes(bytes, 0, bytes.length)].find((box) => box.type === 'meta');
  if (!meta) return null;
  const children = [...boxes(bytes, meta.start + 4, meta.end)];
  const iinf = children.find((box) => box.type === 'iinf');
  const iloc = children.find((box) => box.type === 'iloc');
  if (!iinf || !iloc) return null;
  const items = metadataItems(bytes, iinf);
  if (items.size === 0) return null;
  const extents = itemExtents(bytes, iloc, items, children.find((box) => box.type === 'idat'));
  const out = Buffer.from(bytes);
  for (const { kind, start, end } of extents) {
    if (end > out.length) throw new RangeError('an item runs past the end');
    out.fill(kind === 'exif' ? 0 : 0x20, start, end);
    // Exif item data: a 4-byte offset to the TIFF header (0), then the header and an IFD with no entries.
    if (kind === 'exif' && end - start >= 14) Buffer.from('MM\u0000\u002a\u0000\u0000\u0000\u0008', 'latin1').copy(out, start + 4);
  }
  return out;
}
