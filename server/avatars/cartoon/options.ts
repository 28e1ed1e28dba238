// The cartoon avatar's options, named as in the classic Avataaars generator (PascalCase values), and the one
// table that maps every name onto a part or colour of DiceBear's avataaars style or onto one of our own parts
// (parts.ts). The option lists, the defaults and the validation are all derived from that table.
import type { Options as AvataaarsOptions } from '@dicebear/avataaars';

export const CARTOON_KEYS = [
  'topType',
  'accessoriesType',
  'hairColor',
  'hatColor',
  'facialHairType',
  'facialHairColor',
  'clotheType',
  'clotheColor',
  'graphicType',
  'eyeType',
  'eyebrowType',
  'mouthType',
  'skinColor',
  'background',
  'frame',
] as const;

export type CartoonKey = (typeof CARTOON_KEYS)[number];
export type CartoonConfig = Record<CartoonKey, string>;

/** A part name of the avataaars style, e.g. `Part<'top'>` is 'miaWallace' | 'shortFlat' | …. */
type Part<K extends keyof AvataaarsOptions> = NonNullable<AvataaarsOptions[K]> extends ReadonlyArray<infer T> ? T : never;
export type TopPart = Part<'top'>;
export type AccessoryPart = Part<'accessories'>;
export type FacialHairPart = Part<'facialHair'>;
export type ClothingPart = Part<'clothing'>;
export type GraphicPart = Part<'clothingGraphic'>;
export type EyesPart = Part<'eyes'>;
export type EyebrowsPart = Part<'eyebrows'>;
export type MouthPart = Part<'mouth'>;

/** '#RRGGBB'; the renderer converts it to DiceBear's 'rrggbb' where the library takes the colour. */
export type Hex = `#${string}`;

export interface TopEntry {
  top: TopPart | null;
  /** The classic Hat has one fixed colour; hatColor only applies to Hijab, Turban and the winter hats. */
  fixedHatColor?: Hex;
  /** Classic Eyepatch is a top; DiceBear draws it as an accessory, which then takes the accessory slot
   *  (the classic Eyepatch does not draw glasses either). */
  accessory?: 'eyepatch';
}
export interface StarColours {
  fill: Hex;
  stroke: Hex;
}
export interface MedalColours {
  metal: Hex;
  rim: Hex;
  ribbon: Hex;
  stripe: Hex;
}
export interface AccessoryEntry {
  accessory: AccessoryPart | null;
  /** Frame colour of the glasses, as in the classic set. */
  colour?: Hex;
  /** Our own part: a medal on a ribbon on the chest. */
  medal?: MedalColours;
}
export interface ClothesEntry {
  clothing: ClothingPart;
  /** The classic blazers come in one colour; clotheColor applies to the other clothes. */
  fixedColour?: Hex;
}
export type GraphicEntry = { graphic: GraphicPart } | { ownGraphic: 'selena' };
export type EyesEntry = { eyes: EyesPart } | { stars: StarColours };
export type FrameShape = 'circle' | 'roundedSquare' | 'square' | 'hexagon';

/** What a value of each key stands for. */
interface CartoonEntries {
  topType: TopEntry;
  accessoriesType: AccessoryEntry;
  hairColor: Hex;
  hatColor: Hex;
  facialHairType: FacialHairPart | null;
  facialHairColor: Hex;
  clotheType: ClothesEntry;
  clotheColor: Hex;
  graphicType: GraphicEntry;
  eyeType: EyesEntry;
  eyebrowType: EyebrowsPart;
  mouthType: MouthPart;
  skinColor: Hex;
  /** null: transparent. */
  background: Hex | null;
  /** null: no frame. */
  frame: FrameShape | null;
}

export type CartoonEntry<K extends CartoonKey> = CartoonEntries[K];
type CartoonTable = { readonly [K in CartoonKey]: Readonly<Record<string, CartoonEntry<K>>> };

// The classic generator's palettes (hair, facial hair, skin, hats and clothes).
const HAIR = {
  Auburn: '#A55728',
  Black: '#2C1B18',
  Blonde: '#B58143',
  BlondeGolden: '#D6B370',
  Brown: '#724133',
  BrownDark: '#4A312C',
  PastelPink: '#F59797',
  Blue: '#000FDB',
  Platinum: '#ECDCBF',
  Red: '#C93305',
  SilverGray: '#E8E1E1',
} as const satisfies Record<string, Hex>;

const FABRIC = {
  Gray01: '#E6E6E6',
  Black: '#262E33',
  Blue01: '#65C9FF',
  Blue02: '#5199E4',
  Blue03: '#25557C',
  Gray02: '#929598',
  Heather: '#3C4F5C',
  PastelBlue: '#B1E2FF',
  PastelGreen: '#A7FFC4',
  PastelOrange: '#FFDEB5',
  PastelRed: '#FFAFB9',
  PastelYellow: '#FFFFB1',
  Pink: '#FF488E',
  Red: '#FF5C5C',
  White: '#FFFFFF',
} as const satisfies Record<string, Hex>;

const GLASSES_FRAME: Hex = '#252C2F';

/**
 * Every option value, in the order the widget lists them; the first value of each key is its default.
 * Values the classic set lacks (StarStruck eyes, medals, Selena's graphic, backgrounds, frames) are our own
 * parts, drawn in parts.ts.
 */
export const CARTOON_TABLE: CartoonTable = {
  topType: {
    ShortHairShortFlat: { top: 'shortFlat' },
    NoHair: { top: null },
    Eyepatch: { top: null, accessory: 'eyepatch' },
    Hat: { top: 'hat', fixedHatColor: '#1F333C' },
    Hijab: { top: 'hijab' },
    Turban: { top: 'turban' },
    WinterHat1: { top: 'winterHat1' },
    WinterHat2: { top: 'winterHat02' },
    WinterHat3: { top: 'winterHat03' },
    WinterHat4: { top: 'winterHat04' },
    LongHairBigHair: { top: 'bigHair' },
    LongHairBob: { top: 'bob' },
    LongHairBun: { top: 'bun' },
    LongHairCurly: { top: 'curly' },
    LongHairCurvy: { top: 'curvy' },
    LongHairDreads: { top: 'dreads' },
    LongHairFrida: { top: 'frida' },
    LongHairFro: { top: 'fro' },
    LongHairFroBand: { top: 'froBand' },
    LongHairNotTooLong: { top: 'longButNotTooLong' },
    LongHairShavedSides: { top: 'shavedSides' },
    LongHairMiaWallace: { top: 'miaWallace' },
    // Swapped on purpose: DiceBear's straight02 has the outline of the classic LongHairStraight, and its
    // straight01 that of the classic LongHairStraight2.
    LongHairStraight: { top: 'straight02' },
    LongHairStraight2: { top: 'straight01' },
    LongHairStraightStrand: { top: 'straightAndStrand' },
    ShortHairDreads01: { top: 'dreads01' },
    ShortHairDreads02: { top: 'dreads02' },
    ShortHairFrizzle: { top: 'frizzle' },
    ShortHairShaggyMullet: { top: 'shaggyMullet' },
    ShortHairShortCurly: { top: 'shortCurly' },
    ShortHairShortRound: { top: 'shortRound' },
    ShortHairShortWaved: { top: 'shortWaved' },
    ShortHairSides: { top: 'sides' },
    ShortHairTheCaesar: { top: 'theCaesar' },
    ShortHairTheCaesarSidePart: { top: 'theCaesarAndSidePart' },
  },
  accessoriesType: {
    Blank: { accessory: null },
    Kurt: { accessory: 'kurt', colour: '#F4F4F4' },
    Prescription01: { accessory: 'prescription01', colour: GLASSES_FRAME },
    Prescription02: { accessory: 'prescription02', colour: GLASSES_FRAME },
    Round: { accessory: 'round', colour: GLASSES_FRAME },
    Sunglasses: { accessory: 'sunglasses', colour: GLASSES_FRAME },
    Wayfarers: { accessory: 'wayfarers', colour: GLASSES_FRAME },
    Medal01: { accessory: null, medal: { metal: '#F6C445', rim: '#C8901C', ribbon: '#D93A3A', stripe: '#FFFFFF' } },
    Medal02: { accessory: null, medal: { metal: '#D9DEE4', rim: '#8E99A6', ribbon: '#2F5BB7', stripe: '#FFFFFF' } },
    Medal03: { accessory: null, medal: { metal: '#D98B45', rim: '#94531F', ribbon: '#2E8B57', stripe: '#F2D16B' } },
    Medal04: { accessory: null, medal: { metal: '#4C8DF0', rim: '#1F4FA8', ribbon: '#7B3FBF', stripe: '#F6C445' } },
  },
  hairColor: {
    BrownDark: HAIR.BrownDark,
    Auburn: HAIR.Auburn,
    Black: HAIR.Black,
    Blonde: HAIR.Blonde,
    BlondeGolden: HAIR.BlondeGolden,
    Brown: HAIR.Brown,
    PastelPink: HAIR.PastelPink,
    Blue: HAIR.Blue,
    Platinum: HAIR.Platinum,
    Red: HAIR.Red,
    SilverGray: HAIR.SilverGray,
  },
  hatColor: FABRIC,
  facialHairType: {
    Blank: null,
    BeardMedium: 'beardMedium',
    BeardLight: 'beardLight',
    BeardMajestic: 'beardMajestic',
    MoustacheFancy: 'moustacheFancy',
    MoustacheMagnum: 'moustacheMagnum',
  },
  facialHairColor: {
    BrownDark: HAIR.BrownDark,
    Auburn: HAIR.Auburn,
    Black: HAIR.Black,
    Blonde: HAIR.Blonde,
    BlondeGolden: HAIR.BlondeGolden,
    Brown: HAIR.Brown,
    Platinum: HAIR.Platinum,
    Red: HAIR.Red,
  },
  clotheType: {
    ShirtCrewNeck: { clothing: 'shirtCrewNeck' },
    BlazerShirt: { clothing: 'blazerAndShirt', fixedColour: '#3A4C5A' },
    BlazerSweater: { clothing: 'blazerAndSweater', fixedColour: '#3A4C5A' },
    CollarSweater: { clothing: 'collarAndSweater' },
    GraphicShirt: { clothing: 'graphicShirt' },
    Hoodie: { clothing: 'hoodie' },
    Overall: { clothing: 'overall' },
    ShirtScoopNeck: { clothing: 'shirtScoopNeck' },
    ShirtVNeck: { clothing: 'shirtVNeck' },
  },
  clotheColor: FABRIC,
  graphicType: {
    Skull: { graphic: 'skull' },
    Bat: { graphic: 'bat' },
    Cumbia: { graphic: 'cumbia' },
    Deer: { graphic: 'deer' },
    Diamond: { graphic: 'diamond' },
    Hola: { graphic: 'hola' },
    Pizza: { graphic: 'pizza' },
    Resist: { graphic: 'resist' },
    Selena: { ownGraphic: 'selena' },
    Bear: { graphic: 'bear' },
    SkullOutline: { graphic: 'skullOutline' },
  },
  eyeType: {
    Default: { eyes: 'default' },
    Close: { eyes: 'closed' },
    Cry: { eyes: 'cry' },
    Dizzy: { eyes: 'xDizzy' },
    EyeRoll: { eyes: 'eyeRoll' },
    Happy: { eyes: 'happy' },
    Hearts: { eyes: 'hearts' },
    Side: { eyes: 'side' },
    Squint: { eyes: 'squint' },
    Surprised: { eyes: 'surprised' },
    Wink: { eyes: 'wink' },
    WinkWacky: { eyes: 'winkWacky' },
    StarStruck01: { stars: { fill: '#FFC83D', stroke: '#B7800A' } },
    StarStruck02: { stars: { fill: '#FF5C9D', stroke: '#B0205A' } },
    StarStruck03: { stars: { fill: '#3FA9F5', stroke: '#1A5E9E' } },
    StarStruck04: { stars: { fill: '#46CC7A', stroke: '#1C7A43' } },
    StarStruck05: { stars: { fill: '#A77BFF', stroke: '#5B34B0' } },
    StarStruck06: { stars: { fill: '#FF4B3E', stroke: '#A3170E' } },
  },
  eyebrowType: {
    Default: 'default',
    Angry: 'angry',
    AngryNatural: 'angryNatural',
    DefaultNatural: 'defaultNatural',
    FlatNatural: 'flatNatural',
    RaisedExcited: 'raisedExcited',
    RaisedExcitedNatural: 'raisedExcitedNatural',
    SadConcerned: 'sadConcerned',
    SadConcernedNatural: 'sadConcernedNatural',
    UnibrowNatural: 'unibrowNatural',
    UpDown: 'upDown',
    UpDownNatural: 'upDownNatural',
  },
  mouthType: {
    Default: 'default',
    Concerned: 'concerned',
    Disbelief: 'disbelief',
    Eating: 'eating',
    Grimace: 'grimace',
    Sad: 'sad',
    ScreamOpen: 'screamOpen',
    Serious: 'serious',
    Smile: 'smile',
    Tongue: 'tongue',
    Twinkle: 'twinkle',
    Vomit: 'vomit',
  },
  skinColor: {
    Light: '#EDB98A',
    Tanned: '#FD9841',
    Yellow: '#F8D25C',
    Pale: '#FFDBB4',
    Brown: '#D08B5B',
    DarkBrown: '#AE5D29',
    Black: '#614335',
  },
  background: {
    blank: null,
    white: '#FFFFFF',
    sky: '#A8DAF5',
    mint: '#A8E6C5',
    peach: '#FFBE9E',
    lavender: '#CDBBF2',
    sand: '#E9E0B5',
  },
  frame: {
    Blank: null,
    Circle: 'circle',
    RoundedSquare: 'roundedSquare',
    Square: 'square',
    Hexagon: 'hexagon',
  },
};

function listsOf(table: CartoonTable): Readonly<Record<CartoonKey, readonly string[]>> {
  const lists = {} as Record<CartoonKey, readonly string[]>;
  for (const key of CARTOON_KEYS) lists[key] = Object.freeze(Object.keys(table[key]));
  return Object.freeze(lists);
}

/** The accepted values of each key; the first is the key's default. */
export const CARTOON_OPTIONS: Readonly<Record<CartoonKey, readonly string[]>> = listsOf(CARTOON_TABLE);

function defaultsOf(options: Readonly<Record<CartoonKey, readonly string[]>>): CartoonConfig {
  const config = {} as CartoonConfig;
  for (const key of CARTOON_KEYS) config[key] = options[key][0]!;
  return Object.freeze(config);
}

export const CARTOON_DEFAULTS: CartoonConfig = defaultsOf(CARTOON_OPTIONS);

/**
 * For keys that only show in some configurations: other options under which the key is visible (merge them
 * over the defaults). Keys not listed are visible with the defaults.
 */
export const CARTOON_CONTEXT: Partial<Record<CartoonKey, Partial<CartoonConfig>>> = {
  hatColor: { topType: 'WinterHat1' },
  facialHairColor: { facialHairType: 'BeardMedium' },
  // The graphics are white: on the default light grey they hardly show.
  graphicType: { clotheType: 'GraphicShirt', clotheColor: 'Heather' },
};

export class CartoonConfigError extends Error {
  /** `key` is the offending option (cut to 64 characters when it is an unknown key), or '' when the input is not an object. */
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'CartoonConfigError';
  }
}

const MAX_ECHO = 64;

/** User input as it may appear in a message: quoted, escaped, at most 64 characters of it. */
function echo(input: string): string {
  return JSON.stringify(input.length > MAX_ECHO ? input.slice(0, MAX_ECHO) : input) + (input.length > MAX_ECHO ? '…' : '');
}

/** Lower-cases A–Z only, so no Unicode case folding can turn other input into an accepted value. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function spellingsOf(options: Readonly<Record<CartoonKey, readonly string[]>>): ReadonlyMap<string, ReadonlyMap<string, string>> {
  const byKey = new Map<string, Map<string, string>>();
  for (const key of CARTOON_KEYS) byKey.set(key, new Map(options[key].map((value) => [asciiLower(value), value])));
  return byKey;
}

/** key → (ASCII-lower-cased value → listed spelling); also says which keys exist. */
const SPELLINGS = spellingsOf(CARTOON_OPTIONS);

function valueError(key: CartoonKey, got: unknown): CartoonConfigError {
  const allowed = `${key} must be one of: ${CARTOON_OPTIONS[key].join(', ')}`;
  if (typeof got !== 'string') return new CartoonConfigError(key, `${allowed} (a string, not ${got === null ? 'null' : typeof got})`);
  return new CartoonConfigError(key, `${allowed}; got ${echo(got)}`);
}

function isPlainObject(input: unknown): input is Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const prototype: unknown = Object.getPrototypeOf(input);
  return prototype === Object.prototype || prototype === null;
}

function isCartoonKey(key: string): key is CartoonKey {
  return SPELLINGS.has(key);
}

/**
 * Validates a request's cartoon options: a plain object of known keys with string values, each one of the listed
 * values (ASCII case ignored, normalised to the listed spelling); omitted keys take their defaults.
 */
export function parseCartoonConfig(input: unknown): CartoonConfig {
  if (!isPlainObject(input)) {
    throw new CartoonConfigError('', `the cartoon options must be an object with the keys: ${CARTOON_KEYS.join(', ')}`);
  }
  const config: CartoonConfig = { ...CARTOON_DEFAULTS };
  for (const [key, value] of Object.entries(input)) {
    if (!isCartoonKey(key)) {
      throw new CartoonConfigError(key.slice(0, MAX_ECHO), `unknown option ${echo(key)}; the options are: ${CARTOON_KEYS.join(', ')}`);
    }
    const spelling = typeof value === 'string' ? SPELLINGS.get(key)?.get(asciiLower(value)) : undefined;
    if (spelling === undefined) throw valueError(key, value);
    config[key] = spelling;
  }
  return config;
}

/** The table entry of one option value; throws CartoonConfigError for a value that is not listed. */
export function cartoonEntry<K extends CartoonKey>(key: K, value: string): CartoonEntry<K> {
  const entries: Readonly<Record<string, CartoonEntry<K>>> = CARTOON_TABLE[key];
  // Own properties only: 'constructor' or '__proto__' must not resolve to Object.prototype.
  const entry: CartoonEntry<K> | undefined = Object.hasOwn(entries, value) ? entries[value] : undefined;
  if (entry === undefined) throw valueError(key, value);
  return entry;
}
