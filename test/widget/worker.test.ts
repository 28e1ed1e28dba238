// The image pipeline in real Chromium, through the same client.ts (dedicated worker, protocol.ts) the widget
// uses: output type, dimensions, EXIF orientation, alpha, rotation and crop, no aliasing, errors, and a
// 12 MP photo processed with none of the decoding or encoding on the main thread.
import { expect } from '@open-wc/testing';
import { createImageWorker, type ImageWorkerClient } from '../../widget/worker/client.ts';
import { processImage } from '../../widget/worker/process-image.ts';
import { downscaleSteps } from '../../widget/worker/render-crop.ts';
import {
  BLUE,
  GREEN,
  RED,
  YELLOW,
  colourDistance,
  decodePixels,
  exifOrientation6Jpeg,
  largeJpeg,
  pixelAt,
  pngWithAlpha,
  quadrantColours,
  quadrantsPng,
  stripesPng,
  type Rgba,
} from './fixtures.ts';

// Mocha's globals, as web-test-runner provides them (no @types/mocha in this project yet).
interface MochaContext {
  timeout(ms: number): void;
}
declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: (this: MochaContext) => Promise<void> | void) => void;
declare const before: (body: (this: MochaContext) => Promise<void> | void) => void;
declare const after: (body: () => Promise<void> | void) => void;

/** Colours survive JPEG and lossy WebP within this many levels per channel on flat areas. */
const TOLERANCE = 40;

function expectColour(actual: Rgba, expected: Rgba, where: string) {
  expect(colourDistance(actual, expected), `${where}: got rgba(${actual.join(', ')}), expected rgba(${expected.join(', ')})`).to.be.at.most(TOLERANCE);
}

async function expectWebp(blob: Blob) {
  expect(blob.type).to.equal('image/webp');
  const head = new Uint8Array(await blob.slice(0, 12).arrayBuffer());
  const ascii = (from: number, to: number) => String.fromCharCode(...head.slice(from, to));
  expect(ascii(0, 4)).to.equal('RIFF');
  expect(ascii(8, 12)).to.equal('WEBP');
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('image worker', () => {
  let worker: ImageWorkerClient;
  let photo: Blob; // 4000×3000 JPEG

  before(async function () {
    this.timeout(60_000);
    worker = createImageWorker();
    photo = await largeJpeg(4000, 3000);
  });

  after(() => worker.terminate());

  describe('output', () => {
    it('encodes a square crop of a 12 MP JPEG as WebP of exactly outputSize', async () => {
      const result = await worker.processImage(photo, { crop: { x: 500, y: 0, w: 3000, h: 3000 }, outputSize: 1600 });
      expect(result.type).to.equal('image/webp');
      await expectWebp(result.blob);
      expect([result.width, result.height]).to.deep.equal([1600, 1600]);
      const decoded = await decodePixels(result.blob);
      expect([decoded.width, decoded.height]).to.deep.equal([1600, 1600]);
      expect(result.blob.size).to.be.greaterThan(10_000).and.below(2_000_000);
    });

    it('never upscales: a crop smaller than outputSize keeps its own size', async () => {
      const result = await worker.processImage(photo, { crop: { x: 100, y: 200, w: 300, h: 300 }, outputSize: 1600 });
      expect([result.width, result.height]).to.deep.equal([300, 300]);
      const decoded = await decodePixels(result.blob);
      expect([decoded.width, decoded.height]).to.deep.equal([300, 300]);
    });

    it('without a crop keeps the whole image and its aspect, longest side = outputSize', async () => {
      const result = await worker.processImage(photo, { crop: null, outputSize: 1600 });
      expect([result.width, result.height]).to.deep.equal([1600, 1200]);
      await expectWebp(result.blob);
    });

    it('clamps a crop that runs off the image', async () => {
      const result = await worker.processImage(photo, { crop: { x: 3800, y: 2900, w: 500, h: 500 }, outputSize: 1600 });
      expect([result.width, result.height]).to.deep.equal([200, 100]);
    });

    it('shrinks without aliasing: 1-pixel stripes become an even grey', async () => {
      // 1024 → 100 is not a whole ratio: a single bilinear draw without mipmaps gives stripes of 0 to 255 here.
      const result = await worker.processImage(await stripesPng(1024, 1024), { crop: null, outputSize: 100 });
      expect([result.width, result.height]).to.deep.equal([100, 100]);
      const { data } = await decodePixels(result.blob);
      let min = 255;
      let max = 0;
      for (let i = 0; i < data.length; i += 4) {
        min = Math.min(min, data[i]!);
        max = Math.max(max, data[i]!);
      }
      expect(min, 'darkest grey').to.be.at.least(107);
      expect(max, 'lightest grey').to.be.at.most(147);
    });

    it('plans the downscale in steps of at most 2×, ending exactly on the target', () => {
      const steps = downscaleSteps({ width: 4000, height: 3000 }, { width: 300, height: 225 });
      expect(steps).to.deep.equal([
        { width: 2000, height: 1500 },
        { width: 1000, height: 750 },
        { width: 500, height: 375 },
        { width: 300, height: 225 },
      ]);
      expect(downscaleSteps({ width: 3000, height: 3000 }, { width: 1600, height: 1600 })).to.deep.equal([{ width: 1600, height: 1600 }]);
      expect(downscaleSteps({ width: 300, height: 300 }, { width: 300, height: 300 })).to.deep.equal([{ width: 300, height: 300 }]);
    });

    it('retries at lower quality to fit maxOutputBytes, and says so when it cannot', async () => {
      const crop = { x: 1000, y: 500, w: 2000, h: 2000 };
      const full = await worker.processImage(photo, { crop, outputSize: 800 });
      const limit = Math.floor(full.blob.size * 0.8);
      const smaller = await worker.processImage(photo, { crop, outputSize: 800, maxOutputBytes: limit });
      expect(smaller.blob.size).to.be.at.most(limit);
      expect(smaller.type).to.equal('image/webp');
      const error = await rejection(worker.processImage(photo, { crop, outputSize: 800, maxOutputBytes: 100 }));
      expect(error.name).to.equal('OutputTooLargeError');
    });
  });

  describe('orientation, rotation and crop', () => {
    it('honours EXIF orientation 6 (probe and pixels)', async () => {
      const jpeg = await exifOrientation6Jpeg();
      expect(await worker.probe(jpeg)).to.deep.equal({ width: 96, height: 160 });
      const result = await worker.processImage(jpeg, { crop: null, outputSize: 1600 });
      expect([result.width, result.height]).to.deep.equal([96, 160]);
      const [tl, tr, bl, br] = quadrantColours(await decodePixels(result.blob));
      expectColour(tl, BLUE, 'top-left');
      expectColour(tr, RED, 'top-right');
      expectColour(bl, YELLOW, 'bottom-left');
      expectColour(br, GREEN, 'bottom-right');
    });

    it('reads the crop in oriented coordinates of an EXIF-6 JPEG', async () => {
      // Displayed 96×160; its top-right quadrant (x 48–96, y 0–80) is red.
      const result = await worker.processImage(await exifOrientation6Jpeg(), { crop: { x: 52, y: 4, w: 40, h: 72 }, outputSize: 1600 });
      expect([result.width, result.height]).to.deep.equal([40, 72]);
      const pixels = await decodePixels(result.blob);
      for (const [x, y] of [[2, 2], [37, 2], [2, 69], [37, 69], [20, 36]] as const) expectColour(pixelAt(pixels, x, y), RED, `(${x}, ${y})`);
    });

    // Source 200×100: red, green / blue, yellow. Expected quadrants after turning clockwise.
    const turns: Array<[0 | 90 | 180 | 270, [number, number], [Rgba, Rgba, Rgba, Rgba]]> = [
      [0, [200, 100], [RED, GREEN, BLUE, YELLOW]],
      [90, [100, 200], [BLUE, RED, YELLOW, GREEN]],
      [180, [200, 100], [YELLOW, BLUE, GREEN, RED]],
      [270, [100, 200], [GREEN, YELLOW, RED, BLUE]],
    ];
    for (const [rotate, size, expected] of turns) {
      it(`rotates ${rotate}° clockwise`, async () => {
        const result = await worker.processImage(await quadrantsPng(200, 100), { crop: { x: 0, y: 0, w: size[0], h: size[1], rotate }, outputSize: 1600 });
        expect([result.width, result.height]).to.deep.equal(size);
        const colours = quadrantColours(await decodePixels(result.blob));
        ['top-left', 'top-right', 'bottom-left', 'bottom-right'].forEach((where, i) => expectColour(colours[i]!, expected[i]!, where));
      });
    }

    it('applies the rotation before the crop (crop in rotated coordinates), then scales', async () => {
      const source = await quadrantsPng(200, 100);
      // Turned 270°: 100×200 with green, yellow / red, blue. The top half is green | yellow.
      const top = await worker.processImage(source, { crop: { x: 0, y: 0, w: 100, h: 100, rotate: 270 }, outputSize: 64 });
      expect([top.width, top.height]).to.deep.equal([64, 64]);
      const topPixels = await decodePixels(top.blob);
      expectColour(pixelAt(topPixels, 12, 32), GREEN, 'left');
      expectColour(pixelAt(topPixels, 52, 32), YELLOW, 'right');
      // Turned 90°: blue, red / yellow, green. The bottom-right quadrant alone is green.
      const corner = await worker.processImage(source, { crop: { x: 55, y: 105, w: 40, h: 90, rotate: 90 }, outputSize: 1600 });
      expect([corner.width, corner.height]).to.deep.equal([40, 90]);
      const cornerPixels = await decodePixels(corner.blob);
      for (const [x, y] of [[1, 1], [38, 1], [1, 88], [38, 88]] as const) expectColour(pixelAt(cornerPixels, x, y), GREEN, `(${x}, ${y})`);
    });

    it('treats rotate -90 as 270, and rejects a turn that is not a number', async () => {
      const source = await quadrantsPng(200, 100);
      const result = await worker.processImage(source, { crop: { x: 0, y: 0, w: 100, h: 200, rotate: -90 }, outputSize: 1600 });
      expect([result.width, result.height]).to.deep.equal([100, 200]);
      expectColour(quadrantColours(await decodePixels(result.blob))[0], GREEN, 'top-left');
      const error = await rejection(worker.processImage(source, { crop: { x: 0, y: 0, w: 10, h: 10, rotate: Number.NaN }, outputSize: 1600 }));
      expect(error.name).to.equal('RangeError');
    });

    it('mirrors left to right, before the turn', async () => {
      const source = await quadrantsPng(200, 100);
      const mirrored = await worker.processImage(source, { crop: { x: 0, y: 0, w: 200, h: 100, flip: true }, outputSize: 1600 });
      const plain = quadrantColours(await decodePixels(mirrored.blob));
      [GREEN, RED, YELLOW, BLUE].forEach((expected, i) => expectColour(plain[i]!, expected, ['top-left', 'top-right', 'bottom-left', 'bottom-right'][i]!));
      // Mirrored (green, red / yellow, blue), then turned a quarter clockwise.
      const turned = await worker.processImage(source, { crop: { x: 0, y: 0, w: 100, h: 200, rotate: 90, flip: true }, outputSize: 1600 });
      expect([turned.width, turned.height]).to.deep.equal([100, 200]);
      const colours = quadrantColours(await decodePixels(turned.blob));
      [YELLOW, GREEN, BLUE, RED].forEach((expected, i) => expectColour(colours[i]!, expected, ['top-left', 'top-right', 'bottom-left', 'bottom-right'][i]!));
    });

    it('straightens by any angle: the crop of the turned image, with no empty corner', async () => {
      // 200×200 quadrants turned 45° clockwise: a 282.8 px diamond. The centred 140 px square lies inside it.
      const box = 200 * Math.SQRT2;
      const result = await worker.processImage(await quadrantsPng(200, 200), { crop: { x: Math.round((box - 140) / 2), y: Math.round((box - 140) / 2), w: 140, h: 140, rotate: 45 }, outputSize: 1600 });
      expect([result.width, result.height]).to.deep.equal([140, 140]);
      const pixels = await decodePixels(result.blob);
      // The quadrants' borders are now the diagonals: red above, green right, yellow below, blue left.
      expectColour(pixelAt(pixels, 70, 8), RED, 'top');
      expectColour(pixelAt(pixels, 132, 70), GREEN, 'right');
      expectColour(pixelAt(pixels, 70, 132), YELLOW, 'bottom');
      expectColour(pixelAt(pixels, 8, 70), BLUE, 'left');
      for (const [x, y] of [[0, 0], [139, 0], [0, 139], [139, 139]] as const) expect(pixelAt(pixels, x, y)[3], `alpha at (${x}, ${y})`).to.equal(255);
    });
  });

  describe('alpha and fallback', () => {
    it('keeps the alpha channel of a PNG', async () => {
      const result = await worker.processImage(await pngWithAlpha(256, 256), { crop: null, outputSize: 128 });
      expect(result.type).to.equal('image/webp');
      await expectWebp(result.blob);
      const pixels = await decodePixels(result.blob);
      expect(pixelAt(pixels, 32, 64)[3], 'opaque half').to.equal(255);
      expect(pixelAt(pixels, 96, 16)[3], 'transparent half').to.be.at.most(5);
      expect(pixelAt(pixels, 96, 64)[3], 'half-transparent band').to.be.within(100, 156);
    });

    it('falls back honestly where WebP cannot be encoded: PNG when there is alpha, JPEG otherwise', async () => {
      // Runs the pipeline on this page with an encoder that, like Safari's, ignores image/webp.
      const original = OffscreenCanvas.prototype.convertToBlob;
      OffscreenCanvas.prototype.convertToBlob = function (this: OffscreenCanvas, options?: ImageEncodeOptions) {
        return original.call(this, options?.type === 'image/webp' ? { type: 'image/png' } : options);
      };
      try {
        const alpha = await processImage(await pngWithAlpha(64, 64), { crop: null, outputSize: 32 });
        expect(alpha.type).to.equal('image/png');
        expect(alpha.blob.type).to.equal('image/png');
        expect(pixelAt(await decodePixels(alpha.blob), 24, 4)[3]).to.equal(0);
        const opaque = await processImage(await quadrantsPng(64, 64), { crop: null, outputSize: 32 });
        expect(opaque.type).to.equal('image/jpeg');
        expect(opaque.blob.type).to.equal('image/jpeg');
        expect([opaque.width, opaque.height]).to.deep.equal([32, 32]);
      } finally {
        OffscreenCanvas.prototype.convertToBlob = original;
      }
    });
  });

  describe('errors', () => {
    it('rejects bytes that are not an image with DecodeError', async () => {
      const error = await rejection(worker.processImage(new Blob(['not an image'], { type: 'image/png' }), { crop: null, outputSize: 100 }));
      expect(error.name).to.equal('DecodeError');
    });

    it('rejects a crop entirely outside the image and a bad outputSize', async () => {
      const source = await quadrantsPng(200, 100);
      expect((await rejection(worker.processImage(source, { crop: { x: 300, y: 0, w: 50, h: 50 }, outputSize: 100 }))).name).to.equal('RangeError');
      expect((await rejection(worker.processImage(source, { crop: null, outputSize: 0 }))).name).to.equal('RangeError');
    });

    it('rejects calls after terminate() instead of hanging', async () => {
      const own = createImageWorker();
      expect(await own.probe(await quadrantsPng(20, 10))).to.deep.equal({ width: 20, height: 10 });
      own.terminate();
      expect((await rejection(own.probe(await quadrantsPng(20, 10)))).name).to.equal('ImageWorkerError');
    });
  });

  describe('main thread', () => {
    // How long the main thread is blocked (long tasks, next to the naive main-thread path) is a figure of
    // `npm run bench` (BENCH_ONLY=browser: client_12mp_worker_long_tasks); here, only that the work is off it.
    it('decodes, draws and encodes a 12 MP JPEG in the worker, none of it on the main thread', async () => {
      const spied: Array<[object, string]> = [
        [globalThis, 'createImageBitmap'],
        [OffscreenCanvas.prototype, 'convertToBlob'],
        [OffscreenCanvasRenderingContext2D.prototype, 'drawImage'],
        [HTMLCanvasElement.prototype, 'toBlob'],
        [CanvasRenderingContext2D.prototype, 'drawImage'],
      ];
      const originals = spied.map(([owner, name]) => (owner as Record<string, unknown>)[name] as (...args: unknown[]) => unknown);
      const onMainThread: string[] = [];
      spied.forEach(([owner, name], i) => {
        (owner as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
          onMainThread.push(name);
          return originals[i]!.apply(this, args);
        };
      });
      let result;
      try {
        result = await worker.processImage(photo, { crop: { x: 500, y: 0, w: 3000, h: 3000 }, outputSize: 1600 });
      } finally {
        spied.forEach(([owner, name], i) => ((owner as Record<string, unknown>)[name] = originals[i]));
      }
      expect([result.width, result.height]).to.deep.equal([1600, 1600]);
      await expectWebp(result.blob);
      expect(onMainThread).to.deep.equal([]);
    });
  });
});
