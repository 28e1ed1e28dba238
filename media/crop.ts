// The crop: one type for the widget, its worker and the server.

/**
 * The part of an image to keep, in pixels of the image as displayed (EXIF orientation applied): x, y, w, h select
 * a rectangle (square for avatars, any rectangle for emotes).
 *
 * `rotate` and `flip` are the widget's alone: its worker mirrors the image left to right if `flip`, then turns it
 * `rotate` degrees clockwise about its centre onto a canvas the size of its bounding box (any angle), and x, y, w, h
 * select from that canvas. What it uploads is already turned and cropped, so the server is only ever sent, and only
 * ever cuts, a plain rectangle: a Crop there never has `rotate` or `flip`.
 */
export interface Crop {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Degrees clockwise, drawn by the widget's worker only. */
  rotate?: number | undefined;
  /** Mirrored left to right before the turn, drawn by the widget's worker only. */
  flip?: boolean | undefined;
}

/** Why a crop is what it is: chosen by the person ('user'), or the default crop's face, saliency or centre step. */
export const CROP_SOURCES = ['user', 'face', 'saliency', 'center'] as const;
export type CropSource = (typeof CROP_SOURCES)[number];
