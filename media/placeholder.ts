// Placeholders: a ThumbHash (the `thumbhash` package) of an image, as base64, small enough to travel in every JSON
// answer, event and webhook (~25 bytes, ≤ 40 characters) and to be painted before any image byte arrives. The
// server encodes it from the image's smallest pixels; the widget decodes it to a tiny picture it scales up.
// Pure functions, no Node or DOM API beyond btoa/atob (both have them), so server and widget share this file.
import { rgbaToThumbHash, thumbHashToRGBA } from 'thumbhash';

/** ThumbHash reads at most 100×100 pixels; more only costs time (it keeps a few low frequencies). */
export const PLACEHOLDER_INPUT_MAX = 64;

/** The longest placeholder a valid ThumbHash gives as base64 (its largest form, with alpha, is 25 bytes → 36 characters). */
export const PLACEHOLDER_MAX_LENGTH = 40;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The placeholder of a `width`×`height` RGBA image (not premultiplied), each side ≤ PLACEHOLDER_INPUT_MAX. */
export function encodePlaceholder(width: number, height: number, rgba: ArrayLike<number>): string {
  const hash = rgbaToThumbHash(width, height, rgba);
  let binary = '';
  for (const byte of hash) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export interface PlaceholderImage {
  /** At most 32 px on its longer side: meant to be scaled up, blurred by the scaling. */
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
}

/** The picture a placeholder stands for, or null for anything that is not one (a host may pass any string). */
export function decodePlaceholder(placeholder: unknown): PlaceholderImage | null {
  if (typeof placeholder !== 'string' || placeholder.length < 8 || placeholder.length > PLACEHOLDER_MAX_LENGTH || !BASE64.test(placeholder)) return null;
  try {
    const binary = atob(placeholder);
    const hash = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const { w, h, rgba } = thumbHashToRGBA(hash);
    if (!(w > 0 && h > 0)) return null;
    return { width: w, height: h, rgba: new Uint8ClampedArray(rgba) };
  } catch {
    return null;
  }
}
