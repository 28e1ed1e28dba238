// Our own SVG parts for the values the classic Avataaars set lacks. Each returns markup in the coordinate
// system of the slot it is drawn into (noted per function); colours that differ between values come from the
// table in options.ts.
import type { FrameShape, Hex, MedalColours, StarColours } from './options.ts';

/** The avataaars canvas: the whole picture is a 280 × 280 square. */
export const CANVAS = 280;
const CENTRE = CANVAS / 2;

/** Two decimals at most, so the markup is short and the same on every platform. */
function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function polygon(points: Array<[number, number]>): string {
  return `M${points.map(([x, y]) => `${num(x)} ${num(y)}`).join('L')}Z`;
}

/** A five-pointed star with one point up. */
function starPath(cx: number, cy: number, outer: number, inner: number): string {
  const points: Array<[number, number]> = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? outer : inner;
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    points.push([cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)]);
  }
  return polygon(points);
}

/** Where DiceBear draws the pupils, in its eyes slot (translate(76 90) inside the face). */
const EYE_CENTRES: ReadonlyArray<readonly [number, number]> = [
  [30, 22],
  [82, 22],
];

/** StarStruck eyes, for the eyes slot; the library's eyes are left out, so the stars replace them. */
export function starEyes({ fill, stroke }: StarColours): string {
  return EYE_CENTRES.map(
    ([x, y]) =>
      `<path d="${starPath(x, y + 1, 13, 5.8)}" fill="${fill}" stroke="${stroke}" stroke-width="2" stroke-linejoin="round"/>` +
      `<circle cx="${x - 3}" cy="${y - 2}" r="2.2" fill="#FFFFFF" fill-opacity=".85"/>`,
  ).join('');
}

/** A medal on a V of ribbon hanging from the collar, in the avataaars body's coordinates (chest at x 132). */
export function medal({ metal, rim, ribbon, stripe }: MedalColours): string {
  const strap = (side: 1 | -1) => {
    const x = (dx: number) => 132 + side * dx;
    return (
      `<path d="${polygon([[x(21), 197], [x(11), 197], [x(-1), 224], [x(6), 227]])}" fill="${ribbon}"/>` +
      `<path d="${polygon([[x(17.5), 197], [x(14.5), 197], [x(2.2), 224.6], [x(3.9), 225.6]])}" fill="${stripe}"/>`
    );
  };
  return (
    `<g>${strap(1)}${strap(-1)}` +
    `<rect x="125" y="221" width="14" height="7" rx="2" fill="${rim}"/>` +
    `<circle cx="132" cy="240" r="15" fill="${rim}"/>` +
    `<circle cx="132" cy="240" r="11.5" fill="${metal}"/>` +
    `<path d="${starPath(132, 240.5, 7.5, 3.4)}" fill="${rim}" fill-opacity=".75"/>` +
    `</g>`
  );
}

/**
 * Our stand-in for the classic "Selena" shirt graphic (DiceBear dropped it): a portrait with long hair, red lips
 * and a star, in white like the library's graphics. For the graphic slot of the graphic shirt.
 */
export function selenaGraphic(): string {
  const hair =
    'M55 2C68 2 76 11 75 23C74 30 77 36 82 41C76 43 70 41 66 38C62 41 48 41 44 38C40 41 34 43 28 41C33 36 36 30 35 23C34 11 42 2 55 2Z' +
    'M46.5 21.5A8.5 10.5 0 1 0 63.5 21.5A8.5 10.5 0 1 0 46.5 21.5Z';
  const fringe = 'M46 17C48 10 54 8 60 10C58 12 55 13 52 13C50 15 48 16 46 17Z';
  return (
    `<path d="${hair}" fill="#FFFFFF" fill-rule="evenodd"/><path d="${fringe}" fill="#FFFFFF"/>` +
    `<ellipse cx="55" cy="27.5" rx="3.6" ry="1.8" fill="#E0245E"/>` +
    `<circle cx="45.5" cy="28" r="2.6" stroke="#E0245E" stroke-width="1.4"/>` +
    `<circle cx="64.5" cy="28" r="2.6" stroke="#E0245E" stroke-width="1.4"/>` +
    `<path d="${starPath(87, 10, 6, 2.6)}" fill="#FFFFFF"/>`
  );
}

/** The outline of a frame, `inset` units inside the canvas edge, as a path (for background, clip and ring). */
export function frameOutline(shape: FrameShape, inset: number): string {
  const lo = inset;
  const hi = CANVAS - inset;
  switch (shape) {
    case 'circle': {
      const r = num(CENTRE - inset);
      const half = (x: number) => `A${r} ${r} 0 1 0 ${num(x)} ${CENTRE}`;
      return `M${num(lo)} ${CENTRE}${half(hi)}${half(lo)}Z`;
    }
    case 'square':
      return polygon([[lo, lo], [hi, lo], [hi, hi], [lo, hi]]);
    case 'roundedSquare': {
      // Concentric corners: the radius shrinks by the inset so the ring's lines stay parallel.
      const r = Math.max(0, 56 - inset);
      const arc = (x: number, y: number) => `A${num(r)} ${num(r)} 0 0 1 ${num(x)} ${num(y)}`;
      return (
        `M${num(lo + r)} ${num(lo)}H${num(hi - r)}${arc(hi, lo + r)}V${num(hi - r)}${arc(hi - r, hi)}` +
        `H${num(lo + r)}${arc(lo, hi - r)}V${num(lo + r)}${arc(lo + r, lo)}Z`
      );
    }
    case 'hexagon': {
      // Point up, so the head fits and the bottom point keeps the chest (and a medal) in view; insetting a
      // regular hexagon by d shortens its circumradius by d / cos 30°.
      const radius = CENTRE - inset / Math.cos(Math.PI / 6);
      const points: Array<[number, number]> = [];
      for (let i = 0; i < 6; i++) {
        const angle = -Math.PI / 2 + (i * Math.PI) / 3;
        points.push([CENTRE + radius * Math.cos(angle), CENTRE + radius * Math.sin(angle)]);
      }
      return polygon(points);
    }
  }
}

/** The full canvas, for a background without a frame. */
export const CANVAS_OUTLINE = polygon([[0, 0], [CANVAS, 0], [CANVAS, CANVAS], [0, CANVAS]]);

/** Inset of the frame's centre line: the avatar and the background are clipped to it, and the ring drawn over it. */
export const FRAME_INSET = 7;
const RING_WIDTH = 9;
/** Dark ring with a light inner line: shows on every background colour, on transparent and over the avatar. */
const RING_DARK: Hex = '#27324A';
const RING_LIGHT: Hex = '#FFFFFF';

export function frameRing(shape: FrameShape): string {
  return (
    `<path d="${frameOutline(shape, FRAME_INSET)}" stroke="${RING_DARK}" stroke-width="${RING_WIDTH}" stroke-linejoin="round"/>` +
    `<path d="${frameOutline(shape, FRAME_INSET + RING_WIDTH / 2 + 1.5)}" stroke="${RING_LIGHT}" stroke-width="2.5" stroke-linejoin="round"/>`
  );
}
