// AVIF against WebP (issue 20 §2, §4), in-process with real sharp on real photos (test/fixtures/camera and
// test/fixtures/faces: licences in their READMEs). For each avatar size, every photo large enough for it:
// - WebP as the render job makes it (the catalogue's settings), from the photo's own pixels: the reference;
// - AVIF as the server makes it on request (server/renditions/on-request.ts encodeFrom, the catalogue's settings),
//   from the stored WebP it would use (the smallest at least 4× as wide, else the largest);
// bytes, SSIM against the pixels both were made from (bench/ssim.ts), and encode time on one thread.
// Then what AVIF costs the 12 MP upload: nothing in complete → ready (it is not made there), and what each size
// costs to make later, both against the floor (decode + one 1600 px WebP) measured in the same run.
import { readdirSync, readFileSync } from 'node:fs';
import sharp, { type AvifOptions } from 'sharp';
import { encoderSettings, onRequestFormats } from '../media/variants.ts';
import { placeholderOfVariants } from '../server/renditions/images.ts';
import { encodeFrom, SOURCE_FACTOR } from '../server/renditions/on-request.ts';
import { photoJpeg12mp } from './images.ts';
import { figure, round, type BenchModule, type Figure, type SectionResult } from './report.ts';
import { floor, pipeline } from './server-work.ts';
import { ssim } from './ssim.ts';
import { median } from './stats.ts';

const SIZES = [512, 256, 128, 64];
/** Sides the render job stores for a photo of `side` px: cropped (≤ 2048), then the standard sizes, never enlarged. */
const storedSides = (side: number) => [...new Set([Math.min(side, 2048), ...[1600, 512, 256, 128, 64].map((s) => Math.min(s, side))])].sort((a, b) => a - b);
const RUNS_12MP = 5;

function log(line: string) {
  process.stderr.write(`[bench] ${line}\n`);
}

interface Photo {
  name: string;
  /** The centred square, raw RGB. */
  square: Buffer;
  side: number;
}

function photos(): Array<{ name: string; path: string }> {
  return ['camera', 'faces'].flatMap((dir) => {
    const folder = new URL(`../test/fixtures/${dir}/`, import.meta.url);
    return readdirSync(folder)
      .filter((name) => /\.(jpe?g|png)$/.test(name))
      .map((name) => ({ name, path: new URL(name, folder).pathname }));
  });
}

async function load(name: string, path: string): Promise<Photo> {
  const bytes = readFileSync(path);
  const { width, height } = (await sharp(bytes).metadata()).autoOrient;
  const side = Math.min(width, height);
  const square = await sharp(bytes, { autoOrient: true })
    .extract({ left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), width: side, height: side })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer();
  return { name, square, side };
}

const resized = (photo: Photo, size: number) =>
  size === photo.side ? Promise.resolve(photo.square) : sharp(photo.square, { raw: { width: photo.side, height: photo.side, channels: 3 } }).resize(size, size, { kernel: 'lanczos3' }).raw().toBuffer();

const rawOf = async (bytes: Buffer) => sharp(bytes).removeAlpha().raw().toBuffer();

/** The catalogue's AVIF settings at a size, as the figures name them. */
function settingsOf(size: number): string {
  const { quality, effort } = encoderSettings('avatar', 'avif', size * size);
  return `quality ${quality}, effort ${effort}`;
}

async function timedMs<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

interface SizeResult {
  size: number;
  photos: number;
  webp_bytes: number;
  avif_bytes: number;
  webp_ssim: number;
  avif_ssim: number;
  /** Photos whose AVIF has at least the WebP's SSIM. */
  avif_ssim_not_worse: number;
  /** AVIF with the same settings made straight from the pixels the WebP was made from (no stored WebP in between). */
  direct_avif_bytes: number;
  direct_avif_ssim: number;
  webp_ms_median: number;
  avif_ms_median: number;
  made_in_avif: boolean;
  /**
   * The least AVIF needs for WebP's mean SSIM, made from the upload's pixels at the catalogue's effort: the lowest
   * quality that keeps it (found by bisection), and the bytes then. What this encoder can do at this size at best.
   */
  least_at_equal_ssim: { quality: number; bytes: number; ssim: number } | null;
}

/** Qualities the bisection looks between, around the catalogue's. */
const LEAST_QUALITY_RANGE = [40, 80] as const;

/**
 * The lowest AVIF quality (at the catalogue's effort for `size`) whose mean SSIM over `references` is at least
 * `target`, with its bytes; null when even the highest quality looked at falls short. SSIM grows with quality.
 */
async function leastAtEqualSsim(references: Buffer[], size: number, target: number): Promise<SizeResult['least_at_equal_ssim']> {
  const settings = encoderSettings('avatar', 'avif', size * size);
  const at = async (quality: number) => {
    let bytes = 0;
    let score = 0;
    for (const reference of references) {
      const avif = await sharp(reference, { raw: { width: size, height: size, channels: 3 } }).avif({ ...settings, quality } as AvifOptions).toBuffer();
      bytes += avif.length;
      score += ssim(reference, await rawOf(avif), size, size, 3).luma;
    }
    return { quality, bytes, ssim: round(score / references.length, 4) };
  };
  let low: number = LEAST_QUALITY_RANGE[0];
  let high: number = LEAST_QUALITY_RANGE[1];
  let best = await at(high);
  if (best.ssim < target) return null;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const tried = await at(middle);
    if (tried.ssim >= target) [high, best] = [middle, tried];
    else low = middle;
  }
  return best;
}

async function compareSize(all: Photo[], size: number): Promise<SizeResult> {
  const result: SizeResult = { size, photos: 0, webp_bytes: 0, avif_bytes: 0, webp_ssim: 0, avif_ssim: 0, avif_ssim_not_worse: 0, direct_avif_bytes: 0, direct_avif_ssim: 0, webp_ms_median: 0, avif_ms_median: 0, made_in_avif: onRequestFormats('avatar', size, size).includes('avif'), least_at_equal_ssim: null };
  const webpMs: number[] = [];
  const avifMs: number[] = [];
  const references: Buffer[] = [];
  for (const photo of all.filter((p) => p.side >= size)) {
    const reference = await resized(photo, size);
    references.push(reference);
    const webp = await timedMs(() => sharp(reference, { raw: { width: size, height: size, channels: 3 } }).webp(encoderSettings('avatar', 'webp', size * size)).toBuffer());
    // The stored WebP the server makes the AVIF from, and the pixels that WebP was made from.
    const sides = storedSides(photo.side);
    const sourceSide = sides.find((s) => s >= SOURCE_FACTOR * size) ?? sides.at(-1)!;
    const sourceWebp = await sharp(await resized(photo, sourceSide), { raw: { width: sourceSide, height: sourceSide, channels: 3 } })
      .webp(encoderSettings('avatar', 'webp', sourceSide * sourceSide))
      .toBuffer();
    const avif = await timedMs(() => encodeFrom(sourceWebp, 'avatar', 'avif', size, size, 60));
    const direct = await sharp(reference, { raw: { width: size, height: size, channels: 3 } }).toFormat('avif', encoderSettings('avatar', 'avif', size * size)).toBuffer();
    result.direct_avif_bytes += direct.length;
    result.direct_avif_ssim += ssim(reference, await rawOf(direct), size, size, 3).luma;
    const webpScore = ssim(reference, await rawOf(webp.value), size, size, 3).luma;
    const avifScore = ssim(reference, await rawOf(avif.value), size, size, 3).luma;
    result.photos++;
    result.webp_bytes += webp.value.length;
    result.avif_bytes += avif.value.length;
    result.webp_ssim += webpScore;
    result.avif_ssim += avifScore;
    if (avifScore >= webpScore) result.avif_ssim_not_worse++;
    webpMs.push(webp.ms);
    avifMs.push(avif.ms);
  }
  result.webp_ssim = round(result.webp_ssim / result.photos, 4);
  result.avif_ssim = round(result.avif_ssim / result.photos, 4);
  result.direct_avif_ssim = round(result.direct_avif_ssim / result.photos, 4);
  result.webp_ms_median = round(median(webpMs), 1);
  result.avif_ms_median = round(median(avifMs), 1);
  if (result.made_in_avif) result.least_at_equal_ssim = await leastAtEqualSsim(references, size, result.webp_ssim);
  return result;
}

export const mediaFormatsBench: BenchModule = {
  name: 'media-formats',
  async run(): Promise<SectionResult> {
    // One libvips thread, as for one of two concurrent jobs: times per encode, not per machine.
    const threads = sharp.concurrency();
    sharp.concurrency(1);
    const figures: Figure[] = [];
    const notes: string[] = [];
    const bySize: SizeResult[] = [];
    try {
      const all = await Promise.all(photos().map(({ name, path }) => load(name, path)));
      log(`AVIF vs WebP on ${all.length} real photos at ${SIZES.join(', ')} px`);
      for (const size of SIZES) {
        const r = await compareSize(all, size);
        bySize.push(r);
        const ratio = r.avif_bytes / r.webp_bytes;
        const ssimOk = r.avif_ssim >= r.webp_ssim;
        figures.push(
          figure({
            id: `avif_bytes_${size}`,
            label: `AVIF bytes, ${size} px (${r.photos} photos; SSIM ${r.avif_ssim} vs ${r.webp_ssim}, not worse on ${r.avif_ssim_not_worse}/${r.photos})`,
            value: r.avif_bytes,
            unit: 'B',
            reference: { label: 'WebP q82, same photos', value: r.webp_bytes, unit: 'B' },
            target: '≤ 0.75× at equal or better SSIM',
            ok: ratio <= 0.75 && ssimOk,
            ...(r.made_in_avif ? {} : { note: 'not made in AVIF (below 100×100 px): shown for the record' }),
          }),
          figure({
            id: `avif_direct_bytes_${size}`,
            label: `AVIF bytes, ${size} px, made from the upload's pixels (SSIM ${r.direct_avif_ssim} vs ${r.webp_ssim})`,
            value: r.direct_avif_bytes,
            unit: 'B',
            reference: { label: 'WebP q82, same photos', value: r.webp_bytes, unit: 'B' },
            target: '≤ 0.75× at equal or better SSIM',
            ok: r.direct_avif_bytes <= 0.75 * r.webp_bytes && r.direct_avif_ssim >= r.webp_ssim,
          }),
          ...(r.least_at_equal_ssim
            ? [
                figure({
                  id: `avif_least_bytes_${size}`,
                  label: `AVIF bytes, ${size} px, the least at WebP's SSIM (quality ${r.least_at_equal_ssim.quality}, from the upload's pixels; SSIM ${r.least_at_equal_ssim.ssim} vs ${r.webp_ssim})`,
                  value: r.least_at_equal_ssim.bytes,
                  unit: 'B',
                  reference: { label: 'WebP q82, same photos', value: r.webp_bytes, unit: 'B' },
                  target: '≤ 0.75× at equal or better SSIM',
                  ok: r.least_at_equal_ssim.bytes <= 0.75 * r.webp_bytes,
                  note: `the lowest quality (${LEAST_QUALITY_RANGE.join('–')}, bisection, effort as the catalogue's) whose mean SSIM is at least WebP's: what this encoder (libaom in sharp ${sharp.versions.sharp}) can do at this size at best`,
                }),
              ]
            : []),
          figure({
            id: `avif_encode_ms_${size}`,
            label: `AVIF encode, ${size} px (${settingsOf(size)}; median, one thread)`,
            value: r.avif_ms_median,
            unit: 'ms',
            reference: { label: 'WebP encode', value: r.webp_ms_median, unit: 'ms' },
          }),
        );
      }
      notes.push(
        'SSIM: luma, 11×11 Gaussian window, against the pixels each encode was made from. "AVIF bytes" is made as the server makes it on request, from a stored WebP: these photos are at most 1278 px, so the 512 px AVIF comes from the 512 px WebP itself and the 256 from the 512 (an upload of 2048 px or more gives every size ≤ 512 a source ≥ 4× as wide); "made from the upload\'s pixels" is the same settings without that generation',
      );

      // What AVIF costs the 12 MP upload, against the floor measured here.
      sharp.concurrency(threads);
      const jpeg = await photoJpeg12mp();
      const input = { bytes: jpeg.bytes, mime: jpeg.mime, width: jpeg.width, height: jpeg.height };
      log(`12 MP: ${RUNS_12MP} × pipeline and floor, then the AVIF of each size from its stored WebP`);
      await floor(input);
      const floorMs: number[] = [];
      const pipelineMs: number[] = [];
      for (let i = 0; i < RUNS_12MP; i++) {
        floorMs.push((await timedMs(() => floor(input))).ms);
        pipelineMs.push((await timedMs(() => pipeline(input))).ms);
      }
      const floorMedian = round(median(floorMs), 1);
      figures.push(
        figure({
          id: 'avif_render_12mp_ms',
          label: '12 MP pipeline, in-process (AVIF adds nothing: made on request; the placeholder is below)',
          value: round(median(pipelineMs), 1),
          unit: 'ms',
          reference: { label: 'floor: decode + one 1600 px WebP', value: floorMedian, unit: 'ms' },
          target: '≤ 1.3× floor',
          ok: median(pipelineMs) <= 1.3 * median(floorMs),
        }),
      );
      // The placeholder the render job now makes: from the smallest WebP it just encoded.
      const small = await sharp(jpeg.bytes).resize(64, 64).webp(encoderSettings('avatar', 'webp', 64 * 64)).toBuffer();
      const placeholderMs: number[] = [];
      for (let i = 0; i < 20; i++) placeholderMs.push((await timedMs(() => placeholderOfVariants([{ width: 64, height: 64, data: small, contentType: 'image/webp' }]))).ms);
      figures.push(
        figure({
          id: 'placeholder_ms',
          label: 'placeholder (ThumbHash of the 64 px WebP), added to the render job',
          value: round(median(placeholderMs), 2),
          unit: 'ms',
          reference: { label: 'floor: decode + one 1600 px WebP', value: floorMedian, unit: 'ms' },
        }),
      );
      // The first request for each size's AVIF, from the WebP the server would read.
      const square = await sharp(jpeg.bytes).extract({ left: 500, top: 0, width: 3000, height: 3000 }).resize(2048, 2048, { kernel: 'lanczos3' }).raw().toBuffer();
      const stored = new Map<number, Buffer>();
      for (const side of [2048, 1600, 512, 256, 128]) {
        const pixels = side === 2048 ? square : await sharp(square, { raw: { width: 2048, height: 2048, channels: 3 } }).resize(side, side, { kernel: 'lanczos3' }).raw().toBuffer();
        stored.set(side, await sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).webp(encoderSettings('avatar', 'webp', side * side)).toBuffer());
      }
      const firstRequest: Record<string, number> = {};
      for (const side of [2048, 1600, 512, 256, 128]) {
        const source = [...stored.keys()].sort((a, b) => a - b).find((s) => s >= SOURCE_FACTOR * side) ?? 2048;
        const { ms } = await timedMs(() => encodeFrom(stored.get(source)!, 'avatar', 'avif', side, side, 120));
        firstRequest[side === 2048 ? 'cropped' : String(side)] = round(ms, 1);
        figures.push(
          figure({
            id: `avif_first_request_12mp_${side}_ms`,
            label: `12 MP avatar: making its ${side === 2048 ? 'cropped (2048)' : side} px AVIF on first request`,
            value: round(ms, 1),
            unit: 'ms',
            reference: { label: 'floor: decode + one 1600 px WebP', value: floorMedian, unit: 'ms' },
          }),
        );
      }
      notes.push(`12 MP input: ${jpeg.description}, ${jpeg.bytes.length} bytes; first-request AVIF times are on all libvips threads (${threads})`);
      return { name: 'media-formats', figures, notes, details: { sizes: bySize, floor_ms: floorMs, pipeline_ms: pipelineMs, first_request_avif_ms: firstRequest } };
    } finally {
      sharp.concurrency(threads);
    }
  },
};
