// Untrusted upload → validated probe → WebP avatar variants. Every failure is an ImageError so the
// render job can record a code the client understands instead of crashing.
import sharp, { type Channels, type Metadata } from 'sharp';
import type { Crop } from '../../media/crop.ts';
import { centredSquare } from '../../media/default-crop/rule.ts';
import { IMAGE_FORMATS } from '../../media/formats.ts';
import { avatarVariants, contentTypeOf, CROPPED_MAX, encoderSettings, UPLOAD_SIDE, type VariantFormat } from '../../media/variants.ts';
import { embeddedFileKind } from './embedded-files.ts';
import { ImageError } from './errors.ts';
import { imageEnd } from './image-end.ts';
import { createLimiter } from './limiter.ts';
import { containsMarkup } from './markup.ts';
import { formatFromMime, sniffImageFormat, type ImageFormat } from './sniff.ts';
import { decodeInput } from './strict-decode.ts';
import { checkTrailingData } from './trailing-data.ts';
import { reusableWebp } from './webp-reuse.ts';

export { ImageError, CROPPED_MAX, type Crop };

export interface PipelineLimits {
  maxPixels: number;
  maxFrames: number;
  timeoutSeconds: number;
}

export interface ImageProbe {
  format: ImageFormat;
  /** As displayed, after EXIF orientation. */
  width: number;
  height: number;
  pages: number;
}

export interface AvatarVariant {
  /** 'cropped' or the requested edge length, e.g. '256'. */
  size: string;
  /** True pixel size: never larger than the crop. */
  width: number;
  height: number;
  data: Buffer;
  /** The content type of its format (media/variants.ts). */
  contentType: string;
}

const formatName = (format: ImageFormat) => IMAGE_FORMATS[format].name;
const TIMED_OUT = 'Processing timed out';

/** The format of the decoder sharp picked, in our terms (AVIF is HEIF with AV1 inside). */
function decodedFormat(metadata: Metadata): ImageFormat | null {
  if (metadata.format === 'heif') return metadata.compression === 'av1' ? 'avif' : null;
  const { format } = metadata;
  return format === 'jpeg' || format === 'png' || format === 'gif' || format === 'webp' ? format : null;
}

/** Cheap checks that need no pixel decoding, so a decompression bomb is refused at header cost. */
export async function probeImage(bytes: Buffer, declaredMime: string, limits: PipelineLimits): Promise<ImageProbe> {
  const declared = formatFromMime(declaredMime);
  if (!declared) throw new ImageError('UNSUPPORTED_MEDIA_TYPE', 'Only JPEG, PNG, GIF, WebP and AVIF images are accepted');
  const format = sniffImageFormat(bytes);
  if (format !== declared) throw new ImageError('IMAGE_INVALID', `The bytes are not a ${formatName(declared)} image`);
  // Polyglots and broken structure, from the bytes alone (issue 13): markup or another format anywhere
  // in the file, a structure cut short, or data after the image's end that no phone or camera appends.
  if (containsMarkup(bytes)) throw new ImageError('IMAGE_INVALID', 'The image contains embedded HTML or script');
  const embedded = embeddedFileKind(bytes);
  if (embedded) throw new ImageError('IMAGE_INVALID', `The image also contains ${embedded}`);
  checkTrailingData(bytes, imageEnd(bytes, format), format);

  let metadata: Metadata;
  try {
    // Header only. sharp's built-in pixel limit would make a huge header look like a corrupt file,
    // so it is lifted here and our own limit below turns it into IMAGE_TOO_LARGE.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageError('IMAGE_INVALID', `The ${formatName(format)} image header could not be read`);
  }
  if (decodedFormat(metadata) !== format) throw new ImageError('IMAGE_INVALID', `The bytes are not a ${formatName(format)} image`);

  // sharp reports the displayed size (width and height swapped for orientations 5–8) here.
  const { width, height } = metadata.autoOrient;
  const pages = metadata.pages ?? 1;
  if (width * height > limits.maxPixels) {
    throw new ImageError('IMAGE_TOO_LARGE', `The image is ${width}×${height}; at most ${limits.maxPixels} pixels are allowed`);
  }
  if (pages > limits.maxFrames) {
    throw new ImageError('IMAGE_TOO_LARGE', `The image has ${pages} frames; at most ${limits.maxFrames} are allowed`);
  }
  return { format, width, height, pages };
}

/** The requested square, or the largest centred one when there is no request. */
function squareOf(probe: ImageProbe, crop: Crop | null): Crop {
  if (!crop) return centredSquare(probe);
  const { x, y, w, h } = crop;
  if (![x, y, w, h].every(Number.isInteger) || w < 1 || w !== h) {
    throw new ImageError('CROP_INVALID', 'The crop must be a square of whole pixels at least 1 pixel wide');
  }
  if (x < 0 || y < 0 || x + w > probe.width || y + h > probe.height) {
    throw new ImageError('CROP_INVALID', `The crop ${w}×${h} at (${x}, ${y}) is not inside the ${probe.width}×${probe.height} image`);
  }
  return crop;
}

interface RawSquare {
  data: Buffer;
  side: number;
  channels: Channels;
}

/**
 * The one full decode: orient, take the first frame, crop, cap at CROPPED_MAX, convert to sRGB,
 * and hand back raw pixels. Nothing but pixels survives, so no EXIF/GPS/XMP/ICC can reach the output.
 */
async function decodeSquare(bytes: Buffer, format: ImageFormat, square: Crop, limits: PipelineLimits): Promise<RawSquare> {
  const side = Math.min(square.w, CROPPED_MAX);
  // Strict enough to refuse every truncation and corruption libvips reports (see strict-decode.ts).
  const { input, failOn } = decodeInput(bytes, format);
  const { data, info } = await sharp(input, {
    limitInputPixels: limits.maxPixels,
    failOn,
    autoOrient: true,
    pages: 1,
  })
    // Frees the worker thread if the race in withDeadline has already given up on it.
    .timeout({ seconds: Math.ceil(limits.timeoutSeconds) })
    .extract({ left: square.x, top: square.y, width: square.w, height: square.h })
    .resize(side, side, { kernel: 'lanczos3' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, side: info.width, channels: info.channels };
}

type Encoded = Omit<AvatarVariant, 'size'>;

const encode = async (square: RawSquare, format: VariantFormat): Promise<Encoded> => ({
  width: square.side,
  height: square.side,
  data: await sharp(square.data, { raw: { width: square.side, height: square.side, channels: square.channels } })
    .toFormat(format, encoderSettings('avatar', format, square.side * square.side))
    .toBuffer(),
  contentType: contentTypeOf(format),
});

/** The same pixels at `side` px (smaller). */
async function shrink(square: RawSquare, side: number): Promise<RawSquare> {
  const { data, info } = await sharp(square.data, { raw: { width: square.side, height: square.side, channels: square.channels } })
    .resize(side, side, { kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, side: info.width, channels: info.channels };
}

/** Races `work` against the clock; `work` gets a signal so it can stop starting new steps once too late. Shared with the emote pipeline. */
export async function withDeadline<T>(seconds: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), seconds * 1000);
  const expired = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(new ImageError('IMAGE_INVALID', TIMED_OUT)));
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } catch (error) {
    if (error instanceof ImageError) throw error;
    // sharp's own timeout may be the one that reports; after the deadline it is still a timeout to the user.
    throw new ImageError('IMAGE_INVALID', controller.signal.aborted ? TIMED_OUT : 'The image data is corrupt or truncated');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Encodes of one image that run at once. Two keep both cores busy with the two large encodes first;
 * more only make them compete for the same cores and hold more buffers (measured on 2 cores: all six
 * at once was slower than two at a time, largest first).
 */
export const ENCODES_AT_ONCE = 2;

/** Told of each variant as soon as it is encoded, while the others still are (to start storing it). */
export type OnVariant = (variant: AvatarVariant) => void;

/**
 * Encodes every variant of the catalogue (media/variants.ts: each size in each format), ENCODES_AT_ONCE at a time,
 * largest first (sharp runs each on the libuv pool). Each size's pixels are made from the next larger size's rather
 * than from the largest (2048 → 1600 → 512 → …: each resize reads the fewest pixels). Sizes larger than the square
 * are not upscaled: they report the square's true size and share its encode, as sizes that end up the same side
 * do. `asIs`: the square's own WebP encoding, when the upload already is it (see webp-reuse.ts), used instead of
 * encoding the square again.
 */
async function encodeVariants(raw: RawSquare, sizes: number[], signal: AbortSignal, onVariant?: OnVariant, asIs?: Buffer): Promise<AvatarVariant[]> {
  const limit = createLimiter(ENCODES_AT_ONCE);
  const targets = avatarVariants(sizes).map((spec) => ({ ...spec, side: Math.min(spec.box, raw.side) }));
  targets.sort((a, b) => b.side - a.side);
  const sides = [...new Set([raw.side, ...targets.map((target) => target.side)])];
  const encodes = new Map<string, Promise<Encoded>>();
  const encodeKey = (side: number, format: VariantFormat) => `${side} ${format}`;
  let pixels: Promise<RawSquare> = Promise.resolve(raw);
  for (const side of sides) {
    const larger = pixels;
    pixels = larger.then((square) => (signal.throwIfAborted(), side === square.side ? square : shrink(square, side)));
    const ofSide = pixels;
    ofSide.catch(() => {}); // awaited by its encodes (or the next shrink); an abort is reported there
    for (const { format } of targets.filter((target) => target.side === side && !encodes.has(encodeKey(side, target.format)))) {
      const reused = side === raw.side && format === 'webp' && asIs ? { width: side, height: side, data: asIs, contentType: contentTypeOf(format) } : null;
      encodes.set(encodeKey(side, format), reused ? Promise.resolve(reused) : limit(async () => (signal.throwIfAborted(), encode(await ofSide, format))));
    }
  }
  // A failed shrink rejects every encode after it; they are all awaited below.
  return Promise.all(
    targets.map(async ({ size, side, format }) => {
      const variant = { size, ...(await encodes.get(encodeKey(side, format))!) };
      onVariant?.(variant);
      return variant;
    }),
  );
}

/**
 * Decodes once, then encodes every size from the same raw square. A still, lossy WebP that is exactly the square
 * (the widget's upload of its output size, cropped whole) is served as it is as its own size, not encoded again:
 * the decode still checks it in full, and the smaller sizes come from that decode.
 */
export async function renderAvatarVariants(
  bytes: Buffer,
  probe: ImageProbe,
  crop: Crop | null,
  sizes: number[],
  limits: PipelineLimits,
  onVariant?: OnVariant,
): Promise<AvatarVariant[]> {
  const square = squareOf(probe, crop);
  const whole = square.x === 0 && square.y === 0 && square.w === probe.width && square.h === probe.height && square.w <= CROPPED_MAX;
  const asIs = whole && probe.format === 'webp' && probe.pages === 1 ? reusableWebp(bytes) ?? undefined : undefined;
  return withDeadline(limits.timeoutSeconds, async (signal) => {
    const raw = await decodeSquare(bytes, probe.format, square, limits);
    signal.throwIfAborted(); // a decode that finished too late must not start encodes nobody awaits
    return encodeVariants(raw, sizes, signal, onVariant, asIs);
  });
}

/** A cartoon's raster edge: vector art has no native size, so its 'cropped' variant is this large too. */
export const CARTOON_SIDE = UPLOAD_SIDE;

/**
 * A square SVG that we drew ourselves (never user markup), CARTOON_SIDE px wide → the same variants as a
 * photo avatar: rasterized once, every size derived from that raster. (librsvg draws at the SVG's own size;
 * the resize only guards against a drawing of another size.)
 */
export async function renderSvgVariants(svg: string, sizes: number[], limits: PipelineLimits): Promise<AvatarVariant[]> {
  return withDeadline(limits.timeoutSeconds, async (signal) => {
    const { data, info } = await sharp(Buffer.from(svg), { limitInputPixels: limits.maxPixels, failOn: 'error' })
      .timeout({ seconds: Math.ceil(limits.timeoutSeconds) })
      .resize(CARTOON_SIDE, CARTOON_SIDE, { fit: 'fill' })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    signal.throwIfAborted();
    return encodeVariants({ data, side: info.width, channels: info.channels }, sizes, signal);
  });
}
