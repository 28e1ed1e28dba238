// How cartoon options look to the user: words for the PascalCase names, a colour for each swatch, which options
// change the drawing with the current choices, and which part of the drawing a list's pictures show. The colours
// are the classic palettes the server draws with; a value without one here (the backgrounds, or a colour the
// server adds later) is shown as a tiny preview drawn by the server instead.

/** Proper names keep their capital inside a label. */
const NAMES = /^(Mia|Wallace|Frida|Kurt|Caesar|Selena)$/;

/** "LongHairMiaWallace" → "Long hair Mia Wallace", "ShirtVNeck" → "Shirt V neck", "Blue01" → "Blue 01", "sky" → "Sky". */
export function humanise(value: string): string {
  const words = value.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+/g) ?? [value];
  return words.map((word, i) => (i === 0 ? word[0]!.toUpperCase() + word.slice(1) : word.length > 1 && !NAMES.test(word) ? word.toLowerCase() : word)).join(' ');
}

/** The keys shown as swatches (radio buttons) rather than as a list. */
export const isColourKey = (key: string) => key.endsWith('Color') || key === 'background';

// "Name rgb" pairs, rounded to three hex digits (close enough for a swatch): a few hundred bytes in all.
const HAIR = 'Auburn a52 Black 321 Blonde b84 BlondeGolden db7 Brown 743 BrownDark 433 PastelPink e99 Blue 01d Platinum edb Red c30 SilverGray edd';
const FABRIC =
  'Black 233 Blue01 6cf Blue02 59d Blue03 257 Gray01 eee Gray02 999 Heather 455 PastelBlue adf PastelGreen afc PastelOrange fdb PastelRed fab PastelYellow ffa Pink f48 Red f55 White fff';
const SKIN = 'Tanned f94 Yellow fc5 Pale fdb Light eb8 Brown c85 DarkBrown a52 Black 643';
const PALETTES: Record<string, string> = { hairColor: HAIR, facialHairColor: HAIR, hatColor: FABRIC, clotheColor: FABRIC, skinColor: SKIN };

/** '#rgb' for a colour option's value, or undefined when this table does not know it. */
export function swatchColour(key: string, value: string): string | undefined {
  const hex = ` ${PALETTES[key] ?? ''} `.split(` ${value} `)[1]?.split(' ')[0];
  return hex ? `#${hex}` : undefined;
}

const HATS = /^(Hijab|Turban|WinterHat\d)$/;
/** Tops that hide the hair (the classic Hat and Eyepatch draw none either). */
const NO_HAIR = /^(NoHair|Eyepatch|Hat|Hijab|Turban|WinterHat\d)$/;

/**
 * Whether choosing `key` (or, given `value`, that one value of it) changes the drawing with the other choices in
 * `config`: a hat colour needs a hat that takes one, a shirt print a shirt with print, and so on. The rules follow
 * the server's renderer; test/server/cartoon-choices.test.ts checks them against every drawing.
 */
export function applies(key: string, config: Record<string, string>, value?: string): boolean {
  const top = config.topType ?? '';
  if (key === 'hairColor') return !NO_HAIR.test(top);
  if (key === 'hatColor') return HATS.test(top);
  if (key === 'facialHairColor') return config.facialHairType !== 'Blank';
  if (key === 'graphicType') return config.clotheType === 'GraphicShirt';
  if (key === 'clotheColor') return !/^Blazer/.test(config.clotheType ?? '');
  // The Eyepatch takes the glasses' place: with it, glasses draw nothing (a medal still shows).
  if (key === 'accessoriesType' && value && top === 'Eyepatch') return !/^(Kurt|Prescription|Round|Sunglasses|Wayfarers)/.test(value);
  return true;
}

/**
 * The part of the drawing each list's pictures show (CSS object-view-box, always a square; measured on the drawing:
 * brows at 33% down, eyes at 41%, mouth at 57%, a shirt's print at 83%, the face 30–70% across), so the choices
 * tell apart at 40 px.
 */
export const PICTURE_VIEWS: Record<string, string> = {
  topType: 'inset(0 17% 34% 17%)',
  accessoriesType: 'inset(20% 15% 10% 15%)',
  facialHairType: 'inset(33% 27% 21% 27%)',
  clotheType: 'inset(50% 25% 0 25%)',
  graphicType: 'inset(68% 35% 2% 35%)',
  eyeType: 'inset(24% 33% 42% 33%)',
  eyebrowType: 'inset(17% 32% 47% 32%)',
  mouthType: 'inset(42% 35% 28% 35%)',
};
