// <emote-text>: a chat message body with its inline emotes (from POST /v1/messages/parse) as text and images.
// User text only ever becomes text nodes (Lit text bindings, or textContent/createTextNode in the plain
// function): never innerHTML. Emote image URLs come from GET /v1/emotes/{id}/url, cached per page.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { EMOTE_SIZES as VARIANT_SIZES } from '../media/variants.ts';
import { css } from './styles.ts';
import { ApiClient } from './api/client.ts';
import { SHORTCODE } from './api/emotes.ts';
import { resolveEndpoint } from './endpoint.ts';
import { paintPlaceholder } from './placeholder.ts';

/** The longer side of an emote's placeholder canvas, in canvas pixels: its shape to within a pixel, at little memory. */
const PLACEHOLDER_BOX = 64;

/** One entry of `inline_emotes`: `body.slice(start_index, end_index)` is `:shortcode:` (UTF-16 indices, end exclusive). */
export interface InlineEmote {
  shortcode: string;
  asset_id: string;
  start_index: number;
  end_index: number;
  /** The emote's size (its aspect ratio) and placeholder: with them its box is held from the first paint. */
  width?: number;
  height?: number;
  placeholder?: string | null;
}

export type MessageSegment = { text: string } | { emote: InlineEmote; text: string };

function validEntry(entry: unknown, body: string): entry is InlineEmote {
  if (typeof entry !== 'object' || entry === null) return false;
  const { shortcode, asset_id, start_index, end_index } = entry as Record<string, unknown>;
  if (typeof shortcode !== 'string' || !SHORTCODE.test(shortcode)) return false;
  if (typeof asset_id !== 'string' || asset_id === '') return false;
  if (!Number.isSafeInteger(start_index) || !Number.isSafeInteger(end_index)) return false;
  const start = start_index as number;
  const end = end_index as number;
  if (start < 0 || end > body.length || end <= start) return false;
  // The range must hold the token itself, so an entry can never hide other words behind an image.
  return body.slice(start, end).toLowerCase() === `:${shortcode}:`.toLowerCase();
}

/**
 * Splits `body` into text and emote segments, in order. Entries of `inlineEmotes` that are malformed, out of
 * range, not covering `:shortcode:` in the body (case aside), or overlapping an earlier one are ignored: their
 * characters stay in the text. An emote segment's `text` is the body's own spelling of the token, the
 * fallback shown until (or unless) its image URL resolves. Joining every segment's `text` gives `body` back.
 */
export function splitMessage(body: string, inlineEmotes: readonly InlineEmote[] | null | undefined): MessageSegment[] {
  const text = typeof body === 'string' ? body : '';
  const entries = Array.isArray(inlineEmotes) ? (inlineEmotes as readonly unknown[]).filter((e): e is InlineEmote => validEntry(e, text)) : [];
  entries.sort((a, b) => a.start_index - b.start_index || a.end_index - b.end_index);
  const segments: MessageSegment[] = [];
  let position = 0;
  for (const entry of entries) {
    if (entry.start_index < position) continue; // overlaps the previous emote
    if (entry.start_index > position) segments.push({ text: text.slice(position, entry.start_index) });
    const emote: InlineEmote = { shortcode: entry.shortcode, asset_id: entry.asset_id, start_index: entry.start_index, end_index: entry.end_index };
    const { width, height, placeholder } = entry;
    if (Number.isSafeInteger(width) && Number.isSafeInteger(height) && width! > 0 && height! > 0) Object.assign(emote, { width, height });
    if (typeof placeholder === 'string') emote.placeholder = placeholder;
    segments.push({ emote, text: text.slice(entry.start_index, entry.end_index) });
    position = entry.end_index;
  }
  if (position < text.length) segments.push({ text: text.slice(position) });
  return segments;
}

/** The `<img>` for an emote, built with DOM properties (alt/title are attributes, never markup). */
function emoteImage(emote: InlineEmote, url: string): HTMLImageElement {
  const img = document.createElement('img');
  img.className = 'emote';
  img.alt = img.title = `:${emote.shortcode}:`;
  img.decoding = 'async';
  img.draggable = false;
  // CSSOM, not a style attribute: allowed under a strict style-src CSP.
  img.style.height = 'var(--emote-size, 1.5em)';
  img.style.width = 'auto';
  img.style.verticalAlign = 'middle';
  img.src = url;
  return img;
}

/**
 * Renders a message into `container` for hosts without Lit: replaces its children with text nodes, each
 * emote first as its `:shortcode:` text, swapped for an `<img alt=":shortcode:">` once `resolveUrl` gives
 * its URL (left as text if it fails, or if the container was rendered again meanwhile). One `resolveUrl` call
 * per distinct asset id. Resolves when every URL has settled.
 */
export async function renderEmoteText(
  container: Element,
  body: string,
  inlineEmotes: readonly InlineEmote[] | null | undefined,
  resolveUrl: (assetId: string) => Promise<string>,
): Promise<void> {
  const placeholders: Array<{ node: Text; emote: InlineEmote }> = [];
  container.replaceChildren(
    ...splitMessage(body, inlineEmotes).map((segment) => {
      const node = document.createTextNode(segment.text);
      if ('emote' in segment) placeholders.push({ node, emote: segment.emote });
      return node;
    }),
  );
  const urls = new Map<string, Promise<string>>();
  await Promise.all(
    placeholders.map(async ({ node, emote }) => {
      let pending = urls.get(emote.asset_id);
      if (!pending) {
        pending = Promise.resolve().then(() => resolveUrl(emote.asset_id));
        urls.set(emote.asset_id, pending);
      }
      let url: string;
      try {
        url = await pending;
      } catch {
        return; // stays text
      }
      if (typeof url !== 'string' || url === '' || node.parentNode !== container) return;
      node.replaceWith(emoteImage(emote, url));
    }),
  );
}

// ---- Emote URL cache ------------------------------------------------------------------------------------

/** The numbered variant sizes, smallest first; a requested size is rounded up to one of them, else "full". */
const EMOTE_SIZES = VARIANT_SIZES.filter(({ size }) => size !== 'full').map(({ box }) => box).reverse();
/** A cached URL is fetched again when it has less than this left before it expires. */
const REFRESH_MARGIN_MS = 60_000;
/** A failure (unknown emote, not ready yet…) is remembered this long, so many messages do not all ask again. */
const FAILURE_TTL_MS = 30_000;

interface CacheEntry {
  promise: Promise<string>;
  /** Set once resolved, so a re-render shows the image at once instead of flashing the text. */
  url?: string;
  /** When this entry must be fetched again (ms since epoch); Infinity for URLs that do not expire. */
  staleAt: number;
}

const urlCache = new Map<string, CacheEntry>();

/** The variant name for a displayed size: 64, 128, 256 or "full". */
export function emoteVariant(size: number): string {
  if (!Number.isFinite(size) || size <= 0) return '128';
  return String(EMOTE_SIZES.find((s) => s >= size) ?? 'full');
}

const cacheKey = (endpoint: string, assetId: string, variant: string) => `${endpoint}\n${assetId}\n${variant}`;

function freshEntry(key: string): CacheEntry | undefined {
  const entry = urlCache.get(key);
  if (entry && Date.now() < entry.staleAt) return entry;
  return undefined;
}

/**
 * The URL of an emote image at `size` (rounded to a variant), from `GET {endpoint}/v1/emotes/{id}/url`.
 * Shared by every caller on the page: one request per endpoint + emote + variant, fetched again shortly
 * before `expires_at`; failures are forgotten after 30 s (at once for 401 and network errors).
 */
export function resolveEmoteUrl(endpoint: string, token: string | undefined, assetId: string, size = 128): Promise<string> {
  const base = resolveEndpoint(endpoint);
  const variant = emoteVariant(size);
  const key = cacheKey(base, assetId, variant);
  const cached = freshEntry(key);
  if (cached) return cached.promise;
  const client = new ApiClient({ endpoint: base, getToken: () => token || undefined, retry: { attempts: 3 } });
  const entry: CacheEntry = {
    staleAt: Infinity, // while in flight: shared
    promise: client
      .request<{ url?: unknown; expires_at?: unknown }>('GET', `/v1/emotes/${encodeURIComponent(assetId)}/url?size=${variant}`)
      .then((response) => {
        if (typeof response?.url !== 'string' || response.url === '') throw new Error('The emote URL response has no url');
        const url = new URL(response.url, `${base}/`);
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('The emote URL is not http(s)');
        const expiresAt = typeof response.expires_at === 'number' ? response.expires_at * 1000 : Infinity;
        entry.url = url.href;
        entry.staleAt = expiresAt - REFRESH_MARGIN_MS;
        return url.href;
      }),
  };
  entry.promise.catch((error: unknown) => {
    const status = (error as { status?: unknown }).status;
    const remember = typeof status === 'number' && status !== 401 && status !== 403 && status < 500;
    entry.staleAt = remember ? Date.now() + FAILURE_TTL_MS : 0;
    if (!remember && urlCache.get(key) === entry) urlCache.delete(key);
  });
  urlCache.set(key, entry);
  return entry.promise;
}

/** The URL already resolved and still fresh, if any (no request). */
function cachedEmoteUrl(endpoint: string, assetId: string, size: number): string | undefined {
  return freshEntry(cacheKey(resolveEndpoint(endpoint), assetId, emoteVariant(size)))?.url;
}

/** Forgets one cached URL (e.g. after the image failed to load), or all of them. */
export function clearEmoteUrlCache(endpoint?: string, assetId?: string, size?: number): void {
  if (endpoint === undefined || assetId === undefined) {
    urlCache.clear();
    return;
  }
  const base = resolveEndpoint(endpoint);
  const variants = size === undefined ? ['64', '128', '256', 'full'] : [emoteVariant(size)];
  for (const variant of variants) urlCache.delete(cacheKey(base, assetId, variant));
}

// ---- <emote-text> ---------------------------------------------------------------------------------------

function parseInlineEmotes(value: string | null): InlineEmote[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as InlineEmote[]) : [];
  } catch {
    return [];
  }
}

/**
 * A chat message with inline emotes: text nodes, and an `<img alt=":shortcode:">` per emote once its URL is
 * known (its `:shortcode:` text until then, or if the emote cannot be shown).
 *
 * @csspart emote - each emote <img>
 * @csspart emote-placeholder - an emote's placeholder (a <canvas>) in its box, until its URL is known
 * @cssprop --emote-size - displayed emote height (default 1.5em)
 */
export class EmoteText extends LitElement {
  static override styles = css`
    :host {
      display: inline;
      white-space: pre-wrap;
      overflow-wrap: break-word;
    }
    img,
    canvas {
      height: var(--emote-size, 1.5em);
      width: auto;
      vertical-align: middle;
    }
  `;

  static override properties = {
    body: { type: String },
    inlineEmotes: { attribute: 'inline-emotes', converter: { fromAttribute: parseInlineEmotes } },
    endpoint: { type: String },
    token: { type: String },
    size: { type: Number },
    _urls: { state: true },
  };

  /** The message text. */
  declare body: string;
  /** `inline_emotes` from POST /v1/messages/parse (attribute: JSON). Invalid entries are ignored. */
  declare inlineEmotes: InlineEmote[];
  /** Avatar server base URL; defaults to the origin the widget script came from. */
  declare endpoint: string;
  /** Bearer token for the URL requests (private emotes need their owner's); public emotes work without. */
  declare token: string;
  /** Emote image size requested from the server (64, 128, 256, larger = full); the displayed size is --emote-size. */
  declare size: number;
  /** @internal asset id → resolved URL, for the current endpoint and size. */
  declare private _urls: ReadonlyMap<string, string>;

  private _segments: MessageSegment[] = [];
  /** Bumped when endpoint/token/size change, so late answers for the old ones are dropped. */
  private _generation = 0;
  private readonly _requested = new Set<string>();
  /** Emotes that could not be shown (no URL, or the image failed): their text, not a placeholder. */
  private readonly _unshown = new Set<string>();

  constructor() {
    super();
    this.body = '';
    this.inlineEmotes = [];
    this.endpoint = '';
    this.token = '';
    this.size = 128;
    this._urls = new Map();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('endpoint') || changed.has('token') || changed.has('size')) {
      this._generation++;
      this._requested.clear();
      this._unshown.clear();
      this._urls = new Map();
    }
    if (changed.has('body') || changed.has('inlineEmotes')) this._segments = splitMessage(this.body, this.inlineEmotes);
    this._resolveUrls();
  }

  /** Starts a lookup for every emote not resolved or asked for yet; takes already-cached URLs at once. */
  private _resolveUrls(): void {
    let urls: Map<string, string> | undefined;
    for (const segment of this._segments) {
      if (!('emote' in segment)) continue;
      const id = segment.emote.asset_id;
      if (this._urls.has(id) || this._requested.has(id)) continue;
      const cached = cachedEmoteUrl(this.endpoint, id, this.size);
      if (cached) {
        (urls ??= new Map(this._urls)).set(id, cached);
        continue;
      }
      this._requested.add(id);
      const generation = this._generation;
      resolveEmoteUrl(this.endpoint, this.token, id, this.size).then(
        (url) => {
          if (generation !== this._generation) return;
          this._unshown.delete(id);
          this._urls = new Map(this._urls).set(id, url);
        },
        () => {
          // Text from now on (not asked again until endpoint, token or size change: no retry loop).
          if (generation !== this._generation) return;
          this._unshown.add(id);
          this.requestUpdate();
        },
      );
    }
    if (urls) this._urls = urls;
  }

  /** An image that does not load (e.g. its signed URL expired) goes back to text, and its URL is fetched anew next time. */
  private readonly _onImageError = (event: Event) => {
    const img = event.target as HTMLImageElement;
    const id = img.dataset.assetId;
    if (!id || this._urls.get(id) !== img.src) return;
    clearEmoteUrlCache(this.endpoint, id, this.size);
    const urls = new Map(this._urls);
    urls.delete(id);
    this._urls = urls;
    this._requested.add(id); // not again for this element until its inputs change: no retry loop
    this._unshown.add(id);
  };

  /** Paints each placeholder canvas once, at the size it was given (its box does not move). */
  protected override updated(): void {
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-placeholder]')) {
      if (canvas.dataset.painted === canvas.dataset.placeholder) continue;
      canvas.dataset.painted = canvas.dataset.placeholder;
      void paintPlaceholder(canvas, canvas.dataset.placeholder, true);
    }
  }

  override render() {
    return this._segments.map((segment) => {
      if (!('emote' in segment)) return segment.text;
      const { emote } = segment;
      const url = this._urls.get(emote.asset_id);
      const label = `:${emote.shortcode}:`;
      // With its size known the emote holds its box from the first paint: its placeholder until the URL is known.
      const sized = emote.width !== undefined && emote.height !== undefined;
      if (!url) {
        if (!sized || this._unshown.has(emote.asset_id)) return segment.text;
        const scale = PLACEHOLDER_BOX / Math.max(emote.width!, emote.height!);
        return html`<canvas part="emote-placeholder" role="img" aria-label=${label} width=${Math.max(1, Math.round(emote.width! * scale))} height=${Math.max(1, Math.round(emote.height! * scale))} data-placeholder=${emote.placeholder ?? ''}></canvas>`;
      }
      return html`<img part="emote" src=${url} alt=${label} title=${label} width=${sized ? emote.width : nothing} height=${sized ? emote.height : nothing} data-asset-id=${emote.asset_id} decoding="async" draggable="false" @error=${this._onImageError} />`;
    });
  }
}

if (!customElements.get('emote-text')) customElements.define('emote-text', EmoteText);

declare global {
  interface HTMLElementTagNameMap {
    'emote-text': EmoteText;
  }
}
