// The encoder settings the catalogue declares (media/variants.ts): each image gets the quality and effort of the
// first pixel step it fits in, and the encoding's quality where its step names none. AVIF's quality is per step
// because the quality that matches WebP's SSIM differs by size (bench/media-formats.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { ENCODINGS, encoderSettings, onRequestFormats } from '../../media/variants.ts';

test('AVIF: each size gets its own step’s quality and effort, the first step it fits in (a step’s bound included)', () => {
  const steps = ENCODINGS.avatar.avif.steps;
  assert.ok(steps.some((step) => 'quality' in step), 'some AVIF step declares its own quality');
  for (const [index, step] of steps.entries()) {
    const previous = index === 0 ? 0 : steps[index - 1]!.upTo;
    const expected = { quality: ('quality' in step ? step.quality : undefined) ?? ENCODINGS.avatar.avif.quality, effort: step.effort };
    const probes = Number.isFinite(step.upTo) ? [previous + 1, step.upTo] : [previous + 1, 4096 * 4096];
    for (const pixels of probes) {
      const settings = encoderSettings('avatar', 'avif', pixels);
      assert.deepEqual({ quality: settings.quality, effort: settings.effort }, expected, `${pixels} px`);
      assert.deepEqual({ tune: settings.tune, chromaSubsampling: settings.chromaSubsampling }, { tune: 'ssim', chromaSubsampling: '4:2:0' });
    }
  }
  // The sizes served most differ: their qualities are not all one.
  const qualities = [128, 256, 512].map((side) => encoderSettings('avatar', 'avif', side * side).quality);
  assert.ok(new Set(qualities).size > 1, `qualities by size: ${qualities.join(', ')}`);
  assert.deepEqual(encoderSettings('emote', 'avif', 128 * 128), encoderSettings('avatar', 'avif', 128 * 128), 'emotes are encoded as avatars are');
});

test('WebP: steps without a quality of their own take the encoding’s', () => {
  for (const side of [64, 256, 512, 1600, 2048]) assert.equal(encoderSettings('avatar', 'webp', side * side).quality, ENCODINGS.avatar.webp.quality);
});

test('AVIF is made from 100×100 px up: 64 px stays WebP only', () => {
  assert.deepEqual(onRequestFormats('avatar', 64, 64), []);
  assert.deepEqual(onRequestFormats('avatar', 99, 101), []);
  assert.deepEqual(onRequestFormats('avatar', 100, 100), ['avif']);
  assert.deepEqual(onRequestFormats('emote', 128, 64, true), [], 'animated emotes stay WebP');
});

test('sharp takes every AVIF step’s settings', async () => {
  const pixels = Buffer.alloc(16 * 16 * 3, 128);
  for (const step of ENCODINGS.avatar.avif.steps) {
    const bytes = await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } })
      .toFormat('avif', encoderSettings('avatar', 'avif', Math.min(step.upTo, 4096 * 4096)))
      .toBuffer();
    assert.equal((await sharp(bytes).metadata()).compression, 'av1');
  }
});
