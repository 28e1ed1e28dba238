// Cartoon config → standalone SVG: DiceBear's avataaars style draws the figure, our parts (parts.ts) are layered
// into its slots, and background and frame go around it. Pure and deterministic: the same config gives the
// same bytes, because every choice DiceBear could make at random is pinned to one value.
import { createAvatar, type Style, type StyleOptions } from '@dicebear/core';
import * as avataaars from '@dicebear/avataaars';
import { cartoonEntry, type CartoonConfig, type Hex } from './options.ts';
import { CANVAS_OUTLINE, FRAME_INSET, frameOutline, frameRing, medal, selenaGraphic, starEyes } from './parts.ts';

export const DEFAULT_CARTOON_SIZE = 280;
export const MAX_CARTOON_SIZE = 4096;

/** DiceBear takes 'rrggbb'. */
function dicebearColour(hex: Hex): string {
  return hex.slice(1).toLowerCase();
}

/** One list entry or none, with the probability that makes DiceBear draw exactly that. */
function exactly<T>(part: T | null): { list: T[]; probability: number } {
  return part === null ? { list: [], probability: 0 } : { list: [part], probability: 100 };
}

// Slots in the markup of @dicebear/avataaars 9 (lib/components/base.js, clothing.js) that our parts go into.
const EMPTY_EYES_SLOT = '<g transform="translate(76 90)"></g>';
const EMPTY_GRAPHIC_SLOT = '<g transform="translate(77 58)"></g>';
/** The mouth is drawn right after the clothes: a medal inserted here lies on the clothes, under hair and beard. */
const MOUTH_SLOT = '<g transform="translate(78 134)">';

/** Inside a frame the figure shrinks towards the bottom centre, so hair and hats keep clear of the ring while
 *  the shoulders still reach the frame's lower edge. */
const FRAMED_FIGURE = 'translate(140 280) scale(.9) translate(-140 -280)';

/** Replaces the one occurrence of `slot`; a library whose markup changed fails loudly instead of drawing less. */
function replaceSlot(body: string, slot: string, replacement: string): string {
  const at = body.indexOf(slot);
  if (at < 0 || body.includes(slot, at + 1)) {
    throw new Error(`@dicebear/avataaars markup changed: expected exactly one ${slot}`);
  }
  return body.slice(0, at) + replacement + body.slice(at + slot.length);
}

/** Every option of the config, looked up once in the table. */
function resolve(config: CartoonConfig) {
  return {
    top: cartoonEntry('topType', config.topType),
    accessory: cartoonEntry('accessoriesType', config.accessoriesType),
    hair: cartoonEntry('hairColor', config.hairColor),
    hat: cartoonEntry('hatColor', config.hatColor),
    facialHair: cartoonEntry('facialHairType', config.facialHairType),
    facialHairColour: cartoonEntry('facialHairColor', config.facialHairColor),
    clothes: cartoonEntry('clotheType', config.clotheType),
    clothesColour: cartoonEntry('clotheColor', config.clotheColor),
    graphic: cartoonEntry('graphicType', config.graphicType),
    eyes: cartoonEntry('eyeType', config.eyeType),
    eyebrows: cartoonEntry('eyebrowType', config.eyebrowType),
    mouth: cartoonEntry('mouthType', config.mouthType),
    skin: cartoonEntry('skinColor', config.skinColor),
    background: cartoonEntry('background', config.background),
    frame: cartoonEntry('frame', config.frame),
  };
}
type Cartoon = ReturnType<typeof resolve>;

/** Every option DiceBear would otherwise default or pick at random, pinned to what the cartoon asks for. */
function dicebearOptions(cartoon: Cartoon, size: number): StyleOptions<avataaars.Options> {
  const { top, accessory, clothes, graphic, eyes } = cartoon;
  const topPart = exactly(top.top);
  // Classic Eyepatch is a top that draws no glasses; DiceBear draws the patch in the accessory slot.
  const accessoryPart = exactly(top.accessory ?? accessory.accessory);
  const facialHair = exactly(cartoon.facialHair);
  return {
    // The seed does not matter: every list below has at most one entry and every probability is 0 or 100.
    seed: 'cartoon',
    size,
    flip: false,
    rotate: 0,
    scale: 100,
    radius: 0,
    translateX: 0,
    translateY: 0,
    clip: false,
    randomizeIds: false,
    backgroundColor: [],
    backgroundType: ['solid'],
    backgroundRotation: [0],
    style: ['default'],
    base: ['default'],
    nose: ['default'],
    top: topPart.list,
    topProbability: topPart.probability,
    hairColor: [dicebearColour(cartoon.hair)],
    hatColor: [dicebearColour(top.fixedHatColor ?? cartoon.hat)],
    accessories: accessoryPart.list,
    accessoriesProbability: accessoryPart.probability,
    accessoriesColor: [dicebearColour(accessory.colour ?? '#000000')],
    facialHair: facialHair.list,
    facialHairProbability: facialHair.probability,
    facialHairColor: [dicebearColour(cartoon.facialHairColour)],
    clothing: [clothes.clothing],
    clothesColor: [dicebearColour(clothes.fixedColour ?? cartoon.clothesColour)],
    // Selena: the graphic slot stays empty and gets our own graphic.
    clothingGraphic: 'graphic' in graphic ? [graphic.graphic] : [],
    // StarStruck: no library eyes at all; our stars go into the empty eyes slot.
    eyes: 'eyes' in eyes ? [eyes.eyes] : [],
    eyebrows: [cartoon.eyebrows],
    mouth: [cartoon.mouth],
    skinColor: [dicebearColour(cartoon.skin)],
  };
}

/** Our parts layered into the figure DiceBear drew, then background and frame around it. */
function decorate(figure: string, { eyes, graphic, clothes, accessory, background, frame }: Cartoon): string {
  if ('stars' in eyes) figure = replaceSlot(figure, EMPTY_EYES_SLOT, EMPTY_EYES_SLOT.replace('><', `>${starEyes(eyes.stars)}<`));
  if ('ownGraphic' in graphic && clothes.clothing === 'graphicShirt') {
    figure = replaceSlot(figure, EMPTY_GRAPHIC_SLOT, EMPTY_GRAPHIC_SLOT.replace('><', `>${selenaGraphic()}<`));
  }
  if (accessory.medal) figure = replaceSlot(figure, MOUTH_SLOT, medal(accessory.medal) + MOUTH_SLOT);
  const outline = frame === null ? CANVAS_OUTLINE : frameOutline(frame, FRAME_INSET);
  const backdrop = background === null ? '' : `<path d="${outline}" fill="${background}"/>`;
  if (frame === null) return backdrop + figure;
  return (
    `<defs><clipPath id="cartoon-frame"><path d="${outline}"/></clipPath></defs>` +
    `${backdrop}<g clip-path="url(#cartoon-frame)"><g transform="${FRAMED_FIGURE}">${figure}</g></g>${frameRing(frame)}`
  );
}

/** The avataaars style, with `decorate` applied to the body it creates. */
function cartoonStyle(cartoon: Cartoon): Style<avataaars.Options> {
  return {
    meta: avataaars.meta,
    schema: avataaars.schema,
    create(props) {
      const result = avataaars.create(props);
      return { ...result, body: decorate(result.body, cartoon) };
    },
  };
}

/**
 * A standalone SVG of the cartoon: square viewBox, `size` × `size` pixels, no scripts and no external references.
 * Every value is looked up in the option table, so an unlisted value throws CartoonConfigError and user input is
 * never copied into the markup.
 */
export function renderCartoonSvg(config: CartoonConfig, size: number = DEFAULT_CARTOON_SIZE): string {
  if (!Number.isInteger(size) || size < 1 || size > MAX_CARTOON_SIZE) {
    throw new RangeError(`size must be an integer from 1 to ${MAX_CARTOON_SIZE}`);
  }
  const cartoon = resolve(config);
  return createAvatar(cartoonStyle(cartoon), dicebearOptions(cartoon, size)).toString();
}
