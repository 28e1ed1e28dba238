// <avatar-image user-id size default>: any user's avatar, refreshed when an <avatar-editor> on the page reports that
// this user's avatar changed or was removed.
//
// Every element on the page is looked up in one request (GET /v1/avatars, avatar-lookup.ts), which gives the
// placeholder and every size's URL in AVIF and WebP. The element paints the placeholder at once (the host's, when it
// passes one, in the very first frame), in a box of its final size, then a <picture> whose srcset lets the browser
// take the smallest size that covers the box at the screen's pixel ratio, AVIF where it decodes it. Without an
// avatar it shows the generated default (identicon or initials); a server that cannot be asked shows the
// /avatar/image redirects, which pick AVIF by the image request's own Accept.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { AVATAR_SIZES, DEFAULT_AVATAR_SIZE } from '../media/variants.ts';
import { css } from './styles.ts';
import { forgetAvatar, isUrlMap, lookUpAvatar, rememberAvatar, type AvatarSources } from './avatar-lookup.ts';
import { resolveEndpoint } from './endpoint.ts';
import type { AvatarChangedDetail, AvatarRemovedDetail } from './events.ts';
import { loadPlaceholderDecoder, paintPlaceholder } from './placeholder.ts';

export type { AvatarSources };

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
  /** The lookup could not be made: the element shows the /avatar/image redirects. */
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
      rememberAvatar(base, this.userId, null);
      this._show(null);
    } else if (isUrlMap(detail.urls) && isUrlMap(detail.avif_urls)) {
      const sources = { version: detail.version, placeholder: detail.placeholder ?? null, urls: detail.urls, avif_urls: detail.avif_urls };
      rememberAvatar(base, this.userId, sources);
      this._show(sources);
    } else {
      // An editor older than the URLs in its events: the redirects, with the version in their URL so no cache
      // answers with the old avatar.
      forgetAvatar(base, this.userId);
      this._show(undefined);
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
    this._show(undefined);
    const lookup = this._lookup;
    if (!this.userId) return;
    lookUpAvatar(resolveEndpoint(this.endpoint), this.userId).then(
      (sources) => lookup === this._lookup && this._show(sources),
      () => {
        if (lookup !== this._lookup) return;
        this._fallback = true;
        this.requestUpdate();
      },
    );
  }

  /** Shows `sources` (undefined: not known yet); an answer still on its way is older than this and is dropped. */
  private _show(sources: AvatarSources | null | undefined) {
    ++this._lookup;
    this._sources = sources;
    this._fallback = false;
    this._loaded = this._failed = false;
  }

  /** The /avatar/image URL of a size: the generated default, or the redirect to the avatar when the lookup failed. */
  private _redirectUrl(size: number | string): string {
    const params = new URLSearchParams({ size: String(size), default: this.default });
    if (this.name) params.set('name', this.name);
    if (this._version) params.set('v', String(this._version));
    return `${resolveEndpoint(this.endpoint)}/v1/users/${encodeURIComponent(this.userId)}/avatar/image?${params}`;
  }

  /** The /avatar/image URL of the smallest size covering the box at the screen's pixel ratio. */
  get src(): string {
    const needed = this.size * (window.devicePixelRatio || 1);
    return this._redirectUrl([...AVATAR_SIZES].reverse().find((side) => side >= needed) ?? AVATAR_SIZES[0]);
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
    const sizes = `${this.size}px`;
    const showPlaceholder = !this._loaded && !!this._placeholder && sources !== null;
    const image = (srcset: string, src: string) =>
      html`<img part="image" class=${this._failed ? 'failed' : ''} srcset=${srcset} sizes=${sizes} src=${src} alt=${alt} width=${this.size} height=${this.size} decoding="async" @load=${this._onLoad} @error=${this._onError} />`;
    let shown: unknown = nothing;
    if (sources) {
      shown = html`<picture>
        <source type="image/avif" srcset=${srcsetOf(avifFirst(sources))} sizes=${sizes} />
        ${image(srcsetOf(sources.urls), sources.urls[DEFAULT_AVATAR_SIZE] ?? Object.values(sources.urls)[0] ?? '')}
      </picture>`;
    } else if (sources === null) {
      shown = image('', this.src); // the default is drawn for the size asked: one URL
    } else if (this._fallback) {
      // Redirects to each size, which pick AVIF or WebP by what the browser accepts.
      shown = image(AVATAR_SIZES.map((side) => `${this._redirectUrl(side)} ${side}w`).join(', '), this.src);
    }
    // Named as an image while its <img> is hidden (not loaded yet, or failed) or absent.
    const named = this._failed || shown === nothing;
    return html`<span class="box" role=${named ? 'img' : nothing} aria-label=${named ? alt : nothing}>${showPlaceholder ? html`<canvas part="placeholder" aria-hidden="true"></canvas>` : nothing}${shown}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'avatar-image': AvatarImage;
  }
}
