// The image work measured in-process: the server's own pipeline, the floor it is judged against, and the naive
// way it must beat. The floor and the naive way use the pipeline's own WebP options and crop cap, so a change
// there changes the references too.
import sharp from 'sharp';
import { encoderSettings } from '../media/variants.ts';
import { loadConfig } from '../server/config.ts';
import { createLimiter } from '../server/images/limiter.ts';
import { CROPPED_MAX, ENCODES_AT_ONCE, probeImage, renderAvatarVariants, type Crop, type PipelineLimits } from '../server/images/pipeline.ts';

/** The WebP settings of an avatar variant `side` px wide, as the pipeline encodes it. */
export const webpFor = (side: number) => encoderSettings('avatar', 'webp', side * side);
export { CROPPED_MAX };

/** The server's defaults (limits, avatar sizes) exactly as the CLI would load them with no settings. */
const defaults = loadConfig({}, { AVATAR_JWT_SECRET: 'b'.repeat(32), AVATAR_ADMIN_KEY: 'b'.repeat(16) });
export const AVATAR_SIZES = defaults.avatarSizes;
export const LIMITS: PipelineLimits = { maxPixels: defaults.maxPixels, maxFrames: defaults.maxFrames, timeoutSeconds: defaults.processingTimeoutSeconds };
/** The floor's single encode: the largest standard size. */
export const FLOOR_SIZE = Math.max(...AVATAR_SIZES);

export function centredSquare(width: number, height: number): Crop {
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), w: side, h: side };
}

export interface Input {
  bytes: Buffer;
  mime: string;
  /** Displayed size. */
  width: number;
  height: number;
}

/** One decode-crop-resize-encode of the original to a single WebP of `edge` px (never upscaled). */
function singlePipeline(input: Input, edge: number): Promise<Buffer> {
  const square = centredSquare(input.width, input.height);
  const side = Math.min(edge, square.w);
  return sharp(input.bytes)
    .rotate()
    .extract({ left: square.x, top: square.y, width: square.w, height: square.h })
    .resize(side, side, { kernel: 'lanczos3' })
      .webp(webpFor(side))
    .toBuffer();
}

/** FLOOR: decode the input and produce ONE 1600 px WebP (centre square), same WebP options as the pipeline. */
export function floor(input: Input): Promise<Buffer> {
  return singlePipeline(input, FLOOR_SIZE);
}

/** The server's pipeline, in-process: probe + decode once + every variant. */
export async function pipeline(input: Input): Promise<number> {
  const probe = await probeImage(input.bytes, input.mime, LIMITS);
  const variants = await renderAvatarVariants(input.bytes, probe, null, AVATAR_SIZES, LIMITS);
  return variants.length;
}

/** NAIVE: six independent pipelines (cropped + each size), each decoding the original, all started at once. */
export async function naive(input: Input): Promise<number> {
  const edges = [CROPPED_MAX, ...AVATAR_SIZES];
  const outputs = await Promise.all(edges.map((edge) => singlePipeline(input, edge)));
  return outputs.length;
}

export interface Breakdown {
  probe_ms: number;
  /** Decode + orient + crop + resize to ≤ CROPPED_MAX + sRGB, to raw pixels (a replica of the pipeline's decodeSquare). */
  decode_square_ms: number;
  square_px: number;
  /** Each variant encoded alone from the raw square, one after another. */
  encode_ms: Record<string, number>;
  encode_sum_ms: number;
  /** All variants, ENCODES_AT_ONCE at a time largest first, as the pipeline does. */
  encode_parallel_ms: number;
}

/** Where the pipeline's time goes, stage by stage (replicates the pipeline's private steps). */
export async function pipelineBreakdown(input: Input): Promise<Breakdown> {
  let t = performance.now();
  await probeImage(input.bytes, input.mime, LIMITS);
  const probe_ms = performance.now() - t;

  const square = centredSquare(input.width, input.height);
  const side = Math.min(square.w, CROPPED_MAX);
  t = performance.now();
  const { data, info } = await sharp(input.bytes, { limitInputPixels: LIMITS.maxPixels, failOn: 'error', autoOrient: true, pages: 1 })
    .extract({ left: square.x, top: square.y, width: square.w, height: square.h })
    .resize(side, side, { kernel: 'lanczos3' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const decode_square_ms = performance.now() - t;

  const raw = { width: info.width, height: info.height, channels: info.channels };
  // Sizes that come out the same side share one encode, as in the pipeline (e.g. 'cropped' and 1600 of a 1200 px square).
  const sides = new Map<number, string[]>();
  for (const [name, edge] of [['cropped', info.width] as const, ...AVATAR_SIZES.map((s) => [String(s), Math.min(s, info.width)] as const)]) {
    sides.set(edge, [...(sides.get(edge) ?? []), name]);
  }
  const encodeOne = (edge: number) => sharp(data, { raw }).resize(edge, edge, { kernel: 'lanczos3' }).webp(webpFor(edge)).toBuffer();
  const encode_ms: Record<string, number> = {};
  for (const [edge, names] of sides) {
    t = performance.now();
    await encodeOne(edge);
    encode_ms[names.join('=')] = performance.now() - t;
  }
  t = performance.now();
  const limit = createLimiter(ENCODES_AT_ONCE);
  await Promise.all([...sides.keys()].sort((a, b) => b - a).map((edge) => limit(() => encodeOne(edge))));
  const encode_parallel_ms = performance.now() - t;
  const encode_sum_ms = Object.values(encode_ms).reduce((a, b) => a + b, 0);
  return { probe_ms, decode_square_ms, square_px: info.width, encode_ms, encode_sum_ms, encode_parallel_ms };
}
