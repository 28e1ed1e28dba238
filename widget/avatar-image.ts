// <avatar-image user-id size default>: any user's avatar from the public endpoint, refreshed when an
// <avatar-editor> on the page reports that this user's avatar changed or was removed.
import { LitElement, html } from 'lit';
import { AVATAR_SIZES } from '../media/variants.ts';
import { css } from './styles.ts';
import { resolveEndpoint } from './endpoint.ts';
import type { AvatarChangedDetail, AvatarRemovedDetail } from './events.ts';

/** The sizes an <img> asks for, smallest first: the standard squares up to 512 px (1600 is for downloads and editing). */
const IMAGE_SIZES = AVATAR_SIZES.filter((side) => side <= 512).reverse();

/**
 * Any user's avatar, kept current when an <avatar-editor> on the page changes it.
 *
 * @csspart image - the <img>
 * @cssprop --avatar-image-radius - corner radius (50% = circle)
 */
export class AvatarImage extends LitElement {
  static override styles = css`
    :host {
      display: inline-block;
      line-height: 0;
    }
    img {
      border-radius: var(--avatar-image-radius, 50%);
      object-fit: cover;
    }
  `;

  static override properties = {
    endpoint: { type: String },
    userId: { type: String, attribute: 'user-id' },
    size: { type: Number },
    default: { type: String },
    name: { type: String },
    alt: { type: String },
    _version: { state: true },
  };

  declare endpoint: string;
  declare userId: string;
  /** Displayed edge in CSS pixels; the variant fetched is the smallest configured size covering it at the device's pixel ratio. */
  declare size: number;
  declare default: 'identicon' | 'initials' | '404';
  /** For default="initials". */
  declare name: string;
  declare alt: string;
  /** @internal */
  declare private _version: number;

  constructor() {
    super();
    this.endpoint = '';
    this.userId = '';
    this.size = 64;
    this.default = 'identicon';
    this.name = '';
    this.alt = '';
    this._version = 0;
  }

  private readonly _onChange = (event: Event) => {
    const detail = (event as CustomEvent<AvatarChangedDetail | AvatarRemovedDetail>).detail;
    if (detail.user_id === this.userId) this._version = 'version' in detail ? detail.version : this._version + 1;
  };

  override connectedCallback() {
    super.connectedCallback();
    document.addEventListener('avatar-changed', this._onChange);
    document.addEventListener('avatar-removed', this._onChange);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    document.removeEventListener('avatar-changed', this._onChange);
    document.removeEventListener('avatar-removed', this._onChange);
  }

  /** The /avatar/image URL; `v` changes after an edit so the browser fetches the new redirect. */
  get src(): string {
    const variant = IMAGE_SIZES.find((s) => s >= this.size * (window.devicePixelRatio || 1)) ?? IMAGE_SIZES.at(-1)!;
    const params = new URLSearchParams({ size: String(variant), default: this.default });
    if (this.name) params.set('name', this.name);
    if (this._version) params.set('v', String(this._version));
    return `${resolveEndpoint(this.endpoint)}/v1/users/${encodeURIComponent(this.userId)}/avatar/image?${params}`;
  }

  override render() {
    if (!this.userId) return html``;
    return html`<img part="image" src=${this.src} width=${this.size} height=${this.size} alt=${this.alt || this.name || this.userId} />`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'avatar-image': AvatarImage;
  }
}
