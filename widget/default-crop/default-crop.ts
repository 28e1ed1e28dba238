/// <reference path="./model.d.ts" />
// The default-crop chunk (issue 21): the face detector (media/default-crop, with its model inlined) and how the
// image worker runs it on a decoded photo. Its own file under dist/widget/chunks/, loaded only once a photo is
// picked, and by both threads: the page imports it (dynamic import()) only to learn its URL, `chunkUrl`; the
// worker, which runs from a blob: URL and so cannot resolve a relative import, imports it by that absolute URL
// and runs it. It imports nothing from the entry bundle, so loading it in the worker pulls in no element.
import MODEL from '@mediapipe/face_detection/face_detection_short_range.tflite?inline';
import { BlazeFace, copySize, smartDefaultCrop, type DefaultCrop } from '../../media/default-crop/index.ts';

/** Where this chunk was loaded from: what the worker imports. */
export const chunkUrl = import.meta.url;

let detector: BlazeFace | null = null;
const theDetector = () => (detector ??= new BlazeFace(modelBytes(MODEL)));

function modelBytes(dataUrl: string): Uint8Array {
  const text = atob(dataUrl.slice(dataUrl.indexOf(',') + 1));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The default crop of a decoded photo, in its pixels, found on a copy of at most 512 px (copySize). Only the
 * crop and why it was chosen leave this function: the copy and the faces found are dropped here.
 */
export async function defaultCropOfBitmap(bitmap: ImageBitmap): Promise<DefaultCrop> {
  const detector = theDetector();
  const size = { width: bitmap.width, height: bitmap.height };
  const copy = copySize(size);
  // The browser's own resize (a mipmapped, filtered downscale off the decoded bitmap), then the pixels.
  const small = await createImageBitmap(bitmap, { resizeWidth: copy.width, resizeHeight: copy.height, resizeQuality: 'medium' });
  const canvas = new OffscreenCanvas(copy.width, copy.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('OffscreenCanvas 2D context unavailable');
  context.drawImage(small, 0, 0);
  small.close();
  const { data } = context.getImageData(0, 0, copy.width, copy.height);
  const { crop, source } = smartDefaultCrop(detector, { data, width: copy.width, height: copy.height }, size);
  return { crop, source };
}

/** Builds the detector and runs it once (BlazeFace.warmUp), before the first photo needs it. */
export function warmUp(): void {
  theDetector().warmUp();
}
