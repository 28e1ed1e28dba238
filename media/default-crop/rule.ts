// The default crop of a profile photo, one rule for the widget and the server: the square that holds the largest
// face (and every face of about its size) with room for hair and shoulders, the face's centre a little above the
// middle, clamped to the image; with no face, the largest square where the photo's subject is, when it clearly
// has one (see saliency.ts); else the centred largest square.

import type { Crop, CropSource } from '../crop.ts';

export type { Crop, CropSource };

export interface DefaultCrop {
  crop: Crop;
  source: Exclude<CropSource, 'user'>;
}

/** A box in the image's pixels (a face's). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ImageSize {
  width: number;
  height: number;
}

/** Faces at least this share of the largest one's height are framed with it (a couple, a group of friends). */
export const SIMILAR_FACE = 0.7;
/** The square's side per face height: a face box (brows to chin) is about 40% of a head-and-shoulders portrait. */
export const SIDE_PER_FACE = 2.5;
/** Where the faces' centre sits, from the top, as a share of the side: a little above the middle. */
export const FACE_CENTRE_FROM_TOP = 0.42;

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);

/** The centred largest square, in whole pixels. */
export function centredSquare({ width, height }: ImageSize): Crop {
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), w: side, h: side };
}

/** A square of `side` (whole pixels) around a point, shifted to lie inside the image. */
function squareAt(image: ImageSize, side: number, centreX: number, top: number): Crop {
  const w = clamp(Math.round(side), 1, Math.min(image.width, image.height));
  return { x: Math.round(clamp(centreX - w / 2, 0, image.width - w)), y: Math.round(clamp(top, 0, image.height - w)), w, h: w };
}

/** The square for these faces (at least one), before clamping to the image it is shifted into. */
export function faceSquare(image: ImageSize, faces: Box[]): Crop {
  const tallest = Math.max(...faces.map((face) => face.h));
  const framed = faces.filter((face) => face.h >= SIMILAR_FACE * tallest);
  const left = Math.min(...framed.map((f) => f.x));
  const top = Math.min(...framed.map((f) => f.y));
  const right = Math.max(...framed.map((f) => f.x + f.w));
  const bottom = Math.max(...framed.map((f) => f.y + f.h));
  // One face: SIDE_PER_FACE face heights. Several: their extent plus the same margins around it.
  const margin = (SIDE_PER_FACE - 1) * tallest;
  const side = Math.max(right - left, bottom - top) + margin;
  const centreY = (top + bottom) / 2;
  return squareAt(image, side, (left + right) / 2, centreY - FACE_CENTRE_FROM_TOP * side);
}

/**
 * The default crop: around the faces when there are any; else the largest square at `salientCentre` (the
 * subject's centre along the image's long side, from saliency.ts, null when the photo has no clear subject);
 * else the centred largest square.
 */
export function defaultCrop(image: ImageSize, faces: Box[], salientCentre: number | null): DefaultCrop {
  if (faces.length > 0) return { crop: faceSquare(image, faces), source: 'face' };
  if (salientCentre !== null && image.width !== image.height) {
    const side = Math.min(image.width, image.height);
    const crop = image.width > image.height ? squareAt(image, side, salientCentre, 0) : squareAt(image, side, image.width / 2, salientCentre - side / 2);
    return { crop, source: 'saliency' };
  }
  return { crop: centredSquare(image), source: 'center' };
}

/** `boxes` found on a copy of the image `from` pixels large, in the pixels of the image at `to` size. */
export function scaleBoxes<T extends Box>(boxes: T[], from: ImageSize, to: ImageSize): T[] {
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  return boxes.map((box) => ({ ...box, x: box.x * sx, y: box.y * sy, w: box.w * sx, h: box.h * sy }));
}
