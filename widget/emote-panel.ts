// <avatar-emote-panel>: the emote mode of <avatar-editor> — create emotes (the file is uploaded as it is, so
// animations keep their frames, and the server applies the crop), list, rename, make public, delete,
// restore from the trash, and the quota. It asks nothing of the server until it has a client (a token),
// and loads again whenever the client changes (another token or server).
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import type { ApiClient } from './api/client.ts';
import { networkError } from './api/errors.ts';
import type { CropArea } from './crop-area.ts';
import type { Crop } from './crop-geometry.ts';
import { SHORTCODE, createEmote, deleteEmote, emoteImageUrl, emoteQuota, listEmotes, listTrash, restoreEmote, updateEmote, type Emote, type EmoteQuota } from './api/emotes.ts';
import { emit } from './events.ts';
import { ACCEPTED_TYPES, fileRefusal, formatBytes, frameCount, MAX_FRAMES } from './file-checks.ts';
import { errorMessage, format, type Strings } from './i18n.ts';
import { errorNotice, isRefusedToken, isRetryable, renderNotice, type Notice } from './notice.ts';
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
      form > avatar-crop-area,
      form > .status {
        justify-self: stretch;
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
      form .hint,
      form .status {
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
    _notice: { state: true },
    _refused: { state: true },
  };

  /** The API client; null while the host has no token (nothing is asked of the server then). */
  declare client: ApiClient | null;
  declare text: Strings;
  declare maxBytes: number;
  /** null until the first answer: the list is loading. */
  declare private _emotes: Emote[] | null;
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
  declare private _notice: Notice | null;
  /** The server refused the token: nothing can be created until the host sets another. */
  declare private _refused: boolean;
  /** The shortcode was made from the file's name (not typed): the next file's name replaces it. */
  private _shortcodeFromFile = false;
  /** Only the newest refresh writes the lists (a client change may start one while another is under way). */
  private _refreshes = 0;

  constructor() {
    super();
    this.client = null;
    this.maxBytes = 1024 * 1024;
    this._emotes = null;
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
    this._notice = null;
    this._refused = false;
  }

  override willUpdate(changed: PropertyValues<this>) {
    if (changed.has('client')) {
      // Another user or server: what was listed is not theirs.
      this._emotes = this._quota = null;
      this._trash = [];
      this._urls = {};
      this._refused = false;
      this._notice = null;
      if (this.client) void this.refresh();
    }
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
    const client = this.client;
    if (!client) return;
    const call = ++this._refreshes;
    try {
      const [emotes, trash, quota] = await Promise.all([listEmotes(client), listTrash(client), emoteQuota(client)]);
      const missing = emotes.filter((e) => e.processing_state === 'ready' && !this._urls[e.id]);
      const urls = await Promise.all(missing.map(async (e) => [e.id, (await emoteImageUrl(client, e.id)).url] as const));
      if (call !== this._refreshes) return;
      this._emotes = emotes;
      this._trash = trash;
      this._quota = quota;
      if (urls.length) this._urls = { ...this._urls, ...Object.fromEntries(urls) };
    } catch (error) {
      if (call !== this._refreshes) return;
      this._refused = isRefusedToken(error);
      this._fail(error, () => this.refresh());
    }
  }

  /** Shows the error in the user's words (a retryable one with Try again) and tells the page. */
  private _fail(error: unknown, retry?: () => unknown) {
    const notice = errorNotice(error, retry);
    this._notice = notice;
    const e = error as { message?: string };
    console.warn(`<avatar-editor> ${notice.code}: ${e.message ?? String(error)}`);
    emit(this, 'avatar-error', { code: notice.code!, message: e.message ?? String(error), retryable: isRetryable(error) });
  }

  /** Focus goes to what comes next (the crop area, else the file button) instead of falling to <body>. */
  private async _focusNext() {
    await this.updateComplete;
    const area = this._cropArea;
    if (area) await import('./crop-area.ts').then(() => area.updateComplete, () => {});
    (area ?? this.renderRoot.querySelector('input'))?.focus();
  }

  /** Focuses `selector` once rendered, or what comes next when it is not there. */
  private _focus(selector: string) {
    void this.updateComplete.then(() => {
      const target = this.renderRoot.querySelector<HTMLElement>(selector);
      if (target) target.focus();
      else void this._focusNext();
    });
  }

  private _taken(shortcode: string, except?: string) {
    const key = shortcode.toLowerCase();
    return (this._emotes ?? []).some((e) => e.id !== except && !e.error && e.shortcode.toLowerCase() === key); // a failed emote holds no shortcode
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

  /**
   * Starts a new emote from `file` (the file button, a drop or a paste on the editor): refuses what the server
   * would refuse (type, size, not an image, too many frames) before the crop step, with the reason.
   */
  async openFile(file: File): Promise<boolean> {
    if (this._busy || this._refused) return false;
    this._notice = null;
    const refusal = fileRefusal(file, this.maxBytes, this.text);
    if (refusal) return this._reject(refusal.code, refusal.message);
    // Decoded in the worker first: a non-image never reaches the crop step.
    if (await undecodable(file)) return this._reject('IMAGE_INVALID', this.text.errorDecode);
    const frames = await frameCount(file);
    if (frames > MAX_FRAMES) return this._reject('IMAGE_TOO_LARGE', `The image has ${frames} frames; at most ${MAX_FRAMES} are allowed`, { key: 'errorFrames', values: { frames, maxFrames: MAX_FRAMES } });
    this._choose(file);
    this._focusNext();
    if (!this._shortcode || this._shortcodeFromFile) {
      this._shortcode = file.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 32);
      this._shortcodeFromFile = true;
      this._validate(true);
    }
    return true;
  }

  private _pick(event: Event) {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void this.openFile(file);
  }

  /** Shows the refusal of a file (`words`: a text more precise than the code's) and tells the page (`message`: the technical words). */
  private _reject(code: string, message: string, words?: Notice): false {
    this._notice = { ...words, code };
    emit(this, 'avatar-error', { code, message, retryable: false });
    return false;
  }

  /** Creates the emote from the chosen file; resolves once the server reports it ready. */
  async create(): Promise<Emote | null> {
    this._validate(true);
    const client = this.client;
    if (!client || !this._file || this._shortcodeMessage?.invalid || this._busy) return null;
    this._busy = true;
    this._notice = { key: 'uploading' };
    try {
      const fields = { shortcode: this._shortcode, public: this._public, crop: this.currentCrop() };
      const emote = await createEmote(client, this._file, fields, {
        onProgress: (p) => {
          this._progress = p.phase === 'upload' ? { loaded: p.loaded, total: p.total } : null;
          if (p.phase !== 'upload') this._notice = { key: 'waiting' };
          emit(this, 'upload-progress', { phase: p.phase === 'upload' ? 'upload' : 'waiting', loaded: p.loaded, total: p.total });
        },
      });
      this._choose(null);
      this._shortcode = '';
      this._shortcodeMessage = null;
      this._notice = { key: 'emoteCreated', values: { shortcode: emote.shortcode } };
      emit(this, 'emote-created', { emote });
      this._busy = false;
      this._focusNext();
      await this.refresh();
      return emote;
    } catch (error) {
      this._fail(error, () => this.create());
      return null;
    } finally {
      this._busy = false;
      this._progress = null;
    }
  }

  private _change(emote: Emote, changes: { shortcode?: string; public?: boolean }, input?: HTMLInputElement) {
    if (changes.shortcode !== undefined && (!SHORTCODE.test(changes.shortcode) || this._taken(changes.shortcode, emote.id))) {
      input?.setAttribute('aria-invalid', 'true');
      this._notice = SHORTCODE.test(changes.shortcode) ? { code: 'SHORTCODE_TAKEN', values: { shortcode: changes.shortcode } } : { code: 'SHORTCODE_INVALID' };
      return;
    }
    input?.removeAttribute('aria-invalid');
    if (changes.public !== undefined) delete this._urls[emote.id]; // a private emote's URL is signed
    return this._act(() => updateEmote(this.client!, emote.id, changes), 'emoteUpdated', 'emote-updated');
  }

  /**
   * One change to a listed emote: the status says what happened, the event tells the page, the list reloads.
   * `focus` names where focus goes once the list shows the change (the button pressed may be gone).
   */
  private async _act(run: () => Promise<Emote>, said: 'emoteUpdated' | 'emoteDeleted' | 'emoteRestored', event: 'emote-updated' | 'emote-deleted', focus?: (emote: Emote) => string) {
    this._notice = null;
    try {
      const emote = await run();
      this._notice = { key: said, values: { shortcode: emote.shortcode } };
      emit(this, event, { emote });
      await this.refresh();
      if (focus) this._focus(focus(emote));
    } catch (error) {
      this._fail(error, () => this._act(run, said, event, focus));
    }
  }

  override render() {
    const t = this.text;
    const q = this._quota;
    const busy = this._busy;
    // While the user's emotes load, they are not "none yet"; a refused token lists nothing.
    const emotes = this._emotes ?? [];
    return html`
      <section aria-label=${t.emoteTitle} part="emotes">
        <form @submit=${(e: Event) => (e.preventDefault(), void this.create())}>
          <label class="button" part="button choose">
            ${this._file ? this._file.name : t.emoteChoose}
            <input type="file" accept=${ACCEPTED_TYPES.join(',')} @change=${this._pick} @click=${(e: Event) => busy && e.preventDefault()} aria-disabled=${busy} ?disabled=${this._refused} />
          </label>
          ${this._imageUrl ? this._renderCrop(t) : nothing}
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
                this._shortcodeFromFile = false;
                this._validate(false);
              }}
              @blur=${() => this._validate(true)}
            />
          </label>
          <p id="shortcode-message" class="hint">${this._shortcodeMessage?.text ?? t.shortcodeHint}</p>
          <label><input type="checkbox" .checked=${this._public} @change=${(e: Event) => (this._public = (e.target as HTMLInputElement).checked)} /> ${t.makePublic}</label>
          <button type="submit" class="primary" part="button upload" aria-disabled=${busy || !this._file || !SHORTCODE.test(this._shortcode)}>${t.upload}</button>
          ${this._progress ? html`<progress part="progress" aria-label=${t.progress} max=${this._progress.total || 1} value=${this._progress.loaded}></progress>` : nothing}
          ${renderNotice(this._notice, t, { shortcode: this._shortcode, max: formatBytes(this.maxBytes, t.locale) }, () => (this._cropArea ?? this.renderRoot.querySelector('input'))?.focus())}
        </form>
        ${q ? html`<p part="quota">${format(t.quota, { count: q.used_count, max: q.max_count, used: formatBytes(q.used_bytes, t.locale), maxBytes: formatBytes(q.max_bytes, t.locale) })}</p>` : nothing}
        <p class="label" id="emote-list-label">${t.yourEmotes}</p>
        ${this._emotes ? (emotes.length ? nothing : html`<p>${t.noEmotes}</p>`) : this._refused ? nothing : html`<p aria-busy="true">${t.loading}</p>`}
        <ul part="emote-list" aria-labelledby="emote-list-label">
          ${emotes.map(
            (e) => html`<li data-id=${e.id}>
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
              <button
                type="button"
                part="button delete"
                aria-label=${`${t.delete} :${e.shortcode}:`}
                @click=${() => this._act(() => deleteEmote(this.client!, e.id).then(() => e), 'emoteDeleted', 'emote-deleted', () => 'avatar-crop-area')}
              >
                ${t.delete}
              </button>
            </li>`,
          )}
        </ul>
        <details part="trash">
          <summary>${t.trash} (${this._trash.length})</summary>
          <ul>
            ${this._trash.map(
              (e) =>
                html`<li class="row">
                  <span>:${e.shortcode}:</span
                  ><button type="button" part="button restore" @click=${() => this._act(() => restoreEmote(this.client!, e.id), 'emoteRestored', 'emote-updated', (r) => `[data-id="${r.id}"] input`)}>
                    ${t.restore} :${e.shortcode}:
                  </button>
                </li>`,
            )}
          </ul>
        </details>
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
        <button type="button" part="button cancel" @click=${() => busy || (this._choose(null), this._focusNext())} aria-disabled=${busy}>${t.cancel}</button>
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
