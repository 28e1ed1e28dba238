// Where a photo without a face has its subject, along its long side, or null when it has none that stands out.
// The same cues as libvips' `attention` crop (detail and colour saturation), summed over every position of the
// largest square; unlike it, a position only wins when it holds clearly more than the centred square does, so
// landscapes, patterns and drawings with detail all over keep the centred square instead of jumping to texture.
import type { Pixels } from './blazeface.ts';

/** How much more the best square must hold than the centred one to be taken. */
export const CLEAR_SUBJECT = 1.35;

/** Detail (luma gradient) plus saturation per pixel, summed per column (wide images) or row (tall ones). */
function profile(image: Pixels, alongWidth: boolean): Float64Array {
  const { data, width, height } = image;
  const sums = new Float64Array(alongWidth ? width : height);
  const luma = new Float32Array(width * height);
  for (let i = 0, at = 0; i < luma.length; i++, at += 4) luma[i] = 0.299 * data[at]! + 0.587 * data[at + 1]! + 0.114 * data[at + 2]!;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const at = i * 4;
      const detail = Math.abs(luma[i + 1]! - luma[i - 1]!) + Math.abs(luma[i + width]! - luma[i - width]!);
      const max = Math.max(data[at]!, data[at + 1]!, data[at + 2]!);
      const min = Math.min(data[at]!, data[at + 1]!, data[at + 2]!);
      const saturation = max - min;
      sums[alongWidth ? x : y]! += detail + 0.5 * saturation;
    }
  }
  return sums;
}

/**
 * The centre (in `image`'s pixels, along its long side) of the largest square with clearly more detail and
 * colour than the centred one, or null: a square image, or no position that stands out.
 */
export function salientCentre(image: Pixels): number | null {
  const { width, height } = image;
  if (width === height || width < 3 || height < 3) return null;
  const alongWidth = width > height;
  const sums = profile(image, alongWidth);
  const side = Math.min(width, height);
  const positions = sums.length - side + 1;
  // Running window sums: at[p] is what the square starting at p holds.
  const at = new Float64Array(positions);
  let sum = 0;
  for (let i = 0; i < side; i++) sum += sums[i]!;
  at[0] = sum;
  for (let p = 1; p < positions; p++) at[p] = sum += sums[p + side - 1]! - sums[p - 1]!;
  let best = 0;
  for (let p = 1; p < positions; p++) if (at[p]! > at[best]!) best = p;
  const centred = at[Math.floor((positions - 1) / 2)]!;
  if (!(at[best]! > CLEAR_SUBJECT * centred)) return null;
  return best + side / 2;
}
