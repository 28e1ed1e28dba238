// Draws a Crop of a decoded image at a target size: mirror, turn by any angle, crop, then downscale in steps of
// at most 2× (so no source pixel is skipped: no aliasing). Pure: a function of its inputs that needs only
// OffscreenCanvas, so the worker calls it on a bitmap decoded at pick or at Save alike, and a page can too.
import { cosSin, rotatedSize, type Crop, type Size } from '../crop-geometry.ts';

/**
 * Sizes of the successive drawing steps from `from` down to `to`: each step shrinks by at most 2×
 * (bilinear sampling over a 2× reduction reads every source pixel), the last one lands exactly on `to`.
 */
export function downscaleSteps(from: Size, to: Size): Size[] {
  const steps: Size[] = [];
  let { width, height } = from;
  while (width > 2 * to.width || height > 2 * to.height) {
    width = Math.max(to.width, Math.ceil(width / 2));
    height = Math.max(to.height, Math.ceil(height / 2));
    steps.push({ width, height });
  }
  steps.push({ ...to });
  return steps;
}

export function context2d(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('OffscreenCanvas 2D context unavailable');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  return ctx;
}

/**
 * `crop` checked and clamped to the turned image's bounding box; null keeps the whole image. Throws a
 * RangeError for a crop that is not a number or lies outside.
 */
export function clampCrop(crop: Crop | null, image: Size): Crop {
  if (!crop) return { x: 0, y: 0, w: image.width, h: image.height };
  for (const key of ['x', 'y', 'w', 'h', 'rotate'] as const) {
    if (crop[key] !== undefined && !Number.isFinite(crop[key])) throw new RangeError(`crop.${key} must be a finite number`);
  }
  const box = rotatedSize(image.width, image.height, crop.rotate ?? 0);
  const x = Math.min(Math.max(0, crop.x), box.width);
  const y = Math.min(Math.max(0, crop.y), box.height);
  const w = Math.min(crop.w, box.width - x);
  const h = Math.min(crop.h, box.height - y);
  if (w < 1 || h < 1) throw new RangeError('The crop is empty or outside the image');
  return { ...crop, x, y, w, h };
}

/** The output size: the crop's longest side becomes `outputSize`, never larger than the crop itself (no upscaling). */
export function targetSize(crop: Crop, outputSize: number): Size {
  const scale = Math.min(1, Math.floor(outputSize) / Math.max(crop.w, crop.h));
  return { width: Math.max(1, Math.round(crop.w * scale)), height: Math.max(1, Math.round(crop.h * scale)) };
}

/**
 * The part of the image (in its own pixels) under the crop: the bounding box of the crop's corners taken back
 * through the turn and the mirror, in whole pixels, inside the image. Drawing only this part keeps pixels far
 * outside the crop from bleeding in at its edges; at quarter turns it is exactly the crop.
 */
function sourceRect(crop: Crop, image: Size) {
  const box = rotatedSize(image.width, image.height, crop.rotate ?? 0);
  const [c, s] = cosSin(crop.rotate ?? 0);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [qx, qy] of [[crop.x, crop.y], [crop.x + crop.w, crop.y], [crop.x, crop.y + crop.h], [crop.x + crop.w, crop.y + crop.h]] as const) {
    const dx = qx - box.width / 2;
    const dy = qy - box.height / 2;
    const ux = c * dx + s * dy;
    xs.push((crop.flip ? -ux : ux) + image.width / 2);
    ys.push(-s * dx + c * dy + image.height / 2);
  }
  const sx = Math.max(0, Math.floor(Math.min(...xs) + 1e-6));
  const sy = Math.max(0, Math.floor(Math.min(...ys) + 1e-6));
  const right = Math.min(image.width, Math.ceil(Math.max(...xs) - 1e-6));
  const bottom = Math.min(image.height, Math.ceil(Math.max(...ys) - 1e-6));
  return { sx, sy, sw: Math.max(1, right - sx), sh: Math.max(1, bottom - sy) };
}

/**
 * Draws `crop` of `source` (an image of `size`, orientation applied) onto a canvas of exactly `target` pixels.
 * `crop` must already be clamped (clampCrop). Parts of the crop off the turned image stay transparent.
 */
export function renderCrop(source: CanvasImageSource, size: Size, crop: Crop, target: Size): OffscreenCanvas {
  const steps = downscaleSteps({ width: crop.w, height: crop.h }, target);
  const first = steps[0]!;
  let canvas = new OffscreenCanvas(first.width, first.height);
  let ctx = context2d(canvas);
  // Image pixel p lands at scale × (R·F·(p − centre) + box centre − crop corner): the Crop's definition.
  const box = rotatedSize(size.width, size.height, crop.rotate ?? 0);
  ctx.scale(first.width / crop.w, first.height / crop.h);
  ctx.translate(box.width / 2 - crop.x, box.height / 2 - crop.y);
  const [c, s] = cosSin(crop.rotate ?? 0);
  ctx.transform(c, s, -s, c, 0, 0);
  if (crop.flip) ctx.scale(-1, 1);
  ctx.translate(-size.width / 2, -size.height / 2);
  const { sx, sy, sw, sh } = sourceRect(crop, size);
  ctx.drawImage(source, sx, sy, sw, sh, sx, sy, sw, sh);

  for (const step of steps.slice(1)) {
    const next = new OffscreenCanvas(step.width, step.height);
    const nextCtx = context2d(next);
    nextCtx.drawImage(canvas, 0, 0, step.width, step.height);
    canvas.width = canvas.height = 0; // frees the previous step's pixels now rather than at GC
    canvas = next;
    ctx = nextCtx;
  }
  return canvas;
}
