// SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) as it is usually reported: an 11×11 Gaussian window (σ 1.5),
// K1 0.01, K2 0.03, on 8-bit samples, mean over the whole image. Computed per channel on raw RGB; `luma` is
// SSIM of BT.601 luma (what most encoder comparisons quote), `rgb` the mean of the three channels' SSIM, which
// also sees what chroma subsampling loses.

const WINDOW = 11;
const SIGMA = 1.5;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

const KERNEL = (() => {
  const half = (WINDOW - 1) / 2;
  const k = Array.from({ length: WINDOW }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * SIGMA * SIGMA)));
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
})();

/** Separable Gaussian blur with edges clamped. */
function blur(plane: Float64Array, width: number, height: number): Float64Array {
  const half = (WINDOW - 1) / 2;
  const tmp = new Float64Array(plane.length);
  const out = new Float64Array(plane.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += KERNEL[k]! * plane[y * width + Math.min(width - 1, Math.max(0, x + k - half))]!;
      tmp[y * width + x] = s;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += KERNEL[k]! * tmp[Math.min(height - 1, Math.max(0, y + k - half)) * width + x]!;
      out[y * width + x] = s;
    }
  }
  return out;
}

function planeSsim(a: Float64Array, b: Float64Array, width: number, height: number): number {
  const n = a.length;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aa[i] = a[i]! * a[i]!;
    bb[i] = b[i]! * b[i]!;
    ab[i] = a[i]! * b[i]!;
  }
  const muA = blur(a, width, height);
  const muB = blur(b, width, height);
  const sAA = blur(aa, width, height);
  const sBB = blur(bb, width, height);
  const sAB = blur(ab, width, height);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const ma = muA[i]!;
    const mb = muB[i]!;
    const va = sAA[i]! - ma * ma;
    const vb = sBB[i]! - mb * mb;
    const cov = sAB[i]! - ma * mb;
    total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
  }
  return total / n;
}

function channel(rgb: Uint8Array, channels: number, index: number): Float64Array {
  const out = new Float64Array(rgb.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = rgb[i * channels + index]!;
  return out;
}

function luma(rgb: Uint8Array, channels: number): Float64Array {
  const out = new Float64Array(rgb.length / channels);
  for (let i = 0; i < out.length; i++) {
    const p = i * channels;
    out[i] = 0.299 * rgb[p]! + 0.587 * rgb[p + 1]! + 0.114 * rgb[p + 2]!;
  }
  return out;
}

export interface Ssim {
  luma: number;
  rgb: number;
}

/** SSIM of two raw images of the same size (3 or 4 channels; alpha is ignored). */
export function ssim(reference: Uint8Array, candidate: Uint8Array, width: number, height: number, channels: number): Ssim {
  if (reference.length !== candidate.length || reference.length !== width * height * channels) throw new Error('ssim: images differ in size');
  const perChannel = [0, 1, 2].map((c) => planeSsim(channel(reference, channels, c), channel(candidate, channels, c), width, height));
  return { luma: planeSsim(luma(reference, channels), luma(candidate, channels), width, height), rgb: (perChannel[0]! + perChannel[1]! + perChannel[2]!) / 3 };
}
