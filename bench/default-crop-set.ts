// The default crop's evaluation set (issue 21): real photos with hand-labelled face boxes, composites made here
// that put those real faces off-centre and small on wide and tall canvases, and photos with no face (landscapes,
// textures, logos, drawings, an animal), some stored and some drawn here. test/fixtures/faces/README.md says
// where each stored file comes from and under which licence.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Box } from '../media/default-crop/rule.ts';

const dir = fileURLToPath(new URL('../test/fixtures/faces/', import.meta.url));

export type Kind = 'photo' | 'composite' | 'no-face';

export interface EvalImage {
  name: string;
  kind: Kind;
  /** For no-face images: what it shows (landscape, texture, logo, drawing, animal, object). */
  subject?: string;
  bytes: Buffer;
  width: number;
  height: number;
  /** Hand-labelled faces (forehead to chin, cheek to cheek) in the image's pixels. */
  faces: Box[];
}

/** The stored photos of people and their faces, labelled by hand on the stored files. */
export const LABELLED_PHOTOS: Array<{ file: string; faces: Box[] }> = [
  { file: 'astronaut.jpg', faces: [{ x: 175, y: 62, w: 95, h: 112 }] },
  { file: 'grace-hopper.jpg', faces: [{ x: 137, y: 115, w: 179, h: 158 }] },
  { file: 'cameraman.jpg', faces: [{ x: 190, y: 100, w: 68, h: 95 }] },
  { file: 'basketball.jpg', faces: [{ x: 48, y: 68, w: 36, h: 44 }] },
  { file: 'footballer.jpg', faces: [{ x: 196, y: 70, w: 37, h: 42 }] },
];

/** Stored photos with no face, and what they show. */
export const NO_FACE_PHOTOS: Array<{ file: string; subject: string }> = [
  { file: 'lake.jpg', subject: 'landscape' },
  { file: 'tree.jpg', subject: 'landscape' },
  { file: 'building.jpg', subject: 'landscape' },
  { file: 'brick.jpg', subject: 'texture' },
  { file: 'notebook.jpg', subject: 'object' },
  { file: 'coffee.jpg', subject: 'object' },
  { file: 'rocket.jpg', subject: 'object' },
  { file: 'opencv-logo.png', subject: 'logo' },
  { file: 'skimage-logo.jpg', subject: 'logo' },
  { file: 'starry-night.jpg', subject: 'drawing' },
  { file: 'horse.png', subject: 'drawing' },
];

/** Head-and-shoulders parts of the labelled photos that the composites paste (in the stored files' pixels). */
const PORTRAITS = [
  { file: 'astronaut.jpg', part: { x: 110, y: 10, w: 230, h: 280 } },
  { file: 'grace-hopper.jpg', part: { x: 95, y: 20, w: 265, h: 330 } },
  { file: 'cameraman.jpg', part: { x: 130, y: 50, w: 200, h: 230 } },
];
const BACKGROUNDS = ['lake.jpg', 'building.jpg', 'brick.jpg', 'notebook.jpg', 'tree.jpg', 'coffee.jpg'];
/** Canvas shapes: wide and tall, from a 4:3 phone photo to a 3:1 banner. */
const CANVASES = [
  { width: 1600, height: 1200 },
  { width: 1200, height: 1600 },
  { width: 1500, height: 500 },
  { width: 1200, height: 600 },
  { width: 1280, height: 720 },
  { width: 500, height: 1500 },
  { width: 600, height: 1200 },
  { width: 720, height: 1280 },
];
/** The portrait's height as a share of the canvas's short side (its face is about 40% of that). */
const PORTRAIT_HEIGHTS = [0.8, 0.45];
/** Where along the long side the portrait's centre goes: off-centre, where the centred square misses it. */
const PLACES = [0.12, 0.85];

const read = (file: string) => readFileSync(dir + file);

async function sizeOf(bytes: Buffer) {
  const { width, height } = await sharp(bytes).metadata();
  return { width: width!, height: height! };
}

/** Deterministic pseudo-random numbers (mulberry32), so the set is the same on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function composites(): Promise<EvalImage[]> {
  const next = random(21);
  const images: EvalImage[] = [];
  let n = 0;
  for (const portrait of PORTRAITS) {
    const face = LABELLED_PHOTOS.find((photo) => photo.file === portrait.file)!.faces[0]!;
    for (const canvas of CANVASES) {
      for (const share of PORTRAIT_HEIGHTS) {
        for (const place of PLACES) {
          const background = BACKGROUNDS[n++ % BACKGROUNDS.length]!;
          const short = Math.min(canvas.width, canvas.height);
          const scale = (share * short) / portrait.part.h;
          const w = Math.round(portrait.part.w * scale);
          const h = Math.round(portrait.part.h * scale);
          const wide = canvas.width > canvas.height;
          // Off-centre along the long side, anywhere across the short side.
          const along = Math.round(place * (wide ? canvas.width : canvas.height) - (wide ? w : h) / 2);
          const across = Math.round(next() * (short - (wide ? h : w)));
          const left = Math.max(0, Math.min(canvas.width - w, wide ? along : across));
          const top = Math.max(0, Math.min(canvas.height - h, wide ? across : along));
          const patch = await sharp(read(portrait.file))
            .extract({ left: portrait.part.x, top: portrait.part.y, width: portrait.part.w, height: portrait.part.h })
            .resize(w, h)
            .toBuffer();
          const bytes = await sharp(read(background))
            .resize(canvas.width, canvas.height, { fit: 'cover' })
            .composite([{ input: patch, left, top }])
            .jpeg({ quality: 85 })
            .toBuffer();
          images.push({
            name: `${portrait.file.replace('.jpg', '')} on ${background.replace('.jpg', '')} ${canvas.width}×${canvas.height} at ${place} (${share})`,
            kind: 'composite',
            bytes,
            ...canvas,
            faces: [{ x: left + (face.x - portrait.part.x) * scale, y: top + (face.y - portrait.part.y) * scale, w: face.w * scale, h: face.h * scale }],
          });
        }
      }
    }
  }
  return images;
}

/** No-face images drawn here: logos off-centre on plain wide and tall canvases, flat drawings, stretched landscapes. */
async function drawnNoFace(): Promise<EvalImage[]> {
  const svg = (width: number, height: number, body: string) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`);
  const logo = (x: number, y: number, r: number) =>
    `<circle cx="${x}" cy="${y}" r="${r}" fill="#e33"/><rect x="${x - r / 2}" y="${y - r / 2}" width="${r}" height="${r}" fill="#fff"/><text x="${x}" y="${y + r * 1.6}" font-size="${r / 2}" text-anchor="middle" font-family="sans-serif" fill="#223">ACME</text>`;
  const drawing = (width: number, height: number) =>
    `<rect width="100%" height="100%" fill="#bde"/><rect y="${height * 0.7}" width="100%" height="${height * 0.3}" fill="#7b5"/>` +
    `<circle cx="${width * 0.8}" cy="${height * 0.2}" r="${height * 0.1}" fill="#fd3"/>` +
    `<polygon points="${width * 0.2},${height * 0.7} ${width * 0.35},${height * 0.35} ${width * 0.5},${height * 0.7}" fill="#964"/>`;
  const drawn = [
    { name: 'logo left on white 1500×500', subject: 'logo', width: 1500, height: 500, body: `<rect width="100%" height="100%" fill="#fff"/>${logo(220, 200, 110)}` },
    { name: 'logo low on grey 500×1500', subject: 'logo', width: 500, height: 1500, body: `<rect width="100%" height="100%" fill="#eee"/>${logo(250, 1200, 120)}` },
    { name: 'flat drawing 1200×600', subject: 'drawing', width: 1200, height: 600, body: drawing(1200, 600) },
    { name: 'flat drawing 600×1200', subject: 'drawing', width: 600, height: 1200, body: drawing(600, 1200) },
  ];
  const images: EvalImage[] = [];
  for (const { name, subject, width, height, body } of drawn) {
    images.push({ name, kind: 'no-face', subject, bytes: await sharp(svg(width, height, body)).png().toBuffer(), width, height, faces: [] });
  }
  for (const [file, width, height] of [['lake.jpg', 1500, 500], ['tree.jpg', 500, 1000], ['building.jpg', 1280, 720]] as const) {
    const bytes = await sharp(read(file)).resize(width, height, { fit: 'cover' }).jpeg({ quality: 85 }).toBuffer();
    images.push({ name: `${file.replace('.jpg', '')} ${width}×${height}`, kind: 'no-face', subject: 'landscape', bytes, width, height, faces: [] });
  }
  return images;
}

/** The whole set, in a fixed order. */
export async function evaluationSet(): Promise<EvalImage[]> {
  const photos: EvalImage[] = [];
  for (const { file, faces } of LABELLED_PHOTOS) photos.push({ name: file, kind: 'photo', bytes: read(file), ...(await sizeOf(read(file))), faces });
  const noFace: EvalImage[] = [];
  for (const { file, subject } of NO_FACE_PHOTOS) noFace.push({ name: file, kind: 'no-face', subject, bytes: read(file), ...(await sizeOf(read(file))), faces: [] });
  return [...photos, ...(await composites()), ...noFace, ...(await drawnNoFace())];
}

/** True when `crop` holds every pixel of `box`. */
export const contains = (crop: Box, box: Box) => crop.x <= box.x && crop.y <= box.y && crop.x + crop.w >= box.x + box.w && crop.y + crop.h >= box.y + box.h;
