// The cartoon builder's knowledge of the server's drawings (issue 18 §3): which options change the drawing with the
// other choices (widget/cartoon-names.ts `applies`, used to hide hat colour without a hat and so on) is checked
// against the renderer itself, drawing every choice in every configuration that decides it; and every value the
// server lists has a name in every language the widget speaks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CARTOON_DEFAULTS, CARTOON_KEYS, CARTOON_OPTIONS, type CartoonConfig } from '../../server/avatars/cartoon/options.ts';
import { renderCartoonSvg } from '../../server/avatars/cartoon/render.ts';
import { applies } from '../../widget/cartoon-names.ts';
import { NAMED_VALUES, NAMES_PER_LOCALE, valueName } from '../../widget/cartoon-value-names.ts';
import { LOCALES } from '../../widget/i18n.ts';

const draw = (config: CartoonConfig) => renderCartoonSvg(config, 64);

/** The configurations that decide whether an option shows: the defaults with each value of the options others depend on. */
function deciding(): CartoonConfig[] {
  const bases: CartoonConfig[] = [CARTOON_DEFAULTS];
  for (const key of ['topType', 'facialHairType', 'clotheType'] as const) {
    for (const value of CARTOON_OPTIONS[key]) bases.push({ ...CARTOON_DEFAULTS, [key]: value });
  }
  // Everything that can show at once: a hat that takes a colour, a beard, a printed shirt.
  bases.push({ ...CARTOON_DEFAULTS, topType: 'WinterHat1', facialHairType: 'BeardMedium', clotheType: 'GraphicShirt' });
  return bases;
}

describe('which cartoon options change the drawing', () => {
  test('an option is offered exactly when its values draw differently with the other choices', () => {
    for (const base of deciding()) {
      for (const key of CARTOON_KEYS) {
        const drawings = new Set(CARTOON_OPTIONS[key].map((value) => draw({ ...base, [key]: value })));
        const where = `${key} with topType=${base.topType}, facialHairType=${base.facialHairType}, clotheType=${base.clotheType}`;
        assert.equal(applies(key, base), drawings.size > 1, where);
      }
    }
  });

  test('a value is offered exactly when it draws differently from the option’s first value (or is that value)', () => {
    for (const base of deciding()) {
      for (const key of CARTOON_KEYS) {
        if (!applies(key, base)) continue;
        const first = draw({ ...base, [key]: CARTOON_OPTIONS[key][0]! });
        for (const value of CARTOON_OPTIONS[key].slice(1)) {
          const where = `${key}=${value} with topType=${base.topType}`;
          assert.equal(applies(key, base, value), draw({ ...base, [key]: value }) !== first, where);
        }
      }
    }
  });
});

describe('names of the cartoon options', () => {
  test('every value the server lists has a name in every language (Blank reads as “none”)', () => {
    for (const locale of Object.keys(LOCALES)) {
      assert.equal(NAMES_PER_LOCALE[locale], NAMED_VALUES.length, `${locale}: one name per value`);
      for (const key of CARTOON_KEYS) {
        for (const value of CARTOON_OPTIONS[key]) {
          if (value.toLowerCase() === 'blank') continue;
          const name = valueName(locale, value);
          assert.ok(name, `${locale} has no name for ${key}=${value}`);
          assert.doesNotMatch(name, /^\s|\s$|\t/, `${locale} ${value}`);
        }
      }
    }
  });

  test('the names are the language’s own', () => {
    assert.equal(valueName('de', 'Hat'), 'Hut');
    assert.equal(valueName('fr', 'Sunglasses'), 'Lunettes de soleil');
    assert.equal(valueName('es', 'Hoodie'), 'Sudadera con capucha');
    assert.equal(valueName('en', 'ShortHairShortFlat'), 'Short, flat');
  });
});
