// The crop, and the geometry of the crop view: where the image sits under the crop window, and which part of
// it the window shows. Pure functions of numbers: the crop element draws what they say, the worker renders
// the same Crop, and tests check them without a browser's layout.
import type { Crop } from '../media/crop.ts';

/** A rectangle: in stage pixels (the crop window), or in image pixels (a crop). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The part of an image to keep, with the turn and mirror only the worker draws: one type with the server's. */
export type { Crop };

export interface Size {
  width: number;
  height: number;
}

/** Where the image sits in the stage: its centre at (x, y), `zoom` stage pixels per image pixel, mirrored, then turned. */
export interface View {
  x: number;
  y: number;
  zoom: number;
  rotate: number;
  flip: boolean;
}

type Point = [number, number];

/** cos and sin of `degrees`, exact at quarter turns (so a turned image keeps whole-pixel sizes). */
export function cosSin(degrees: number): Point {
  const quarter = degrees / 90;
  if (Number.isInteger(quarter)) return ([[1, 0], [0, 1], [-1, 0], [0, -1]] as Point[])[((quarter % 4) + 4) % 4]!;
  const radians = (degrees * Math.PI) / 180;
  return [Math.cos(radians), Math.sin(radians)];
}

/** Size of the bounding box of a width × height image turned by `degrees`. */
export function rotatedSize(width: number, height: number, degrees: number): Size {
  const [c, s] = cosSin(degrees).map(Math.abs) as Point;
  return { width: width * c + height * s, height: width * s + height * c };
}

/** Half the size of `rect`'s bounding box once turned by `degrees`, in the same unit. */
function turnedHalf(w: number, h: number, degrees: number): Point {
  const [c, s] = cosSin(degrees).map(Math.abs) as Point;
  return [(w * c + h * s) / 2, (w * s + h * c) / 2];
}

/** R(degrees)·F: mirrors x first if `flip`, then turns clockwise (y points down). */
const turn = (v: View, [x, y]: Point): Point => {
  const [c, s] = cosSin(v.rotate);
  const fx = v.flip ? -x : x;
  return [c * fx - s * y, s * fx + c * y];
};

/** The inverse of `turn`. */
const unturn = (v: View, [x, y]: Point): Point => {
  const [c, s] = cosSin(v.rotate);
  const ux = c * x + s * y;
  return [v.flip ? -ux : ux, -s * x + c * y];
};

const centre = (r: Rect): Point => [r.x + r.w / 2, r.y + r.h / 2];

/** The image point under stage point `p`. */
export function toImage(v: View, p: Point, image: Size): Point {
  const [x, y] = unturn(v, [(p[0] - v.x) / v.zoom, (p[1] - v.y) / v.zoom]);
  return [x + image.width / 2, y + image.height / 2];
}

/**
 * The CSS transform of an element of the image's natural size whose transform origin is its centre (as
 * cropper-image is), placed at the stage's top-left corner.
 */
export function imageTransform(v: View, image: Size): string {
  const [a, b] = turn(v, [v.zoom, 0]);
  const [c, d] = turn(v, [0, v.zoom]);
  return `matrix(${a},${b},${c},${d},${v.x - image.width / 2},${v.y - image.height / 2})`;
}

/**
 * The CSS transform, with transform origin 0 0, that shows `window` filling a `side`-pixel box, for an element
 * laid out at the image's natural size times `side / window.w * zoom` (so the browser scales it down once).
 */
export function previewTransform(v: View, window: Rect, image: Size, side: number): { scale: number; transform: string } {
  const k = side / window.w;
  const scale = k * v.zoom;
  const [a, b] = turn(v, [1, 0]);
  const [c, d] = turn(v, [0, 1]);
  const [ox, oy] = turn(v, [(-image.width / 2) * scale, (-image.height / 2) * scale]);
  return { scale, transform: `matrix(${a},${b},${c},${d},${k * (v.x - window.x) + ox},${k * (v.y - window.y) + oy})` };
}

/** Image pixels kept clear around the window when the image is straightened: room for rounding the crop to whole pixels. */
const straightMargin = (degrees: number) => (Number.isInteger(degrees / 90) ? 0 : 1);

/** The least zoom at which the image, turned by `degrees`, covers `window` (in the image's own frame its box must fit). */
export function minZoom(window: Rect, image: Size, degrees: number): number {
  const [hx, hy] = turnedHalf(window.w, window.h, degrees);
  const m = 2 * straightMargin(degrees);
  return Math.max((2 * hx) / Math.max(1e-9, image.width - m), (2 * hy) / Math.max(1e-9, image.height - m));
}

/** How far in one may zoom: this many times the zoom at which the whole image fits the stage. */
const MAX_ZOOM = 8;

interface Limits {
  min: number;
  max: number;
}

export function zoomLimits(window: Rect, stage: Size, image: Size, degrees: number): Limits {
  const min = minZoom(window, image, degrees);
  return { min, max: Math.max(min, MAX_ZOOM * Math.min(stage.width / image.width, stage.height / image.height)) };
}

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);

/**
 * The nearest view in which the image covers `window`: zoomed in about the window's centre if it is too small
 * (never past `max`, unless covering needs it), then moved as little as needed. In the image's frame the
 * window is a turned rectangle, which lies inside the image exactly when its bounding box does.
 */
export function clampView(v: View, window: Rect, stage: Size, image: Size): View {
  const { min, max } = zoomLimits(window, stage, image, v.rotate);
  const zoom = clamp(v.zoom, min, max);
  const [wx, wy] = centre(window);
  const f = zoom / v.zoom;
  const scaled = { ...v, zoom, x: wx + (v.x - wx) * f, y: wy + (v.y - wy) * f };
  const [hx, hy] = turnedHalf(window.w / zoom, window.h / zoom, v.rotate).map((half) => half + straightMargin(v.rotate)) as Point;
  const [mx, my] = toImage(scaled, [wx, wy], image);
  const cx = clamp(mx, Math.min(hx, image.width / 2), Math.max(image.width - hx, image.width / 2));
  const cy = clamp(my, Math.min(hy, image.height / 2), Math.max(image.height - hy, image.height / 2));
  const [dx, dy] = turn(scaled, [(cx - image.width / 2) * zoom, (cy - image.height / 2) * zoom]);
  return { ...scaled, x: wx - dx, y: wy - dy };
}

/** True when the image covers `window` (to within a hundredth of a pixel). */
export function covers(v: View, window: Rect, image: Size): boolean {
  const [hx, hy] = turnedHalf(window.w / v.zoom, window.h / v.zoom, v.rotate).map((half) => half + straightMargin(v.rotate) - 0.01) as Point;
  const [mx, my] = toImage(v, centre(window), image);
  return mx >= hx && mx <= image.width - hx && my >= hy && my <= image.height - hy;
}

/** Zooms by `factor` about stage point `p` (the pointer, or the window's centre), within the limits. */
export function zoomAt(v: View, factor: number, p: Point, window: Rect, stage: Size, image: Size): View {
  const { min, max } = zoomLimits(window, stage, image, v.rotate);
  const zoom = clamp(v.zoom * factor, min, Math.max(max, v.zoom));
  const f = zoom / v.zoom;
  return clampView({ ...v, zoom, x: p[0] + (v.x - p[0]) * f, y: p[1] + (v.y - p[1]) * f }, window, stage, image);
}

/** Sets the zoom to `zoom` about the window's centre (the zoom slider). */
export const zoomTo = (v: View, zoom: number, window: Rect, stage: Size, image: Size) => zoomAt(v, zoom / v.zoom, centre(window), window, stage, image);

export const panBy = (v: View, dx: number, dy: number, window: Rect, stage: Size, image: Size) => clampView({ ...v, x: v.x + dx, y: v.y + dy }, window, stage, image);

/** Turns the image by `degrees` about the window's centre (so the crop keeps its centre), zooming in if covering needs it. */
export function rotateBy(v: View, degrees: number, window: Rect, stage: Size, image: Size): View {
  const [wx, wy] = centre(window);
  const [c, s] = cosSin(degrees);
  const dx = v.x - wx;
  const dy = v.y - wy;
  return clampView({ ...v, rotate: v.rotate + degrees, x: wx + c * dx - s * dy, y: wy + s * dx + c * dy }, window, stage, image);
}

/** Mirrors what the stage shows left to right about the window's centre line. */
export function flipView(v: View, window: Rect, stage: Size, image: Size): View {
  const [wx] = centre(window);
  return clampView({ ...v, flip: !v.flip, rotate: -v.rotate, x: 2 * wx - v.x }, window, stage, image);
}

/** The whole turn split into quarter turns and a straightening within ±45°. */
export function splitRotation(degrees: number): { quarter: number; straighten: number } {
  const quarter = Math.round(degrees / 90) * 90;
  return { quarter, straighten: degrees - quarter };
}

/**
 * The crop `window` shows, in pixels of the image turned and mirrored as the view shows it: whole pixels, a
 * square window giving a square crop. Turns are given in -180 to 180 degrees, 0 and false are left out.
 */
export function cropOf(v: View, window: Rect, image: Size): Crop {
  const box = rotatedSize(image.width, image.height, v.rotate);
  const w = Math.max(1, Math.round(window.w / v.zoom));
  const h = window.w === window.h ? w : Math.max(1, Math.round(window.h / v.zoom));
  const crop: Crop = { x: Math.round((window.x - v.x) / v.zoom + box.width / 2), y: Math.round((window.y - v.y) / v.zoom + box.height / 2), w, h };
  const rotate = ((((v.rotate + 180) % 360) + 360) % 360) - 180;
  if (rotate) crop.rotate = Math.round(rotate * 100) / 100;
  if (v.flip) crop.flip = true;
  return crop;
}

/** The view in which `window` shows `crop` (the inverse of cropOf, to reopen a draft as it was left). */
export function viewOf(crop: Crop, window: Rect, image: Size): View {
  const rotate = crop.rotate ?? 0;
  const box = rotatedSize(image.width, image.height, rotate);
  const zoom = window.w / crop.w;
  return { zoom, rotate, flip: Boolean(crop.flip), x: window.x - (crop.x - box.width / 2) * zoom, y: window.y - (crop.y - box.height / 2) * zoom };
}

/** The largest rectangle of `aspect` (width / height) centred in `within`. */
export function fitRect(within: Rect, aspect: number): Rect {
  const w = Math.min(within.w, within.h * aspect);
  const h = w / aspect;
  return { x: within.x + (within.w - w) / 2, y: within.y + (within.h - h) / 2, w, h };
}

/** The image's bounding box in the stage. */
export function shownRect(v: View, image: Size): Rect {
  const box = rotatedSize(image.width * v.zoom, image.height * v.zoom, v.rotate);
  return { x: v.x - box.width / 2, y: v.y - box.height / 2, w: box.width, h: box.height };
}

/**
 * How far a window the user drags or resizes may go: the furthest step from `from` towards `to` (x and y moves
 * each on their own, so it slides along an edge) that stays inside the stage and on the image.
 */
export function fitWindow(from: Rect, to: Rect, v: View, stage: Size, image: Size): Rect {
  const ok = (r: Rect) => r.x >= -0.01 && r.y >= -0.01 && r.x + r.w <= stage.width + 0.01 && r.y + r.h <= stage.height + 0.01 && covers(v, r, image);
  const furthest = (a: Rect, b: Rect) => {
    if (ok(b)) return b;
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 12; i++) {
      const t = (lo + hi) / 2;
      if (ok(lerp(a, b, t))) lo = t;
      else hi = t;
    }
    return lerp(a, b, lo);
  };
  if (from.w !== to.w || from.h !== to.h) return furthest(from, to);
  const across = furthest(from, { ...from, x: to.x });
  return furthest(across, { ...across, y: to.y });
}

const lerp = (a: Rect, b: Rect, t: number): Rect => ({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, w: a.w + (b.w - a.w) * t, h: a.h + (b.h - a.h) * t });
