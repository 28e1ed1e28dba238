// Unit tests of the image layer (sniffing, probing, rendering, placeholder SVGs), without HTTP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { identiconSvg, initialsSvg } from '../../server/avatars/default-images.ts';
import { probeImage, renderAvatarVariants, type AvatarVariant, type Crop, type PipelineLimits } from '../../server/images/pipeline.ts';
import { containsMarkup, formatFromMime, MIME_BY_FORMAT, sniffImageFormat, type ImageFormat } from '../../server/images/sniff.ts';
import * as fixtures from '../fixtures/images.ts';
import { rejectsWithImageError } from '../helpers/image-errors.ts';
import { BLUE, GREEN, RED } from '../fixtures/images.ts';

const limits: PipelineLimits = { maxPixels: 40_000_000, maxFrames: 200, timeoutSeconds: 30 };
const SIZES = [1600, 512, 256, 128, 64];

async function render(bytes: Buffer, mime: string, crop: Crop | null = null, sizes = SIZES) {
  const probe = await probeImage(bytes, mime, limits);
  return renderAvatarVariants(bytes, probe, crop, sizes, limits);
}

function variant(variants: AvatarVariant[], size: string): AvatarVariant {
  const found = variants.find((v) => v.size === size);
  assert.ok(found, `variant ${size} missing`);
  return found;
}

/** RGBA at (x, y) of an encoded image. */
async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + 4)];
}

/** Lossy WebP shifts colours a little; a wrong orientation or crop shifts them completely. */
async function assertColour(image: Buffer, x: number, y: number, rgb: [number, number, number]) {
  const actual = await pixelAt(image, x, y);
  const distance = Math.max(...rgb.map((c, i) => Math.abs(c - actual[i]!)));
  assert.ok(distance <= 40, `pixel (${x}, ${y}) is ${actual.slice(0, 3)}, expected about ${rgb}`);
}

const samples: Record<ImageFormat, () => Promise<Buffer>> = {
  jpeg: () => fixtures.jpeg(64, 48),
  png: () => fixtures.png(64, 48),
  gif: () => fixtures.gif(64, 48),
  webp: () => fixtures.webp(64, 48),
  avif: () => fixtures.avif(64, 48),
};

// --- sniffing ---

test('every accepted format is recognised by its bytes and probed with its size', async () => {
  for (const [format, make] of Object.entries(samples) as Array<[ImageFormat, () => Promise<Buffer>]>) {
    const bytes = await make();
    assert.equal(sniffImageFormat(bytes), format);
    assert.deepEqual(await probeImage(bytes, MIME_BY_FORMAT[format], limits), { format, width: 64, height: 48, pages: 1 });
  }
});

test('AVIF is recognised by a compatible brand too, and other ISO-BMFF files are not AVIF', () => {
  const ftyp = (...brands: string[]) => {
    const box = Buffer.alloc(16 + 4 * (brands.length - 1));
    box.writeUInt32BE(box.length, 0);
    box.write('ftyp', 4, 'latin1');
    box.write(brands[0]!, 8, 'latin1');
    brands.slice(1).forEach((brand, i) => box.write(brand, 16 + 4 * i, 'latin1'));
    return box;
  };
  assert.equal(sniffImageFormat(ftyp('mif1', 'miaf', 'avif')), 'avif');
  assert.equal(sniffImageFormat(ftyp('avis', 'msf1')), 'avif');
  assert.equal(sniffImageFormat(ftyp('heic', 'mif1', 'heic')), null);
  assert.equal(sniffImageFormat(ftyp('isom', 'mp41')), null);
});

test('text, SVG and empty input are not images', () => {
  assert.equal(sniffImageFormat(fixtures.htmlAsPng()), null);
  assert.equal(sniffImageFormat(fixtures.svg()), null);
  assert.equal(sniffImageFormat(new Uint8Array()), null);
});

test('formatFromMime accepts exactly the five image types, ignoring case and parameters', () => {
  assert.equal(formatFromMime('image/jpeg'), 'jpeg');
  assert.equal(formatFromMime('IMAGE/PNG; charset=binary'), 'png');
  assert.equal(formatFromMime(' image/avif '), 'avif');
  assert.equal(formatFromMime('image/jpg'), null);
  assert.equal(formatFromMime('image/svg+xml'), null);
  assert.equal(formatFromMime('text/html'), null);
});

test('containsMarkup finds markup anywhere in a file, in any case, but not tag names glued to other letters', () => {
  const big = () => Buffer.alloc(300 * 1024, 0x41);
  const withText = (at: number, text: string) => {
    const bytes = big();
    bytes.write(text, at, 'latin1');
    return bytes;
  };
  assert.equal(containsMarkup(big()), false);
  assert.equal(containsMarkup(withText(10, '<SCRIPT>')), true);
  assert.equal(containsMarkup(withText(300 * 1024 - 20, 'x onerror=alert(1)')), true);
  // The whole file is scanned, not only its first and last 64 KiB (issue 13).
  assert.equal(containsMarkup(withText(150 * 1024, '<script>')), true);
  // A tag name glued to other letters is not markup (keeps random compressed bytes from matching).
  assert.equal(containsMarkup(withText(10, '<svgA')), false);
  assert.equal(containsMarkup(withText(10, '<svg/onload')), true);
});

// --- probe: refusals ---

test('bytes of another format than declared are IMAGE_INVALID', async () => {
  await rejectsWithImageError(probeImage(await fixtures.jpeg(32, 32), 'image/png', limits), 'IMAGE_INVALID', /not a PNG image/);
  await rejectsWithImageError(probeImage(await fixtures.gif(), 'image/webp', limits), 'IMAGE_INVALID');
});

test('HTML and SVG are refused, whatever they claim to be', async () => {
  await rejectsWithImageError(probeImage(fixtures.htmlAsPng(), 'image/png', limits), 'IMAGE_INVALID');
  await rejectsWithImageError(probeImage(fixtures.svg(), 'image/png', limits), 'IMAGE_INVALID');
  await rejectsWithImageError(probeImage(fixtures.svg(), 'image/svg+xml', limits), 'UNSUPPORTED_MEDIA_TYPE');
});

test('a JPEG that also carries a script is refused even though it decodes', async () => {
  const bytes = await fixtures.polyglot();
  assert.equal((await sharp(bytes).metadata()).width, 64);
  await rejectsWithImageError(probeImage(bytes, 'image/jpeg', limits), 'IMAGE_INVALID', /HTML or script/);
});

test('a 20000×20000 PNG bomb is refused by the probe, from its header alone', async () => {
  const bomb = fixtures.pngBomb20000();
  assert.ok(bomb.length < 100_000, `bomb is ${bomb.length} bytes`);
  // The probe is the only step before the full decode; it must be where the bomb stops.
  await rejectsWithImageError(probeImage(bomb, 'image/png', limits), 'IMAGE_TOO_LARGE', /20000×20000/);
});

test('an ordinary image over the pixel limit is IMAGE_TOO_LARGE', async () => {
  const bytes = await fixtures.twelveMegapixelJpeg();
  await rejectsWithImageError(probeImage(bytes, 'image/jpeg', { ...limits, maxPixels: 10_000_000 }), 'IMAGE_TOO_LARGE');
});

test('an animation with more frames than allowed is IMAGE_TOO_LARGE', async () => {
  const bytes = await fixtures.animatedGif([RED, BLUE, GREEN]);
  assert.equal((await probeImage(bytes, 'image/gif', limits)).pages, 3);
  await rejectsWithImageError(probeImage(bytes, 'image/gif', { ...limits, maxFrames: 2 }), 'IMAGE_TOO_LARGE', /3 frames/);
});

// --- render ---

test('a truncated JPEG is refused by the probe from its structure, and by the decode if it gets that far', async () => {
  const bytes = await fixtures.truncatedJpeg();
  await rejectsWithImageError(probeImage(bytes, 'image/jpeg', limits), 'IMAGE_INVALID', /truncated/);
  // The decode is strict on its own too: given the intact image's probe, the cut data still fails.
  const probe = await probeImage(await fixtures.jpeg(640, 480), 'image/jpeg', limits);
  await rejectsWithImageError(renderAvatarVariants(bytes, probe, null, SIZES, limits), 'IMAGE_INVALID', /truncated/);
});

test('EXIF orientation 6 is applied and every metadata block is stripped', async () => {
  const bytes = await fixtures.exifOrientedJpeg();
  // Guard: the fixture really carries what must be removed.
  const source = await sharp(bytes).metadata();
  assert.deepEqual(await fixtures.readExif(bytes), { orientation: 6, gpsEntries: 4 });
  assert.ok(source.xmp && source.icc);

  const probe = await probeImage(bytes, 'image/jpeg', limits);
  assert.deepEqual(probe, { format: 'jpeg', width: 200, height: 300, pages: 1 });

  const variants = await renderAvatarVariants(bytes, probe, null, SIZES, limits);
  const cropped = variant(variants, 'cropped');
  assert.deepEqual([cropped.width, cropped.height], [200, 200]);
  // The centred square spans oriented rows 50..250: red above row 100, green/blue below it.
  await assertColour(cropped.data, 100, 30, RED);
  await assertColour(cropped.data, 40, 170, GREEN);
  await assertColour(cropped.data, 160, 170, BLUE);

  for (const v of variants) {
    const out = await sharp(v.data).metadata();
    assert.equal(out.format, 'webp');
    assert.equal(v.contentType, 'image/webp');
    assert.equal(out.exif, undefined, `${v.size} has EXIF`);
    assert.equal(out.xmp, undefined, `${v.size} has XMP`);
    assert.equal(out.iptc, undefined, `${v.size} has IPTC`);
    assert.equal(out.icc, undefined, `${v.size} has an ICC profile`);
    assert.equal(await fixtures.readExif(v.data), null);
  }
});

test('colour ends up as sRGB: CMYK and Display P3 sources are converted, not reinterpreted', async () => {
  const cmyk = variant(await render(await fixtures.cmykJpeg(), 'image/jpeg', null, [16]), 'cropped');
  assert.equal((await sharp(cmyk.data).metadata()).channels, 3);
  await assertColour(cmyk.data, 16, 16, RED);
  const p3 = variant(await render(await fixtures.displayP3Jpeg(), 'image/jpeg', null, [16]), 'cropped');
  await assertColour(p3.data, 16, 16, [0, 200, 0]);
});

test('crop coordinates are in the oriented image', async () => {
  const bytes = await fixtures.exifOrientedJpeg();
  const variants = await render(bytes, 'image/jpeg', { x: 0, y: 200, w: 100, h: 100 }, [64]);
  assert.deepEqual([variant(variants, 'cropped').width, variant(variants, '64').width], [100, 64]);
  await assertColour(variant(variants, 'cropped').data, 50, 50, GREEN);
});

test('sizes larger than the crop are not upscaled and report their true size', async () => {
  const variants = await render(await fixtures.jpeg(100, 100), 'image/jpeg');
  assert.deepEqual(
    variants.map((v) => [v.size, v.width, v.height]),
    [['cropped', 100, 100], ['1600', 100, 100], ['512', 100, 100], ['256', 100, 100], ['128', 100, 100], ['64', 64, 64]],
  );
});

test('a 12 MP photo yields every size, with the cropped variant capped at 2048', async () => {
  const variants = await render(await fixtures.twelveMegapixelJpeg(), 'image/jpeg');
  assert.deepEqual(
    variants.map((v) => [v.size, v.width, v.height]),
    [['cropped', 2048, 2048], ['1600', 1600, 1600], ['512', 512, 512], ['256', 256, 256], ['128', 128, 128], ['64', 64, 64]],
  );
  for (const v of variants) assert.equal(sniffImageFormat(v.data), 'webp');
});

test('crops outside the image, not square, or degenerate are CROP_INVALID', async () => {
  const bytes = await fixtures.jpeg(100, 80);
  const probe = await probeImage(bytes, 'image/jpeg', limits);
  const crop = (x: number, y: number, w: number, h: number) => renderAvatarVariants(bytes, probe, { x, y, w, h }, SIZES, limits);
  await rejectsWithImageError(crop(50, 0, 60, 60), 'CROP_INVALID', /not inside/);
  await rejectsWithImageError(crop(0, 30, 60, 60), 'CROP_INVALID', /not inside/);
  await rejectsWithImageError(crop(-1, 0, 10, 10), 'CROP_INVALID');
  await rejectsWithImageError(crop(0, 0, 40, 30), 'CROP_INVALID', /square/);
  await rejectsWithImageError(crop(0, 0, 0, 0), 'CROP_INVALID');
  await rejectsWithImageError(crop(0.5, 0, 10, 10), 'CROP_INVALID');
  assert.equal(variant(await crop(20, 0, 80, 80), 'cropped').width, 80);
});

test('alpha is kept: transparent pixels stay transparent', async () => {
  const variants = await render(await fixtures.png(100, 100, { alpha: true }), 'image/png');
  for (const v of variants) assert.equal((await sharp(v.data).metadata()).hasAlpha, true, `${v.size} lost alpha`);
  const cropped = variant(variants, 'cropped').data;
  assert.equal((await pixelAt(cropped, 10, 50))[3], 0);
  assert.equal((await pixelAt(cropped, 90, 50))[3], 255);
});

test('only the first frame of an animation is rendered', async () => {
  const variants = await render(await fixtures.animatedGif([RED, BLUE]), 'image/gif', null, [64]);
  const out = await sharp(variant(variants, 'cropped').data).metadata();
  assert.equal(out.pages ?? 1, 1);
  await assertColour(variant(variants, 'cropped').data, 16, 16, RED);
});

test('processing past the timeout is IMAGE_INVALID "Processing timed out"', async () => {
  const bytes = await fixtures.twelveMegapixelJpeg();
  const probe = await probeImage(bytes, 'image/jpeg', limits);
  await rejectsWithImageError(renderAvatarVariants(bytes, probe, null, SIZES, { ...limits, timeoutSeconds: 0.001 }), 'IMAGE_INVALID', /^Processing timed out$/);
});

// --- placeholder avatars ---

test('identicons are deterministic, differ per seed and are valid SVG of the requested size', async () => {
  assert.equal(identiconSvg('user-1', 256), identiconSvg('user-1', 256));
  assert.notEqual(identiconSvg('user-1', 256), identiconSvg('user-2', 256));
  const rendered = await sharp(Buffer.from(identiconSvg('user-1', 128))).metadata();
  assert.deepEqual([rendered.format, rendered.width, rendered.height], ['svg', 128, 128]);
});

test('initials are escaped, upper-cased and coloured by the seed', async () => {
  const svg = initialsSvg('<script> alert', 'user-1', 64);
  assert.ok(svg.includes('>&lt;A</text>'), svg);
  assert.ok(!svg.includes('<script'));
  assert.equal((await sharp(Buffer.from(svg)).metadata()).width, 64);

  const text = (name: string) => /<text[^>]*>(.*)<\/text>/.exec(initialsSvg(name, 'seed', 64))?.[1];
  assert.equal(text('ada lovelace'), 'AL');
  assert.equal(text('Grace Brewster Hopper'), 'GH');
  assert.equal(text('Émile'), 'É');
  assert.equal(text('   '), '?');

  const fill = (seed: string) => /<rect[^>]*fill="([^"]+)"/.exec(initialsSvg('A', seed, 64))?.[1];
  assert.equal(fill('user-1'), fill('user-1'));
  assert.notEqual(fill('user-1'), fill('user-2'));
});
