// How strictly libvips decodes an upload, and from which bytes (issue 13: corrupt or truncated data
// must be refused, the benign irregularities real cameras write must not be).
//
// What libvips 8.18 reports, measured per family (sharp's failOn: none < truncated < error < warning):
// - JPEG: libjpeg reports a scan cut short and closed with an EOI ("start + FF D9", a 6000×6000 header
//   on a tiny body, data removed mid-scan) and bad Huffman codes only as warnings ("Corrupt JPEG data:
//   premature end of data segment", "…bad Huffman code"): accepted at 'error', a flat grey image.
//   Only 'warning' refuses them. A file simply cut off is "premature end of JPEG image": 'truncated'.
// - PNG (libpng): a truncated or corrupt IDAT stream, a bad CRC in a critical chunk: refused at
//   'truncated'/'error'. A bad CRC in an ancillary chunk and a missing IEND: accepted at every level.
// - GIF (libnsgif): a still cut mid-frame: refused at 'truncated'. An animation cut mid-frame, or
//   any frame whose LZW data is short but properly terminated: accepted at every level.
// - WebP (libwebp): RIFF or chunk sizes that lie, and cut data: refused at every level.
// - AVIF (libheif): cut data, even with box sizes fixed up: refused at every level.
// So for every format but JPEG, 'error' plus the structural checks of the probe (image-end.ts,
// gif-structure.ts: every PNG CRC, end markers, GIF frames covered by their LZW data) is complete.
//
// JPEG needs 'warning', which would also refuse the benign warnings real files cause. libvips' message
// cannot tell them apart reliably: sharp builds it from libvips' process-wide error buffer and warning
// queue, so under concurrent decodes a failure can carry another image's message or none at all
// ("Warning treated as error due to failOn setting", measured), and libjpeg reports only the first
// warning, so a benign one would hide a later "premature end of data segment". Instead the causes of
// the benign warnings are repaired before decoding (jpeg-structure.ts: stray bytes between segments,
// off-spec scan parameters in sequential files, both read past by libjpeg exactly so), and then any
// warning at all refuses the file. (Stray bytes after the last scan, before EOI, the commonest
// camera quirk, draw no warning: libvips never reads past the last scan. Stray bytes between the scans
// of a progressive file cannot be told from scan data without decoding it and are refused; cameras
// write sequential files.) EXIF and ICC oddities are not loader warnings and never fail a decode.
import { decodableJpeg } from './jpeg-structure.ts';
import type { ImageFormat } from './sniff.ts';

export interface DecodeInput {
  input: Buffer;
  failOn: 'error' | 'warning';
}

export function decodeInput(bytes: Buffer, format: ImageFormat): DecodeInput {
  return format === 'jpeg' ? { input: decodableJpeg(bytes), failOn: 'warning' } : { input: bytes, failOn: 'error' };
}
