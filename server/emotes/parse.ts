// Inline emotes in a chat message: finds `:shortcode:` tokens and resolves them, for POST /v1/messages/parse.
// Pure (no I/O): the route looks the caller's ready emotes up and passes a resolver.
//
// Rules:
// - A token is `:` + 2–32 of [A-Za-z0-9_] + `:`. It may touch anything on either side ("a:cool:b" and
//   ":cool::cool:" both match), as chat clients usually do.
// - Lookup is case-insensitive: `resolve` gets the shortcode lower-cased, and the emote's own spelling is
//   what `inline_emotes[].shortcode` reports.
// - Unknown (or malformed) tokens stay text, and their closing colon may open the next token:
//   "a :x: :cool:" and ":nope:cool:" both find :cool:. A matched token's colons are consumed, so
//   "::cool::" is ":" + :cool: + ":".
// - Indices are UTF-16 code units (JavaScript string indices), end exclusive: "Hello :cool: world!" → 6, 12;
//   "😀 :cool:" → 3, 9 (the emoji is a surrogate pair). Lone surrogates are counted like any other unit.

/** The longest body the parse route accepts, in UTF-16 code units (`body.length`). */
export const MAX_MESSAGE_LENGTH = 4000;

/** Same rule as the shortcode of an emote (SPEC §3). */
export const SHORTCODE_PATTERN = /^[A-Za-z0-9_]{2,32}$/;
const MIN_SHORTCODE = 2;
const MAX_SHORTCODE = 32;

/** What a shortcode resolves to; anything else it carries (the route adds size and placeholder) goes into its entry as is. */
export interface ResolvedEmote {
  asset_id: string;
  shortcode: string;
}

export interface InlineEmote {
  shortcode: string;
  asset_id: string;
  /** First UTF-16 code unit of the token (its opening colon). */
  start_index: number;
  /** One past the token's closing colon. */
  end_index: number;
}

export interface ParsedMessage<R extends ResolvedEmote = ResolvedEmote> {
  body: string;
  inline_emotes: Array<InlineEmote & Omit<R, keyof ResolvedEmote>>;
}

export type ShortcodeResolver<R extends ResolvedEmote = ResolvedEmote> = (shortcodeLowercase: string) => R | undefined;

const COLON = 0x3a;

/** [A-Za-z0-9_] */
function isShortcodeUnit(unit: number): boolean {
  return (
    (unit >= 0x30 && unit <= 0x39) || // 0-9
    (unit >= 0x41 && unit <= 0x5a) || // A-Z
    (unit >= 0x61 && unit <= 0x7a) || // a-z
    unit === 0x5f // _
  );
}

/**
 * Walks the `:word:` tokens of `body` left to right in one pass. `visit` gets each well-formed candidate
 * (lower-cased) with its token bounds and says whether it matched; a match consumes the closing colon.
 */
function scan(body: string, visit: (lower: string, start: number, end: number) => boolean): void {
  let open = body.indexOf(':');
  while (open !== -1) {
    let close = open + 1;
    while (close < body.length && isShortcodeUnit(body.charCodeAt(close))) close++;
    if (close >= body.length) return; // no closing colon after the run
    if (body.charCodeAt(close) === COLON) {
      const length = close - open - 1;
      if (length >= MIN_SHORTCODE && length <= MAX_SHORTCODE && visit(body.slice(open + 1, close).toLowerCase(), open, close + 1)) {
        open = body.indexOf(':', close + 1);
        continue;
      }
      open = close; // the closing colon may open the next token
    } else {
      open = body.indexOf(':', close + 1); // the run ended on something else: no token opens before the next colon
    }
  }
}

/**
 * The message with its inline emotes, in order of appearance and never overlapping.
 * Does not enforce MAX_MESSAGE_LENGTH: the route refuses longer bodies before calling this.
 */
export function parseMessage<R extends ResolvedEmote>(body: string, resolve: ShortcodeResolver<R>): ParsedMessage<R> {
  const inline_emotes: ParsedMessage<R>['inline_emotes'] = [];
  scan(body, (lower, start_index, end_index) => {
    const emote = resolve(lower);
    if (!emote) return false;
    const { shortcode, asset_id, ...more } = emote;
    inline_emotes.push({ shortcode, asset_id, start_index, end_index, ...more });
    return true;
  });
  return { body, inline_emotes };
}

/**
 * Every lower-cased shortcode that `parseMessage` could ask `resolve` about, without duplicates: lets the
 * route load only those emotes (one `WHERE shortcode_key IN (…)` query) instead of all of the caller's.
 */
export function shortcodeCandidates(body: string): string[] {
  const seen = new Set<string>();
  scan(body, (lower) => {
    seen.add(lower);
    return false; // treating every candidate as unknown visits a superset of what any resolver is asked
  });
  return [...seen];
}
