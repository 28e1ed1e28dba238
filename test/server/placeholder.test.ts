// Placeholders (issue 20 §3): a ThumbHash as base64, at most 40 characters, that decodes back to the picture's
// colours and shape; the widget's decoder refuses anything else.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodePlaceholder, PLACEHOLDER_MAX_LENGTH } from '../../media/placeholder.ts';
import { placeholderOfImage, placeholderOfPixels } from '../../server/images/placeholder.ts';

const PHOTOS = ['camera', 'faces'].flatMap((dir) => {
  const folder = new URL(`../fixtures/${dir}/`, import.meta.url);
  return readdirSync(folder).filter((name) => /\.(jpg|png)$/.test(name)).map((name) => ({ name, bytes: readFileSync(new URL(name, folder)) }));
});

/** Mean RGB of raw RGBA pixels, each weighted by its alpha (what shows of a transparent one is not its RGB). */
function meanColour(rgba: ArrayLike<number>): number[] {
  const sum = [0, 0, 0];
  let weight = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const alpha = rgba[i + 3]! / 255;
    for (let c = 0; c < 3; c++) sum[c]! += alpha * rgba[i + c]!;
    weight += alpha;
  }
  return sum.map((s) => s / weight);
}

test('every real photo gets a base64 ThumbHash of at most 40 characters whose picture has the photo\'s mean colour and shape', async () => {
  assert.ok(PHOTOS.length >= 20);
  for (const { name, bytes } of PHOTOS) {
    const placeholder = await placeholderOfImage(bytes);
    assert.match(placeholder, /^[A-Za-z0-9+/]+={0,2}$/, name);
    assert.ok(placeholder.length <= PLACEHOLDER_MAX_LENGTH, `${name}: ${placeholder.length} characters`);
    const picture = decodePlaceholder(placeholder);
    assert.ok(picture, name);
    const { data, info } = await sharp(bytes).rotate().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const expected = meanColour(data);
    const actual = meanColour(picture.rgba);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(expected[c]! - actual[c]!) <= 12, `${name}: mean colour ${actual.map(Math.round)} vs ${expected.map(Math.round)}`);
    // The aspect ratio survives (roughly: ThumbHash keeps it in its coefficient counts).
    const ratio = picture.width / picture.height;
    const photoRatio = info.width / info.height;
    assert.ok(Math.abs(Math.log(ratio / photoRatio)) < 0.35, `${name}: ${picture.width}×${picture.height} for ${info.width}×${info.height}`);
  }
});

test('a left-to-right split image keeps its two sides in the placeholder, and transparency survives', async () => {
  const width = 60;
  const height = 60;
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      rgba.set(x < width / 2 ? [220, 30, 30, 255] : [30, 30, 220, 255], at);
    }
  }
  const split = decodePlaceholder(await placeholderOfPixels({ data: rgba, width, height, channels: 4 }))!;
  const left = split.rgba.subarray((Math.floor(split.height / 2) * split.width + 1) * 4);
  const right = split.rgba.subarray((Math.floor(split.height / 2) * split.width + split.width - 2) * 4);
  assert.ok(left[0]! > left[2]! + 60, `left is red: ${[...left.subarray(0, 3)]}`);
  assert.ok(right[2]! > right[0]! + 60, `right is blue: ${[...right.subarray(0, 3)]}`);

  const clear = Buffer.alloc(width * height * 4); // transparent everywhere but a centre square
  for (let y = 20; y < 40; y++) for (let x = 20; x < 40; x++) clear.set([0, 160, 0, 255], (y * width + x) * 4);
  const placeholder = await placeholderOfPixels({ data: clear, width, height, channels: 4 });
  assert.ok(placeholder.length <= PLACEHOLDER_MAX_LENGTH, placeholder);
  const picture = decodePlaceholder(placeholder)!;
  assert.ok(picture.rgba[3]! < 128, `a corner stays see-through: alpha ${picture.rgba[3]}`);
});

test('the decoder refuses what is not a placeholder instead of throwing', () => {
  for (const bad of [undefined, null, 42, '', 'abc', 'not base64 at all!!', 'A'.repeat(200), 'AAAA', '<img src=x>', 'QUJD\nREVG']) {
    assert.equal(decodePlaceholder(bad), null, String(bad));
  }
});
