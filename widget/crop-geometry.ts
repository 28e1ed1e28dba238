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

/**
 * The square under `selection` in pixels of the image rotated by `rotation`, clamped to the image.
 * `image` is the rotated image's on-screen box.
 */
export function cropFromBoxes(image: Box, selection: Box, naturalWidth: number, naturalHeight: number, rotation: number): Crop {
  const rotated = rotatedSize(naturalWidth, naturalHeight, rotation);
  const scale = image.width / rotated.width;
  let side = Math.round(Math.min(selection.width, selection.height) / scale);
  side = Math.max(1, Math.min(side, rotated.width, rotated.height));
  const clamp = (value: number, max: number) => Math.min(Math.max(0, Math.round(value)), max);
  return {
    x: clamp((selection.left - image.left) / scale, rotated.width - side),
    y: clamp((selection.top - image.top) / scale, rotated.height - side),
    w: side,
    h: side,
  };
}

/** The inverse: where a saved crop sits on screen, to restore a draft's selection. */
export function boxFromCrop(image: Box, crop: Crop, naturalWidth: number, naturalHeight: number, rotation: number): Box {
  const scale = image.width / rotatedSize(naturalWidth, naturalHeight, rotation).width;
  return { left: image.left + crop.x * scale, top: image.top + crop.y * scale, width: crop.w * scale, height: crop.h * scale };
}

/** Normalises any angle to 0, 90, 180 or 270. */
export const normaliseRotation = (degrees: number) => (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
