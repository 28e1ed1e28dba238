// Issue 19 #2: a progressive JPEG rewritten with hundreds or thousands of scans costs many times a normal decode.
// Scans are counted from the bytes before anything is decoded, and a file with more than any real encoder
// writes is refused as IMAGE_TOO_COMPLEX; files of real encoders (libjpeg's and mozjpeg's scripts, CMYK,
// grayscale, the camera fixtures) stay far below the limit and are processed. The many-scans files are written
// at test time from a camera photo's pixels (test/fixtures/progressive.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { MAX_JPEG_SCANS, readJpegStructure } from '../../server/images/jpeg-structure.ts';
import { probeImage, renderAvatarVariants, type PipelineLimits } from '../../server/images/pipeline.ts';
import { camera, cameraFiles } from '../fixtures/hostile.ts';
import { manyScansScript, photoPixels, plainScript, progressiveJpeg, type Scan } from '../fixtures/progressive.ts';
import { rejectsWithImageError } from '../helpers/image-errors.ts';

const limits: PipelineLimits = { maxPixels: 40_000_000, maxFrames: 200, timeoutSeconds: 30 };
const WIDTH = 256;
const HEIGHT = 192;

const pixels = () => photoPixels(camera('iphone-4s.jpg'), WIDTH, HEIGHT);

describe('the test fixture writes valid progressive JPEGs', () => {
  test('libjpeg decodes them without a warning, with the scans asked for, and they look like the photo', async () => {
    const rgb = await pixels();
    for (const script of [plainScript(), manyScansScript()]) {
      const bytes = progressiveJpeg(rgb, WIDTH, HEIGHT, script);
      assert.equal(readJpegStructure(bytes, 0, { maxScans: Infinity }).scans, script.length);
      const { data, info } = await sharp(bytes, { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [WIDTH, HEIGHT, 3]);
      let difference = 0;
      for (let i = 0; i < data.length; i++) difference += Math.abs(data[i]! - rgb[i]!);
      assert.ok(difference / data.length < 3, `mean difference ${difference / data.length} per channel`);
    }
  });
});

describe('progressive JPEG scans are counted before decoding', () => {
  test(`a JPEG with more than ${MAX_JPEG_SCANS} scans is refused as IMAGE_TOO_COMPLEX by the probe`, async () => {
    const script = manyScansScript();
    assert.ok(script.length > MAX_JPEG_SCANS, `${script.length} scans`);
    const bytes = progressiveJpeg(await pixels(), WIDTH, HEIGHT, script);
    await rejectsWithImageError(probeImage(bytes, 'image/jpeg', limits), 'IMAGE_TOO_COMPLEX', new RegExp(`more than ${MAX_JPEG_SCANS} scans`));
  });

  test(`exactly ${MAX_JPEG_SCANS} scans are still accepted and processed`, async () => {
    // The first MAX_JPEG_SCANS scans of the many-scans script, ending on whole coefficients, form a valid script.
    const script: Scan[] = manyScansScript().slice(0, MAX_JPEG_SCANS);
    const bytes = progressiveJpeg(await pixels(), WIDTH, HEIGHT, script);
    const probe = await probeImage(bytes, 'image/jpeg', limits);
    const variants = await renderAvatarVariants(bytes, probe, null, [64], limits);
    assert.deepEqual(variants.map((v) => v.size), ['cropped', '64']);
  });

  test('what real encoders and cameras write stays far below the limit, and is processed', async () => {
    const photo = camera('iphone-4s.jpg');
    const encoded: Array<[string, Buffer]> = [
      ['libjpeg progressive', await sharp(photo).jpeg({ progressive: true }).toBuffer()],
      ['mozjpeg (optimised scans)', await sharp(photo).jpeg({ mozjpeg: true }).toBuffer()],
      ['progressive 4:4:4, optimised scans', await sharp(photo).jpeg({ progressive: true, optimiseScans: true, chromaSubsampling: '4:4:4' }).toBuffer()],
      ['grayscale progressive', await sharp(photo).greyscale().jpeg({ progressive: true }).toBuffer()],
      ['CMYK progressive', await sharp(photo).toColourspace('cmyk').jpeg({ progressive: true }).toBuffer()],
      ...cameraFiles().map(({ name, bytes }): [string, Buffer] => [name, bytes]),
    ];
    for (const [name, bytes] of encoded) {
      const { scans } = readJpegStructure(bytes);
      // libjpeg's own scripts: 10 for YCbCr, 2 + 4 per component otherwise (18 for CMYK); mozjpeg fewer.
      assert.ok(scans >= 1 && scans <= 18, `${name}: ${scans} scans`);
      const probe = await probeImage(bytes, 'image/jpeg', limits).catch((e) => assert.fail(`${name}: ${e}`));
      await renderAvatarVariants(bytes, probe, null, [64], limits).catch((e) => assert.fail(`${name}: ${e}`));
    }
  });
});
