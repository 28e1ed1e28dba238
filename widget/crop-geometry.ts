// Turns what the user sees in the cropper into a crop in image pixels. Rotation is in 90° steps, so the
// rotated image's on-screen box is exactly its bounding rectangle.

export interface Crop {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Size of the image after rotating it by `rotation` degrees (a multiple of 90). */
export function rotatedSize(width: number, height: number, rotation: number) {
  return rotation % 180 === 0 ? { width, height } : { width: height, height: width };
}

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(min, Math.round(value)), max);

/**
 * The crop under `selection` in pixels of the image rotated by `rotation`; `image` is the rotated image's
 * on-screen box. A square crop keeps its side and is shifted inside the image; a free one is the part of
 * the selection that lies on the image.
 */
export function cropFromBoxes(image: Box, selection: Box, naturalWidth: number, naturalHeight: number, rotation: number, square = true): Crop {
  const rotated = rotatedSize(naturalWidth, naturalHeight, rotation);
  const scale = image.width / rotated.width;
  if (square) {
    const side = clamp(Math.min(selection.width, selection.height) / scale, 1, Math.min(rotated.width, rotated.height));
    return {
      x: clamp((selection.left - image.left) / scale, 0, rotated.width - side),
      y: clamp((selection.top - image.top) / scale, 0, rotated.height - side),
      w: side,
      h: side,
    };
  }
  const x = clamp((selection.left - image.left) / scale, 0, rotated.width - 1);
  const y = clamp((selection.top - image.top) / scale, 0, rotated.height - 1);
  const right = clamp((selection.left + selection.width - image.left) / scale, x + 1, rotated.width);
  const bottom = clamp((selection.top + selection.height - image.top) / scale, y + 1, rotated.height);
  return { x, y, w: right - x, h: bottom - y };
}

/** The inverse: where a saved crop sits on screen, to restore a draft's selection. */
export function boxFromCrop(image: Box, crop: Crop, naturalWidth: number, naturalHeight: number, rotation: number): Box {
  const scale = image.width / rotatedSize(naturalWidth, naturalHeight, rotation).width;
  return { left: image.left + crop.x * scale, top: image.top + crop.y * scale, width: crop.w * scale, height: crop.h * scale };
}

/** Normalises any angle to 0, 90, 180 or 270. */
export const normaliseRotation = (degrees: number) => (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
