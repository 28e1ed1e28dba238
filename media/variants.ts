// The variant catalogue: every image the server makes of an avatar or an emote, declared once. The pipeline reads
// what to encode and how, storage keys their extension, the database keys each variant by (rendition, size,
// format), /cdn its content type, the OpenAPI document the sizes, and the widget which sizes it may ask for.
// Adding a format is its entry in media/formats.ts and an encoding here; adding a size is one number.
import { IMAGE_FORMATS, type ImageFormat } from './formats.ts';

export type MediaKind = 'avatar' | 'emote';

/** How one kind of image is encoded in one format. */
export interface Encoding {
  /** The quality of every step that does not name its own. */
  quality: number;
  /**
   * Encoder effort, and quality where it differs, by the pixels encoded (width × height × frames): the first step the
   * image stays within. Large images get less effort: their encodes dominate processing time, and they are the least
   * served.
   */
  steps: ReadonlyArray<{ readonly upTo: number; readonly effort: number; readonly quality?: number }>;
  /** What to tune the encoder for (AVIF: libaom's tune), when not its default. */
  tune?: 'ssim' | 'iq';
  /** Chroma subsampling (AVIF; WebP's lossy mode is always 4:2:0). */
  chromaSubsampling?: '4:2:0' | '4:4:4';
  /**
   * 'upload': encoded by the render job with the rest (what `ready` waits for). 'request': encoded the first time
   * someone asks for it, then stored (as imgproxy does): uploads never wait for it (server/renditions/on-request.ts).
   */
  made: 'upload' | 'request';
  /** Not made for images of fewer pixels (width × height): below this the format's fixed overhead outweighs its gain. */
  minPixels?: number;
}

/**
 * AVIF, for still avatars and emotes (bench/media-formats.ts measures it on 22 real photos; README "AVIF" has the
 * figures). Each step's quality is the lowest at which the AVIF, made as the server makes it (from a stored WebP), has
 * at least the mean SSIM of WebP quality 82; tune=ssim and 4:2:0 chroma throughout (tune=iq and 4:4:4 cost more bytes
 * at equal SSIM, 10 bits as many and is slower). That is 0.85× WebP's bytes at 128 px and 0.87× at 256: libaom (sharp
 * 0.35) does not reach 0.75× at equal SSIM at these sizes, nor does a quality searched per image. Made straight from
 * the upload's pixels the same settings give 0.86× and 0.87× at a higher SSIM, and at 256 px quality 60 (effort 8)
 * would do (0.75×, SSIM 0.9765 vs 0.9759): only the render job has those pixels. Quality 60 everywhere gave 0.83× and
 * 0.76×, but below WebP's SSIM (0.9768 vs 0.9784; 0.9709 vs 0.9759). At 512 px quality 60 gives 0.73× at a higher SSIM
 * from the upload's pixels; made from a stored WebP of the same size (a crop of 512 px: nothing larger is stored) no
 * quality gives WebP's SSIM at fewer bytes, as it only adds loss to that WebP's. At 64 px the best is 0.91× (effort 9,
 * from the upload's pixels; 0.97× as made): the ~250 bytes of HEIF boxes (WebP's RIFF: 20) are a fifth of a 64 px WebP.
 * Below 100×100 px it is not made.
 * Effort: 6 at 128 px (~0.1 s of CPU, 2.5× effort 4's, for 1.4% fewer bytes at a higher SSIM); 8 at 256 px (~0.6 s, 4×
 * effort 4's: the same SSIM takes quality 68 and 5% more bytes at effort 4, 4% more at 6); 4 at 512 px (~0.45 s); 4 MP
 * at effort 4 would take ~10 s, so larger images get effort 1 (~5% larger, 10× faster). That cost is why AVIF is made
 * on request and not at upload.
 */
const AVIF: Encoding = {
  made: 'request',
  quality: 60,
  tune: 'ssim',
  chromaSubsampling: '4:2:0',
  steps: [
    { upTo: 128 * 128, effort: 6, quality: 62 },
    { upTo: 256 * 256, effort: 8, quality: 66 },
    { upTo: 512 * 512, effort: 4 },
    { upTo: Infinity, effort: 1 },
  ],
  minPixels: 100 * 100,
};

/**
 * Avatars, WebP: libwebp effort 3+ costs about twice effort 2 for ~5% smaller files (measured on a 2048 px photo),
 * and the large variants dominate processing time. The small ones (up to 256 px) are cheap and served most often,
 * so they get the better compression; 512 px takes effort 2 too (12.6 vs 24.5 ms of CPU on a 12 MP photo for 3%
 * more bytes). A 'cropped' larger than 1600 px is the costliest encode and the least served: effort 0 encodes it
 * ~30% faster for ~3% more bytes (2048 px photo: 154 vs 227 ms).
 *
 * Emotes, WebP: effort 4 against 2 buys ~10% smaller animations at about twice the encode time (6 is far slower
 * still: minutes). Small variants are cheap either way and are what chat clients load most, so they get 4; a
 * variant with more than 4 MP across its frames gets 2. Measured on two cores with the worst case the default
 * limits admit (200 frames of 447×447 = 40 MP): 9 s with effort 4 everywhere, 4.5 s with this rule, against a
 * 30 s default timeout. Stills are always far below the budget.
 */
export const ENCODINGS = {
  avatar: {
    webp: {
      made: 'upload',
      quality: 82,
      steps: [
        { upTo: 256 * 256, effort: 4 },
        { upTo: 1600 * 1600, effort: 2 },
        { upTo: Infinity, effort: 0 },
      ],
    },
    avif: AVIF,
  },
  emote: {
    webp: {
      made: 'upload',
      quality: 82,
      steps: [
        { upTo: 4_000_000, effort: 4 },
        { upTo: Infinity, effort: 2 },
      ],
    },
    avif: AVIF,
  },
} as const satisfies Record<MediaKind, Partial<Record<ImageFormat, Encoding>>>;

/** A format variants are made in. */
export type VariantFormat = keyof (typeof ENCODINGS)['avatar'] | keyof (typeof ENCODINGS)['emote'];

/** The format of the URLs JSON answers, events and webhooks carry when they name one image per size. */
export const DEFAULT_FORMAT: VariantFormat = 'webp';

/** The formats a kind of image is made in: those it has an encoding for; for an animation, those that animate. */
export function variantFormats(kind: MediaKind, animated = false): VariantFormat[] {
  return (Object.keys(ENCODINGS[kind]) as VariantFormat[]).filter((format) => !animated || IMAGE_FORMATS[format].animation);
}

const encodingOf = (kind: MediaKind, format: VariantFormat): Encoding | undefined => (ENCODINGS[kind] as Partial<Record<VariantFormat, Encoding>>)[format];

/** The encoder options (sharp's, for toFormat) of a `kind` image of `pixels` pixels (all frames) in `format`. */
export function encoderSettings(kind: MediaKind, format: VariantFormat, pixels: number): { quality: number; effort: number; tune?: string; chromaSubsampling?: string } {
  const encoding = encodingOf(kind, format);
  if (!encoding) throw new Error(`${kind} variants are not made in ${format}`);
  const step = encoding.steps.find(({ upTo }) => pixels <= upTo) ?? encoding.steps[encoding.steps.length - 1]!;
  const { tune, chromaSubsampling } = encoding;
  return { quality: step.quality ?? encoding.quality, effort: step.effort, ...(tune ? { tune } : {}), ...(chromaSubsampling ? { chromaSubsampling } : {}) };
}

/**
 * The formats made the first time they are asked for, for a `kind` image of width × height (animated or not): the
 * render job does not make them, JSON answers name an address that does (server/renditions/on-request.ts).
 */
export function onRequestFormats(kind: MediaKind, width: number, height: number, animated = false): VariantFormat[] {
  return variantFormats(kind, animated).filter((format) => {
    const encoding = encodingOf(kind, format)!;
    return encoding.made === 'request' && width * height >= (encoding.minPixels ?? 0);
  });
}

/** The formats the render job makes of a `kind` image. */
const uploadFormats = (kind: MediaKind, animated: boolean) => variantFormats(kind, animated).filter((format) => encodingOf(kind, format)!.made === 'upload');

// ---- Avatars: squares ----

/** The 'cropped' avatar is the crop at its own resolution, up to this side. */
export const CROPPED_MAX = 2048;

/** The square sizes (sides in px) every avatar is made in besides 'cropped', largest first; AVATAR_AVATAR_SIZES adds more. */
export const AVATAR_SIZES = [1600, 512, 256, 128, 64] as const;

/** The size an avatar is served at when none is asked for, and the one `is_preview=true` means. */
export const DEFAULT_AVATAR_SIZE = '256';
export const PREVIEW_AVATAR_SIZE = '64';
/** The size lists of pictures show each one at (a person's uploads and recent avatars); emotes have it too. */
export const THUMBNAIL_SIZE = '128';

/**
 * The largest standard side: what the widget uploads (its output-size) and cartoons are drawn at. An upload that
 * is exactly this square, as WebP, is served as its own size without being encoded again.
 */
export const UPLOAD_SIDE = AVATAR_SIZES[0];

// ---- Emotes: bounding boxes, aspect ratio kept ----

/** Each size is a bounding box: the variant fits inside it with the aspect ratio kept, never enlarged. */
export const EMOTE_SIZES = [
  { size: 'full', box: 512 },
  { size: '256', box: 256 },
  { size: '128', box: 128 },
  { size: '64', box: 64 },
] as const;

export type EmoteSize = (typeof EMOTE_SIZES)[number]['size'];
export const DEFAULT_EMOTE_SIZE: EmoteSize = '128';

// ---- The catalogue ----

/** One image the server makes of an avatar or an emote. */
export interface VariantSpec {
  kind: MediaKind;
  /** Avatars: 'cropped' or the square's side ('256'); emotes: an EMOTE_SIZES name. */
  size: string;
  /** The longest side it may have, in px: an avatar's square side ('cropped': CROPPED_MAX), an emote's bounding box. */
  box: number;
  format: VariantFormat;
  animated: boolean;
}

/** Every variant the render job makes of an avatar, given the configured square sizes (the standard ones and any added). */
export function avatarVariants(sizes: readonly number[]): VariantSpec[] {
  const boxes: Array<[string, number]> = [['cropped', CROPPED_MAX], ...sizes.map((side): [string, number] => [String(side), side])];
  return boxes.flatMap(([size, box]) => uploadFormats('avatar', false).map((format) => ({ kind: 'avatar' as const, size, box, format, animated: false })));
}

/** Every variant the render job makes of an emote: still, or (from an animated GIF or WebP) animated in the formats that animate. */
export function emoteVariants(animated: boolean): VariantSpec[] {
  return EMOTE_SIZES.flatMap(({ size, box }) => uploadFormats('emote', animated).map((format) => ({ kind: 'emote' as const, size, box, format, animated })));
}

/** The content type of a variant format. */
export const contentTypeOf = (format: VariantFormat): string => IMAGE_FORMATS[format].contentType;

const allVariantFormats = (): VariantFormat[] => [...new Set([...variantFormats('avatar'), ...variantFormats('emote')])];

/** Every format any variant is made in. */
export const VARIANT_FORMATS: readonly VariantFormat[] = /* @__PURE__ */ allVariantFormats();

/** The variant format of a content type (a variant carries its format as its content type). */
export function variantFormatOf(contentType: string): VariantFormat {
  const format = VARIANT_FORMATS.find((candidate) => contentTypeOf(candidate) === contentType);
  if (!format) throw new Error(`no variant is made as ${contentType}`);
  return format;
}

/** Every format made on request for some kind of image (media/variants.ts `made: 'request'`). */
export const ON_REQUEST_FORMATS: readonly VariantFormat[] = /* @__PURE__ */ VARIANT_FORMATS.filter((format) =>
  (['avatar', 'emote'] as const).some((kind) => encodingOf(kind, format)?.made === 'request'),
);
