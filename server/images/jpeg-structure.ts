// A JPEG's marker structure, read without decoding pixels: where the image ends (its EOI, not the EOI
// of a thumbnail inside EXIF, nor of a preview image appended after it), whether its entropy-coded
// data can possibly cover the size its header claims, and which harmless irregularities in it would
// make libjpeg warn (see strict-decode.ts for why those matter).
import { corrupt, ImageError, truncated } from './errors.ts';

const NAME = 'JPEG';

/**
 * The most scans a JPEG may have. Each scan is another pass over the image's coefficients, so a progressive file
 * rewritten with thousands of tiny scans costs many times a normal decode (2,090 scans: 17–30 CPU-seconds for a
 * 6300×6300 image). Real encoders write far fewer: libjpeg's scripts 10 (YCbCr) or 2 + 4 per component (18 for
 * CMYK), mozjpeg's optimised ones about 5, phones and cameras 1 (baseline), Photoshop 3–5.
 */
export const MAX_JPEG_SCANS = 100;

export interface JpegStructure {
  /** Offset just past the EOI marker that ends the image. */
  end: number;
  /** Scans (SOS segments) of the image: 1 for most baseline files, about 10 for a progressive one. */
  scans: number;
  /**
   * Bytes between marker segments that belong to none of them, as [start, end) ranges. libjpeg skips
   * them with a warning ("N extraneous bytes before marker"); some cameras pad their APP segments so.
   */
  strayBytes: Array<[number, number]>;
  /**
   * Offsets of the Ss/Se/Ah/Al bytes of scans in a sequential (baseline) frame that are not 0/63/0/0.
   * libjpeg ignores them with a warning ("Invalid SOS parameters for sequential JPEG").
   */
  offSpecScanParameters: number[];
}

interface Component {
  id: number;
  h: number;
  v: number;
}

interface Frame {
  code: number;
  width: number;
  height: number;
  components: Component[];
  hMax: number;
  vMax: number;
}

// Start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** Sequential DCT frames with Huffman coding: the ones whose scans must be 0/63/0/0 and need ≥ 1 bit per block. */
const SEQUENTIAL_HUFFMAN = new Set([0xc0, 0xc1]);
const PROGRESSIVE_HUFFMAN = 0xc2;
const EOI = 0xd9;
const SOS = 0xda;

const u16 = (bytes: Buffer, at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
const hex = (code: number) => `0x${code.toString(16).toUpperCase()}`;

function readFrame(bytes: Buffer, at: number, end: number, code: number): Frame {
  const count = bytes[at + 5]!;
  if (end - at !== 6 + 3 * count || count === 0) throw corrupt(NAME, 'its frame header has the wrong length');
  const height = u16(bytes, at + 1);
  const width = u16(bytes, at + 3);
  // A height of 0 defers it to a DNL marker, which libjpeg does not support either.
  if (width === 0 || height === 0) throw corrupt(NAME, `its frame header gives a size of ${width}×${height}`);
  const components: Component[] = [];
  for (let i = 0; i < count; i++) {
    const sampling = bytes[at + 7 + 3 * i]!;
    const component = { id: bytes[at + 6 + 3 * i]!, h: sampling >> 4, v: sampling & 15 };
    if (component.h < 1 || component.h > 4 || component.v < 1 || component.v > 4) throw corrupt(NAME, 'its frame header has invalid sampling factors');
    components.push(component);
  }
  const hMax = Math.max(...components.map((c) => c.h));
  const vMax = Math.max(...components.map((c) => c.v));
  return { code, width, height, components, hMax, vMax };
}

/** 8×8 blocks a scan codes: one component alone is not padded to whole MCUs, several interleaved are. */
function blocksInScan(frame: Frame, scanned: Component[]): number {
  if (scanned.length === 1) {
    const [c] = scanned as [Component];
    const width = Math.ceil((frame.width * c.h) / frame.hMax);
    const height = Math.ceil((frame.height * c.v) / frame.vMax);
    return Math.ceil(width / 8) * Math.ceil(height / 8);
  }
  const mcus = Math.ceil(frame.width / (8 * frame.hMax)) * Math.ceil(frame.height / (8 * frame.vMax));
  return mcus * scanned.reduce((sum, c) => sum + c.h * c.v, 0);
}

/**
 * Where entropy-coded data that starts at `from` ends: at the first marker that is neither a stuffed
 * 0xFF (FF 00) nor a restart marker (RST0–7); fill bytes (more 0xFF) may precede that marker. -1 when
 * the file ends first.
 */
function endOfEntropyData(bytes: Buffer, from: number): number {
  for (let at = bytes.indexOf(0xff, from); at !== -1; at = bytes.indexOf(0xff, at + 1)) {
    let next = at + 1;
    while (bytes[next] === 0xff) next++;
    if (next >= bytes.length) return -1;
    const code = bytes[next]!;
    if (code === 0x00 || (code >= 0xd0 && code <= 0xd7)) {
      at = next;
      continue;
    }
    return at;
  }
  return -1;
}

/**
 * Walks the marker segments from the SOI at `start` to the EOI that ends the image. Throws
 * IMAGE_INVALID (truncated or corrupt) when the structure is cut short or broken, or when a scan's
 * data is shorter than the image's size requires: every 8×8 block costs at least one bit (a Huffman
 * code is at least 1 bit long; a sequential scan even needs two per block), so a tiny file whose
 * header claims 6000×6000 is refused here, before anything is decoded. More than `maxScans` scans is
 * IMAGE_TOO_COMPLEX, found before the rest of the file is even read.
 */
export function readJpegStructure(bytes: Buffer, start = 0, { maxScans = MAX_JPEG_SCANS } = {}): JpegStructure {
  if (bytes[start] !== 0xff || bytes[start + 1] !== 0xd8) throw corrupt(NAME, 'it does not start with a start-of-image marker');
  const strayBytes: Array<[number, number]> = [];
  const offSpecScanParameters: number[] = [];
  let frame: Frame | null = null;
  let scans = 0;
  let at = start + 2;
  for (;;) {
    const markerAt = bytes.indexOf(0xff, at);
    if (markerAt === -1) throw truncated(NAME, 'it ends before its end-of-image marker');
    if (markerAt > at) strayBytes.push([at, markerAt]);
    let codeAt = markerAt + 1;
    while (bytes[codeAt] === 0xff) codeAt++; // fill bytes
    if (codeAt >= bytes.length) throw truncated(NAME, 'it ends before its end-of-image marker');
    const code = bytes[codeAt]!;
    at = codeAt + 1;
    if (code === 0x00) {
      strayBytes.push([markerAt, at]); // FF 00 outside entropy-coded data: skipped by libjpeg like other stray bytes
      continue;
    }
    if (code === EOI) {
      if (scans === 0) throw corrupt(NAME, 'it has no image data');
      return { end: at, scans, strayBytes, offSpecScanParameters };
    }
    if (code === 0xd8) throw corrupt(NAME, 'it has a second start-of-image marker');
    if (code === 0x01 || (code >= 0xd0 && code <= 0xd7)) continue; // markers without a length
    if (at + 2 > bytes.length) throw truncated(NAME, `it ends inside the ${hex(code)} marker`);
    const segmentEnd = at + u16(bytes, at);
    if (segmentEnd < at + 2) throw corrupt(NAME, `its ${hex(code)} segment has an invalid length`);
    if (segmentEnd > bytes.length) throw truncated(NAME, `it ends inside its ${hex(code)} segment`);
    if (SOF.has(code)) {
      if (frame) throw corrupt(NAME, 'it has more than one frame header');
      frame = readFrame(bytes, at + 2, segmentEnd, code);
    }
    if (code !== SOS) {
      at = segmentEnd;
      continue;
    }

    if (!frame) throw corrupt(NAME, 'a scan comes before the frame header');
    if (scans === maxScans) {
      throw new ImageError('IMAGE_TOO_COMPLEX', `The JPEG image has more than ${maxScans} scans (progressive passes); cameras and encoders write at most a few dozen`);
    }
    const count = bytes[at + 2]!;
    if (segmentEnd - at !== 6 + 2 * count || count === 0) throw corrupt(NAME, 'a scan header has the wrong length');
    const scanned: Component[] = [];
    for (let i = 0; i < count; i++) {
      const component = frame.components.find((c) => c.id === bytes[at + 3 + 2 * i]);
      if (!component) throw corrupt(NAME, 'a scan names a component the frame does not have');
      scanned.push(component);
    }
    const parameters = segmentEnd - 3; // Ss, Se, Ah/Al
    const [ss, se, approximation] = [bytes[parameters]!, bytes[parameters + 1]!, bytes[parameters + 2]!];
    const sequential = SEQUENTIAL_HUFFMAN.has(frame.code);
    if (sequential && (ss !== 0 || se !== 63 || approximation !== 0)) offSpecScanParameters.push(parameters);

    const dataEnd = endOfEntropyData(bytes, segmentEnd);
    if (dataEnd === -1) throw truncated(NAME, 'it ends inside its image data');
    // Progressive AC scans can skip whole runs of blocks in a few bits; DC scans and sequential ones cannot.
    if (sequential || (frame.code === PROGRESSIVE_HUFFMAN && ss === 0)) {
      const blocks = blocksInScan(frame, scanned);
      const needed = Math.ceil((blocks * (sequential ? 2 : 1)) / 8);
      if (dataEnd - segmentEnd < needed) {
        throw truncated(NAME, `its ${frame.width}×${frame.height} pixels need at least ${needed} bytes of image data, but a scan has ${dataEnd - segmentEnd}`);
      }
    }
    scans++;
    at = dataEnd;
  }
}

/**
 * The bytes to hand libjpeg: the image up to its EOI with the two harmless irregularities above
 * repaired exactly as libjpeg would read past them (stray bytes dropped, sequential scan parameters set
 * to the only values a sequential decoder uses), so that any warning left comes from the image data
 * itself. The same buffer when there is nothing to repair.
 */
export function decodableJpeg(bytes: Buffer): Buffer {
  const { end, strayBytes, offSpecScanParameters } = readJpegStructure(bytes);
  if (strayBytes.length === 0 && offSpecScanParameters.length === 0) return bytes;
  const repaired = Buffer.from(bytes.subarray(0, end));
  for (const at of offSpecScanParameters) repaired.set([0, 63, 0], at);
  const kept: Buffer[] = [];
  let from = 0;
  for (const [strayStart, strayEnd] of strayBytes) {
    kept.push(repaired.subarray(from, strayStart));
    from = strayEnd;
  }
  kept.push(repaired.subarray(from));
  return Buffer.concat(kept);
}
