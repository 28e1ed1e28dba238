// BlazeFace short-range (MediaPipe's face_detection_short_range.tflite): a 128×128 RGB window in, 896 scored
// candidate boxes out, one per anchor of an SSD grid (16×16 cells × 2 anchors at stride 8, 8×8 × 6 at stride 16).
// This file turns a square window of an image into the network's input and its output into face boxes in the
// image's pixels. The network itself runs in tflite-runner.ts.
import type { TfliteModel } from './tflite-model.ts';
import { TfliteRunner } from './tflite-runner.ts';

/** RGBA pixels, row by row (ImageData's layout; sharp's raw output with 4 channels). */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** A face's box in the image's pixels, and the network's confidence (0–1). */
export interface FaceBox {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
}

/** A square part of the image the network looks at (may reach past the image: that part reads as black). */
export interface Window {
  x: number;
  y: number;
  side: number;
}

const INPUT = 128;
/** The grids' strides and anchors per cell (SSD anchors with a fixed size, as the model was trained). */
const GRIDS = [
  { stride: 8, perCell: 2 },
  { stride: 16, perCell: 6 },
];
/** Below this the candidate is not a face (the model's own operating point is 0.5). */
export const MIN_SCORE = 0.5;
/** Candidates overlapping more than this are the same face. */
const SAME_FACE_IOU = 0.3;

function anchorCentres(): Float32Array {
  const centres: number[] = [];
  for (const { stride, perCell } of GRIDS) {
    const cells = INPUT / stride;
    for (let y = 0; y < cells; y++) for (let x = 0; x < cells; x++) for (let a = 0; a < perCell; a++) centres.push((x + 0.5) / cells, (y + 0.5) / cells);
  }
  return Float32Array.from(centres);
}

export const iou = (a: FaceBox, b: FaceBox): number => {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const overlap = w * h;
  return overlap / (a.w * a.h + b.w * b.h - overlap);
};

/**
 * Merges candidates of one face into one box: each group (overlapping the best remaining candidate) becomes
 * their score-weighted average, which is steadier than keeping the single best (MediaPipe's "weighted" NMS).
 */
export function mergeOverlapping(candidates: FaceBox[], sameFace = SAME_FACE_IOU): FaceBox[] {
  const left = [...candidates].sort((a, b) => b.score - a.score);
  const faces: FaceBox[] = [];
  while (left.length > 0) {
    const best = left[0]!;
    const group = left.filter((box) => iou(best, box) > sameFace);
    const total = group.reduce((sum, box) => sum + box.score, 0);
    const mean = (key: 'x' | 'y' | 'w' | 'h') => group.reduce((sum, box) => sum + box[key] * box.score, 0) / total;
    faces.push({ x: mean('x'), y: mean('y'), w: mean('w'), h: mean('h'), score: best.score });
    for (const box of group) left.splice(left.indexOf(box), 1);
  }
  return faces;
}

export class BlazeFace {
  private readonly runner: TfliteRunner;
  private readonly anchors = anchorCentres();
  /** fillInput's reused buffers: each input column's and row's span of image pixels, and per-column sums. */
  private readonly spans = { x0: new Int32Array(INPUT), x1: new Int32Array(INPUT), y0: new Int32Array(INPUT), y1: new Int32Array(INPUT) };
  private columnSums = new Float64Array(0);

  /** `model`: face_detection_short_range.tflite's network, as readCompactModel() reads its compact model. */
  constructor(model: TfliteModel) {
    this.runner = new TfliteRunner(model);
    const [, height, width, channels] = this.runner.inputShape;
    if (height !== INPUT || width !== INPUT || channels !== 3) throw new Error(`Expected a 128×128 RGB face detection model, got ${this.runner.inputShape.join('×')}`);
  }

  /**
   * Runs the network once on a blank window, ahead of the first photo: JavaScript engines compile its loops on
   * their first runs, which would otherwise make the first photo's detection several times slower than the next.
   */
  warmUp(): void {
    this.detect({ data: new Uint8Array(INPUT * INPUT * 4), width: INPUT, height: INPUT }, { x: 0, y: 0, side: INPUT });
  }

  /** Faces seen in `window` of `image`, in the image's pixels, before merging (scores ≥ MIN_SCORE). */
  detect(image: Pixels, window: Window): FaceBox[] {
    this.fillInput(image, window);
    const [regressors, scores] = this.runner.run() as [Float32Array, Float32Array];
    const scale = window.side / INPUT;
    const found: FaceBox[] = [];
    for (let i = 0; i < scores.length; i++) {
      const logit = Math.max(-100, Math.min(100, scores[i]!));
      const score = 1 / (1 + Math.exp(-logit));
      if (score < MIN_SCORE) continue;
      const r = i * 16;
      // Offsets are in input pixels from the anchor's centre; width and height in input pixels.
      const cx = this.anchors[2 * i]! * INPUT + regressors[r]!;
      const cy = this.anchors[2 * i + 1]! * INPUT + regressors[r + 1]!;
      const w = regressors[r + 2]!;
      const h = regressors[r + 3]!;
      if (!(w > 0 && h > 0)) continue;
      found.push({ x: window.x + (cx - w / 2) * scale, y: window.y + (cy - h / 2) * scale, w: w * scale, h: h * scale, score });
    }
    return found;
  }

  /**
   * Samples `window` into the 128×128 input: each input pixel is the mean of the image pixels under it (a box
   * filter, so a large window is not aliased), scaled to [-1, 1] as the model expects; outside the image, black.
   * Row by row of the input: the image rows under it summed per column first, in long runs, then each input
   * pixel's columns (the sums are of integers, exact in any order).
   */
  private fillInput(image: Pixels, window: Window) {
    const input = this.runner.input;
    const { data, width, height } = image;
    const step = window.side / INPUT;
    const spans = (start: number, limit: number, from: Int32Array, to: Int32Array) => {
      for (let i = 0; i < INPUT; i++) {
        const first = Math.floor(start + i * step);
        const end = Math.max(first + 1, Math.floor(start + (i + 1) * step));
        from[i] = Math.max(0, first);
        to[i] = Math.min(limit, end);
      }
    };
    const { x0, x1, y0, y1 } = this.spans;
    spans(window.x, width, x0, x1);
    spans(window.y, height, y0, y1);
    // The image columns any input pixel reads.
    let left = width;
    let right = 0;
    for (let x = 0; x < INPUT; x++) {
      if (x1[x]! > x0[x]!) {
        left = Math.min(left, x0[x]!);
        right = Math.max(right, x1[x]!);
      }
    }
    const columns = Math.max(0, right - left);
    if (this.columnSums.length < 3 * columns) this.columnSums = new Float64Array(3 * columns);
    const sums = this.columnSums;
    for (let y = 0; y < INPUT; y++) {
      const top = y0[y]!;
      const bottom = y1[y]!;
      sums.fill(0, 0, 3 * columns);
      for (let sy = top; sy < bottom; sy++) {
        for (let i = 0, at = (sy * width + left) * 4; i < 3 * columns; i += 3, at += 4) {
          sums[i] = sums[i]! + data[at]!;
          sums[i + 1] = sums[i + 1]! + data[at + 1]!;
          sums[i + 2] = sums[i + 2]! + data[at + 2]!;
        }
      }
      for (let x = 0; x < INPUT; x++) {
        const from = x0[x]!;
        const end = x1[x]!;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let i = 3 * (from - left); i < 3 * (end - left); i += 3) {
          r += sums[i]!;
          g += sums[i + 1]!;
          b += sums[i + 2]!;
        }
        const count = Math.max(0, bottom - top) * Math.max(0, end - from);
        const to = (y * INPUT + x) * 3;
        // Parts of the window outside the image count as black (what the model's letterboxing pads with).
        const scale = count > 0 ? 1 / (127.5 * count) : 0;
        input[to] = count > 0 ? r * scale - 1 : -1;
        input[to + 1] = count > 0 ? g * scale - 1 : -1;
        input[to + 2] = count > 0 ? b * scale - 1 : -1;
      }
    }
  }
}
