// Runs on the benchmark page in Chromium (bundled by bench/browser.ts with esbuild). Three ways to turn the
// photo into the WebP the widget would upload, each timed on this page and watched for main-thread long tasks:
// - worker: the widget's own worker (widget/worker/worker.ts: decode with orientation, crop, step-down, encode),
//   called through Comlink exactly as widget/worker/client.ts does;
// - floor: a worker that only decodes, draws the square once and encodes one WebP (browser-floor-worker.ts);
// - naive: the usual main-thread code: <img>, drawImage onto a <canvas>, canvas.toBlob('image/webp').
import * as Comlink from 'comlink';
import type { ImageWorkerApi } from '../widget/worker/worker.ts';
import type { Crop } from '../widget/crop-geometry.ts';
import { DEFAULT_QUALITY } from '../widget/worker/process-image.ts';
import type { FloorWorkerApi } from './browser-floor-worker.ts';

export interface RunResult {
  /** From the call to the encoded Blob being in the page's hands. */
  ms: number;
  /** Durations of the main-thread long tasks (> 50 ms) that overlapped the run. */
  longTasks: number[];
  bytes: number;
  type: string;
  width: number;
  height: number;
}

export interface BrowserBenchApi {
  /** Fetches the photo once (kept as a Blob, as a file input would give it). */
  load(url: string): Promise<{ bytes: number; type: string }>;
  /** True if this browser reports long tasks at all (otherwise "no long tasks" would mean nothing). */
  longTasksSupported(): boolean;
  worker(crop: Crop, outputSize: number): Promise<RunResult>;
  floor(crop: Crop, outputSize: number): Promise<RunResult>;
  /** createImageBitmap alone, in the floor's worker. */
  decode(): Promise<RunResult>;
  naive(crop: Crop, outputSize: number): Promise<RunResult>;
}

const longTasks: Array<{ start: number; end: number }> = [];
const supported = PerformanceObserver.supportedEntryTypes.includes('longtask');
if (supported) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  }).observe({ type: 'longtask', buffered: true });
}

const imageWorker = Comlink.wrap<ImageWorkerApi>(new Worker('/image-worker.js', { type: 'module', name: 'avatar-editor-image' }));
const floorWorker = Comlink.wrap<FloorWorkerApi>(new Worker('/floor-worker.js', { type: 'module', name: 'floor' }));

let photo: Blob | null = null;
const input = () => {
  if (!photo) throw new Error('load() first');
  return photo;
};

/** Lets the event loop run a few turns, so long-task entries of the run are delivered before they are read. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 100));

async function measure(run: () => Promise<Omit<RunResult, 'ms' | 'longTasks'>>): Promise<RunResult> {
  await settle();
  const start = performance.now();
  const result = await run();
  const end = performance.now();
  await settle();
  const overlapping = longTasks.filter((task) => task.end > start && task.start < end).map((task) => task.end - task.start);
  return { ...result, ms: end - start, longTasks: overlapping };
}

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the image could not be loaded'));
    img.src = url;
  });
}

const api: BrowserBenchApi = {
  async load(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    photo = await response.blob();
    return { bytes: photo.size, type: photo.type };
  },
  longTasksSupported: () => supported,
  worker: (crop, outputSize) =>
    measure(async () => {
      const result = await imageWorker.processImage(input(), { crop, outputSize });
      return { bytes: result.blob.size, type: result.type, width: result.width, height: result.height };
    }),
  floor: (crop, outputSize) => measure(() => floorWorker.floor(input(), crop, outputSize)),
  decode: () => measure(() => floorWorker.decode(input())),
  naive: (crop, outputSize) =>
    measure(async () => {
      // A fresh object URL each run, so no decoded copy is reused from an earlier run.
      const url = URL.createObjectURL(input());
      try {
        const img = await loadImage(url);
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = outputSize;
        const ctx = canvas.getContext('2d');
        if (!ctx) throw new Error('no 2D context');
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(img, crop.x, crop.y, crop.w, crop.h, 0, 0, outputSize, outputSize);
        const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/webp', DEFAULT_QUALITY));
        if (!blob) throw new Error('toBlob gave nothing');
        return { bytes: blob.size, type: blob.type, width: canvas.width, height: canvas.height };
      } finally {
        URL.revokeObjectURL(url);
      }
    }),
};

(globalThis as unknown as { bench: BrowserBenchApi }).bench = api;
