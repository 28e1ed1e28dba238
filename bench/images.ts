// Benchmark inputs, generated with sharp at start-up so no binary lives in the repository.
// A flat or purely synthetic pattern would flatter the decoder and encoders; these look like photos to them:
// smooth large-scale colour (sky, walls, skin), some mid-scale structure, and sensor-like noise.
import sharp from 'sharp';

/** Deterministic xorshift32, so every run benchmarks the same bytes. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** A random w×h colour field blown up to width×height with a smooth kernel. */
async function smoothField(rnd: () => number, w: number, h: number, width: number, height: number, lo: number, hi: number): Promise<Buffer> {
  const coarse = Buffer.alloc(w * h * 3);
  for (let i = 0; i < coarse.length; i++) coarse[i] = Math.floor(lo + rnd() * (hi - lo));
  return sharp(coarse, { raw: { width: w, height: h, channels: 3 } }).resize(width, height, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer();
}

/**
 * Raw RGB: a large-scale gradient field, mid-scale detail (±24) and roughly Gaussian noise of standard deviation `noise`.
 */
export async function photoLikeRgb(width: number, height: number, noise: number, seed = 1): Promise<Buffer> {
  const rnd = random(seed);
  const base = await smoothField(rnd, 16, 12, width, height, 30, 225);
  const detail = await smoothField(rnd, Math.ceil(width / 40), Math.ceil(height / 40), width, height, 0, 48);
  for (let i = 0; i < base.length; i++) {
    // Sum of three uniforms: bell-shaped, standard deviation 0.5 before scaling.
    const n = (rnd() + rnd() + rnd() - 1.5) * 2 * noise;
    const v = base[i]! + detail[i]! - 24 + n;
    base[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return base;
}

export interface BenchImage {
  name: string;
  mime: 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
  bytes: Buffer;
  description: string;
}

/** 4000×3000 like a phone camera, JPEG quality 90 (about 3 MB, typical of a real 12 MP photo). */
export async function photoJpeg12mp(): Promise<BenchImage> {
  const width = 4000;
  const height = 3000;
  const raw = await photoLikeRgb(width, height, 8, 12);
  const bytes = await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  return { name: 'jpeg12mp', mime: 'image/jpeg', width, height, bytes, description: '4000×3000 photo-like JPEG q90' };
}

/** 1600×1200 WebP quality 90, as a browser or an earlier resize might send it. */
export async function photoWebp1600(): Promise<BenchImage> {
  const width = 1600;
  const height = 1200;
  const raw = await photoLikeRgb(width, height, 8, 16);
  const bytes = await sharp(raw, { raw: { width, height, channels: 3 } }).webp({ quality: 90 }).toBuffer();
  return { name: 'webp1600', mime: 'image/webp', width, height, bytes, description: '1600×1200 photo-like WebP q90' };
}

/** What the widget uploads: a 1600×1600 WebP of the cropped photo at its default quality (0.9), nothing else in it. */
export async function widgetWebp1600(): Promise<BenchImage> {
  const side = 1600;
  const raw = await photoLikeRgb(side, side, 8, 21);
  const bytes = await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).webp({ quality: 90 }).toBuffer();
  return { name: 'widget1600', mime: 'image/webp', width: side, height: side, bytes, description: '1600×1600 photo-like WebP q90 (as the widget uploads)' };
}

/**
 * A valid JPEG as close to `maxBytes` as possible without exceeding it: uniform noise at quality 100
 * (incompressible), square, about 2000 px. The side is adjusted until the size fits.
 */
export async function noiseJpegUpTo(maxBytes: number): Promise<BenchImage> {
  const rnd = random(99);
  let side = 2000;
  for (let attempt = 0; attempt < 8; attempt++) {
    const raw = Buffer.alloc(side * side * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = rnd() * 256;
    const bytes = await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 100 }).toBuffer();
    if (bytes.length <= maxBytes && bytes.length >= maxBytes * 0.97) {
      return { name: 'noise-jpeg', mime: 'image/jpeg', width: side, height: side, bytes, description: `${side}×${side} noise JPEG q100` };
    }
    side = Math.max(16, Math.floor(side * Math.sqrt((maxBytes * 0.985) / bytes.length)));
  }
  throw new Error(`could not make a noise JPEG between 97% and 100% of ${maxBytes} bytes`);
}
