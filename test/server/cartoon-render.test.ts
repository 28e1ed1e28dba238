// The cartoon-avatar renderer: classic Avataaars options → validated config → deterministic standalone SVG,
// checked by rasterizing it with sharp (librsvg) as the avatar pipeline does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  CARTOON_CONTEXT,
  CARTOON_DEFAULTS,
  CARTOON_KEYS,
  CARTOON_OPTIONS,
  CartoonConfigError,
  parseCartoonConfig,
  renderCartoonSvg,
  type CartoonConfig,
  type CartoonKey,
} from '../../server/avatars/cartoon/index.ts';

/** A request from the classic generator's users, verbatim. */
const VERBATIM_REQUEST = JSON.parse(
  '{"topType":"LongHairMiaWallace","accessoriesType":"Medal04","hairColor":"Blonde","facialHairType":"Blank",' +
    '"clotheType":"ShirtVNeck","eyeType":"StarStruck06","eyebrowType":"UpDownNatural","mouthType":"Default",' +
    '"skinColor":"Tanned","clotheColor":"Blue01","facialHairColor":"Black","background":"blank","frame":"Blank"}',
) as unknown;

/** A pixel counts as changed when some channel (alpha included) moves by more than this… */
const CHANNEL_DELTA = 24;
/** …and two renders look different when more than this share of their pixels changed. */
const VISIBLE_SHARE = 0.003;
/**
 * Pairs that the classic art itself tells apart by one small detail: they must differ, but at 96 px that detail
 * is a handful of pixels, under the 0.3% every other pair clears. Measured share in the comment; the floor still
 * fails an identical render (a mapping bug) and anything below a couple of pixels.
 */
const SMALL_DETAIL_PAIRS: ReadonlySet<string> = new Set([
  'topType: ShortHairTheCaesar / ShortHairTheCaesarSidePart', // 0.03%: the side part is a notch in the hairline
  'eyeType: Default / Cry', // 0.22%: a tear
  'eyeType: Default / Wink', // 0.18%: one eye closed
  'eyeType: Happy / Side', // 0.26%
  'eyebrowType: RaisedExcited / RaisedExcitedNatural', // 0.28%: outline vs. brushed brows
  'mouthType: Default / Disbelief', // 0.26%: the same mouth upside down
  'mouthType: Disbelief / Sad', // 0.22%
  'mouthType: Sad / Serious', // 0.20%
  'mouthType: Serious / Twinkle', // 0.22%
]);
const SMALL_DETAIL_SHARE = 0.0002;
const SMALL = 96;
const BATCH = 8;

interface Raster {
  data: Buffer;
  width: number;
  height: number;
}

async function rasterize(svg: string): Promise<Raster> {
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Rasterizes in batches: parallel enough to be quick, without queueing hundreds of decodes at once. */
async function rasterizeAll(svgs: string[]): Promise<Raster[]> {
  const rasters: Raster[] = [];
  for (let i = 0; i < svgs.length; i += BATCH) rasters.push(...(await Promise.all(svgs.slice(i, i + BATCH).map(rasterize))));
  return rasters;
}

function changedShare(a: Raster, b: Raster): number {
  assert.equal(a.data.length, b.data.length);
  let changed = 0;
  for (let at = 0; at < a.data.length; at += 4) {
    for (let channel = 0; channel < 4; channel++) {
      if (Math.abs(a.data[at + channel]! - b.data[at + channel]!) > CHANNEL_DELTA) {
        changed++;
        break;
      }
    }
  }
  return changed / (a.width * a.height);
}

function alphaAt(raster: Raster, x: number, y: number): number {
  return raster.data[(y * raster.width + x) * 4 + 3]!;
}

function assertSafeSvg(svg: string, label: string) {
  for (const banned of ['<script', 'foreignObject', 'href="http']) {
    assert.ok(!svg.includes(banned), `${label}: the SVG contains ${banned}`);
  }
  assert.ok(!/href="(?!#)/.test(svg), `${label}: the SVG references another document`);
}

/** Asserts that parsing `input` fails with a CartoonConfigError for `key` whose message matches. */
function assertRejects(input: unknown, key: string, message: RegExp) {
  assert.throws(
    () => parseCartoonConfig(input),
    (error: unknown) => {
      assert.ok(error instanceof CartoonConfigError, `expected a CartoonConfigError, got ${String(error)}`);
      assert.equal(error.key, key);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('parseCartoonConfig', () => {
  it('accepts the verbatim request and fills the two keys it omits from the defaults', () => {
    assert.deepEqual(parseCartoonConfig(VERBATIM_REQUEST), {
      ...(VERBATIM_REQUEST as CartoonConfig),
      hatColor: CARTOON_DEFAULTS.hatColor,
      graphicType: CARTOON_DEFAULTS.graphicType,
    });
  });

  it('gives the defaults, the first value of every list, for an empty object', () => {
    assert.deepEqual(parseCartoonConfig({}), CARTOON_DEFAULTS);
    for (const key of CARTOON_KEYS) assert.equal(CARTOON_DEFAULTS[key], CARTOON_OPTIONS[key][0]);
    assert.deepEqual(Object.keys(CARTOON_DEFAULTS), [...CARTOON_KEYS]);
  });

  it('ignores ASCII case and returns the listed spelling', () => {
    const config = parseCartoonConfig({ topType: 'longhairmiawallace', eyeType: 'STARSTRUCK06', background: 'Sky', frame: 'circle' });
    assert.equal(config.topType, 'LongHairMiaWallace');
    assert.equal(config.eyeType, 'StarStruck06');
    assert.equal(config.background, 'sky');
    assert.equal(config.frame, 'Circle');
  });

  it('does not fold non-ASCII look-alikes onto a listed value', () => {
    // U+212A KELVIN SIGN lower-cases to "k" in Unicode.
    assertRejects({ accessoriesType: '\u212Aurt' }, 'accessoriesType', /^accessoriesType must be one of: Blank, Kurt, /);
  });

  it('lists no value twice, even ignoring case', () => {
    for (const key of CARTOON_KEYS) {
      const lower = CARTOON_OPTIONS[key].map((value) => value.toLowerCase());
      assert.equal(new Set(lower).size, lower.length, key);
    }
  });

  it('refuses anything but a plain object', () => {
    for (const input of [undefined, null, 'LongHairBob', 42, true, [], [['topType', 'NoHair']], new Date(0), new Map()]) {
      assertRejects(input, '', /^the cartoon options must be an object with the keys: topType, accessoriesType, /);
    }
  });

  it('refuses an unknown key and names the known ones', () => {
    assertRejects({ foo: 'bar' }, 'foo', /^unknown option "foo"; the options are: topType, accessoriesType, .*, background, frame$/);
    assertRejects({ avatarStyle: 'Circle' }, 'avatarStyle', /^unknown option "avatarStyle"/);
    assertRejects(JSON.parse('{"__proto__": "x"}'), '__proto__', /^unknown option "__proto__"/);
  });

  it('refuses a value that is not a string and lists the allowed values', () => {
    assertRejects({ eyeType: 3 }, 'eyeType', /^eyeType must be one of: Default, Close, Cry, .*StarStruck06 \(a string, not number\)$/);
    assertRejects({ frame: null }, 'frame', /^frame must be one of: Blank, Circle, .* \(a string, not null\)$/);
    assertRejects({ topType: ['NoHair'] }, 'topType', /^topType must be one of: /);
  });

  it('refuses an unlisted value, quoting it', () => {
    assertRejects({ eyeType: 'Blink' }, 'eyeType', /^eyeType must be one of: Default, Close, .*; got "Blink"$/);
    assertRejects({ mouthType: 'constructor' }, 'mouthType', /; got "constructor"$/);
    assertRejects({ background: '' }, 'background', /^background must be one of: blank, white, .*; got ""$/);
  });

  it('echoes at most 64 characters of an over-long key or value', () => {
    const long = 'x'.repeat(500);
    for (const [input, key] of [
      [{ [long]: 'NoHair' }, 'x'.repeat(64)],
      [{ topType: long }, 'topType'],
    ] as const) {
      assert.throws(
        () => parseCartoonConfig(input),
        (error: unknown) => {
          assert.ok(error instanceof CartoonConfigError);
          assert.equal(error.key, key);
          assert.ok(error.message.includes(`"${'x'.repeat(64)}"…`), error.message);
          assert.ok(!error.message.includes('x'.repeat(65)), 'more than 64 characters echoed');
          return true;
        },
      );
    }
  });
});

describe('renderCartoonSvg', () => {
  const verbatim = parseCartoonConfig(VERBATIM_REQUEST);

  it('draws the verbatim request as a 256 px PNG that differs from the defaults', async () => {
    const [request, defaults] = await Promise.all(
      [verbatim, CARTOON_DEFAULTS].map((config) => sharp(Buffer.from(renderCartoonSvg(config, 256))).png().toBuffer()),
    );
    const [a, b] = await Promise.all([request!, defaults!].map((png) => sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })));
    assert.deepEqual([a!.info.width, a!.info.height], [256, 256]);
    const share = changedShare({ data: a!.data, width: 256, height: 256 }, { data: b!.data, width: 256, height: 256 });
    assert.ok(share > 0.05, `only ${(share * 100).toFixed(2)}% of the pixels differ`);
  });

  it('returns a standalone square SVG of the requested size, without scripts or external references', () => {
    const svg = renderCartoonSvg(verbatim, 256);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*viewBox="0 0 280 280"/);
    assert.match(svg, /^<svg [^>]*width="256" height="256"/);
    assert.ok(svg.endsWith('</svg>'));
    assertSafeSvg(svg, 'verbatim');
    assert.match(renderCartoonSvg(CARTOON_DEFAULTS), /^<svg [^>]*width="280" height="280"/, 'the default size');
  });

  it('is deterministic: the same config gives byte-identical SVG', () => {
    const first = renderCartoonSvg(verbatim, 128);
    renderCartoonSvg({ ...CARTOON_DEFAULTS, frame: 'Hexagon', accessoriesType: 'Sunglasses' }, 128);
    assert.equal(renderCartoonSvg({ ...verbatim }, 128), first);
    assert.equal(renderCartoonSvg(parseCartoonConfig(VERBATIM_REQUEST), 128), first);
  });

  it('refuses a config value that is not in the table and an impossible size', () => {
    assert.throws(() => renderCartoonSvg({ ...CARTOON_DEFAULTS, eyeType: '"/><script>alert(1)</script>' }), CartoonConfigError);
    assert.throws(() => renderCartoonSvg({ ...CARTOON_DEFAULTS, topType: 'toString' }), CartoonConfigError);
    for (const size of [0, -1, 1.5, Number.NaN, 5000]) assert.throws(() => renderCartoonSvg(CARTOON_DEFAULTS, size), RangeError);
  });

  it('leaves the corners transparent with a blank background and no frame, and fills them with a colour', async () => {
    const [blank, coloured] = await rasterizeAll([
      renderCartoonSvg({ ...CARTOON_DEFAULTS, topType: 'LongHairBigHair', background: 'blank', frame: 'Blank' }, SMALL),
      renderCartoonSvg({ ...CARTOON_DEFAULTS, topType: 'LongHairBigHair', background: 'sky', frame: 'Blank' }, SMALL),
    ]);
    const corners: Array<[number, number]> = [[0, 0], [SMALL - 1, 0], [0, SMALL - 1], [SMALL - 1, SMALL - 1]];
    for (const [x, y] of corners) {
      assert.equal(alphaAt(blank!, x, y), 0, `corner (${x}, ${y}) of the blank background`);
      assert.equal(alphaAt(coloured!, x, y), 255, `corner (${x}, ${y}) of the sky background`);
    }
  });

  describe('draws every value of every key visibly differently from the other values of that key', () => {
    it('names only real pairs of listed values as small-detail pairs', () => {
      for (const pair of SMALL_DETAIL_PAIRS) {
        const match = /^(\w+): (\w+) \/ (\w+)$/.exec(pair);
        assert.ok(match, pair);
        const values: readonly string[] = CARTOON_OPTIONS[match[1] as CartoonKey] ?? [];
        assert.ok(values.indexOf(match[2]!) >= 0 && values.indexOf(match[2]!) < values.indexOf(match[3]!), pair);
      }
    });

    for (const key of CARTOON_KEYS) {
      const context: Partial<CartoonConfig> = CARTOON_CONTEXT[key] ?? {};
      const label = Object.keys(context).length > 0 ? ` (with ${JSON.stringify(context)})` : '';
      it(`${key}${label}`, async () => {
        const values = CARTOON_OPTIONS[key];
        const svgs = values.map((value) => renderCartoonSvg({ ...CARTOON_DEFAULTS, ...context, [key satisfies CartoonKey]: value }, SMALL));
        svgs.forEach((svg, i) => assertSafeSvg(svg, `${key}=${values[i]}`));
        const rasters = await rasterizeAll(svgs);
        const alike: string[] = [];
        for (let i = 0; i < values.length; i++) {
          for (let j = i + 1; j < values.length; j++) {
            const pair = `${key}: ${values[i]} / ${values[j]}`;
            const share = changedShare(rasters[i]!, rasters[j]!);
            const smallDetail = SMALL_DETAIL_PAIRS.has(pair);
            if (share < (smallDetail ? SMALL_DETAIL_SHARE : VISIBLE_SHARE)) alike.push(`${pair}: ${(share * 100).toFixed(2)}% of pixels differ`);
            if (smallDetail && share >= VISIBLE_SHARE) alike.push(`${pair} clears ${VISIBLE_SHARE * 100}% now: drop it from SMALL_DETAIL_PAIRS`);
          }
        }
        assert.deepEqual(alike, [], `${key} values that look the same`);
      });
    }
  });
});
