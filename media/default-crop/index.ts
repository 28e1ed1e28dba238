// The face-aware default crop, as the widget's worker and the server both run it: a small copy of the photo in,
// the crop (in the photo's own pixels) and why it was chosen out. Pure TypeScript with no imports beyond this
// folder, so the widget can load it as one chunk and the server can run it as is.
import { BlazeFace, type FaceBox, type Pixels } from './blazeface.ts';
import { findFaces } from './find-faces.ts';
import { defaultCrop, scaleBoxes, type DefaultCrop, type ImageSize } from './rule.ts';
import { salientCentre } from './saliency.ts';

export { BlazeFace, type FaceBox, type Pixels, type Window } from './blazeface.ts';
export { readCompactModel } from './compact-model.ts';
export { faceSearch } from './find-faces.ts';
export { centredSquare, defaultCrop, type Crop, type CropSource, type DefaultCrop, type ImageSize } from './rule.ts';

/** The copy detection looks at: its long side (BlazeFace looks at 128 px windows; tiles of a 3:1 photo stay above that). */
export const COPY_LONG_SIDE = 512;

/** The size of the detection copy of an image of `size` (never larger than the image). */
export function copySize({ width, height }: ImageSize): ImageSize {
  const scale = Math.min(1, COPY_LONG_SIDE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export interface SmartCrop extends DefaultCrop {
  /** The faces found, in the photo's pixels (for tests and the benchmark; callers keep only the crop). */
  faces: FaceBox[];
}

/** The default crop of a photo of `size` whose detection copy (copySize(size), RGBA) is `copy`. */
export function smartDefaultCrop(detector: BlazeFace, copy: Pixels, size: ImageSize): SmartCrop {
  const faces = findFaces(detector, copy);
  return cropOfFaces(faces, faces.length > 0 ? null : salientCentre(copy), copy, size);
}

/**
 * The default crop of a photo of `size` from what was found in its detection copy `copy`: the faces, and the
 * subject's centre (salientCentre) when there are none, both in the copy's pixels.
 */
export function cropOfFaces(facesInCopy: FaceBox[], subjectInCopy: number | null, copy: Pixels, size: ImageSize): SmartCrop {
  const faces = scaleBoxes(facesInCopy, copy, size);
  const scale = Math.max(size.width, size.height) / Math.max(copy.width, copy.height);
  return { ...defaultCrop(size, faces, faces.length > 0 || subjectInCopy === null ? null : subjectInCopy * scale), faces };
}
