// Issue 18 §3 / issue 19: the widget's upload (a square WebP of the output size, cropped, resized and encoded in
// the browser) is served as it is as the variant of its size, instead of being encoded again; only when it is what
// the server would have produced in effect (a still lossy WebP with nothing else in it, the whole image as the
// crop, decoding cleanly). Anything else is encoded as before.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { probeImage, renderAvatarVariants, type AvatarVariant, type PipelineLimits } from '../../server/images/pipeline.ts';
import { reusableWebp } from '../../server/images/webp-reuse.ts';
import { photoPixels } from '../fixtures/progressive.ts';
import { camera } from '../fixtures/hostile.ts';
import { api, fetchBytes, startServer, uploadImage, userToken, waitForFile, type RunningServer } from '../helpers/server.ts';

const limits: PipelineLimits = { maxPixels: 40_000_000, maxFrames: 200, timeoutSeconds: 30 };
const SIZES = [1600, 512, 256, 128, 64];
const SIDE = 1600;

/** A photo as the widget uploads it: a SIDE px square WebP of a real camera photo, as a browser encodes it (q 0.9). */
async function widgetUpload(opts: { metadata?: 'exif' | 'icc'; lossless?: boolean; alpha?: boolean } = {}): Promise<Buffer> {
  const rgb = await photoPixels(camera('nikon-d100.jpg'), SIDE, SIDE);
  let image = sharp(rgb, { raw: { width: SIDE, height: SIDE, channels: 3 } });
  if (opts.alpha) image = image.ensureAlpha(0.5);
  if (opts.metadata === 'exif') image = image.withExif({ IFD0: { Copyright: 'someone', Software: 'a phone' } });
  if (opts.metadata === 'icc') image = image.withIccProfile('p3');
  return image.webp({ quality: 90, lossless: opts.lossless ?? false }).toBuffer();
}

async function variantsOf(bytes: Buffer, crop: { x: number; y: number; w: number; h: number } | null): Promise<Map<string, AvatarVariant>> {
  const probe = await probeImage(bytes, 'image/webp', limits);
  const variants = await renderAvatarVariants(bytes, probe, crop, SIZES, limits);
  return new Map(variants.map((v) => [v.size, v]));
}

const WHOLE = { x: 0, y: 0, w: SIDE, h: SIDE };

describe('a square WebP of a variant size', () => {
  test('is served as it is as that size and as cropped; the smaller sizes are made from it', async () => {
    const upload = await widgetUpload();
    assert.ok(reusableWebp(upload), 'a plain lossy WebP');
    const variants = await variantsOf(upload, WHOLE);
    assert.ok(variants.get('1600')!.data.equals(upload), '1600 is the upload itself');
    assert.ok(variants.get('cropped')!.data.equals(upload), 'cropped (the crop at native size) is the upload itself');
    for (const size of ['512', '256', '128', '64']) {
      const meta = await sharp(variants.get(size)!.data).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['webp', Number(size), Number(size)], size);
    }
  });

  test('with an alpha channel (VP8X + ALPH) it is still reused', async () => {
    const upload = await widgetUpload({ alpha: true });
    assert.ok((await variantsOf(upload, WHOLE)).get('1600')!.data.equals(upload));
  });

  test('is encoded again when it carries metadata, is lossless, is not cropped whole, or has a byte after its end', async () => {
    const plain = await widgetUpload();
    const cases: Array<[string, Buffer, typeof WHOLE]> = [
      ['EXIF', await widgetUpload({ metadata: 'exif' }), WHOLE],
      ['ICC profile', await widgetUpload({ metadata: 'icc' }), WHOLE],
      ['lossless', await widgetUpload({ lossless: true }), WHOLE],
      ['a smaller crop', plain, { x: 0, y: 0, w: SIDE - 2, h: SIDE - 2 }],
    ];
    for (const [label, bytes, crop] of cases) {
      const variants = await variantsOf(bytes, crop);
      const served = variants.get('1600')!.data;
      assert.ok(!served.equals(bytes), `${label}: encoded again`);
      const meta = await sharp(served).metadata();
      assert.equal(meta.exif, undefined, `${label}: no EXIF served`);
      assert.equal(meta.icc, undefined, `${label}: no ICC profile served`);
    }
    // One stray byte after the RIFF (the probe tolerates a few): never served as it is.
    assert.equal(reusableWebp(Buffer.concat([plain, Buffer.from([0])])), null);
  });

  test('only plain still lossy layouts count, read from the bytes alone', async () => {
    const plain = await widgetUpload();
    assert.equal(reusableWebp(await widgetUpload({ metadata: 'exif' })), null);
    assert.equal(reusableWebp(await widgetUpload({ metadata: 'icc' })), null);
    assert.equal(reusableWebp(await widgetUpload({ lossless: true })), null);
    const frames = Buffer.concat([Buffer.alloc(64 * 64 * 3, 200), Buffer.alloc(64 * 64 * 3, 50)]); // two different frames
    const animated = await sharp(frames, { animated: true, raw: { width: 64, height: 128, channels: 3, pageHeight: 64 } }).webp({ quality: 90, loop: 0, delay: [100, 100] }).toBuffer();
    assert.equal((await sharp(animated).metadata()).pages, 2);
    assert.equal(reusableWebp(animated), null, 'animated');
    // A chunk size that runs past the container, and a RIFF size that lies.
    const lying = Buffer.from(plain);
    lying.writeUInt32LE(plain.readUInt32LE(16) + 100, 16);
    assert.equal(reusableWebp(lying), null);
    const riff = Buffer.from(plain);
    riff.writeUInt32LE(plain.length, 4);
    assert.equal(reusableWebp(riff), null);
  });
});

describe('over HTTP', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('a widget-like upload becomes ready with its own bytes as the 1600 px avatar', async () => {
    const token = userToken(server, 'widget');
    const upload = await widgetUpload();
    // As the widget sends it: its output, cropped whole.
    const fileId = await uploadImage(server, token, upload, { contentType: 'image/webp', crop: { crop_x: 0, crop_y: 0, crop_w: SIDE, crop_h: SIDE } });
    assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
    const avatar = await api(server, 'GET', '/v1/users/widget/avatar?size=1600');
    assert.equal(avatar.status, 200, avatar.text);
    const served = await fetchBytes(avatar.json.url);
    assert.equal(served.headers.get('content-type'), 'image/webp');
    assert.ok(served.bytes.equals(upload), 'the bytes served are the upload');
  });
});
