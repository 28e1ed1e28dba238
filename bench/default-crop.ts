// The face-aware default crop (issue 21), `BENCH_ONLY=default-crop`:
// 1. accuracy on the evaluation set (bench/default-crop-set.ts): the share of photos with a face whose default
//    crop holds the whole labelled face box, next to the centred square's share on the same photos; the share of
//    no-face photos left on the saliency or centred crop, and which took which;
// 2. time on the server: what the default crop adds to an upload of a 12 MP photo (a small copy decoded with
//    shrink-on-load, detection on a face detection thread, the rule), next to the processing floor of the same
//    photo in the same run (the pipeline's decode and every variant, renderAvatarVariants, with a given crop); and
//    the longest the event loop stalls meanwhile, next to the same detection run on the event loop itself;
// 3. time in the browser's worker and the chunk's size: bench/default-crop-browser.ts.
import { probeImage, renderAvatarVariants, type PipelineLimits } from '../server/images/pipeline.ts';
import { defaultCropOf, detectionCopy } from '../server/images/default-crop.ts';
import { createFaceDetectionPool, type FaceDetectionPool } from '../server/images/face-detection-pool.ts';
import { loadFaceDetector } from '../server/images/face-model.ts';
import { BlazeFace, readCompactModel, smartDefaultCrop } from '../media/default-crop/index.ts';
import { compactFaceModel } from '../media/default-crop/model-file.ts';
import { centredSquare } from '../media/default-crop/rule.ts';
import sharp from 'sharp';
import { contains, evaluationSet, type EvalImage } from './default-crop-set.ts';
import { browserFigures } from './default-crop-browser.ts';
import { figure, round, type BenchModule, type Figure, type SectionResult } from './report.ts';
import { median, summarise } from './stats.ts';

const LIMITS: PipelineLimits = { maxPixels: 40_000_000, maxFrames: 200, timeoutSeconds: 60 };
const SIZES = [1600, 512, 256, 128, 64];
const RUNS = 7;

function log(line: string) {
  process.stderr.write(`[bench] ${line}\n`);
}

const format = (image: EvalImage) => (image.bytes[0] === 0x89 ? 'png' : 'jpeg');

/** A 12 MP phone-sized photo (4000×3000 JPEG q90) with a person small and off to the right. */
export async function portrait12mp(set: EvalImage[]): Promise<{ bytes: Buffer; width: number; height: number; face: EvalImage['faces'][number] }> {
  const source = set.find((image) => image.name === 'astronaut.jpg')!;
  const part = { left: 110, top: 10, width: 230, height: 280 };
  const scale = 1400 / part.height;
  const portrait = await sharp(source.bytes).extract(part).resize(Math.round(part.width * scale), 1400).toBuffer();
  const background = set.find((image) => image.name === 'lake.jpg')!;
  const [left, top] = [2600, 1500];
  const bytes = await sharp(background.bytes).resize(4000, 3000, { fit: 'cover' }).composite([{ input: portrait, left, top }]).jpeg({ quality: 90 }).toBuffer();
  const face = source.faces[0]!;
  return { bytes, width: 4000, height: 3000, face: { x: left + (face.x - part.left) * scale, y: top + (face.y - part.top) * scale, w: face.w * scale, h: face.h * scale } };
}

/** The longest the event loop went without a turn while `work` ran, in ms (a 1 ms timer's longest gap). */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const timer = setInterval(tick, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  tick(); // a stall at the very end, which no timer turn came after
  return longest;
}

interface AccuracyRow {
  name: string;
  kind: string;
  subject?: string;
  source: string;
  holds?: boolean;
  centred_holds?: boolean;
  /** With the .tflite's own float16 filters instead of the compact model's int8 ones: the reference. */
  float16: { source: string; holds?: boolean; shift_px: number; shift_of_side: number };
  ms: number;
}

async function accuracy(set: EvalImage[], faces: FaceDetectionPool): Promise<AccuracyRow[]> {
  const float16 = new BlazeFace(readCompactModel(compactFaceModel({ filters: 'float16' })));
  const rows: AccuracyRow[] = [];
  for (const image of set) {
    const probe = { format: format(image), width: image.width, height: image.height } as const;
    const start = performance.now();
    const { crop, source } = await defaultCropOf(image.bytes, probe, 'smart', LIMITS, faces);
    const ms = round(performance.now() - start, 1);
    const reference = smartDefaultCrop(float16, (await detectionCopy(image.bytes, probe, LIMITS))!, image);
    const shift = Math.max(Math.abs(crop.x - reference.crop.x), Math.abs(crop.y - reference.crop.y), Math.abs(crop.w - reference.crop.w));
    const holdsAll = (box: { x: number; y: number; w: number; h: number }) => (image.faces.length ? image.faces.every((face) => contains(box, face)) : undefined);
    rows.push({
      name: image.name,
      kind: image.kind,
      ...(image.subject ? { subject: image.subject } : {}),
      source,
      ...(image.faces.length ? { holds: holdsAll(crop), centred_holds: holdsAll(centredSquare(image)) } : {}),
      float16: { source: reference.source, holds: holdsAll(reference.crop), shift_px: shift, shift_of_side: round(shift / reference.crop.w, 4) },
      ms,
    });
  }
  return rows;
}

async function measure(set: EvalImage[], faces: FaceDetectionPool): Promise<SectionResult> {
  const rows = await accuracy(set, faces);
  const withFace = rows.filter((row) => row.holds !== undefined);
  const noFace = rows.filter((row) => row.holds === undefined);
  const share = (part: number, whole: number) => round((100 * part) / whole, 1);
  const held = withFace.filter((row) => row.holds).length;
  const centredHeld = withFace.filter((row) => row.centred_holds).length;
  const leftAlone = noFace.filter((row) => row.source !== 'face').length;
  const largest = rows.reduce((a, b) => (b.float16.shift_of_side > a.float16.shift_of_side ? b : a));

  log(`default crop: server time on a 12 MP photo, ${RUNS} runs next to the processing floor`);
  const photo = await portrait12mp(set);
  const probe = await probeImage(photo.bytes, 'image/jpeg', LIMITS);
  const photoProbe = { format: 'jpeg' as const, width: photo.width, height: photo.height };
  const added: number[] = [];
  const floor: number[] = [];
  // CPU time of this process (every thread: sharp's and the detection thread's too), which other processes on the
  // machine skew far less.
  const addedCpu: number[] = [];
  const floorCpu: number[] = [];
  const stalls: number[] = [];
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let last = null as Awaited<ReturnType<typeof defaultCropOf>> | null;
  for (let run = 0; run < RUNS; run++) {
    let start = performance.now();
    let cpu = cpuMs();
    stalls.push(await longestStall(async () => (last = await defaultCropOf(photo.bytes, photoProbe, 'smart', LIMITS, faces))));
    added.push(performance.now() - start);
    addedCpu.push(cpuMs() - cpu);
    start = performance.now();
    cpu = cpuMs();
    await renderAvatarVariants(photo.bytes, probe, last!.crop, SIZES, LIMITS);
    floor.push(performance.now() - start);
    floorCpu.push(cpuMs() - cpu);
  }
  // The reference: the same copy and detection with the detector on the event loop (as before the threads).
  const onLoop = loadFaceDetector();
  onLoop.warmUp();
  const loopStalls: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    loopStalls.push(await longestStall(async () => smartDefaultCrop(onLoop, (await detectionCopy(photo.bytes, photoProbe, LIMITS))!, photo)));
  }
  const floorMs = round(median(floor), 1);
  const addedMs = round(median(added), 1);

  log('default crop: the browser worker (Chromium) and the chunk');
  const browser = await browserFigures(set, photo, share(held, withFace.length));

  const figures: Figure[] = [
    figure({
      id: 'default_crop_holds_face_pct',
      label: `default crop holds the whole face (${withFace.length} photos with a face)`,
      value: share(held, withFace.length),
      unit: '%',
      reference: { label: 'centred square, same photos', value: share(centredHeld, withFace.length), unit: '%' },
      target: '≥ 95%',
      ok: share(held, withFace.length) >= 95,
    }),
    figure({
      id: 'default_crop_same_as_float16_pct',
      label: `crops within 2 px of the float16 model's (the .tflite's own weights; ${rows.length} images)`,
      value: share(rows.filter((row) => row.float16.shift_px <= 2).length, rows.length),
      unit: '%',
      reference: { label: 'float16 model: holds the whole face, same photos', value: share(withFace.filter((row) => row.float16.holds).length, withFace.length), unit: '%' },
      note: `the compact model's int8 filters: median shift ${median(rows.map((row) => row.float16.shift_px))} px, largest ${largest.float16.shift_px} px (${round(100 * largest.float16.shift_of_side, 1)}% of that crop's side, ${largest.name}); ${rows.filter((row) => row.float16.shift_of_side > 0.05).length} moved more than 5% of their side; ${rows.filter((row) => row.source !== row.float16.source).length} changed source`,
    }),
    figure({
      id: 'default_crop_no_face_left_pct',
      label: `no-face photos left on saliency/centre (${noFace.length})`,
      value: share(leftAlone, noFace.length),
      unit: '%',
      note: `saliency ${noFace.filter((row) => row.source === 'saliency').length}, centre ${noFace.filter((row) => row.source === 'center').length}, face ${noFace.length - leftAlone}`,
    }),
    figure({
      id: 'default_crop_server_added_12mp_ms',
      label: 'server: default crop added per 12 MP JPEG (copy + detection + rule)',
      value: addedMs,
      unit: 'ms',
      reference: { label: 'processing floor, same photo (decode + every variant)', value: floorMs, unit: 'ms' },
      target: '≤ 100 ms',
      ok: addedMs <= 100,
      note: `CPU time ${round(median(addedCpu), 1)} ms, the floor's ${round(median(floorCpu), 1)} ms; crop ${last?.source}, ${last && contains(last.crop, photo.face) ? 'holds' : 'misses'} the face`,
    }),
    figure({
      id: 'default_crop_server_event_loop_stall_12mp_ms',
      label: 'server: longest event-loop stall while the default crop of a 12 MP JPEG is found (median of runs)',
      value: round(median(stalls), 1),
      unit: 'ms',
      reference: { label: 'the same detection run on the event loop, same photo', value: round(median(loopStalls), 1), unit: 'ms' },
      note: `worst run ${round(Math.max(...stalls), 1)} ms (on the loop: ${round(Math.max(...loopStalls), 1)} ms); detection runs on a worker thread`,
    }),
    figure({
      id: 'default_crop_server_set_median_ms',
      label: `server: default crop per photo of the set (≤ 1500 px), median`,
      value: round(median(rows.map((row) => row.ms)), 1),
      unit: 'ms',
    }),
    ...browser.figures,
  ];
  return {
    name: 'default-crop',
    figures,
    notes: [
      `set: ${rows.filter((r) => r.kind === 'photo').length} labelled photos, ${rows.filter((r) => r.kind === 'composite').length} composites, ${noFace.length} without a face`,
      `photos (not composites): ${withFace.filter((r) => r.kind === 'photo' && r.holds).length}/${withFace.filter((r) => r.kind === 'photo').length} held, centred square ${withFace.filter((r) => r.kind === 'photo' && r.centred_holds).length}`,
      ...withFace.filter((row) => !row.holds).map((row) => `missed: ${row.name} (${row.source})`),
      ...noFace.filter((row) => row.source !== 'center').map((row) => `no face, not centred: ${row.name} (${row.subject}) → ${row.source}`),
      ...browser.notes,
    ],
    details: {
      rows,
      server_12mp: { added: summarise(added), floor: summarise(floor), added_cpu: summarise(addedCpu), floor_cpu: summarise(floorCpu), stall: summarise(stalls), stall_on_loop: summarise(loopStalls) },
      browser: browser.details,
    },
  };
}

export const defaultCropBench: BenchModule = {
  name: 'default-crop',
  async run(): Promise<SectionResult> {
    log('default crop: building the evaluation set');
    const set = await evaluationSet();
    // One thread, as a server running one job at a time has; it starts (and reads the model) on the first photo.
    const faces = createFaceDetectionPool({ size: 1 });
    try {
      log(`default crop: ${set.length} images in Node`);
      return await measure(set, faces);
    } finally {
      await faces.close();
    }
  },
};
