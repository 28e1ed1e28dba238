// The default crop of an avatar uploaded without one (issue 21): the rule in media/default-crop, run on a small
// copy of the photo that sharp makes (shrink-on-load, so a 12 MP JPEG is never decoded at full size for it), by a
// face detection thread (face-detection-pool.ts), off the event loop.
import sharp from 'sharp';
import { centredSquare, copySize, type DefaultCrop, type ImageSize, type Pixels } from '../../media/default-crop/index.ts';
import type { FaceDetectionPool } from './face-detection-pool.ts';
import type { ImageFormat } from './sniff.ts';
import { decodeInput } from './strict-decode.ts';

/** `smart` finds faces, then the subject; `center` always takes the centred largest square. */
export type DefaultCropMode = 'smart' | 'center';

/** The detection copy (copySize, RGBA) of an image already probed; null when it cannot be made. */
export async function detectionCopy(bytes: Buffer, probe: ImageSize & { format: ImageFormat }, limits: { maxPixels: number; timeoutSeconds: number }): Promise<Pixels | null> {
  const copy = copySize(probe);
  try {
    const { input, failOn } = decodeInput(bytes, probe.format);
    const { data, info } = await sharp(input, { limitInputPixels: limits.maxPixels, failOn, autoOrient: true, pages: 1 })
      .timeout({ seconds: Math.ceil(limits.timeoutSeconds) })
      .resize(copy.width, copy.height, { fit: 'fill' })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch {
    return null;
  }
}

/**
 * The default crop of an image already probed (`probe`: its format and oriented size, within the pixel limit). An
 * image the copy cannot be made of gets the centred square here; the full decode that follows refuses it with its
 * own error. So does one whose detection failed (the pool tells its log why): the avatar is made all the same.
 */
export async function defaultCropOf(
  bytes: Buffer,
  probe: ImageSize & { format: ImageFormat },
  mode: DefaultCropMode,
  limits: { maxPixels: number; timeoutSeconds: number },
  faces: FaceDetectionPool,
): Promise<DefaultCrop> {
  const size = { width: probe.width, height: probe.height };
  const centre: DefaultCrop = { crop: centredSquare(size), source: 'center' };
  if (mode === 'center') return centre;
  const copy = await detectionCopy(bytes, probe, limits);
  return copy ? faces.defaultCrop(copy, size).catch(() => centre) : centre;
}
