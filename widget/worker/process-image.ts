// The image pipeline that runs inside the worker: decode with EXIF orientation applied, rotate by quarter
// turns, crop, downscale in steps of at most 2× (so no source pixel is skipped: no aliasing), encode.
// Pure functions of their inputs; they only need createImageBitmap and OffscreenCanvas, so they also run
// on a page (the tests and the benchmark's naive path call them there to compare).

import type { Crop } from '../crop-geometry.ts';

export interface ProcessOptions {
  /** The part to keep; null keeps the whole image. Clamped to the image. */
  crop: Crop | null;
  /** Clockwise quarter turns applied before the crop: 0, 90, 180 or 270 (any multiple of 90 is normalised). */
  rotate?: number;
  /** Longest output side in pixels. The output is never larger than the crop (no upscaling). */
  outputSize: number;
  /** When set, lossy encodes retry at lower quality until the file fits, else OutputTooLargeError. */
  maxOutputBytes?: number;
  /** Lossy encoder quality, 0–1. */
  quality?: number;
}

export interface ProcessResult {
  blob: Blob;
  /** The type the encoder actually produced (`blob.type`): image/webp, or the fallback image/png / image/jpeg. */
  type: string;
  width: number;
  height: number;
}

export interface ImageSize {
  width: number;
  height: number;
}

export const DEFAULT_QUALITY = 0.9;
const QUALITY_LADDER = [0.8, 0.7, 0.6, 0.5];

/** The file could not be made smaller than `maxOutputBytes`. Its name survives the trip from the worker. */
export class OutputTooLargeError extends Error {
  constructor(bytes: number, max: number) {
    super(`The processed image is ${bytes} bytes, more than the ${max} allowed`);
    this.name = 'OutputTooLargeError';
  }
}

/** The input is not an image this browser can decode. */
export class DecodeError extends Error {
  constructor(cause: unknown) {
    super(`The image could not be decoded: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DecodeError';
  }
}

export async function decode(input: Blob): Promise<ImageBitmap> {
  try {
    // 'from-image' applies the EXIF orientation (also Chromium's default, stated here so it never depends on it).
    return await createImageBitmap(input, { imageOrientation: 'from-image' });
  } catch (error) {
    throw new DecodeError(error);
  }
}

/** Width and height as displayed, EXIF orientation applied. Decodes the image (in the worker). */
export async function probe(input: Blob): Promise<ImageSize> {
  const bitmap = await decode(input);
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return size;
}

export function normaliseQuarterTurn(rotate: number | undefined): 0 | 90 | 180 | 270 {
  const degrees = rotate ?? 0;
  if (!Number.isFinite(degrees) || degrees % 90 !== 0) throw new RangeError(`rotate must be a multiple of 90, got ${degrees}`);
  return ((((degrees % 360) + 360) % 360) as 0 | 90 | 180 | 270);
}

/**
 * Sizes of the successive drawing steps from `from` down to `to`: each step shrinks by at most 2×
 * (bilinear sampling over a 2× reduction reads every source pixel), the last one lands exactly on `to`.
 */
export function downscaleSteps(from: ImageSize, to: ImageSize): ImageSize[] {
  const steps: ImageSize[] = [];
  let { width, height } = from;
  while (width > 2 * to.width || height > 2 * to.height) {
    width = Math.max(to.width, Math.ceil(width / 2));
    height = Math.max(to.height, Math.ceil(height / 2));
    steps.push({ width, height });
  }
  steps.push({ ...to });
  return steps;
}

function context2d(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('OffscreenCanvas 2D context unavailable');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  return ctx;
}

/**
 * The crop as a rectangle of the decoded (oriented, unrotated) bitmap, and the transform that draws that
 * bitmap rotated and cropped: rotated = R(source) where R turns the W×H bitmap clockwise by `turn`.
 */
function sourceRect(crop: Crop, turn: 0 | 90 | 180 | 270, W: number, H: number) {
  const { x, y, w, h } = crop;
  switch (turn) {
    case 0:
      return { sx: x, sy: y, sw: w, sh: h, tx: 0, ty: 0 };
    case 90: // (u, v) → (H − v, u)
      return { sx: y, sy: H - x - w, sw: h, sh: w, tx: H, ty: 0 };
    case 180: // (u, v) → (W − u, H − v)
      return { sx: W - x - w, sy: H - y - h, sw: w, sh: h, tx: W, ty: H };
    case 270: // (u, v) → (v, W − u)
      return { sx: W - y - h, sy: x, sw: h, sh: w, tx: 0, ty: W };
  }
}

function clampCrop(crop: Crop | null, size: ImageSize): Crop {
  if (!crop) return { x: 0, y: 0, w: size.width, h: size.height };
  for (const key of ['x', 'y', 'w', 'h'] as const) {
    if (!Number.isFinite(crop[key])) throw new RangeError(`crop.${key} must be a finite number`);
  }
  const x = Math.min(Math.max(0, crop.x), size.width);
  const y = Math.min(Math.max(0, crop.y), size.height);
  const w = Math.min(crop.w, size.width - x);
  const h = Math.min(crop.h, size.height - y);
  if (w < 1 || h < 1) throw new RangeError('The crop is empty or outside the image');
  return { x, y, w, h };
}

/** Rotates, crops and downscales `bitmap` onto a canvas of exactly `target` pixels. */
function render(bitmap: ImageBitmap, crop: Crop, turn: 0 | 90 | 180 | 270, target: ImageSize): OffscreenCanvas {
  const steps = downscaleSteps({ width: crop.w, height: crop.h }, target);
  const first = steps[0]!;
  let canvas = new OffscreenCanvas(first.width, first.height);
  let ctx = context2d(canvas);
  // Map rotated-image coordinates to the first step: scale × translate(−crop) × R, then draw only the
  // source rectangle under the crop, so no pixel outside it bleeds in at the edges.
  const { sx, sy, sw, sh, tx, ty } = sourceRect(crop, turn, bitmap.width, bitmap.height);
  ctx.scale(first.width / crop.w, first.height / crop.h);
  ctx.translate(-crop.x, -crop.y);
  ctx.translate(tx, ty);
  ctx.rotate((turn * Math.PI) / 180);
  ctx.drawImage(bitmap, sx, sy, sw, sh, sx, sy, sw, sh);

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

/** True if any pixel is not fully opaque. */
function hasAlpha(canvas: OffscreenCanvas): boolean {
  const { data } = context2d(canvas).getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 3; i < data.length; i += 4) if (data[i]! < 255) return true;
  return false;
}

async function encode(canvas: OffscreenCanvas, quality: number, maxBytes: number | undefined): Promise<Blob> {
  let blob = await canvas.convertToBlob({ type: 'image/webp', quality });
  if (blob.type !== 'image/webp') {
    // No WebP encoder: the browser returned PNG (the spec's default). Keep PNG only if it is needed for
    // transparency; an opaque image is far smaller as JPEG.
    if (blob.type !== 'image/png' || !hasAlpha(canvas)) blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
  }
  if (maxBytes === undefined || blob.size <= maxBytes) return blob;
  if (blob.type === 'image/png') throw new OutputTooLargeError(blob.size, maxBytes);
  for (const q of QUALITY_LADDER.filter((q) => q < quality)) {
    const smaller = await canvas.convertToBlob({ type: blob.type, quality: q });
    if (smaller.size <= maxBytes) return smaller;
    blob = smaller;
  }
  throw new OutputTooLargeError(blob.size, maxBytes);
}

/** Rotates, crops, downscales and encodes an already decoded `bitmap` (which stays open: the caller owns it). */
export async function processBitmap(bitmap: ImageBitmap, options: ProcessOptions): Promise<ProcessResult> {
  const { outputSize } = options;
  if (!Number.isFinite(outputSize) || outputSize < 1) throw new RangeError(`outputSize must be at least 1, got ${outputSize}`);
  const quality = options.quality ?? DEFAULT_QUALITY;
  const turn = normaliseQuarterTurn(options.rotate);
  const rotated = turn % 180 === 0 ? { width: bitmap.width, height: bitmap.height } : { width: bitmap.height, height: bitmap.width };
  const crop = clampCrop(options.crop, rotated);
  // Never upscale: the longest side becomes min(outputSize, crop's longest side).
  const scale = Math.min(1, Math.floor(outputSize) / Math.max(crop.w, crop.h));
  const target = { width: Math.max(1, Math.round(crop.w * scale)), height: Math.max(1, Math.round(crop.h * scale)) };
  const canvas = render(bitmap, crop, turn, target);
  const blob = await encode(canvas, quality, options.maxOutputBytes);
  return { blob, type: blob.type, width: canvas.width, height: canvas.height };
}

export async function processImage(input: Blob, options: ProcessOptions): Promise<ProcessResult> {
  const bitmap = await decode(input);
  try {
    return await processBitmap(bitmap, options);
  } finally {
    bitmap.close();
  }
}
