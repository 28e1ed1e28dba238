/// <reference path="../virtual-modules.d.ts" />
// The default-crop chunk (issue 21): the face detector (media/default-crop) and how the image worker runs it on a
// decoded photo. Its own file under dist/widget/chunks/, which only the worker imports: the page knows its URL
// from the build (virtual:default-crop-chunk-url) and hands it over. The worker runs from a blob: URL and so
// imports it by that absolute URL; the model, the compact int8 one made from the packaged .tflite (as the server
// runs it), is fetched by this chunk from next to it (dist/widget/assets/face-model-<hash>.bin). The chunk
// imports nothing from the entry bundle, so loading it in the worker pulls in no element.
import FACE_MODEL_URL from 'virtual:face-model-url';
import { BlazeFace, copySize, readCompactModel, smartDefaultCrop, type DefaultCrop } from '../../media/default-crop/index.ts';

let detector: Promise<BlazeFace> | null = null;
/** The detector, its model fetched once (tried again on the next photo if that failed). */
function theDetector(): Promise<BlazeFace> {
  detector ??= fetch(FACE_MODEL_URL)
    .then((response) => {
      if (!response.ok) throw new Error(`the face model could not be loaded (HTTP ${response.status})`);
      return response.arrayBuffer();
    })
    .then((bytes) => new BlazeFace(readCompactModel(new Uint8Array(bytes))));
  detector.catch(() => (detector = null));
  return detector;
}

/**
 * The default crop of a decoded photo, in its pixels, found on a copy of at most 512 px (copySize). Only the
 * crop and why it was chosen leave this function: the copy and the faces found are dropped here.
 */
export async function defaultCropOfBitmap(bitmap: ImageBitmap): Promise<DefaultCrop> {
  const found = await theDetector();
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
  const { crop, source } = smartDefaultCrop(found, { data, width: copy.width, height: copy.height }, size);
  return { crop, source };
}

/** Fetches the model, builds the detector and runs it once (BlazeFace.warmUp), before the first photo needs it. */
export async function warmUp(): Promise<void> {
  (await theDetector()).warmUp();
}
