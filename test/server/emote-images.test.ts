// Unit tests of the emote image pipeline (aspect-kept WebP sizes, animation, crop, limits), without HTTP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { MAX_ANIMATION_MS, renderEmoteVariants, type EmoteRendering, type EmoteVariant } from '../../server/images/emote-pipeline.ts';
import { probeImage, type Crop, type PipelineLimits } from '../../server/images/pipeline.ts';
import { sniffImageFormat } from '../../server/images/sniff.ts';
import * as fixtures from '../fixtures/images.ts';
import { rejectsWithImageError } from '../helpers/image-errors.ts';
import { BLUE, GREEN, RED } from '../fixtures/images.ts';

const limits: PipelineLimits = { maxPixels: 40_000_000, maxFrames: 200, timeoutSeconds: 30 };
type Rgb = [number, number, number];

async function render(bytes: Buffer, mime: string, crop: Crop | null = null, custom: PipelineLimits = limits): Promise<EmoteRendering> {
  const probe = await probeImage(bytes, mime, custom);
  return renderEmoteVariants(bytes, probe, crop, custom);
}

function variant(rendering: EmoteRendering, size: EmoteVariant['size']): EmoteVariant {
  const found = rendering.variants.find((v) => v.size === size);
  assert.ok(found, `variant ${size} missing`);
  return found;
}

const dimensions = (rendering: EmoteRendering) => rendering.variants.map((v) => [v.size, v.width, v.height]);

/** RGBA at (x, y) of one frame of an encoded (possibly animated) image. */
async function pixelAt(image: Buffer, x: number, y: number, frame = 0): Promise<number[]> {
  const { data, info } = await sharp(image, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const frameHeight = info.pageHeight ?? info.height;
  const at = ((frame * frameHeight + y) * info.width + x) * info.channels;
  return [...data.subarray(at, at + 4)];
}

/** Lossy WebP shifts colours a little; a wrong frame, orientation or crop shifts them completely. */
async function assertColour(image: Buffer, x: number, y: number, rgb: Rgb, frame = 0) {
  const actual = await pixelAt(image, x, y, frame);
  const distance = Math.max(...rgb.map((c, i) => Math.abs(c - actual[i]!)));
  assert.ok(distance <= 40, `frame ${frame} pixel (${x}, ${y}) is ${actual.slice(0, 3)}, expected about ${rgb}`);
  assert.equal(actual[3], 255, `frame ${frame} pixel (${x}, ${y}) is not opaque`);
}

/** Every variant is a WebP of its reported size with no metadata blocks. */
async function assertCleanWebp(v: EmoteVariant) {
  assert.equal(v.contentType, 'image/webp');
  assert.equal(sniffImageFormat(v.data), 'webp');
  const out = await sharp(v.data).metadata();
  assert.equal(out.format, 'webp');
  assert.deepEqual([out.width, out.pageHeight ?? out.height], [v.width, v.height], `${v.size} reports a wrong size`);
  assert.equal(out.exif, undefined, `${v.size} has EXIF`);
  assert.equal(out.xmp, undefined, `${v.size} has XMP`);
  assert.equal(out.iptc, undefined, `${v.size} has IPTC`);
  assert.equal(out.icc, undefined, `${v.size} has an ICC profile`);
  return out;
}

// --- static sources ---

test('a static PNG with alpha gives four static WebP variants, aspect kept, alpha kept', async () => {
  const rendering = await render(await fixtures.png(600, 300, { alpha: true }), 'image/png');
  assert.equal(rendering.animated, false);
  assert.deepEqual(dimensions(rendering), [['full', 512, 256], ['256', 256, 128], ['128', 128, 64], ['64', 64, 32]]);
  for (const v of rendering.variants) {
    const out = await assertCleanWebp(v);
    assert.equal(out.pages ?? 1, 1, `${v.size} is animated`);
    assert.equal(out.hasAlpha, true, `${v.size} lost alpha`);
    // The fixture's left half is transparent, its right half opaque.
    assert.equal((await pixelAt(v.data, Math.floor(v.width / 8), v.height / 2))[3], 0, `${v.size} left half is not transparent`);
    assert.equal((await pixelAt(v.data, Math.floor((v.width * 7) / 8), v.height / 2))[3], 255, `${v.size} right half is not opaque`);
  }
});

test('a small source is never upscaled: sizes above it report its true size', async () => {
  const rendering = await render(await fixtures.png(100, 50), 'image/png');
  assert.deepEqual(dimensions(rendering), [['full', 100, 50], ['256', 100, 50], ['128', 100, 50], ['64', 64, 32]]);
  for (const v of rendering.variants) await assertCleanWebp(v);
});

test('tall and extremely wide sources keep their aspect ratio, never below 1 px', async () => {
  const tall = await render(await fixtures.jpeg(300, 1200), 'image/jpeg');
  assert.deepEqual(dimensions(tall), [['full', 128, 512], ['256', 64, 256], ['128', 32, 128], ['64', 16, 64]]);
  const wide = await render(await fixtures.png(2000, 10), 'image/png');
  assert.deepEqual(dimensions(wide), [['full', 512, 3], ['256', 256, 1], ['128', 128, 1], ['64', 64, 1]]);
});

test('EXIF orientation is applied and every metadata block is stripped', async () => {
  const bytes = await fixtures.exifOrientedJpeg();
  const source = await sharp(bytes).metadata();
  assert.ok(source.exif && source.xmp && source.icc, 'fixture guard: the source carries EXIF, XMP and ICC');

  const rendering = await render(bytes, 'image/jpeg');
  assert.equal(rendering.animated, false);
  // Displayed 200×300 (stored 300×200 with orientation 6).
  assert.deepEqual(dimensions(rendering), [['full', 200, 300], ['256', 171, 256], ['128', 85, 128], ['64', 43, 64]]);
  const full = variant(rendering, 'full').data;
  await assertColour(full, 100, 50, RED);
  await assertColour(full, 50, 250, GREEN);
  await assertColour(full, 150, 250, BLUE);
  for (const v of rendering.variants) {
    await assertCleanWebp(v);
    assert.equal(await fixtures.readExif(v.data), null);
  }
});

test('a single-frame GIF or WebP gives static WebP', async () => {
  for (const [bytes, mime] of [[await fixtures.gif(64, 48), 'image/gif'], [await fixtures.webp(64, 48), 'image/webp']] as const) {
    const rendering = await render(bytes, mime);
    assert.equal(rendering.animated, false);
    assert.deepEqual(dimensions(rendering), [['full', 64, 48], ['256', 64, 48], ['128', 64, 48], ['64', 64, 48]]);
    for (const v of rendering.variants) assert.equal((await assertCleanWebp(v)).pages ?? 1, 1);
  }
});

// --- animated sources ---

const FRAMES: Rgb[] = [RED, GREEN, BLUE];

/** Frame count, timing, loop, colours and transparency of every variant of an 80×40 3-frame animation. */
async function assertAnimated(rendering: EmoteRendering, delay: number[], loop: number, colours: Rgb[], transparentLeft: boolean) {
  assert.equal(rendering.animated, true);
  for (const v of rendering.variants) {
    const out = await assertCleanWebp(v);
    assert.equal(out.pages, colours.length, `${v.size} has ${out.pages} frames`);
    assert.equal(out.loop, loop, `${v.size} loop`);
    assert.ok(out.delay, `${v.size} has no frame delays`);
    out.delay.forEach((ms, i) => assert.ok(Math.abs(ms - delay[i]!) <= 10, `${v.size} frame ${i} delay ${ms}, expected about ${delay[i]}`));
    for (const [frame, rgb] of colours.entries()) {
      await assertColour(v.data, Math.floor((v.width * 7) / 8), Math.floor(v.height / 2), rgb, frame);
      const left = await pixelAt(v.data, Math.floor(v.width / 8), Math.floor(v.height / 2), frame);
      assert.equal(left[3], transparentLeft ? 0 : 255, `${v.size} frame ${frame} left alpha`);
    }
  }
}

test('an animated GIF gives an animated WebP at every size, with its frames, delays, loop and transparency', async () => {
  const delay = [100, 200, 300];
  const bytes = await fixtures.timedAnimatedGif(FRAMES, 80, 40, { delay, loop: 3, transparentLeft: true });
  const rendering = await render(bytes, 'image/gif');
  assert.deepEqual(dimensions(rendering), [['full', 80, 40], ['256', 80, 40], ['128', 80, 40], ['64', 64, 32]]);
  await assertAnimated(rendering, delay, 3, FRAMES, true);
});

test('an animated WebP stays animated, and its EXIF and XMP are stripped', async () => {
  const delay = [50, 150, 250];
  const bytes = await fixtures.animatedWebp(FRAMES, 80, 40, { delay, loop: 0, metadata: true });
  const source = await sharp(bytes).metadata();
  assert.ok(source.exif && source.xmp && source.pages === 3, 'fixture guard: 3 frames with EXIF and XMP');
  const rendering = await render(bytes, 'image/webp');
  assert.deepEqual(dimensions(rendering), [['full', 80, 40], ['256', 80, 40], ['128', 80, 40], ['64', 64, 32]]);
  await assertAnimated(rendering, delay, 0, FRAMES, false);
});

test('a large animation is reduced frame by frame to the 512 px box, aspect kept', async () => {
  const bytes = await fixtures.animatedWebp([RED, BLUE], 1024, 256, { delay: [100, 100] });
  const rendering = await render(bytes, 'image/webp');
  assert.deepEqual(dimensions(rendering), [['full', 512, 128], ['256', 256, 64], ['128', 128, 32], ['64', 64, 16]]);
  for (const v of rendering.variants) {
    assert.equal((await assertCleanWebp(v)).pages, 2);
    await assertColour(v.data, v.width / 2, v.height / 2, RED, 0);
    await assertColour(v.data, v.width / 2, v.height / 2, BLUE, 1);
  }
});

test('GIF frames with no delay are written as the 100 ms browsers play them', async () => {
  const rendering = await render(await fixtures.timedAnimatedGif(FRAMES, 80, 40, { delay: [0, 0, 0] }), 'image/gif');
  for (const v of rendering.variants) assert.deepEqual((await sharp(v.data).metadata()).delay, [100, 100, 100]);
});

test('200 frames (the default limit) of 128×128 render, every size keeping all frames', async () => {
  // Neighbouring frames far apart in colour, so the GIF encoder cannot merge them as duplicates.
  const colours = Array.from({ length: 200 }, (_, i): Rgb => [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256]);
  const rendering = await render(await fixtures.timedAnimatedGif(colours, 128, 128, { delay: colours.map(() => 40) }), 'image/gif');
  assert.deepEqual(dimensions(rendering), [['full', 128, 128], ['256', 128, 128], ['128', 128, 128], ['64', 64, 64]]);
  for (const v of rendering.variants) assert.equal((await sharp(v.data).metadata()).pages, 200);
});

// --- crop ---

test('a free rectangular crop is applied in the oriented image', async () => {
  const bytes = await fixtures.exifOrientedJpeg(); // displayed 200×300: red top, green bottom-left, blue bottom-right
  const blue = await render(bytes, 'image/jpeg', { x: 110, y: 160, w: 80, h: 120 });
  assert.deepEqual(dimensions(blue), [['full', 80, 120], ['256', 80, 120], ['128', 80, 120], ['64', 43, 64]]);
  for (const v of blue.variants) await assertColour(v.data, Math.floor(v.width / 2), Math.floor(v.height / 2), BLUE);
  const red = await render(bytes, 'image/jpeg', { x: 0, y: 0, w: 200, h: 90 });
  assert.deepEqual(dimensions(red), [['full', 200, 90], ['256', 200, 90], ['128', 128, 58], ['64', 64, 29]]);
  await assertColour(variant(red, 'full').data, 10, 80, RED);
});

test('a crop applies to every frame of an animation', async () => {
  const bytes = await fixtures.timedAnimatedGif(FRAMES, 80, 40, { delay: [100, 100, 100], transparentLeft: true });
  // The opaque right half only: no transparent pixel may survive.
  const rendering = await render(bytes, 'image/gif', { x: 40, y: 10, w: 40, h: 20 });
  assert.deepEqual(dimensions(rendering), [['full', 40, 20], ['256', 40, 20], ['128', 40, 20], ['64', 40, 20]]);
  for (const v of rendering.variants) {
    assert.equal((await assertCleanWebp(v)).pages, 3);
    for (const [frame, rgb] of FRAMES.entries()) {
      await assertColour(v.data, 0, 0, rgb, frame);
      await assertColour(v.data, v.width - 1, v.height - 1, rgb, frame);
    }
  }
});

test('crops outside the image or degenerate are CROP_INVALID, for still and animated sources', async () => {
  const sources = [
    [await fixtures.png(100, 80), 'image/png'],
    [await fixtures.timedAnimatedGif(FRAMES, 100, 80), 'image/gif'],
  ] as const;
  for (const [bytes, mime] of sources) {
    const probe = await probeImage(bytes, mime, limits);
    const crop = (x: number, y: number, w: number, h: number) => renderEmoteVariants(bytes, probe, { x, y, w, h }, limits);
    await rejectsWithImageError(crop(50, 0, 60, 60), 'CROP_INVALID', /not inside the 100×80 image/);
    await rejectsWithImageError(crop(0, 30, 60, 60), 'CROP_INVALID', /not inside/);
    await rejectsWithImageError(crop(-1, 0, 10, 10), 'CROP_INVALID', /not inside/);
    await rejectsWithImageError(crop(0, 0, 0, 10), 'CROP_INVALID', /whole pixels/);
    await rejectsWithImageError(crop(0, 0, 10, 0), 'CROP_INVALID', /whole pixels/);
    await rejectsWithImageError(crop(0.5, 0, 10, 10), 'CROP_INVALID', /whole pixels/);
    // Not square is fine for an emote; the whole image is a valid crop.
    assert.deepEqual(dimensions(await crop(0, 0, 100, 80)), [['full', 100, 80], ['256', 100, 80], ['128', 100, 80], ['64', 64, 51]]);
  }
});

// --- limits ---

test('more frames than allowed is IMAGE_TOO_LARGE from the probe, and again from the renderer', async () => {
  const bytes = await fixtures.timedAnimatedGif(FRAMES, 80, 40);
  const strict = { ...limits, maxFrames: 2 };
  await rejectsWithImageError(probeImage(bytes, 'image/gif', strict), 'IMAGE_TOO_LARGE', /3 frames; at most 2/);
  const probe = await probeImage(bytes, 'image/gif', limits);
  await rejectsWithImageError(renderEmoteVariants(bytes, probe, null, strict), 'IMAGE_TOO_LARGE', /3 frames; at most 2/);
});

test('an animation decoding to more pixels than maxPixels across its frames is IMAGE_TOO_LARGE', async () => {
  const bytes = await fixtures.timedAnimatedGif(FRAMES, 80, 40); // 3 × 3200 = 9600 pixels
  const tight = { ...limits, maxPixels: 9599 };
  const probe = await probeImage(bytes, 'image/gif', tight); // each frame alone is within the limit
  await rejectsWithImageError(renderEmoteVariants(bytes, probe, null, tight), 'IMAGE_TOO_LARGE', /9600 pixels \(3 frames of 80×40\); at most 9599/);
  assert.equal((await renderEmoteVariants(bytes, probe, null, { ...tight, maxPixels: 9600 })).animated, true);
});

test(`an animation longer than ${MAX_ANIMATION_MS / 1000} s (as browsers play it) is IMAGE_TOO_LARGE`, async () => {
  const long = await fixtures.timedAnimatedGif([RED, BLUE], 80, 40, { delay: [30_000, 30_010] });
  await rejectsWithImageError(render(long, 'image/gif'), 'IMAGE_TOO_LARGE', /lasts 60\.01 s; at most 60 s/);
  // A 0 ms frame lasts 100 ms on screen, so it counts as that.
  const zero = await fixtures.timedAnimatedGif([RED, BLUE], 80, 40, { delay: [59_950, 0] });
  await rejectsWithImageError(render(zero, 'image/gif'), 'IMAGE_TOO_LARGE', /lasts 60\.05 s/);
  const exact = await fixtures.timedAnimatedGif([RED, BLUE], 80, 40, { delay: [30_000, 30_000] });
  assert.equal((await render(exact, 'image/gif')).animated, true);
});

test('a truncated animated WebP and a corrupted animated GIF are IMAGE_INVALID', async () => {
  const colours = Array.from({ length: 20 }, (_, i): Rgb => [i * 12, 0, 255 - i * 12]);
  const webp = await fixtures.animatedWebp(colours, 64, 64);
  await rejectsWithImageError(render(webp.subarray(0, Math.floor(webp.length * 0.6)), 'image/webp'), 'IMAGE_INVALID');
  const gif = Buffer.from(await fixtures.timedAnimatedGif(colours, 64, 64));
  gif.fill(0xff, Math.floor(gif.length / 2), Math.floor(gif.length / 2) + 40);
  await rejectsWithImageError(render(gif, 'image/gif'), 'IMAGE_INVALID');
});

test('processing past the timeout is IMAGE_INVALID "Processing timed out"', async () => {
  const colours = Array.from({ length: 50 }, (_, i): Rgb => [i * 5, 128, 255 - i * 5]);
  const bytes = await fixtures.timedAnimatedGif(colours, 400, 400);
  const probe = await probeImage(bytes, 'image/gif', limits);
  await rejectsWithImageError(renderEmoteVariants(bytes, probe, null, { ...limits, timeoutSeconds: 0.001 }), 'IMAGE_INVALID', /^Processing timed out$/);
});
