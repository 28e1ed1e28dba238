// parseMessage: `:shortcode:` tokens in a chat message, indices in UTF-16 code units, end exclusive.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MESSAGE_LENGTH, parseMessage, shortcodeCandidates, type ResolvedEmote } from '../../server/emotes/parse.ts';

/** The caller's emotes as stored (their own spelling); the resolver is asked with the lower-cased shortcode. */
const EMOTES: ResolvedEmote[] = [
  { asset_id: 'em_cool', shortcode: 'cool' },
  { asset_id: 'em_party', shortcode: 'PartyParrot' },
  { asset_id: 'em_ok', shortcode: 'ok' },
  { asset_id: 'em_long', shortcode: 'a'.repeat(32) },
  { asset_id: 'em_under', shortcode: 'snake_case_2' },
];

function resolverWithLog() {
  const asked: string[] = [];
  const byKey = new Map(EMOTES.map((e) => [e.shortcode.toLowerCase(), e]));
  const resolve = (key: string) => {
    asked.push(key);
    return byKey.get(key);
  };
  return { resolve, asked };
}

/** [shortcode, start, end] triples, plus a check that every range really covers `:shortcode:` in the body. */
function parse(body: string): Array<[string, number, number]> {
  const { resolve } = resolverWithLog();
  const result = parseMessage(body, resolve);
  assert.equal(result.body, body, 'the body comes back unchanged');
  let previousEnd = 0;
  for (const e of result.inline_emotes) {
    assert.ok(e.start_index >= previousEnd, 'in order, never overlapping');
    assert.equal(body.slice(e.start_index, e.end_index).toLowerCase(), `:${e.shortcode}:`.toLowerCase());
    previousEnd = e.end_index;
  }
  return result.inline_emotes.map((e) => [e.shortcode, e.start_index, e.end_index]);
}

describe('parseMessage', () => {
  test('the SPEC example: "Hello :cool: world!" → 6, 12 (end exclusive)', () => {
    const result = parseMessage('Hello :cool: world!', resolverWithLog().resolve);
    assert.deepEqual(result, {
      body: 'Hello :cool: world!',
      inline_emotes: [{ shortcode: 'cool', asset_id: 'em_cool', start_index: 6, end_index: 12 }],
    });
  });

  test('no tokens, empty body, lone colons', () => {
    for (const body of ['', 'hello', ':', '::', ':::', 'a:b', 'time 10:30', ':cool', 'cool:', ': cool :']) {
      assert.deepEqual(parse(body), [], JSON.stringify(body));
    }
  });

  test('the whole body, at the start, at the end', () => {
    assert.deepEqual(parse(':cool:'), [['cool', 0, 6]]);
    assert.deepEqual(parse(':cool: hi'), [['cool', 0, 6]]);
    assert.deepEqual(parse('hi :cool:'), [['cool', 3, 9]]);
  });

  test('lookup ignores case and reports the emote\'s own spelling', () => {
    assert.deepEqual(parse(':COOL: :partyparrot: :PaRtYpArRoT:'), [
      ['cool', 0, 6],
      ['PartyParrot', 7, 20],
      ['PartyParrot', 21, 34],
    ]);
    const { resolve, asked } = resolverWithLog();
    parseMessage(':CoOl:', resolve);
    assert.deepEqual(asked, ['cool'], 'the resolver gets the lower-cased shortcode');
  });

  test('unknown shortcodes stay text', () => {
    assert.deepEqual(parse(':nope: and :cool:'), [['cool', 11, 17]]);
    assert.deepEqual(parse(':nope:'), []);
  });

  test('an unknown token\'s closing colon can open the next one', () => {
    assert.deepEqual(parse(':nope:cool:'), [['cool', 5, 11]]);
    assert.deepEqual(parse('a :x: :cool:'), [['cool', 6, 12]]); // ":x:" too short, ": :" not a shortcode
    assert.deepEqual(parse('10:30 :cool:'), [['cool', 6, 12]]);
    assert.deepEqual(parse('10:30:cool:'), [['cool', 5, 11]]); // "30" is a well-formed unknown shortcode
    assert.deepEqual(parse(':a b:cool:'), [['cool', 4, 10]]);
  });

  test('a matched token consumes both colons: "::cool::", ":cool::cool:", ":cool:cool:"', () => {
    assert.deepEqual(parse('::cool::'), [['cool', 1, 7]]);
    assert.deepEqual(parse(':::cool:::'), [['cool', 2, 8]]);
    assert.deepEqual(parse(':cool::cool:'), [['cool', 0, 6], ['cool', 6, 12]]);
    // The colon shared by ":cool:cool:" belongs to the first token; "cool:" alone is not one.
    assert.deepEqual(parse(':cool:cool:'), [['cool', 0, 6]]);
    assert.deepEqual(parse(':cool:ok:'), [['cool', 0, 6]]);
    assert.deepEqual(parse(':cool::ok::cool:'), [['cool', 0, 6], ['ok', 6, 10], ['cool', 10, 16]]);
  });

  test('tokens touching words and punctuation still match', () => {
    assert.deepEqual(parse('a:cool:b'), [['cool', 1, 7]]);
    assert.deepEqual(parse('(:cool:)'), [['cool', 1, 7]]);
    assert.deepEqual(parse('"hi":cool:!'), [['cool', 4, 10]]);
  });

  test('shortcode length 2..32 and charset [A-Za-z0-9_]', () => {
    assert.deepEqual(parse(':ok:'), [['ok', 0, 4]]);
    assert.deepEqual(parse(`:${'a'.repeat(32)}:`), [['a'.repeat(32), 0, 34]]);
    assert.deepEqual(parse(`:${'a'.repeat(33)}:`), [], '33 characters is too long');
    assert.deepEqual(parse(`:${'a'.repeat(33)}:cool:`), [['cool', 34, 40]]);
    assert.deepEqual(parse(':snake_case_2:'), [['snake_case_2', 0, 14]]);
    assert.deepEqual(parse(':co-ol: :co ol: :coöl: :cool😀:'), []);
    assert.deepEqual(parse(':o:'), []);
  });

  test('emoji and astral characters before the shortcode count as two UTF-16 units', () => {
    assert.deepEqual(parse('😀 :cool:'), [['cool', 3, 9]]);
    assert.deepEqual(parse('😀:cool:'), [['cool', 2, 8]]);
    assert.deepEqual(parse('𝒜𝒷 :cool: 😀 :ok:'), [['cool', 5, 11], ['ok', 15, 19]]);
    // Family emoji: 4 astral code points + 3 ZWJ = 11 units. Flags: 2 astral regional indicators = 4.
    assert.deepEqual(parse('👨‍👩‍👧‍👦:cool:'), [['cool', 11, 17]]);
    assert.deepEqual(parse('🇫🇷🇩🇪 :ok:'), [['ok', 9, 13]]);
    // BMP non-ASCII (1 unit each), combining marks and a lone surrogate.
    assert.deepEqual(parse('héllo, 世界 :cool:'), [['cool', 10, 16]]);
    assert.deepEqual(parse('e\u0301 :cool:'), [['cool', 3, 9]]);
    assert.deepEqual(parse('\uD83D :cool:'), [['cool', 2, 8]]);
    // An astral character right inside the colons: not a shortcode, and its colons stay text.
    assert.deepEqual(parse(':😀:cool:'), [['cool', 3, 9]]);
  });

  test('indices are exactly JavaScript string indices (slice gives the token back)', () => {
    const body = 'x 😀 :cool: y 🇫🇷 :PartyParrot::ok: z';
    const result = parseMessage(body, resolverWithLog().resolve);
    assert.deepEqual(
      result.inline_emotes.map((e) => body.slice(e.start_index, e.end_index)),
      [':cool:', ':PartyParrot:', ':ok:'],
    );
  });

  test('newlines and other separators', () => {
    assert.deepEqual(parse('line one\n:cool:\r\n:ok:'), [['cool', 9, 15], ['ok', 17, 21]]);
    assert.deepEqual(parse(':co\nol:'), []);
  });

  // How long the longest inputs take (linear, not quadratic) is `npm run bench` (BENCH_ONLY=limits).
  test('many tokens and long inputs', () => {
    const body = ':cool:'.repeat(Math.floor(MAX_MESSAGE_LENGTH / 6));
    assert.equal(parseMessage(body, resolverWithLog().resolve).inline_emotes.length, Math.floor(MAX_MESSAGE_LENGTH / 6));
    const colons = ':'.repeat(MAX_MESSAGE_LENGTH);
    const { resolve, asked } = resolverWithLog();
    assert.deepEqual(parseMessage(colons, resolve).inline_emotes, []);
    assert.deepEqual(asked, [], 'empty shortcodes are never looked up');
    const words = `:${'a'.repeat(MAX_MESSAGE_LENGTH - 2)}:`;
    assert.deepEqual(parseMessage(words + words, resolve).inline_emotes, []);
    assert.deepEqual(asked, [], 'names longer than 32 characters are never looked up');
  });

  test('MAX_MESSAGE_LENGTH is 4000 UTF-16 units', () => {
    assert.equal(MAX_MESSAGE_LENGTH, 4000);
    assert.equal('😀'.repeat(2000).length, MAX_MESSAGE_LENGTH, '2000 emoji fill it');
  });
});

describe('shortcodeCandidates', () => {
  test('every lower-cased shortcode the parser could look up, once', () => {
    assert.deepEqual(shortcodeCandidates('Hello :Cool: :cool: :nope:ok: :x: ::PartyParrot::'), ['cool', 'nope', 'ok', 'partyparrot']);
    assert.deepEqual(shortcodeCandidates('no tokens: here'), []);
  });

  test('covers whatever any resolver is asked', () => {
    const bodies = [':nope:cool:', ':cool:ok:', '::cool::', ':cool::cool:', 'a :x: :cool:', '😀 :ok:cool:nope:', ':a:bb:cc:dd:'];
    for (const body of bodies) {
      const { resolve, asked } = resolverWithLog();
      parseMessage(body, resolve);
      const candidates = new Set(shortcodeCandidates(body));
      for (const key of asked) assert.ok(candidates.has(key), `${JSON.stringify(body)}: ${key}`);
    }
  });
});
