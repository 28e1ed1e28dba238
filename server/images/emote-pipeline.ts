// Untrusted upload → emote variants (SPEC §3 "Emotes", §4): WebP that keeps the aspect ratio of the
// source (or of a free rectangular crop), is never upscaled, and stays animated when the source is an
// animated GIF or WebP. Probing (format sniffing, pixel and frame limits) is the avatar pipeline's
// probeImage; every failure is an ImageError with a code the client understands.
import sharp, { type Channels, type Metadata } from 'sharp';
import { contentTypeOf, emoteVariants, encoderSettings, type EmoteSize, type VariantFormat } from '../../media/variants.ts';
import { createLimiter } from './limiter.ts';
import { ENCODES_AT_ONCE, ImageError, withDeadline, type Crop, type ImageProbe, type PipelineLimits } from './pipeline.ts';
import type { ImageFormat } from './sniff.ts';
import { decodeInput } from './strict-decode.ts';

export type { EmoteSize };

/**
 * Longest animation accepted, as a viewer would see it (see shownDelay). Longer ones are refused with
 * IMAGE_TOO_LARGE: SPEC §3 gives processing failures a closed set of codes, and "too long" is the same
 * kind of failure as "too many pixels" or "too many frames" (a limit on size, here along time), so the
 * client needs no new code.
 */
export const MAX_ANIMATION_MS = 60_000;

export interface EmoteVariant {
  size: EmoteSize;
  /** True pixel size of one frame: never larger than the source (or crop). */
  width: number;
  height: number;
  data: Buffer;
  /** The content type of its format (media/variants.ts). */
  contentType: string;
}

export interface EmoteRendering {
  /**
   * True when the source was an animated GIF or WebP and every variant is an animated WebP. libwebp
   * folds a frame that does not visibly change into the previous one (adding up their delays), so a
   * variant may have fewer frames than the source, though the same timing.
   */
  animated: boolean;
  variants: EmoteVariant[];
}

/** Frame delay assumed when a file does not state one. */
const DEFAULT_DELAY_MS = 100;

/**
 * Browsers play GIF frame delays of 10 ms or less as 100 ms, and libvips' WebP encoder writes them as
 * 100 ms too, so that is how long such a frame really lasts.
 */
const shownDelay = (ms: number) => (ms <= 10 ? 100 : ms);

interface Size {
  width: number;
  height: number;
}

/** The largest size inside `box`×`box` with the aspect ratio of `source`, never larger than `source`. */
function fitInside(source: Size, box: number): Size {
  const scale = Math.min(1, box / Math.max(source.width, source.height));
  return { width: Math.max(1, Math.round(source.width * scale)), height: Math.max(1, Math.round(source.height * scale)) };
}

/** The requested rectangle (any aspect ratio), or the whole image when there is no request. */
function regionOf(image: Size, crop: Crop | null): Crop {
  if (!crop) return { x: 0, y: 0, w: image.width, h: image.height };
  const { x, y, w, h } = crop;
  if (![x, y, w, h].every(Number.isInteger) || w < 1 || h < 1) {
    throw new ImageError('CROP_INVALID', 'The crop must be a rectangle of whole pixels at least 1 pixel wide and high');
  }
  if (x < 0 || y < 0 || x + w > image.width || y + h > image.height) {
    throw new ImageError('CROP_INVALID', `The crop ${w}×${h} at (${x}, ${y}) is not inside the ${image.width}×${image.height} image`);
  }
  return { x, y, w, h };
}

interface Animation {
  /** One frame, as stored. */
  width: number;
  height: number;
  pages: number;
  loop: number | undefined;
  /** Per-frame delays in ms, exactly as the file states them (undefined when it states none). */
  delay: number[] | undefined;
}

/**
 * Frame size, timing and loop from the headers (no pixel decoding), and the animation-only limits,
 * checked before anything is decoded:
 * - frames: probeImage already refused more than limits.maxFrames; checked again here because this
 *   is the read the decode is sized from.
 * - decoded pixels: all frames together at most limits.maxPixels, i.e. an animation may cost what the
 *   largest accepted still image costs. sharp decodes an animation as one tall strip, so its own
 *   limitInputPixels guard (set to the same number in decode) measures exactly this quantity, and the
 *   raw frames kept between decode and encode stay under 4 bytes × maxPixels (160 MB at the 40 MP
 *   default; far less in practice, since frames are first reduced to the 512 px `full` box).
 * - duration: MAX_ANIMATION_MS.
 */
async function readAnimation(bytes: Buffer, limits: PipelineLimits): Promise<Animation> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { animated: true, limitInputPixels: false }).metadata();
  } catch {
    throw new ImageError('IMAGE_INVALID', 'The animation header could not be read');
  }
  const pages = metadata.pages ?? 1;
  const width = metadata.width;
  const height = metadata.pageHeight ?? Math.floor(metadata.height / pages);
  if (pages > limits.maxFrames) {
    throw new ImageError('IMAGE_TOO_LARGE', `The image has ${pages} frames; at most ${limits.maxFrames} are allowed`);
  }
  const decodedPixels = width * height * pages;
  if (decodedPixels > limits.maxPixels) {
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `The animation decodes to ${decodedPixels} pixels (${pages} frames of ${width}×${height}); at most ${limits.maxPixels} are allowed`,
    );
  }
  const delay = metadata.delay?.length === pages ? metadata.delay : undefined;
  const duration = (delay ?? Array<number>(pages).fill(DEFAULT_DELAY_MS)).reduce((sum, ms) => sum + shownDelay(ms), 0);
  if (duration > MAX_ANIMATION_MS) {
    throw new ImageError('IMAGE_TOO_LARGE', `The animation lasts ${duration / 1000} s; at most ${MAX_ANIMATION_MS / 1000} s are allowed`);
  }
  return { width, height, pages, loop: metadata.loop, delay };
}

/** Decoded frames, stacked vertically (sharp's layout for animations); `height` is one frame's. */
interface RawFrames {
  data: Buffer;
  width: number;
  height: number;
  pages: number;
  channels: Channels;
}

/** Seconds left before `deadline`, for sharp's own timeout (whole seconds, at least 1). */
const secondsLeft = (deadline: number) => Math.max(1, Math.ceil((deadline - Date.now()) / 1000));

/**
 * The one full decode: (static only) orient, take the first frame; crop, reduce to the `full` size,
 * convert to sRGB, hand back raw pixels. Nothing but pixels survives, so no EXIF/GPS/XMP/ICC can reach
 * the output. For an animation every frame is cropped and resized the same way (sharp does this per
 * frame), and the raw strip is kept so the smaller sizes are derived from it rather than decoded again.
 */
async function decode(bytes: Buffer, format: ImageFormat, region: Crop, full: Size, animation: Animation | null, limits: PipelineLimits, deadline: number): Promise<RawFrames> {
  // Strict enough to refuse every truncation and corruption libvips reports (see strict-decode.ts).
  const { input, failOn } = decodeInput(bytes, format);
  const { data, info } = await sharp(
    input,
    animation
      ? // Frames as stored: sharp cannot rotate a multi-page image by 90° (see renderEmoteVariants).
        { animated: true, limitInputPixels: limits.maxPixels, failOn }
      : { pages: 1, autoOrient: true, limitInputPixels: limits.maxPixels, failOn },
  )
    // Frees the worker thread if the race in withDeadline has already given up on it.
    .timeout({ seconds: secondsLeft(deadline) })
    .extract({ left: region.x, top: region.y, width: region.w, height: region.h })
    .resize(full.width, full.height, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pages = animation ? (info.pages ?? 1) : 1;
  const height = info.height / pages;
  // The frames delivered must be the frames the header announced, or the delays read from it would
  // not line up. (A GIF cut short is not caught here or anywhere in libvips: like a browser, its
  // decoder shows the frames that arrived, the last one partly drawn, and announces just those; the
  // probe refuses it from its structure, see gif-structure.ts.)
  if (info.width !== full.width || height !== full.height || pages !== (animation?.pages ?? 1)) {
    throw new ImageError('IMAGE_INVALID', 'The image data is corrupt or truncated');
  }
  return { data, width: info.width, height, pages, channels: info.channels };
}

type Encoded = Omit<EmoteVariant, 'size'>;

async function encode(frames: RawFrames, target: Size, format: VariantFormat, animation: Animation | null, deadline: number): Promise<Encoded> {
  const { width, height, pages, channels } = frames;
  const input =
    pages > 1
      ? sharp(frames.data, { animated: true, raw: { width, height: height * pages, channels, pageHeight: height } })
      : sharp(frames.data, { raw: { width, height, channels } });
  const { data, info } = await input
    .timeout({ seconds: secondsLeft(deadline) })
    .resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3' })
    .toFormat(format, {
      ...encoderSettings('emote', format, target.width * target.height * pages),
      // Timing and looping are copied from the source explicitly: raw pixels carry none of it.
      ...(animation && animation.loop !== undefined ? { loop: animation.loop } : {}),
      ...(animation?.delay ? { delay: animation.delay } : {}),
    })
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height / pages, data, contentType: contentTypeOf(format) };
}

/**
 * Renders the four emote sizes. `probe` comes from probeImage (which has already sniffed the format
 * and enforced the per-frame pixel limit and the frame limit); `crop` is a free rectangle in the image
 * as displayed, or null for the whole image.
 *
 * Static sources (JPEG, PNG, AVIF, single-frame GIF/WebP; AVIF sequences use their first frame):
 * EXIF orientation applied, first frame only, one decode, then every size from the same raw pixels.
 *
 * Animated GIF/WebP (probe.pages > 1): every frame decoded once into a raw strip at the `full` size,
 * then every size encoded from that strip as an animated WebP with the source's frame delays and loop
 * count. The decode-once rule holds for animations too; its price is the raw strip in memory, which
 * the decoded-pixel limit in readAnimation bounds. EXIF orientation is not applied to animations:
 * GIF has none, animated WebP almost never carries it, and sharp refuses to rotate multi-page images by
 * 90°; frames are used as stored and a crop is checked against the stored frame size.
 *
 * Sizes that come out the same (a small source gives identical `full`, `256` and `128`) share one encode.
 */
export async function renderEmoteVariants(bytes: Buffer, probe: ImageProbe, crop: Crop | null, limits: PipelineLimits): Promise<EmoteRendering> {
  const animated = probe.pages > 1 && (probe.format === 'gif' || probe.format === 'webp');
  const deadline = Date.now() + limits.timeoutSeconds * 1000;
  return withDeadline(limits.timeoutSeconds, async (signal) => {
    const animation = animated ? await readAnimation(bytes, limits) : null;
    const region = regionOf(animation ?? probe, crop);
    const source = { width: region.w, height: region.h };
    const targets = emoteVariants(animated).map(({ size, box, format }) => ({ size: size as EmoteSize, format, ...fitInside(source, box) }));
    const full = targets.reduce((largest, target) => (target.width * target.height > largest.width * largest.height ? target : largest));
    const frames = await decode(bytes, probe.format, region, full, animation, limits, deadline);
    signal.throwIfAborted(); // a decode that finished too late must not start encodes nobody awaits
    const limit = createLimiter(ENCODES_AT_ONCE);
    const encodes = new Map<string, Promise<Encoded>>();
    const encodeOnce = (target: Size, format: VariantFormat) => {
      const key = `${target.width}x${target.height} ${format}`;
      if (!encodes.has(key)) encodes.set(key, limit(() => (signal.throwIfAborted(), encode(frames, target, format, animation, deadline))));
      return encodes.get(key)!;
    };
    const variants = await Promise.all(targets.map(async ({ size, format, ...target }) => ({ size, ...(await encodeOnce(target, format)) })));
    return { animated: frames.pages > 1, variants };
  });
}
