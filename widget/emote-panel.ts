// <avatar-emote-panel>: the emote mode of <avatar-editor> — create emotes (the file is uploaded as it is, so
// animations keep their frames, and the server applies the crop), list, rename, make public, delete,
// restore from the trash, and the quota.
import { LitElement, css, html, nothing } from 'lit';
import type { ApiClient } from './api/client.ts';
import { applyCropKey, cropAreaReady, cropAreaStyles, KEY_ZOOM_STEP, nextFrame, readCrop, renderCropArea, selectWholeImage, shownImage, zoomCropImage } from './crop-area.ts';
import type { Crop } from './crop-geometry.ts';
import { SHORTCODE, createEmote, deleteEmote, emoteImageUrl, emoteQuota, listEmotes, listTrash, restoreEmote, updateEmote, type Emote, type EmoteQuota } from './api/emotes.ts';
import { emit } from './events.ts';
import { ACCEPTED_TYPES, fileRefusal, formatBytes } from './file-checks.ts';
import { format, type Strings } from './i18n.ts';

export class AvatarEmotePanel extends LitElement {
  static override styles = [
    cropAreaStyles,
    css`
    :host {
      display: block;
    }
    form,
    li,
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
    }
    ul {
      list-style: none;
      padding: 0;
      display: grid;
      gap: 0.5rem;
    }
    img {
      width: 32px;
      height: 32px;
      object-fit: contain;
    }
    input[type='text'] {
      font: inherit;
      width: 10rem;
    }
    [aria-invalid='true'] {
      outline: 2px solid var(--avatar-editor-error, #b91c1c);
    }
    .hint {
      font-size: 0.9em;
      opacity: 0.8;
    }
    button,
    input {
      font: inherit;
    }
    button:focus-visible,
    input:focus-visible {
      outline: 3px solid var(--avatar-editor-accent, #2563eb);
      outline-offset: 2px;
    }
  `,
  ];

  static override properties = {
    client: { attribute: false },
    text: { attribute: false },
    maxBytes: { type: Number },
    _emotes: { state: true },
    _trash: { state: true },
    _quota: { state: true },
    _urls: { state: true },
    _file: { state: true },
    _imageUrl: { state: true },
    _square: { state: true },
    _shortcode: { state: true },
    _shortcodeMessage: { state: true },
    _public: { state: true },
    _busy: { state: true },
    _progress: { state: true },
    _status: { state: true },
  };

  declare client: ApiClient;
  declare text: Strings;
  declare maxBytes: number;
  declare private _emotes: Emote[];
  declare private _trash: Emote[];
  declare private _quota: EmoteQuota | null;
  declare private _urls: Record<string, string>;
  declare private _file: File | null;
  declare private _imageUrl: string | null;
  /** The crop keeps a square; otherwise it is any rectangle. */
  declare private _square: boolean;
  declare private _shortcode: string;
  declare private _shortcodeMessage: { text: string; invalid: boolean } | null;
  declare private _public: boolean;
  declare private _busy: boolean;
  declare private _progress: { loaded: number; total: number } | null;
  declare private _status: { text: string; error: boolean } | null;

  constructor() {
    super();
    this.maxBytes = 1024 * 1024;
    this._emotes = [];
    this._trash = [];
    this._quota = null;
    this._urls = {};
    this._file = null;
    this._imageUrl = null;
    this._square = false;
    this._shortcode = '';
    this._shortcodeMessage = null;
    this._public = false;
    this._busy = false;
    this._progress = null;
    this._status = null;
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.refresh();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._choose(null);
  }

  /** The crop starts as the whole image (nothing is cut off unless the user asks). */
  private async _selectWholeImage() {
    if (await cropAreaReady(this.renderRoot)) selectWholeImage(this.renderRoot, this._square);
  }

  private async _setSquare(square: boolean) {
    this._square = square;
    await this.updateComplete;
    await nextFrame(); // the selection adapts to its new aspect ratio on the next frame; reselect after it
    selectWholeImage(this.renderRoot, square);
  }

  /** The crop to send, or null when the selection covers the whole image. */
  currentCrop(): Crop | null {
    const crop = readCrop(this.renderRoot, 0, this._square);
    const image = shownImage(this.renderRoot);
    if (!crop || !image) return null;
    return crop.x === 0 && crop.y === 0 && crop.w === image.naturalWidth && crop.h === image.naturalHeight ? null : crop;
  }

  private _choose(file: File | null) {
    if (this._imageUrl) URL.revokeObjectURL(this._imageUrl);
    this._file = file;
    this._imageUrl = file ? URL.createObjectURL(file) : null;
    if (file) void this.updateComplete.then(() => this._selectWholeImage());
  }

  /** Reloads the lists and the quota, and resolves image URLs not known yet. */
  async refresh() {
    try {
      const [emotes, trash, quota] = await Promise.all([listEmotes(this.client), listTrash(this.client), emoteQuota(this.client)]);
      this._emotes = emotes;
      this._trash = trash;
      this._quota = quota;
      const missing = emotes.filter((e) => e.processing_state === 'ready' && !this._urls[e.id]);
      const urls = await Promise.all(missing.map(async (e) => [e.id, (await emoteImageUrl(this.client, e.id)).url] as const));
      if (urls.length) this._urls = { ...this._urls, ...Object.fromEntries(urls) };
    } catch (error) {
      this._fail(error);
    }
  }

  private _fail(error: unknown) {
    const e = error as { code?: string; message?: string; retryable?: boolean };
    const code = e.code ?? 'NETWORK_ERROR';
    const message = e.message ?? String(error);
    this._status = { text: format(this.text.errorServer, { message }), error: true };
    emit(this, 'avatar-error', { code, message, retryable: e.retryable ?? false });
  }

  private _taken(shortcode: string, except?: string) {
    const key = shortcode.toLowerCase();
    return this._emotes.some((e) => e.id !== except && e.shortcode.toLowerCase() === key);
  }

  /** Format as the user types; availability (against their own emotes) when they leave the field. */
  private _validate(checkAvailability: boolean) {
    const value = this._shortcode;
    if (!value) this._shortcodeMessage = null;
    else if (!SHORTCODE.test(value)) this._shortcodeMessage = { text: this.text.shortcodeInvalid, invalid: true };
    else if (checkAvailability && this._taken(value)) this._shortcodeMessage = { text: format(this.text.shortcodeTaken, { shortcode: value }), invalid: true };
    else if (checkAvailability) this._shortcodeMessage = { text: format(this.text.shortcodeFree, { shortcode: value }), invalid: false };
    else this._shortcodeMessage = null;
  }

  private _pick(event: Event) {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0] ?? null;
    input.value = '';
    if (!file) return;
    const refusal = fileRefusal(file, this.maxBytes, this.text);
    if (refusal) return this._reject(refusal.code, refusal.message);
    this._choose(file);
    this._status = null;
    if (!this._shortcode) {
      this._shortcode = file.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 32);
      this._validate(true);
    }
  }

  private _reject(code: string, message: string) {
    this._status = { text: message, error: true };
    emit(this, 'avatar-error', { code, message, retryable: false });
  }

  /** Creates the emote from the chosen file; resolves once the server reports it ready. */
  async create(): Promise<Emote | null> {
    this._validate(true);
    if (!this._file || this._shortcodeMessage?.invalid || this._busy) return null;
    this._busy = true;
    try {
      const fields = { shortcode: this._shortcode, public: this._public, crop: this.currentCrop() };
      const emote = await createEmote(this.client, this._file, fields, {
        onProgress: (p) => {
          this._progress = p.phase === 'upload' ? { loaded: p.loaded, total: p.total } : null;
          emit(this, 'upload-progress', { phase: p.phase === 'upload' ? 'upload' : 'waiting', loaded: p.loaded, total: p.total });
        },
      });
      this._choose(null);
      this._shortcode = '';
      this._shortcodeMessage = null;
      this._status = { text: format(this.text.emoteCreated, { shortcode: emote.shortcode }), error: false };
      emit(this, 'emote-created', { emote });
      await this.refresh();
      return emote;
    } catch (error) {
      this._fail(error);
      return null;
    } finally {
      this._busy = false;
      this._progress = null;
    }
  }

  private async _change(emote: Emote, changes: { shortcode?: string; public?: boolean }, input?: HTMLInputElement) {
    if (changes.shortcode !== undefined && (!SHORTCODE.test(changes.shortcode) || this._taken(changes.shortcode, emote.id))) {
      input?.setAttribute('aria-invalid', 'true');
      this._status = { text: SHORTCODE.test(changes.shortcode) ? format(this.text.shortcodeTaken, { shortcode: changes.shortcode }) : this.text.shortcodeInvalid, error: true };
      return;
    }
    input?.removeAttribute('aria-invalid');
    try {
      const updated = await updateEmote(this.client, emote.id, changes);
      this._status = { text: format(this.text.emoteUpdated, { shortcode: updated.shortcode }), error: false };
      emit(this, 'emote-updated', { emote: updated });
      if (changes.public !== undefined) delete this._urls[emote.id]; // a private emote's URL is signed
      await this.refresh();
    } catch (error) {
      this._fail(error);
    }
  }

  private async _delete(emote: Emote) {
    try {
      await deleteEmote(this.client, emote.id);
      this._status = { text: format(this.text.emoteDeleted, { shortcode: emote.shortcode }), error: false };
      emit(this, 'emote-deleted', { emote });
      await this.refresh();
    } catch (error) {
      this._fail(error);
    }
  }

  private async _restore(emote: Emote) {
    try {
      const restored = await restoreEmote(this.client, emote.id);
      this._status = { text: format(this.text.emoteRestored, { shortcode: restored.shortcode }), error: false };
      emit(this, 'emote-updated', { emote: restored });
      await this.refresh();
    } catch (error) {
      this._fail(error);
    }
  }

  override render() {
    const t = this.text;
    const q = this._quota;
    return html`
      <section aria-label=${t.emoteTitle} part="emotes">
        <form @submit=${(e: Event) => (e.preventDefault(), void this.create())}>
          <label class="button" part="button choose">
            ${this._file ? this._file.name : t.emoteChoose}
            <input type="file" accept=${ACCEPTED_TYPES.join(',')} @change=${this._pick} ?disabled=${this._busy} />
          </label>
          <label>
            ${t.shortcode}
            <input
              type="text"
              name="shortcode"
              autocomplete="off"
              spellcheck="false"
              maxlength="32"
              .value=${this._shortcode}
              aria-invalid=${this._shortcodeMessage?.invalid ? 'true' : 'false'}
              aria-describedby="shortcode-message"
              @input=${(e: Event) => {
                this._shortcode = (e.target as HTMLInputElement).value;
                this._validate(false);
              }}
              @blur=${() => this._validate(true)}
            />
          </label>
          <label><input type="checkbox" .checked=${this._public} @change=${(e: Event) => (this._public = (e.target as HTMLInputElement).checked)} /> ${t.makePublic}</label>
          <button type="submit" class="primary" part="button upload" ?disabled=${!this._file || this._busy || !SHORTCODE.test(this._shortcode)}>${t.upload}</button>
        </form>
        <p id="shortcode-message" class="hint">${this._shortcodeMessage?.text ?? t.shortcodeHint}</p>
        ${this._imageUrl ? this._renderCrop(t) : nothing}
        ${this._progress ? html`<progress part="progress" aria-label=${t.progress} max=${this._progress.total || 1} value=${this._progress.loaded}></progress>` : nothing}
        ${q ? html`<p part="quota">${format(t.quota, { count: q.used_count, max: q.max_count, used: formatBytes(q.used_bytes), maxBytes: formatBytes(q.max_bytes) })}</p>` : nothing}
        <h3>${t.yourEmotes}</h3>
        ${this._emotes.length === 0 ? html`<p>${t.noEmotes}</p>` : nothing}
        <ul part="emote-list">
          ${this._emotes.map(
            (e) => html`<li>
              ${this._urls[e.id] ? html`<img src=${this._urls[e.id]} alt=${`:${e.shortcode}:`} />` : html`<span aria-hidden="true">⌛</span>`}
              <input
                type="text"
                aria-label=${format(t.renameLabel, { name: `:${e.shortcode}:` })}
                .value=${e.shortcode}
                @change=${(ev: Event) => this._change(e, { shortcode: (ev.target as HTMLInputElement).value }, ev.target as HTMLInputElement)}
              />
              <label><input type="checkbox" .checked=${e.public} aria-label=${format(t.publicLabel, { name: `:${e.shortcode}:` })} @change=${(ev: Event) => this._change(e, { public: (ev.target as HTMLInputElement).checked })} /> ${t.makePublic}</label>
              <button type="button" part="button delete" aria-label=${`${t.delete} :${e.shortcode}:`} @click=${() => this._delete(e)}>${t.delete}</button>
            </li>`,
          )}
        </ul>
        <details part="trash">
          <summary>${t.trash} (${this._trash.length})</summary>
          <ul>
            ${this._trash.map((e) => html`<li><span>:${e.shortcode}:</span><button type="button" part="button restore" @click=${() => this._restore(e)}>${t.restore} :${e.shortcode}:</button></li>`)}
          </ul>
        </details>
        <p part="status" class="status ${this._status?.error ? 'error' : ''}" role="status" aria-live="polite">${this._status?.text ?? ''}</p>
      </section>
    `;
  }

  private _renderCrop(t: Strings) {
    const busy = this._busy;
    return html`
      ${renderCropArea({
        imageUrl: this._imageUrl ?? '',
        label: t.emoteCropArea,
        imageAlt: this._file?.name ?? t.emoteTitle,
        busy,
        square: this._square,
        onKeyDown: (event) => {
          if (applyCropKey(this.renderRoot, event.key)) event.preventDefault();
        },
      })}
      <div class="row" part="toolbar">
        <button type="button" part="button" @click=${() => zoomCropImage(this.renderRoot, KEY_ZOOM_STEP)} ?disabled=${busy} aria-label=${t.zoomIn}>+</button>
        <button type="button" part="button" @click=${() => zoomCropImage(this.renderRoot, -KEY_ZOOM_STEP)} ?disabled=${busy} aria-label=${t.zoomOut}>−</button>
        <label><input type="checkbox" name="square" .checked=${this._square} ?disabled=${busy} @change=${(e: Event) => this._setSquare((e.target as HTMLInputElement).checked)} /> ${t.square}</label>
        <button type="button" part="button cancel" @click=${() => this._choose(null)} ?disabled=${busy}>${t.cancel}</button>
      </div>
    `;
  }
}

if (!customElements.get('avatar-emote-panel')) customElements.define('avatar-emote-panel', AvatarEmotePanel);

declare global {
  interface HTMLElementTagNameMap {
    'avatar-emote-panel': AvatarEmotePanel;
  }
}
