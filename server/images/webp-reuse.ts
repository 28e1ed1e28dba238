// Whether an uploaded WebP can be served as it is, as the variant of its own size (issue 18 §3): the widget crops,
// resizes and encodes in the browser, so its upload often already is the 1600 px variant; encoding it again would
// cost the server its largest encode and the user a second loss of quality. Served as it is only when it is what we
// would have produced, in effect: a still, lossy WebP (VP8, with an alpha channel or not) holding nothing else — no
// EXIF, XMP or ICC profile, no animation, no unknown chunk, not one byte after its RIFF. The caller also decodes it
// in full (which libwebp refuses for any inconsistency) and only reuses it when the crop is the whole image.

/** The chunks of a simple lossy WebP ('VP8 ') or an extended one with only an alpha channel ('VP8X', 'ALPH', 'VP8 '). */
const PLAIN_LAYOUTS = ['VP8 ', 'VP8X|VP8 ', 'VP8X|ALPH|VP8 '];
/** VP8X flags: the alpha flag is the only one allowed (ICC 0x20, EXIF 0x08, XMP 0x04 and animation 0x02 are not). */
const VP8X_ALPHA = 0x10;

/**
 * The bytes of `bytes`' RIFF container when it is a plain still lossy WebP that can be served as it is, else null.
 * The probe has already read its size with libvips; nothing here decodes.
 */
export function reusableWebp(bytes: Buffer): Buffer | null {
  if (bytes.length < 20 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP') return null;
  const end = 8 + bytes.readUInt32LE(4);
  // Exactly the container: a byte more (what the probe tolerates at the end of other files) would be served too.
  if (end !== bytes.length || end % 2 !== 0) return null;
  const chunks: string[] = [];
  for (let at = 12; at < end; ) {
    if (at + 8 > end) return null;
    const fourcc = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const next = at + 8 + size + (size % 2);
    if (next > end) return null;
    if (fourcc === 'VP8X' && (size < 10 || (bytes[at + 8]! & ~VP8X_ALPHA) !== 0)) return null;
    chunks.push(fourcc);
    at = next;
  }
  return PLAIN_LAYOUTS.includes(chunks.join('|')) ? bytes : null;
}
