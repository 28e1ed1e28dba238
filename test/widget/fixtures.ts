// Test images, made in the browser (OffscreenCanvas) except the EXIF one: browsers cannot write EXIF, so
// fixtures/exif-orientation-6.jpg (1.2 KB) was generated once with sharp:
//   stored pixels 160×96 in flat quadrants (top-left red, top-right green, bottom-left blue, bottom-right
//   yellow), JPEG quality 95 with 4:4:4 chroma, then `.withMetadata({ orientation: 6 })` (display rotated 90°
//   clockwise). Displayed it is 96×160: top-left blue, top-right red, bottom-left yellow, bottom-right green.

import { waitUntil } from '@open-wc/testing';

/**
 * How long a widget test waits for a condition before failing. Far above what any step takes on a quiet
 * machine (tens of milliseconds), so that a loaded CI machine (2 cores, a browser, a server and sharp
 * sharing them) is not a flake; well under the 20 s per-test timeout, so the failure names what was awaited.
 */
export const WAIT_TIMEOUT_MS = 10_000;

/**
 * Polls `condition` (every 50 ms) until it is truthy; rejects naming `what` if it is not within `timeoutMs`.
 * The one way widget tests wait: never a sleep, never @open-wc's `waitUntil` with its 1 s default.
 */
export function waitFor(condition: () => unknown, what: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  return waitUntil(condition, `waited ${timeoutMs} ms for ${what}`, { timeout: timeoutMs });
}

export type Rgba = [number, number, number, number];

export const RED: Rgba = [255, 0, 0, 255];
export const GREEN: Rgba = [0, 255, 0, 255];
export const BLUE: Rgba = [0, 0, 255, 255];
export const YELLOW: Rgba = [255, 255, 0, 255];

const css = ([r, g, b, a]: Rgba) => `rgba(${r}, ${g}, ${b}, ${a / 255})`;

function context(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D context');
  return ctx;
}

/** The committed EXIF-orientation-6 JPEG described above. */
export async function exifOrientation6Jpeg(): Promise<Blob> {
  const response = await fetch(new URL('./fixtures/exif-orientation-6.jpg', import.meta.url));
  if (!response.ok) throw new Error(`fixture: HTTP ${response.status}`);
  return new Blob([await response.arrayBuffer()], { type: 'image/jpeg' });
}

/**
 * A lossless PNG of four flat quadrants in the order [top-left, top-right, bottom-left, bottom-right]
 * (by default red, green, blue, yellow), no EXIF: for rotation and crop checks.
 */
export async function quadrantsPng(width: number, height: number, colours: [Rgba, Rgba, Rgba, Rgba] = [RED, GREEN, BLUE, YELLOW]): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = context(canvas);
  const [tl, tr, bl, br] = colours;
  const hw = width / 2;
  const hh = height / 2;
  ctx.fillStyle = css(tl);
  ctx.fillRect(0, 0, hw, hh);
  ctx.fillStyle = css(tr);
  ctx.fillRect(hw, 0, hw, hh);
  ctx.fillStyle = css(bl);
  ctx.fillRect(0, hh, hw, hh);
  ctx.fillStyle = css(br);
  ctx.fillRect(hw, hh, hw, hh);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** A PNG whose left half is opaque green and right half fully transparent, with a half-transparent band in the middle rows. */
export async function pngWithAlpha(width = 256, height = 256): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = context(canvas);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = css(GREEN);
  ctx.fillRect(0, 0, width / 2, height);
  ctx.fillStyle = 'rgba(0, 0, 255, 0.5)';
  ctx.fillRect(width / 2, (height * 3) / 8, width / 2, height / 4);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** One-pixel black and white vertical stripes: the worst case for aliasing when shrinking. */
export async function stripesPng(width = 1024, height = 1024): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = context(canvas);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000';
  for (let x = 0; x < width; x += 2) ctx.fillRect(x, 0, 1, height);
  return canvas.convertToBlob({ type: 'image/png' });
}

/**
 * A photo-like JPEG (default 4000×3000 = 12 MP): gradients, shapes and fine noise so that it neither
 * compresses to nothing nor decodes unrealistically fast. Seeded, so every run gets the same bytes.
 */
export async function largeJpeg(width = 4000, height = 3000, quality = 0.9): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = context(canvas);
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const sky = ctx.createLinearGradient(0, 0, width, height);
  sky.addColorStop(0, '#1d4e89');
  sky.addColorStop(0.5, '#f5a65b');
  sky.addColorStop(1, '#2a6f4e');
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, width, height);
  for (let i = 0; i < 400; i++) {
    ctx.fillStyle = `hsla(${Math.floor(random() * 360)}, 70%, ${30 + Math.floor(random() * 40)}%, 0.6)`;
    ctx.beginPath();
    ctx.arc(random() * width, random() * height, 10 + random() * (width / 12), 0, Math.PI * 2);
    ctx.fill();
  }
  // Sensor-like grain: a 256×256 noise tile laid over everything.
  const tile = new ImageData(256, 256);
  for (let i = 0; i < tile.data.length; i += 4) {
    const v = Math.floor(random() * 255);
    tile.data[i] = tile.data[i + 1] = tile.data[i + 2] = v;
    tile.data[i + 3] = 28;
  }
  const tileCanvas = new OffscreenCanvas(256, 256);
  context(tileCanvas).putImageData(tile, 0, 0);
  const pattern = ctx.createPattern(tileCanvas, 'repeat');
  if (pattern) {
    ctx.fillStyle = pattern;
    ctx.fillRect(0, 0, width, height);
  }
  return canvas.convertToBlob({ type: 'image/jpeg', quality });
}

export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Decodes `blob` (EXIF orientation applied) to RGBA pixels. */
export async function decodePixels(blob: Blob): Promise<Pixels> {
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = context(canvas);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return { width: canvas.width, height: canvas.height, data };
}

export function pixelAt(pixels: Pixels, x: number, y: number): Rgba {
  const i = (Math.floor(y) * pixels.width + Math.floor(x)) * 4;
  const d = pixels.data;
  return [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!];
}

/** Largest per-channel difference between two colours. */
export const colourDistance = (a: Rgba, b: Rgba) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

/** The colours at the centres of the four quadrants: [top-left, top-right, bottom-left, bottom-right]. */
export function quadrantColours(pixels: Pixels): [Rgba, Rgba, Rgba, Rgba] {
  const { width: w, height: h } = pixels;
  return [pixelAt(pixels, w / 4, h / 4), pixelAt(pixels, (3 * w) / 4, h / 4), pixelAt(pixels, w / 4, (3 * h) / 4), pixelAt(pixels, (3 * w) / 4, (3 * h) / 4)];
}

/**
 * An animated GIF of `frames` 2×2 frames (alternating two colours, 20 ms each, looping), written byte by byte:
 * browsers cannot encode GIF. Each frame is one LZW-coded run of a single colour.
 */
export function animatedGif(frames: number): Blob {
  const bytes: number[] = [];
  const push = (...values: number[]) => bytes.push(...values);
  const word = (n: number) => push(n & 0xff, n >> 8);
  push(...new TextEncoder().encode('GIF89a'));
  word(2);
  word(2);
  push(0x80, 0, 0); // a global colour table of 2 entries
  push(0xe1, 0x1d, 0x48, 0x25, 0x63, 0xeb); // #e11d48, #2563eb
  push(0x21, 0xff, 11, ...new TextEncoder().encode('NETSCAPE2.0'), 3, 1, 0, 0, 0); // loop for ever
  for (let i = 0; i < frames; i++) {
    push(0x21, 0xf9, 4, 0, 2, 0, 0, 0); // graphic control: 20 ms
    push(0x2c, 0, 0, 0, 0, 2, 0, 2, 0, 0); // image descriptor: 2×2 at 0,0
    // LZW, minimum code size 2 (3-bit codes): clear (4), the colour four times as codes c, c, 6 (c c), end (5).
    const c = i % 2;
    const codes = [4, c, 6, c, 5];
    let bits = 0;
    let used = 0;
    const data: number[] = [];
    for (const code of codes) {
      bits |= code << used;
      used += 3;
      while (used >= 8) {
        data.push(bits & 0xff);
        bits >>= 8;
        used -= 8;
      }
    }
    if (used > 0) data.push(bits & 0xff);
    push(2, data.length, ...data, 0);
  }
  push(0x3b);
  return new Blob([new Uint8Array(bytes)], { type: 'image/gif' });
}
