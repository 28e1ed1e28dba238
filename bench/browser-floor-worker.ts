// Runs in a dedicated worker in Chromium (bundled by bench/browser.ts with esbuild). The floor the widget's
// worker pipeline is judged against: decode the photo and encode ONE WebP of the output size, with the one
// drawImage that any pipeline needs to get from the photo to the output square (the same source square, the
// same smoothing as the pipeline's, so the encoder gets the same pixels: WebP encode time depends on what is
// encoded, and a 1:1 full-resolution corner or an aliased resample is harder to encode than the real output).
// Nothing else: no rotation, no clamping, no step-down, no intermediate canvases, no fallback checks.
import * as Comlink from 'comlink';
import type { Crop } from '../widget/crop-geometry.ts';
import { DEFAULT_QUALITY } from '../widget/worker/process-image.ts';

async function floor(input: Blob, square: Crop, outputSize: number): Promise<{ bytes: number; type: string; width: number; height: number }> {
  const bitmap = await createImageBitmap(input, { imageOrientation: 'from-image' });
  const canvas = new OffscreenCanvas(outputSize, outputSize);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('OffscreenCanvas 2D context unavailable');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, square.x, square.y, square.w, square.h, 0, 0, outputSize, outputSize);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: 'image/webp', quality: DEFAULT_QUALITY });
  return { bytes: blob.size, type: blob.type, width: canvas.width, height: canvas.height };
}

/** Only the decode, to show how the floor splits between decoding and encoding. */
async function decode(input: Blob): Promise<{ bytes: number; type: string; width: number; height: number }> {
  const bitmap = await createImageBitmap(input, { imageOrientation: 'from-image' });
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return { bytes: 0, type: 'ImageBitmap', ...size };
}

const api = { floor, decode };
export type FloorWorkerApi = typeof api;

Comlink.expose(api);
