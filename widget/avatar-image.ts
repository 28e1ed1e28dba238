// <avatar-image user-id size default>: any user's avatar from the public endpoint, refreshed when an
// <avatar-editor> on the page reports that this user's avatar changed or was removed.
//
// One JSON request (GET /v1/users/{id}/avatar, shared by every element showing that user) gives the placeholder
// and every size's URL in AVIF and WebP. The element paints the placeholder at once, in a box of its final size,
// then a <picture> whose srcset lets the browser take the smallest size that covers the box at the screen's pixel
// ratio, AVIF where it decodes it. Without an avatar it shows the generated default (identicon or initials).
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { AVATAR_SIZES, DEFAULT_AVATAR_SIZE } from '../media/variants.ts';
import { css } from './styles.ts';
import { resolveEndpoint } from './endpoint.ts';
import type { AvatarChangedDetail, AvatarRemovedDetail } from './events.ts';
import { loadPlaceholderDecoder, paintPlaceholder } from './placeholder.ts';

/** What the element needs of an avatar: its placeholder and each size's URL per format. */
export interface AvatarSources {
  version: number;
  placeholder: string | null;
  /** Size ('64', 'cropped', …) → WebP URL. */
  urls: Record<string, string>;
  /** Size → AVIF URL, for the sizes made in AVIF too. */
  avif_urls: Record<string, string>;
}

/** null: the user has no avatar to show (none, or the first still processing): the default stands in. */
type Lookup = Promise<AvatarSources | null>;

/** How long an answer is reused by elements created later (the server lets caches keep it as long). */
const REUSE_MS = 60_000;
const lookups = new Map<string, { lookup: Lookup; until: number }>();

const lookupKey = (endpoint: string, userId: string) => `${endpoint}\n${userId}`;

function isUrlMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((url) => typeof url === 'string');
}

/** GET /v1/users/{id}/avatar, shared by every element on the page; rejects when the server could not say. */
function lookUp(endpoint: string, userId: string): Lookup {
  const key = lookupKey(endpoint, userId);
  const known = lookups.get(key);
  if (known && Date.now() < known.until) return known.lookup;
  const lookup = fetch(`${endpoint}/v1/users/${encodeURIComponent(userId)}/avatar`, { credentials: 'omit' }).then(async (response) => {
    if (response.status === 404 || response.status === 409) return null;
    if (!response.ok) throw new Error(`avatar lookup answered ${response.status}`);
    const body = (await response.json()) as Partial<AvatarSources>;
    if (!isUrlMap(body.urls)) throw new Error('this server does not list avatar sizes');
    return {
      version: Number(body.version) || 0,
      placeholder: typeof body.placeholder === 'string' ? body.placeholder : null,
      urls: body.urls,
      avif_urls: isUrlMap(body.avif_urls) ? body.avif_urls : {},
    };
  });
  lookups.set(key, { lookup, until: Date.now() + REUSE_MS });
  lookup.catch(() => lookups.delete(key)); // a failure is asked again by the next element
  return lookup;
}

/** Remembers what an event said, so elements created afterwards do not ask the server for the old avatar. */
function remember(endpoint: string, userId: string, sources: AvatarSources | null) {
  lookups.set(lookupKey(endpoint, userId), { lookup: Promise.resolve(sources), until: Date.now() + REUSE_MS });
}

/**
 * A srcset over the numbered sizes (their widths; 'cropped' has none), each URL once at its smallest width:
 * a size larger than the photo is the same image as the next smaller one.
 */
export function srcsetOf(urls: Record<string, string>): string {
  const widths = new Map<string, number>();
  for (const [size, url] of Object.entries(urls)) {
    const width = Number(size);
    if (Number.isInteger(width) && width > 0 && !(widths.get(url)! <= width)) widths.set(url, width);
  }
  return [...widths].sort((a, b) => a[1] - b[1]).map(([url, width]) => `${url} ${width}w`).join(', ');
}

/**
 * The AVIF source's URLs: AVIF where it is made, else the WebP (sizes too small for AVIF to pay; a browser reads
 * the bytes, not the <source>'s type, so an AVIF-capable one takes the small WebP rather than a larger AVIF).
 */
const avifFirst = (sources: AvatarSources): Record<string, string> => ({ ...sources.urls, ...sources.avif_urls });

/**
 * Any user's avatar, kept current when an <avatar-editor> on the page changes it.
 *
 * @csspart image - the <img>
 * @csspart placeholder - the blurred preview painted until the image has loaded (a <canvas>)
 * @cssprop --avatar-image-radius - corner radius (50% = circle)
 * @cssprop --avatar-image-background - what shows before anything is known (default: a light grey)
 */
export class AvatarImage extends LitElement {
  static override styles = css`
    :host {
      display: inline-block;
      line-height: 0;
      vertical-align: middle;
    }
    .box {
      display: inline-block;
      position: relative;
      overflow: hidden;
      border-radius: var(--avatar-image-radius, 50%);
      background: var(--avatar-image-background, rgb(128 128 128 / 0.2));
    }
    canvas,
    img {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
      object-fit: cover;
    }
    /* An image that did not load: the placeholder (or the background) stays, not a broken-image icon and its alt text. */
    .failed {
      visibility: hidden;
    }
  `;

  static override properties = {
    endpoint: { type: String },
    userId: { type: String, attribute: 'user-id' },
    size: { type: Number },
    default: { type: String },
    name: { type: String },
    alt: { type: String },
    placeholder: { type: String },
    _sources: { state: true },
    _loaded: { state: true },
    _failed: { state: true },
    _version: { state: true },
  };

  declare endpoint: string;
  declare userId: string;
  /** Displayed edge in CSS pixels. The browser fetches the smallest size covering it at the screen's pixel ratio. */
  declare size: number;
  declare default: 'identicon' | 'initials' | '404';
  /** For default="initials". */
  declare name: string;
  declare alt: string;
  /**
   * The avatar's `placeholder` when the host already has it (from its own copy of an avatar answer, event or
   * webhook): painted in the very first frame, before the element has asked the server anything.
   */
  declare placeholder: string;
  /** @internal undefined: not known yet; null: no avatar (the default is shown). */
  declare private _sources: AvatarSources | null | undefined;
  /** @internal The image (not the placeholder) has been painted. */
  declare private _loaded: boolean;
  /** @internal The image could not be loaded. */
  declare private _failed: boolean;
  /** @internal Bumped on a change event without sources (an older editor): the redirect URL changes with it. */
  declare private _version: number;
  /** The lookup could not be made: the element shows the /avatar/image redirect as before. */
  private _fallback = false;
  /** Bumped per lookup, so a late answer for an earlier user or endpoint is dropped. */
  private _lookup = 0;

  constructor() {
    super();
    this.endpoint = '';
    this.userId = '';
    this.size = 64;
    this.default = 'identicon';
    this.name = '';
    this.alt = '';
    this.placeholder = '';
    this._loaded = false;
    this._failed = false;
    this._version = 0;
  }

  private readonly _onChange = (event: Event) => {
    const detail = (event as CustomEvent<AvatarChangedDetail | AvatarRemovedDetail>).detail;
    if (detail.user_id !== this.userId) return;
    const base = resolveEndpoint(this.endpoint);
    if (!('version' in detail)) {
      remember(base, this.userId, null);
      this._show(null);
    } else if (isUrlMap(detail.urls) && isUrlMap(detail.avif_urls)) {
      const sources = { version: detail.version, placeholder: detail.placeholder ?? null, urls: detail.urls, avif_urls: detail.avif_urls };
      remember(base, this.userId, sources);
      this._show(sources);
    } else {
      lookups.delete(lookupKey(base, this.userId));
      this._version = detail.version;
      this._fallback = true;
    }
  };

  override connectedCallback() {
    super.connectedCallback();
    void loadPlaceholderDecoder();
    document.addEventListener('avatar-changed', this._onChange);
    document.addEventListener('avatar-removed', this._onChange);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    document.removeEventListener('avatar-changed', this._onChange);
    document.removeEventListener('avatar-removed', this._onChange);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('userId') || changed.has('endpoint')) this._lookUp();
  }

  private _lookUp() {
    const lookup = ++this._lookup;
    this._sources = undefined;
    this._loaded = this._failed = false;
    this._fallback = false;
    if (!this.userId) return;
    lookUp(resolveEndpoint(this.endpoint), this.userId).then(
      (sources) => lookup === this._lookup && this._show(sources),
      () => {
        if (lookup !== this._lookup) return;
        this._fallback = true;
        this.requestUpdate();
      },
    );
  }

  private _show(sources: AvatarSources | null) {
    ++this._lookup; // an answer still on its way is older than this
    this._sources = sources;
    this._fallback = false;
    this._loaded = this._failed = false;
  }

  /** The /avatar/image URL (the generated default, or the redirect to the avatar when the lookup failed). */
  get src(): string {
    const variant = [...AVATAR_SIZES].reverse().find((s) => s >= this.size * (window.devicePixelRatio || 1)) ?? AVATAR_SIZES[0];
    const params = new URLSearchParams({ size: String(variant), default: this.default });
    if (this.name) params.set('name', this.name);
    if (this._version) params.set('v', String(this._version));
    return `${resolveEndpoint(this.endpoint)}/v1/users/${encodeURIComponent(this.userId)}/avatar/image?${params}`;
  }

  private readonly _onLoad = () => {
    this._loaded = true;
    this._failed = false;
  };

  private readonly _onError = () => {
    this._failed = true;
  };

  protected override updated(): void {
    // Sized through the CSSOM (a style attribute would be refused by a strict style-src), before the first paint.
    const box = this.renderRoot.querySelector<HTMLElement>('.box');
    if (box) box.style.width = box.style.height = `${this.size}px`;
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas && canvas.dataset.painted !== this._placeholder) {
      canvas.dataset.painted = this._placeholder;
      void paintPlaceholder(canvas, this._placeholder);
    }
  }

  /** The placeholder to paint: the answer's, else the one the host gave. */
  private get _placeholder(): string {
    return this._sources?.placeholder ?? this.placeholder;
  }

  override render() {
    if (!this.userId) return nothing;
    const alt = this.alt || this.name || this.userId;
    const sources = this._sources;
    const showPlaceholder = !this._loaded && !!this._placeholder && sources !== null;
    let image = nothing as unknown;
    if (sources) {
      const sizes = `${this.size}px`;
      image = html`<picture>
        <source type="image/avif" srcset=${srcsetOf(avifFirst(sources))} sizes=${sizes} />
        <source type="image/webp" srcset=${srcsetOf(sources.urls)} sizes=${sizes} />
        <img part="image" class=${this._failed ? 'failed' : ''} src=${sources.urls[DEFAULT_AVATAR_SIZE] ?? Object.values(sources.urls)[0] ?? ''} alt=${alt} width=${this.size} height=${this.size} decoding="async" @load=${this._onLoad} @error=${this._onError} />
      </picture>`;
    } else if (sources === null || this._fallback) {
      image = html`<img part="image" class=${this._failed ? 'failed' : ''} src=${this.src} alt=${alt} width=${this.size} height=${this.size} @load=${this._onLoad} @error=${this._onError} />`;
    }
    // Named as an image while its <img> is hidden (not loaded yet, or failed) or absent.
    const named = this._failed || !image || image === nothing;
    return html`<span class="box" role=${named ? 'img' : nothing} aria-label=${named ? alt : nothing}>${showPlaceholder ? html`<canvas part="placeholder" aria-hidden="true"></canvas>` : nothing}${image}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'avatar-image': AvatarImage;
  }
}
