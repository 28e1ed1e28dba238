// The image pipeline that runs inside the worker: decode with EXIF orientation applied, draw the crop
// (render-crop.ts: mirror, turn by any angle, crop, downscale), encode. Pure functions of their inputs; they only
// need createImageBitmap and OffscreenCanvas, so they also run on a page (the tests and the benchmark's naive
// path call them there to compare).

import type { Crop, Size } from '../crop-geometry.ts';
import { clampCrop, context2d, renderCrop, targetSize } from './render-crop.ts';

export interface ProcessOptions {
  /** The part to keep, with its turn and mirror (see Crop); null keeps the whole image. Clamped to the image. */
  crop: Crop | null;
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

export type { Size as ImageSize } from '../crop-geometry.ts';

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
export async function probe(input: Blob): Promise<Size> {
  const bitmap = await decode(input);
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return size;
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

/** Mirrors, turns, crops, downscales and encodes an already decoded `bitmap` (which stays open: the caller owns it). */
export async function processBitmap(bitmap: ImageBitmap, options: ProcessOptions): Promise<ProcessResult> {
  const { outputSize } = options;
  if (!Number.isFinite(outputSize) || outputSize < 1) throw new RangeError(`outputSize must be at least 1, got ${outputSize}`);
  const quality = options.quality ?? DEFAULT_QUALITY;
  const size = { width: bitmap.width, height: bitmap.height };
  const crop = clampCrop(options.crop, size);
  const canvas = renderCrop(bitmap, size, crop, targetSize(crop, outputSize));
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
