// Finds faces in a small copy of a photo with BlazeFace short-range, which sees faces down to about a tenth of
// its 128 px window, in three steps:
// 1. where to look: a photo up to 6:5 whole (letterboxed into one window: a face a tenth of its long side is
//    seen); a wider or taller one, a 4:3 phone photo included, in overlapping squares of its short side along
//    its long one (they see all the whole photo would, closer), so a person small or off to one side is found;
// 2. a candidate scoring high at first sight is taken as it is; any other
//    is looked at again, framed as the model sees faces best: a real face scores high there, a pattern that
//    looked like a face from afar (foliage, a brick wall, a pet) rarely does;
// 3. what passes is merged across windows.
import { iou, mergeOverlapping, type BlazeFace, type FaceBox, type Pixels, type Window } from './blazeface.ts';

/** Wider (or taller) than this (6:5), a photo is looked at in squares of its short side. */
const ELONGATED = 1.2;
/** How much neighbouring windows overlap, so a face on a seam is whole in one of them. */
const OVERLAP = 0.3;
/** A candidate is looked at again in a window this many times its size (its face a third or more of it)… */
const CLOSE_UP = 2.5;
/** …where it must score this much (measured on the evaluation set: bench/default-crop.ts). */
const CONFIRMED = 0.7;
/** A candidate scoring this much at first sight is taken as it is. */
const SURE = 0.85;
/** At most this many candidates are looked at again, the best first. */
const MAX_CANDIDATES = 4;

/** Offsets of windows of `side` covering `extent`, overlapping by OVERLAP. */
function offsets(extent: number, side: number): number[] {
  const count = Math.max(1, Math.ceil((extent - side) / (side * (1 - OVERLAP))) + 1);
  return Array.from({ length: count }, (_, i) => (count === 1 ? (extent - side) / 2 : ((extent - side) * i) / (count - 1)));
}

const isElongated = ({ width, height }: { width: number; height: number }) => Math.max(width, height) / Math.min(width, height) > ELONGATED;

/** Where to look: the whole photo in one window, or squares of its short side along its long one. */
export function searchWindows(size: { width: number; height: number }): Window[] {
  const { width, height } = size;
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  if (!isElongated(size)) return [{ x: (width - long) / 2, y: (height - long) / 2, side: long }];
  return offsets(long, short).map((offset) => (width > height ? { x: offset, y: 0, side: short } : { x: 0, y: offset, side: short }));
}

/** The window a candidate is looked at again in (see CLOSE_UP). */
function closeUp(candidate: FaceBox): Window {
  const side = CLOSE_UP * Math.max(candidate.w, candidate.h);
  return { x: candidate.x + candidate.w / 2 - side / 2, y: candidate.y + candidate.h / 2 - side / 2, side };
}

/**
 * The search as steps, so whoever runs the network may run a step's windows at once (the server, on several
 * threads): each yield is a batch of windows, answered with what the network saw in each, in the same order; the
 * return value is the faces, best first.
 */
export function* faceSearch(size: { width: number; height: number }): Generator<Window[], FaceBox[], FaceBox[][]> {
  const seen = yield searchWindows(size);
  const candidates = mergeOverlapping(seen.flat()).slice(0, MAX_CANDIDATES);
  const unsure = candidates.filter((candidate) => candidate.score < SURE);
  const closer = unsure.length > 0 ? yield unsure.map(closeUp) : [];
  const confirmed = (candidate: FaceBox) =>
    mergeOverlapping(closer[unsure.indexOf(candidate)]!)
      .filter((face) => face.score >= CONFIRMED && iou(face, candidate) > 0.3)
      .slice(0, 1);
  return mergeOverlapping(candidates.flatMap((candidate) => (candidate.score >= SURE ? [candidate] : confirmed(candidate))));
}

/** Faces in `image` (its pixels), best first: the search run here, one window after another. */
export function findFaces(detector: BlazeFace, image: Pixels): FaceBox[] {
  const search = faceSearch(image);
  let step = search.next();
  while (!step.done) step = search.next(step.value.map((window) => detector.detect(image, window)));
  return step.value;
}
