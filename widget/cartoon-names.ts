// How cartoon option values look to the user: words for the PascalCase names, and a colour for each swatch.
// The colours are the classic palettes the server draws with; a value without one here (the backgrounds, or
// a colour the server adds later) is shown as a tiny preview drawn by the server instead.

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
