// The default crop of an avatar uploaded without one (issue 21): the rule in media/default-crop, run on a small
// copy of the photo that sharp makes (shrink-on-load, so a 12 MP JPEG is never decoded at full size for it).
// The face detector's model is read once from the @mediapipe/face_detection package and kept.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import sharp, { type OutputInfo } from 'sharp';
import { BlazeFace, centredSquare, copySize, smartDefaultCrop, type DefaultCrop, type ImageSize } from '../../media/default-crop/index.ts';
import type { ImageFormat } from './sniff.ts';
import { decodeInput } from './strict-decode.ts';

/** `smart` finds faces, then the subject; `center` always takes the centred largest square. */
export type DefaultCropMode = 'smart' | 'center';

const MODEL = '@mediapipe/face_detection/face_detection_short_range.tflite';

let detector: Promise<BlazeFace> | null = null;
/** The detector, built (and run once, see BlazeFace.warmUp) on first use, and shared by every job of this process. */
export function faceDetector(): Promise<BlazeFace> {
  detector ??= readFile(createRequire(import.meta.url).resolve(MODEL)).then((bytes) => {
    const built = new BlazeFace(bytes);
    built.warmUp();
    return built;
  });
  return detector;
}

/**
 * The default crop of an image already probed (`probe`: its format and oriented size, within the pixel limit). An
 * image the copy cannot be made of gets the centred square here; the full decode that follows refuses it with its
 * own error.
 */
export async function defaultCropOf(bytes: Buffer, probe: ImageSize & { format: ImageFormat }, mode: DefaultCropMode, limits: { maxPixels: number; timeoutSeconds: number }): Promise<DefaultCrop> {
  const size = { width: probe.width, height: probe.height };
  const centre: DefaultCrop = { crop: centredSquare(size), source: 'center' };
  if (mode === 'center') return centre;
  const copy = copySize(size);
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    const { input, failOn } = decodeInput(bytes, probe.format);
    pixels = await sharp(input, { limitInputPixels: limits.maxPixels, failOn, autoOrient: true, pages: 1 })
      .timeout({ seconds: Math.ceil(limits.timeoutSeconds) })
      .resize(copy.width, copy.height, { fit: 'fill' })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch {
    return centre;
  }
  const { crop, source } = smartDefaultCrop(await faceDetector(), { data: pixels.data, width: pixels.info.width, height: pixels.info.height }, size);
  return { crop, source };
}
