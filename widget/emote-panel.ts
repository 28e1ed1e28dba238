// <avatar-emote-panel>: the emote mode of <avatar-editor> — create emotes (the file is uploaded as it is, so
// animations keep their frames, and the server applies the crop), list, rename, make public, delete,
// restore from the trash, and the quota.
import { LitElement, html, nothing } from 'lit';
import type { ApiClient } from './api/client.ts';
import { networkError } from './api/errors.ts';
import type { CropArea } from './crop-area.ts';
import type { Crop } from './crop-geometry.ts';
import { SHORTCODE, createEmote, deleteEmote, emoteImageUrl, emoteQuota, listEmotes, listTrash, restoreEmote, updateEmote, type Emote, type EmoteQuota } from './api/emotes.ts';
import { emit } from './events.ts';
import { ACCEPTED_TYPES, fileRefusal, formatBytes } from './file-checks.ts';
import { errorMessage, format, type Strings } from './i18n.ts';
import { controlStyles, css, editorStyles } from './styles.ts';
import { undecodable } from './worker/client.ts';

export class AvatarEmotePanel extends LitElement {
  // The editor's own design language (theme variables, buttons, inputs, dark mode), plus the form and list layout.
  static override styles = [
    editorStyles,
    controlStyles,
    css`
      form,
      .field {
        display: grid;
        gap: 0.5rem;
        justify-items: start;
      }
      .field {
        gap: 0.25rem;
        width: min(100%, 20rem);
      }
      .field input {
        width: 100%;
        box-sizing: border-box;
      }
      ul {
        list-style: none;
        padding: 0;
        display: grid;
        gap: 0.75rem;
      }
      [part='emote-list'] li {
        display: grid;
        grid-template-columns: 32px minmax(0, 1fr) auto;
        gap: 0.25rem 0.5rem;
        align-items: center;
      }
      li > label {
        grid-area: 2 / 2 / 3 / 4; /* the next row, under the name; placed, so Delete stays on the first */
      }
      img {
        width: 32px;
        height: 32px;
        object-fit: contain;
      }
      .label {
        font-weight: 600;
        margin: 1rem 0 0;
      }
      summary {
        cursor: pointer;
      }
      form .hint {
        margin: 0;
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

  private get _cropArea(): CropArea | null {
    return this.renderRoot.querySelector('avatar-crop-area');
  }

  /**
   * The crop to send, or null when the window covers the whole image. The crop area offers no turn or mirror
   * here: the server applies the crop to the file as uploaded, frames and all.
   */
  currentCrop(): Crop | null {
    const area = this._cropArea;
    const crop = area?.crop?.();
    if (!crop || !area!.natural) return null;
    return crop.x === 0 && crop.y === 0 && crop.w === area!.natural.width && crop.h === area!.natural.height ? null : crop;
  }

  /** The crop starts as the whole image (nothing is cut off unless the user asks), in the crop area's chunk. */
  private _choose(file: File | null) {
    if (this._imageUrl) URL.revokeObjectURL(this._imageUrl);
    this._file = file;
    this._imageUrl = file ? URL.createObjectURL(file) : null;
    if (file) import('./crop-area.ts').catch((error: unknown) => this._fail(networkError(String(error))));
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

  /** The user reads the words for the code in their language; the event and the console carry the technical message. */
  private _fail(error: unknown) {
    const e = error as { code?: string; message?: string; retryable?: boolean };
    const code = e.code ?? 'NETWORK_ERROR';
    const message = e.message ?? String(error);
    console.warn(`<avatar-editor> ${code}: ${message}`);
    this._reject(code, message, errorMessage(this.text, code, { shortcode: this._shortcode, max: formatBytes(this.maxBytes, this.text.locale) }), e.retryable);
  }

  /** Focus goes to what comes next (the crop area, else the file button) instead of falling to <body>. */
  private async _focusNext() {
    await this.updateComplete;
    const area = this._cropArea;
    if (area) await import('./crop-area.ts').then(() => area.updateComplete, () => {});
    (area ?? this.renderRoot.querySelector('input'))?.focus();
  }

  private _taken(shortcode: string, except?: string) {
    const key = shortcode.toLowerCase();
    return this._emotes.some((e) => e.id !== except && !e.error && e.shortcode.toLowerCase() === key); // a failed emote holds no shortcode
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

  private async _pick(event: Event) {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0] ?? null;
    input.value = '';
    if (!file) return;
    const refusal = fileRefusal(file, this.maxBytes, this.text);
    if (refusal) return this._reject(refusal.code, refusal.message);
    // Decoded in the worker first: a non-image never reaches the crop step.
    if (await undecodable(file)) return this._reject('IMAGE_INVALID', this.text.errorDecode);
    this._choose(file);
    this._focusNext();
    this._status = null;
    if (!this._shortcode) {
      this._shortcode = file.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 32);
      this._validate(true);
    }
  }

  /** Shows `text` as an error and tells the page (`message`: the technical words, the user's when there are none). */
  private _reject(code: string, message: string, text = message, retryable = false) {
    this._status = { text, error: true };
    emit(this, 'avatar-error', { code, message, retryable });
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
      this._busy = false; // the file button can take focus again
      this._focusNext();
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

  private _change(emote: Emote, changes: { shortcode?: string; public?: boolean }, input?: HTMLInputElement) {
    if (changes.shortcode !== undefined && (!SHORTCODE.test(changes.shortcode) || this._taken(changes.shortcode, emote.id))) {
      input?.setAttribute('aria-invalid', 'true');
      this._status = { text: SHORTCODE.test(changes.shortcode) ? format(this.text.shortcodeTaken, { shortcode: changes.shortcode }) : this.text.shortcodeInvalid, error: true };
      return;
    }
    input?.removeAttribute('aria-invalid');
    if (changes.public !== undefined) delete this._urls[emote.id]; // a private emote's URL is signed
    return this._act(() => updateEmote(this.client, emote.id, changes), 'emoteUpdated', 'emote-updated');
  }

  /** One change to a listed emote: the status says what happened, the event tells the page, the list reloads. */
  private async _act(run: () => Promise<Emote>, said: 'emoteUpdated' | 'emoteDeleted' | 'emoteRestored', event: 'emote-updated' | 'emote-deleted') {
    try {
      const emote = await run();
      this._status = { text: format(this.text[said], { shortcode: emote.shortcode }), error: false };
      emit(this, event, { emote });
      if (event === 'emote-deleted') this._focusNext(); // its Delete button is gone
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
          <label class="field">
            ${t.shortcode}
            <input
              type="text"
              name="shortcode"
              autocomplete="off"
              spellcheck="false"
              maxlength="32"
              .value=${this._shortcode}
              aria-invalid=${Boolean(this._shortcodeMessage?.invalid)}
              aria-describedby="shortcode-message"
              @input=${(e: Event) => {
                this._shortcode = (e.target as HTMLInputElement).value;
                this._validate(false);
              }}
              @blur=${() => this._validate(true)}
            />
          </label>
          <p id="shortcode-message" class="hint">${this._shortcodeMessage?.text ?? t.shortcodeHint}</p>
          <label><input type="checkbox" .checked=${this._public} @change=${(e: Event) => (this._public = (e.target as HTMLInputElement).checked)} /> ${t.makePublic}</label>
          <button type="submit" class="primary" part="button upload" ?disabled=${!this._file || this._busy || !SHORTCODE.test(this._shortcode)}>${t.upload}</button>
        </form>
        ${this._imageUrl ? this._renderCrop(t) : nothing}
        ${this._progress ? html`<progress part="progress" aria-label=${t.progress} max=${this._progress.total || 1} value=${this._progress.loaded}></progress>` : nothing}
        ${q ? html`<p part="quota">${format(t.quota, { count: q.used_count, max: q.max_count, used: formatBytes(q.used_bytes, t.locale), maxBytes: formatBytes(q.max_bytes, t.locale) })}</p>` : nothing}
        <p class="label" id="emote-list-label">${t.yourEmotes}</p>
        ${this._emotes.length === 0 ? html`<p>${t.noEmotes}</p>` : nothing}
        <ul part="emote-list" aria-labelledby="emote-list-label">
          ${this._emotes.map(
            (e) => html`<li>
              ${this._urls[e.id] ? html`<img src=${this._urls[e.id]} alt=${`:${e.shortcode}:`} />` : html`<span aria-hidden="true">${e.error ? '⚠' : '⌛'}</span>`}
              ${e.error
                ? // A failed emote: why, in the user's words, and its Delete; nothing else applies to it.
                  html`<span class="error">:${e.shortcode}: ${errorMessage(t, e.error.code)}</span>`
                : html`<input
                      type="text"
                      aria-label=${format(t.renameLabel, { name: `:${e.shortcode}:` })}
                      .value=${e.shortcode}
                      @change=${(ev: Event) => this._change(e, { shortcode: (ev.target as HTMLInputElement).value }, ev.target as HTMLInputElement)}
                    />
                    <label><input type="checkbox" .checked=${e.public} aria-label=${format(t.publicLabel, { name: `:${e.shortcode}:` })} @change=${(ev: Event) => this._change(e, { public: (ev.target as HTMLInputElement).checked })} /> ${t.makePublic}</label>`}
              <button type="button" part="button delete" aria-label=${`${t.delete} :${e.shortcode}:`} @click=${() => this._act(() => deleteEmote(this.client, e.id).then(() => e), 'emoteDeleted', 'emote-deleted')}>${t.delete}</button>
            </li>`,
          )}
        </ul>
        <details part="trash">
          <summary>${t.trash} (${this._trash.length})</summary>
          <ul>
            ${this._trash.map((e) => html`<li class="row"><span>:${e.shortcode}:</span><button type="button" part="button restore" @click=${() => this._act(() => restoreEmote(this.client, e.id), 'emoteRestored', 'emote-updated')}>${t.restore} :${e.shortcode}:</button></li>`)}
          </ul>
        </details>
        <p part="status" class="status ${this._status?.error ? 'error' : ''}" role="status" aria-live="polite">${this._status?.text ?? ''}</p>
      </section>
    `;
  }

  private _renderCrop(t: Strings) {
    const busy = this._busy;
    return html`
      <avatar-crop-area
        exportparts="cropper,toolbar,button,reset"
        .src=${this._imageUrl ?? ''}
        .text=${t}
        .label=${t.emoteCropArea}
        .alt=${this._file?.name ?? t.emoteTitle}
        resizable
        .square=${this._square}
        ?disabled=${busy}
      >
        <label><input type="checkbox" name="square" .checked=${this._square} ?disabled=${busy} @change=${(e: Event) => (this._square = (e.target as HTMLInputElement).checked)} /> ${t.square}</label>
        <button type="button" part="button cancel" @click=${() => (this._choose(null), this._focusNext())} ?disabled=${busy}>${t.cancel}</button>
      </avatar-crop-area>
    `;
  }
}

if (!customElements.get('avatar-emote-panel')) customElements.define('avatar-emote-panel', AvatarEmotePanel);

declare global {
  interface HTMLElementTagNameMap {
    'avatar-emote-panel': AvatarEmotePanel;
  }
}
