// <avatar-editor>: pick a photo, crop it, and save it as the user's avatar, or build a cartoon (Cartoon tab).
// Processing happens in a worker, uploading in UploadController, drafts in DraftController, the cartoon's
// state in CartoonController; this file is the UI. The controllers need only a ReactiveControllerHost with an
// API client (and a draft namespace): they own their state and the element reads it when it renders.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { UPLOAD_SIDE } from '../media/variants.ts';
import { saveCartoon } from './api/avatar-config.ts';
import type { ApiClient } from './api/client.ts';
import { networkError } from './api/errors.ts';
import { avatarDetail, currentUser, removeAvatar as deleteAvatar, setAvatarFile, type AvatarDetail } from './api/upload.ts';
import type { CartoonConfig } from './api/avatar-config.ts';
import { CartoonController } from './controllers/cartoon-controller.ts';
import { DraftController } from './controllers/draft-controller.ts';
import { UploadController } from './controllers/upload-controller.ts';
import type { CropArea } from './crop-area.ts';
import type { Crop } from './crop-geometry.ts';
import { openingCrop } from './opening-crop.ts';
import { clientFor } from './client-for.ts';
import { draftNamespace } from './drafts.ts';
import { emit } from './events.ts';
import { ACCEPTED_TYPES, fileRefusal, formatBytes } from './file-checks.ts';
import { format, stringsFor, type Strings } from './i18n.ts';
import { errorNotice, isRefusedToken, isRetryable, noticeText, renderNotice, type Notice } from './notice.ts';
import { controlStyles, editorStyles } from './styles.ts';
import { renderTabPanel, renderTabs, tabStyles } from './tabs.ts';
import { tokenSubject } from './token.ts';
import { openImage, sharedImageWorker, type ProcessOptions } from './worker/client.ts';
// The face-aware default crop (issue 21): a chunk of its own, which the image worker imports and runs; the page only
// needs its URL, which the build writes here (widget/virtual-modules.d.ts).
import DEFAULT_CROP_CHUNK from 'virtual:default-crop-chunk-url';

const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;
/** The server's default emote limit (AVATAR_MAX_EMOTE_BYTES); the server checks its own setting anyway. */
const MAX_EMOTE_BYTES = 1024 * 1024;
const PREVIEW_SIZES = [96, 48, 32];
/** The emote panel's parts, styled from the page through <avatar-editor>::part(). */
const EMOTE_PANEL_PARTS = 'emotes,emote-list,quota,trash,cropper,toolbar,progress,status,button,choose,upload,cancel,delete,restore,retry';

type Stage = 'empty' | 'camera' | 'crop' | 'busy';
type Tab = 'photo' | 'cartoon';
/** What the status line says while a save is under way. */
const PHASE_TEXTS = { processing: 'processing', upload: 'uploading', waiting: 'waiting' } as const;
/**
 * The crop step, a chunk of its own: fetched when the person reaches for the picker (pointer, focus, a drag), so it
 * is there when the photo is picked, and never by a page where nobody does.
 */
const loadCropArea = () => import('./crop-area.ts');
/** A failure to fetch it early is told when the photo is shown (see _show). */
const prefetchCropArea = () => void loadCropArea().catch(() => {});
/** The Cartoon tab's builder, a chunk of its own: fetched when the person reaches for the tab, or opens on it. */
const loadCartoonBuilder = () => import('./cartoon-builder.ts');
const prefetchCartoonBuilder = () => void loadCartoonBuilder().catch(() => {});
/** The Recent list (photos and cartoons to go back to), a chunk of its own: fetched once the user's avatar is shown. */
const loadRecent = () => import('./recent-avatars.ts');
/** The parts of the Recent list, styled from the page through <avatar-editor>::part(). */
const RECENT_PARTS = 'recent-title,recent,recent-item,button,recent-use,recent-delete';
/** How long Undo is offered after Remove (longer while it has focus). */
const UNDO_MS = 10_000;
/** The size hosts show an avatar at by default (avatar-changed's `url`); a smaller crop will look blurry there. */
const SHARP_EDGE = 256;
/** The avatar shown; `config` for a cartoon. */
type Current = Omit<AvatarDetail, 'source'> & { config?: CartoonConfig | undefined };

/**
 * Lets a signed-in user pick, crop and save their avatar.
 *
 * @fires avatar-changed - {AvatarChangedDetail} the new avatar is ready on the server
 * @fires avatar-removed - {AvatarRemovedDetail} the avatar was removed
 * @fires avatar-error - {AvatarErrorDetail} something failed; `retryable` says whether trying again may help
 * @fires upload-progress - {UploadProgressDetail} processing, upload and server-side progress
 * @fires emote-created - {EmoteEventDetail} (emote mode) a new emote is ready
 * @fires emote-updated - {EmoteEventDetail} (emote mode) an emote was renamed, made public or private, or restored
 * @fires emote-deleted - {EmoteEventDetail} (emote mode) an emote was moved to the trash
 * @csspart container - the whole editor
 * @csspart current - the current avatar and the Remove button
 * @csspart recent - the Recent list of pictures to go back to (also recent-title, recent-item; its buttons recent-use and recent-delete)
 * @csspart tabs - the Photo and Cartoon tabs (each also has the parts `button tab`); panel - each tab's panel
 * @csspart cartoon-preview - the cartoon's live preview; cartoon-options - its controls
 * @csspart dropzone - the file buttons (the whole editor takes dropped files)
 * @csspart cropper - the crop area (focusable; arrows, +, -, [, ], 0)
 * @csspart toolbar - the crop controls (zoom, rotate-left, rotate-right, flip, straighten, reset)
 * @csspart previews - the live previews
 * @csspart camera - the camera's live view (also shutter, use-photo, retake)
 * @csspart warning - says when the photo is too small to look sharp
 * @csspart button - every button (also `retry` and `undo` next to the status line)
 * @csspart progress - the progress bar
 * @csspart status - the status line (aria-live)
 * @csspart emotes - (emote mode) the whole emote panel; also emote-list, quota, trash, toolbar
 * @cssprop --avatar-editor-accent - accent colour
 * @cssprop --avatar-editor-color - text colour
 * @cssprop --avatar-editor-background - background
 * @cssprop --avatar-editor-border - border colour
 * @cssprop --avatar-editor-radius - corner radius
 * @cssprop --avatar-editor-crop-height - height of the crop area
 */
export class AvatarEditor extends LitElement {
  static override styles = [editorStyles, controlStyles, tabStyles];
  static override shadowRootOptions: ShadowRootInit = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  static override properties = {
    endpoint: { type: String },
    token: { type: String },
    mode: { type: String, reflect: true },
    shape: { type: String, reflect: true },
    outputSize: { type: Number, attribute: 'output-size' },
    maxBytes: { type: Number, attribute: 'max-bytes' },
    lang: { type: String },
    theme: { type: String, reflect: true },
    disabled: { type: Boolean, reflect: true },
    defaultCrop: { type: String, attribute: 'default-crop' },
    strings: { attribute: false },
    tokenProvider: { attribute: false },
    _stage: { state: true },
    _notice: { state: true },
    _current: { state: true },
    _imageUrl: { state: true },
    _tab: { state: true },
    _savingCartoon: { state: true },
    _refused: { state: true },
    _small: { state: true },
    _camera: { state: true },
    _listed: { state: true },
  };

  /** Base URL of the avatar server; defaults to the origin this script was loaded from. */
  declare endpoint: string;
  declare token: string;
  /** Called for a fresh token when the server answers 401 (once per request). */
  declare tokenProvider: (() => Promise<string> | string) | undefined;
  declare mode: 'avatar' | 'emote';
  declare shape: 'circle' | 'square';
  /**
   * Edge of the uploaded square in pixels (never upscaled).
   * @default 1600
   */
  declare outputSize: number;
  /**
   * Largest file the user may pick, in bytes.
   * @default 26214400
   */
  declare maxBytes: number;
  declare strings: Partial<Strings>;
  /**
   * Colour scheme: `light`, `dark`, or `auto` (the default): the host page's `color-scheme` where it sets one
   * (a page's own theme switch included), else the system's.
   */
  declare theme: 'light' | 'dark' | 'auto';
  declare disabled: boolean;
  /**
   * Where the crop starts on a picked photo: `smart` (default) around the face, found in the worker (the photo
   * never leaves the device for it), else the subject, else the centre; `center` in the centre.
   */
  declare defaultCrop: 'smart' | 'center';
  /** @internal */
  declare private _stage: Stage;
  /** @internal What the status line says; an error is kept as its code and put into words when shown. */
  declare private _notice: Notice | null;
  /** @internal The avatar shown, with what it takes to set it again (its file, or a cartoon's options). */
  declare private _current: Current | null;
  /** @internal */
  declare private _imageUrl: string | null;
  /** @internal */
  declare private _tab: Tab;
  /** @internal */
  declare private _savingCartoon: boolean;
  /** @internal The server refused the token: picking is off until the host sets another. */
  declare private _refused: boolean;
  /** @internal The crop's edge in pixels when it is below what a sharp avatar needs, else 0. */
  declare private _small: number;
  /** @internal What "Take a photo" opens: the native capture input on touch screens, the camera here where one is found. */
  declare private _camera: 'native' | 'live' | null;
  /**
   * @internal Each avatar read or change that succeeded: the Recent list reads itself again then (not on a failed
   * read: a server that is failing gets no more requests for a shortcut).
   */
  declare private _listed: number;

  /** The photo being edited. */
  private _file: Blob | null = null;
  /** Settles once the photo shown is in the cropper, with a draft's crop placed. */
  private _ready: Promise<unknown> = Promise.resolve();
  /** The crop the photo opens on (a draft's); null for the default. */
  private _initialCrop: Crop | null = null;
  /** The photo's face-aware default crop, once found: what Reset in the crop area goes back to. */
  private _resetCrop: Crop | null = null;
  /** The person has moved, zoomed, turned or resized the crop since the photo was shown. */
  private _cropTouched = false;
  /** Only the newest load of the current avatar is shown (the token may change while one is under way). */
  private _loads = 0;
  private _undoTimer: ReturnType<typeof setTimeout> | undefined;
  /** The default-crop chunk, imported and warmed up in the worker ahead of the first pick. */
  private _defaultCropWarm: Promise<unknown> | null = null;
  /** The Cartoon tab's builder, once its chunk has loaded. */
  private _cartoonBuilder: Awaited<ReturnType<typeof loadCartoonBuilder>> | null = null;
  /** Loads emote mode's element (its own chunk) once, the first time emote mode is shown. */
  private _emotePanel: Promise<void> | null = null;
  private readonly _uploads = new UploadController(this, (detail) => emit(this, 'upload-progress', detail));
  private readonly _drafts = new DraftController(this);
  private readonly _cartoon = new CartoonController(this);
  private readonly _clients = clientFor(this);
  private readonly _internals = this.attachInternals();
  /** The frame in which the page's colour scheme is read next (see _followPageScheme). */
  private _schemeFrame = 0;
  private readonly _onDocumentPaste = (event: ClipboardEvent) => this._onPaste(event);

  constructor() {
    super();
    this.endpoint = '';
    this.token = '';
    this.tokenProvider = undefined;
    this.mode = 'avatar';
    this.shape = 'circle';
    this.outputSize = UPLOAD_SIDE;
    this.maxBytes = DEFAULT_MAX_BYTES;
    this.strings = {};
    this.theme = 'auto';
    this.disabled = false;
    this.defaultCrop = 'smart';
    this._stage = 'empty';
    this._notice = null;
    this._current = null;
    this._imageUrl = null;
    this._tab = 'photo';
    this._savingCartoon = false;
    this._refused = false;
    this._small = 0;
    this._listed = 0;
    this._camera = matchMedia('(pointer: coarse)').matches ? 'native' : null;
    this._internals.states.add('os');
    // A hand on the crop (or anywhere in the editor), or a key in the crop area, before the default crop is found
    // keeps it from moving.
    for (const type of ['pointerdown', 'wheel'] as const) this.addEventListener(type, () => (this._cropTouched = true), { passive: true });
    this.addEventListener('keydown', (event) => {
      const area = this._cropArea;
      if (area && event.key !== 'Tab' && event.composedPath().includes(area)) this._cropTouched = true;
    });
    // The whole element takes dropped files, and a drop on it never navigates the page away to the file.
    this.addEventListener('dragover', (event) => this._onDrag(event, true));
    this.addEventListener('dragleave', (event) => this._onDrag(event, this.contains(event.relatedTarget as Node | null)));
    this.addEventListener('drop', (event) => this._onDrop(event));
  }

  /** The texts in use: the `lang` locale with `strings` on top. */
  get text(): Strings {
    return stringsFor(this.lang || document.documentElement.lang || navigator.language, this.strings);
  }

  /** The API client for the current endpoint and token (the same one until either changes). */
  get client(): ApiClient {
    return this._clients();
  }

  /** Where this user's drafts live: one namespace per server and user. */
  get draftNamespace(): string | null {
    return draftNamespace(this.client.options.endpoint, this.token);
  }

  /** The signed-in user's id, from the token (namespaces drafts, labels events). */
  get userId(): string | null {
    return tokenSubject(this.token);
  }

  override connectedCallback() {
    super.connectedCallback();
    // A pick is what the photo tab is for: its worker is started once the page is idle (a file handed to the
    // input by a script, or a paste, reaches for nothing first). The crop step's chunk waits for a reach, or the pick.
    if (this.mode === 'avatar') (window.requestIdleCallback ?? setTimeout)(() => sharedImageWorker());
    this._followPageScheme();
    document.addEventListener('paste', this._onDocumentPaste);
    if (this._camera !== 'native') {
      // After the first render: asking for the devices (and listening for new ones) costs it ~10 ms at 4× CPU
      // throttle, for a button that can wait.
      setTimeout(() => {
        if (!this.isConnected) return;
        void this._lookForCamera();
        navigator.mediaDevices?.addEventListener('devicechange', this._lookForCamera);
      });
    }
  }

  override willUpdate(changed: PropertyValues<this>) {
    // Emote mode is a chunk of its own, loaded the first time it is shown: avatar-only pages never fetch it.
    if (this.mode === 'emote') this._emotePanel ??= import('./emote-panel.ts').then(() => this.requestUpdate(), (error) => this._failWith(networkError(String(error))));
    if (changed.has('theme')) this._followPageScheme();
    if ((changed.has('token') || changed.has('endpoint')) && this.mode === 'avatar') this._reload();
  }

  /** Also waits for emote mode's chunk, so `await el.updateComplete` means its panel is there. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const done = await super.getUpdateComplete();
    if (!this._emotePanel) return done;
    await this._emotePanel;
    return super.getUpdateComplete();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    document.removeEventListener('paste', this._onDocumentPaste);
    navigator.mediaDevices?.removeEventListener('devicechange', this._lookForCamera);
    clearTimeout(this._undoTimer);
    if (this._imageUrl) URL.revokeObjectURL(this._imageUrl);
  }

  // ---- public methods (SPEC §5) ----

  /**
   * Starts editing `file` (in emote mode: a new emote); refuses unsupported types, files over `max-bytes` and
   * files that do not decode (in the worker, before the crop step) with a localized message.
   */
  async openFile(file: Blob): Promise<boolean> {
    if (this.mode === 'emote') return this._panel?.openFile(file as File) ?? false;
    if (this._refused) return this._reject('UNAUTHENTICATED', 'The server refused the token');
    if (this._stage === 'busy') return false;
    const refusal = fileRefusal(file, this.maxBytes, this.text);
    if (refusal) return this._reject(refusal.code, refusal.message);
    // What a reach for the picker would have fetched and warmed (a paste or a script reaches for nothing first),
    // fetched, evaluated and run while the worker decodes the photo.
    this._prefetch();
    // Decoded once, here, and kept in the worker for Save, which starts on the crop it opens on once it can.
    const decoded = openImage(file);
    this._prepareOpening(file);
    if (!(await decoded)) return this._reject('IMAGE_INVALID', 'The file does not decode as an image');
    this._drafts.offered = null; // a new photo replaces the draft on offer
    if (this.defaultCrop !== 'center') void this._placeDefaultCrop(file);
    const size = await sharedImageWorker().open(file).catch(() => null); // known by now
    this._show(file, size && openingCrop(size, null));
    this._focusNext();
    await this._drafts.save(file, null);
    return true;
  }

  /**
   * Saves what the selected tab shows: on Photo, processes the current crop in the worker, uploads it and
   * resolves once the server reports it ready; on Cartoon, saves the cartoon's options (served at once).
   */
  async save(): Promise<void> {
    if (this._tab === 'cartoon') return this._saveCartoon();
    if (!this._file || this._stage === 'busy' || this._refused) return;
    const file = this._file;
    this._stage = 'busy';
    this._notice = null;
    await this._ready; // a draft resumed for its pending upload is saved with its own crop
    const options = this._processOptions();
    const { crop } = options;
    // Pending from now on: a reload before the upload ends resumes it on its own.
    await this._drafts.save(file, crop, true);
    const result = await this._uploads.run(file, options);
    if (result.ok) {
      await this._drafts.clear();
      this._finishEditing();
      this._current = result.detail;
      this._listed++;
      this._say('saved');
      this._focusNext();
      emit(this, 'avatar-changed', { ...result.detail, user_id: this.userId });
    } else {
      this._stage = 'crop';
      if (result.offline) {
        this._say('willRetryOnline');
        await this._drafts.save(file, crop, true);
        this._drafts.retryWhenOnline(() => this.save());
      } else {
        await this._drafts.save(file, crop);
        if (!result.aborted) this._failWith(result.error, () => this.save());
      }
    }
  }

  /** Stops an upload in flight, or drops the photo being edited. */
  cancel(): void {
    if (this._stage === 'busy') {
      this._uploads.abort();
      return;
    }
    void this._drafts.clear();
    this._finishEditing();
    this._notice = null;
    this._focusNext();
  }

  /**
   * Removes the user's avatar, with Undo for a few seconds. SPEC §5 calls this `remove()`, but that name is the
   * DOM's own Element.remove() (detach from the page), which frameworks call; overriding it would delete avatars.
   */
  async removeAvatar(): Promise<void> {
    const previous = this._current;
    this._notice = null;
    try {
      await deleteAvatar(this.client);
      this._current = null;
      this._listed++;
      this._offerUndo(previous);
      emit(this, 'avatar-removed', { user_id: this.userId });
    } catch (error) {
      this._failWith(error, () => this.removeAvatar());
    }
  }

  /** The crop shown (with its turn and mirror), or null before an image is shown. */
  currentCrop(): Crop | null {
    return this._cropArea?.crop?.() ?? null;
  }

  // ---- internals ----

  /** What the worker makes of the photo for the upload: the same object at the crop's settling and at Save. */
  private _processOptions(): ProcessOptions & { crop: Crop | null } {
    return { crop: this.currentCrop(), outputSize: this.outputSize };
  }

  private get _panel() {
    return this.renderRoot.querySelector('avatar-emote-panel');
  }

  /**
   * In `auto`, the element inherits the page's colour scheme; a page that sets none gets the system's (state `os`,
   * which it starts in: most pages set none). The page's is read in the next frame, before it is painted, when
   * the frame computes the page's style anyway: read at once, it would compute it an extra time (at load, too).
   */
  private _followPageScheme() {
    this._schemeFrame ||= requestAnimationFrame(() => {
      this._schemeFrame = 0;
      // Where the element inherits from: its slot, its parent, or the shadow root's host.
      const from = this.assignedSlot ?? this.parentElement ?? (this.parentNode as ShadowRoot | null)?.host;
      if (from) this._internals.states[getComputedStyle(from).colorScheme === 'normal' ? 'add' : 'delete']('os');
    });
  }

  /** Shows a photo in the crop step, on `crop` (a draft's, or the one a new photo opens on), else on the centred one. */
  private _show(file: Blob, crop: Crop | null) {
    if (this._imageUrl) URL.revokeObjectURL(this._imageUrl);
    this._file = file;
    this._cropTouched = false;
    void openImage(file); // a resumed draft is decoded once too (openFile's photo already is)
    this._initialCrop = crop;
    this._resetCrop = null;
    this._small = 0;
    this._imageUrl = URL.createObjectURL(file);
    this._stage = 'crop';
    this._notice = null;
    this._tab = 'photo'; // a pasted or resumed photo shows where it is edited
    // The crop it opens on is one for the worker to start on, and one to check the size of.
    this._ready = Promise.all([loadCropArea(), this.updateComplete])
      .then(() => this._cropArea?.ready)
      .then(
        () => {
          this._checkSize();
          // The crop it opens on is placed by code, not by a hand still moving: the worker starts on it at once
          // (it usually has, see _prepareOpening), so a Save right away finds the encode under way. A default crop
          // found later moves the view, and asks again.
          this._prepareSoon(0);
        },
        (error) => this._failWith(networkError(String(error))),
      );
  }

  /** Offers the user's saved draft; one whose upload failed offline is resumed and retried right away. */
  private async _offerDraft() {
    if (this._file) return;
    const draft = await this._drafts.find();
    if (this._file) this._drafts.offered = null; // a photo picked meanwhile wins
    else if (draft?.pendingUpload) {
      this._resumeDraft();
      this._drafts.retryWhenOnline(() => this.save());
    }
  }

  private _resumeDraft() {
    const draft = this._drafts.take();
    if (draft) this._show(draft.blob, draft.crop);
  }

  /** Shows an information in the status line. */
  private _say(key: Notice['key'], values?: Notice['values']) {
    this._notice = { key, values };
  }

  /** The status line from an earlier action goes when the next one starts; a refused token's message stays. */
  private _clearNotice() {
    if (!this._refused) this._notice = null;
  }

  /** Says the avatar was removed, with Undo while the server can still set it again (the previous rendition is kept). */
  private _offerUndo(previous: Current | null) {
    const notice: Notice = { key: 'removed', action: previous ? { key: 'undo', run: () => this._undoRemove(previous) } : undefined };
    this._notice = notice;
    this._focus(previous ? '[part~=undo]' : '');
    const expire = () => {
      if (this._notice !== notice) return;
      // Not taken from under the user's keyboard: it stays while it has focus.
      if (this.renderRoot.querySelector(':focus[part~=undo]')) this._undoTimer = setTimeout(expire, UNDO_MS);
      else this._notice = { key: 'removed' };
    };
    clearTimeout(this._undoTimer);
    this._undoTimer = setTimeout(expire, UNDO_MS);
  }

  /**
   * Sets the removed avatar again: a photo by its file (PUT /v1/users/me/avatar), a cartoon by saving its options
   * again (a cartoon has no file; the server points the avatar back at the kept cartoon, as a new version).
   */
  private async _undoRemove(previous: Current) {
    this._notice = null;
    try {
      const detail = previous.config ? { ...(await saveCartoon(this.client, previous.config)), config: previous.config } : await setAvatarFile(this.client, previous.file_id!);
      this._changedTo(detail, 'avatarRestored');
      this._focus('[part~=remove]');
    } catch (error) {
      this._failWith(error, () => this._undoRemove(previous));
    }
  }

  /** A picture set again (Undo, or one of the Recent list) is the avatar: shown, said, and told to the host. */
  private _changedTo(detail: Current & { source?: 'upload' | 'config' }, said: Notice['key']) {
    this._current = detail;
    this._listed++;
    if (detail.config) this._cartoon.set(detail.config);
    this._say(said);
    emit(this, 'avatar-changed', { ...detail, source: detail.source ?? (detail.config ? 'config' : 'upload'), user_id: this.userId });
  }

  /** Shows and reports an error thrown by the API layer (a WidgetError, or anything else); `retry` offers Try again. */
  private _failWith(error: unknown, retry?: () => unknown) {
    const e = error as { message?: string };
    this._fail(errorNotice(error, retry), e.message ?? String(error), isRetryable(error));
  }

  private _reject(code: string, message: string): false {
    this._fail({ code }, message, false);
    return false;
  }

  /** The user reads the words for the notice's code in their language; the event and the console carry the technical message. */
  private _fail(notice: Notice, message: string, retryable: boolean) {
    this._notice = notice;
    console.warn(`<avatar-editor> ${notice.code}: ${message}`);
    emit(this, 'avatar-error', { code: notice.code!, message, retryable });
  }

  private get _cropArea(): CropArea | null {
    return this.renderRoot.querySelector('avatar-crop-area');
  }

  /**
   * Focus goes to what comes next (the crop area, else the file button) instead of falling to <body>. The crop
   * area is focused once its first frame is drawn.
   */
  private async _focusNext() {
    await this.updateComplete;
    const area = this._cropArea;
    if (area) await loadCropArea().then(() => area.updateComplete, () => {});
    if (area) await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
    // Where the picker was, so in view: not scrolled to, which would lay out the page once more for it.
    (area ?? this.renderRoot.querySelector('input'))?.focus({ preventScroll: Boolean(area) });
  }

  /** Focuses at once what the user works on in the tab shown: the crop area, the file button, or the tab. */
  private _focusHere() {
    const root = this.renderRoot;
    (this._cropArea ?? root.querySelector<HTMLElement>('[role=tabpanel]:not([hidden]) input') ?? root.querySelector<HTMLElement>('[aria-selected=true]'))?.focus();
  }

  /** Focuses `selector` once rendered, or what comes next when it is not there. */
  private _focus(selector: string) {
    void this.updateComplete.then(() => {
      const target = selector && this.renderRoot.querySelector<HTMLElement>(selector);
      if (target) target.focus();
      else void this._focusNext();
    });
  }

  private _finishEditing() {
    if (this._imageUrl) URL.revokeObjectURL(this._imageUrl);
    this._imageUrl = null;
    this._file = null;
    this._stage = 'empty';
  }

  /** Loads what comes from the server (again): another user or server, or Try again after a failed load. */
  private _reload() {
    this._refused = false;
    this._notice = null; // what it said was about the previous token or server
    if (this.token) {
      // In a task of their own: opening IndexedDB and starting a fetch cost the first render ~25 ms on a slow phone.
      setTimeout(() => {
        void this._loadCurrent();
        void this._offerDraft();
      });
    }
    if (this._tab === 'cartoon') this._selectTab('cartoon');
  }

  /** Shows the current avatar; a cartoon opens in the Cartoon tab (unless a photo is being edited). */
  private async _loadCurrent() {
    const load = ++this._loads;
    try {
      const user = await currentUser(this.client);
      if (load !== this._loads) return;
      const config = user.avatar?.source === 'config' ? user.avatar.config : undefined;
      const detail = avatarDetail(user);
      this._current = detail && { ...detail, config };
      this._listed++;
      if (config) {
        this._cartoon.set(config);
        if (this._stage === 'empty') this._selectTab('cartoon');
      }
      if (!customElements.get('avatar-recent')) void loadRecent().then(() => this.requestUpdate(), () => {}); // it is only a shortcut
    } catch (error) {
      if (load !== this._loads) return;
      this._current = null;
      // A bad token or a refused origin shows now, not after the user has cropped; a refused token stops picking.
      this._refused = isRefusedToken(error);
      this._failWith(error, () => this._reload());
    }
  }

  private _selectTab(tab: Tab) {
    if (tab !== this._tab) this._clearNotice();
    this._tab = tab;
    if (tab === 'cartoon') {
      Promise.all([loadCartoonBuilder(), this._cartoon.load()]).then(
        ([builder]) => {
          this._cartoonBuilder = builder;
          this.requestUpdate();
        },
        (error: unknown) => this._failWith(error, () => this._reload()),
      );
    }
  }

  private async _saveCartoon() {
    if (this._savingCartoon || !this._cartoon.options || this._refused) return;
    this._savingCartoon = true;
    this._say('waiting');
    try {
      const config = this._cartoon.chosen();
      const detail = await saveCartoon(this.client, config);
      this._current = { ...detail, config };
      this._listed++;
      this._say('saved');
      emit(this, 'avatar-changed', { ...detail, user_id: this.userId });
    } catch (error) {
      this._failWith(error, () => this._saveCartoon());
    } finally {
      this._savingCartoon = false;
    }
  }

  /**
   * When the person reaches for the picker: the crop step's chunk, and (default-crop="smart") the default-crop
   * chunk and its model, which the worker loads and runs once on a blank image, so the first photo finds it compiled.
   */
  private readonly _prefetch = () => {
    prefetchCropArea();
    sharedImageWorker(); // started before the pick: ~50 ms of main thread at 4× CPU throttle
    if (this.defaultCrop === 'center') return;
    this._defaultCropWarm ??= sharedImageWorker()
      .warmDefaultCrop(DEFAULT_CROP_CHUNK)
      .catch(() => (this._defaultCropWarm = null)); // tried again at the pick
  };

  /**
   * Opens the crop on the face-aware default crop, found in the worker by the default-crop chunk (loaded there now,
   * the first time). Found before the crop area has shown the photo, it is the crop it opens on; found after, the view
   * moves to it, unless the person has touched the crop meanwhile or moved on. Either way it is what Reset goes back
   * to. When the rule finds nothing better than the centre, or the chunk or the detection fails, the centred crop
   * simply stays.
   */
  private async _placeDefaultCrop(file: Blob) {
    try {
      const found = await sharedImageWorker().defaultCrop(file, DEFAULT_CROP_CHUNK);
      if (!found || found.source === 'center' || this._file !== file || this._stage !== 'crop') return;
      this._resetCrop = found.crop;
      this.requestUpdate();
      if (this._cropTouched) return;
      this._initialCrop = found.crop;
      const area = this._cropArea;
      if (area?.natural) {
        area.show(found.crop);
        this._prepareSoon(0); // placed by code, as the crop it opened on
      } else if (area) area.initial = found.crop; // read when its image has loaded
    } catch (error) {
      console.warn(`<avatar-editor> no default crop: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Has the worker encode the crop a new photo opens on as soon as it is decoded and its default crop is found,
   * while this thread builds the crop view: a Save made the moment the view shows finds the encode done or
   * well under way. The view opens on that same crop (openingCrop), to the pixel.
   */
  private _prepareOpening(file: Blob) {
    sharedImageWorker().prepareOpening(file, this.outputSize, this.defaultCrop === 'center' ? null : DEFAULT_CROP_CHUNK);
  }

  /** Warns when the crop has fewer pixels than the avatar is shown at (the 256 px `url`, or a smaller output-size). */
  private _checkSize() {
    const edge = this.currentCrop()?.w ?? 0;
    this._small = edge && edge < Math.min(this.outputSize, SHARP_EDGE) ? edge : 0;
  }

  /** The crop changed: a draft keeps it, the worker starts on it once it settles, and its size is checked. */
  private _saveDraftSoon() {
    this._drafts.saveSoon(() => {
      this._checkSize();
      return this._file && { file: this._file, crop: this.currentCrop() };
    });
    this._prepareSoon();
  }

  private _prepareSoon(settleMs?: number) {
    if (this._file) this._uploads.prepareSoon(this._file, () => (this._stage === 'crop' ? this._processOptions() : null), settleMs);
  }

  private _onPick(event: Event) {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void this.openFile(file);
  }

  /** A file dragged over any part of the editor: it will take it (the outline says so). */
  private _onDrag(event: DragEvent, over: boolean) {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    this._internals.states[over && !this.disabled ? 'add' : 'delete']('drop');
  }

  private _onDrop(event: DragEvent) {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    this._internals.states.delete('drop');
    const file = event.dataTransfer.files[0];
    if (file && !this.disabled) void this.openFile(file);
  }

  /**
   * A pasted image goes to the mode that is showing, and only when the paste is meant for this editor: focus is
   * inside it, or nothing on the page has focus and it is the page's only editor.
   */
  private _onPaste(event: ClipboardEvent) {
    const file = event.clipboardData?.files[0];
    if (!file || event.defaultPrevented || this.disabled) return;
    const focused = document.activeElement;
    const mine = event.composedPath().includes(this) || ((!focused || focused === document.body) && document.querySelectorAll('avatar-editor').length === 1);
    if (!mine) return;
    event.preventDefault();
    void this.openFile(file);
  }

  override render() {
    const t = this.text;
    if (this.mode === 'emote') {
      // Created once defined, so it upgrades with its properties set before it connects.
      if (!customElements.get('avatar-emote-panel')) return html`<p part="status" role="status">${noticeText(this._notice, t)}</p>`;
      return html`<avatar-emote-panel
        exportparts=${EMOTE_PANEL_PARTS}
        .client=${this.token ? this.client : null}
        .text=${t}
        .maxBytes=${Math.min(this.maxBytes, MAX_EMOTE_BYTES)}
      ></avatar-emote-panel>`;
    }
    const tab = this._tab;
    const phase = this._uploads.phase;
    return html`
      <section part="container" aria-label=${t.title}>
        ${this._renderCurrent(t)}
        ${customElements.get('avatar-recent')
          ? html`<avatar-recent
              exportparts=${RECENT_PARTS}
              .client=${this.token ? this.client : null}
              .text=${t}
              .reads=${this._listed}
              ?disabled=${this.disabled || this._refused || this._stage === 'busy'}
              @recent-used=${(e: CustomEvent<Current>) => this._changedTo(e.detail, 'saved')}
              @recent-deleted=${() => this._say('recentDeleted')}
              @recent-failed=${(e: CustomEvent<{ error: unknown; retry: () => unknown }>) => this._failWith(e.detail.error, e.detail.retry)}
              @recent-emptied=${() => this._focusHere()}
            ></avatar-recent>`
          : nothing}
        ${renderTabs(t.title, { photo: t.photoTab, cartoon: t.cartoonTab }, tab, (id) => this._selectTab(id as Tab), prefetchCartoonBuilder)}
        ${renderTabPanel('photo', tab, this._renderPhotoStage(t))}
        ${renderTabPanel(
          'cartoon',
          tab,
          this._cartoonBuilder?.renderCartoonBuilder(this._cartoon, t, {
            _client: this.client,
            _busy: this._savingCartoon || this.disabled || this._refused,
            _onSave: () => this._saveCartoon(),
            _onChange: () => this._clearNotice(),
          }),
        )}
        ${this._uploads.progress
          ? html`<progress part="progress" aria-label=${t.progress} max=${this._uploads.progress.total || 1} value=${this._uploads.progress.loaded}></progress>`
          : nothing}
        ${renderNotice(phase ? { key: PHASE_TEXTS[phase] } : this._notice, t, { max: formatBytes(this.maxBytes, t.locale) }, () => this._focusHere())}
      </section>
    `;
  }

  /** What the Photo tab shows at this stage (no template of its own: each one a page has to prepare costs its load). */
  private _renderPhotoStage(t: Strings) {
    switch (this._stage) {
      case 'empty':
        return this._drafts.offered ? this._renderResume(t) : this._renderPicker(t);
      case 'camera':
        return this._renderCamera(t);
      default:
        return this._renderCropper(t);
    }
  }

  private _renderCurrent(t: Strings) {
    return html`<div class="row current" part="current">
      ${this._current
        ? html`<img src=${this._current.url} width="64" height="64" alt=${t.current} part="current-image" />
            <button type="button" part="button remove" @click=${() => this._stage === 'busy' || this.removeAvatar()} aria-disabled=${this._stage === 'busy'} ?disabled=${this.disabled}>${t.remove}</button>`
        : t.none}
    </div>`;
  }

  private _renderResume(t: Strings) {
    return html`<div class="row" part="resume" role="group" aria-label=${t.resumePrompt}>
      <span>${t.resumePrompt}</span>
      <button type="button" class="primary" part="button resume" @click=${() => (this._resumeDraft(), this._focusNext())}>${t.resume}</button>
      <button type="button" part="button discard" @click=${() => (this._drafts.discard(), this._focusNext())}>${t.discard}</button>
    </div>`;
  }

  private _renderPicker(t: Strings) {
    const off = this.disabled || this._refused;
    return html`<div class="drop" part="dropzone" @pointerover=${this._prefetch} @focusin=${this._prefetch} @dragenter=${this._prefetch}>
      <div class="row" style="justify-content:center">
        <label class="button" part="button choose">
          ${t.choose}
          <input type="file" accept=${ACCEPTED_TYPES.join(',')} @change=${this._onPick} ?disabled=${off} />
        </label>
        ${this._camera === 'native'
          ? html`<label class="button" part="button camera">
              ${t.takePhoto}
              <input type="file" accept="image/*" capture="user" @change=${this._onPick} ?disabled=${off} />
            </label>`
          : this._camera
            ? html`<button type="button" part="button camera" ?disabled=${off} @click=${this._openCamera}>${t.takePhoto}</button>`
            : nothing}
      </div>
      <p class="hint">${t.dropHint}</p>
    </div>`;
  }

  private _renderCropper(t: Strings) {
    const busy = this._stage === 'busy';
    return html`
      <avatar-crop-area
        exportparts="cropper,toolbar,previews,button,rotate-left,rotate-right,flip,reset"
        .src=${this._imageUrl ?? ''}
        .text=${t}
        .label=${t.cropArea}
        .alt=${t.title}
        .initial=${this._initialCrop}
        .resetTo=${this._resetCrop}
        ?round=${this.shape !== 'square'}
        ?resizable=${this.shape === 'square' && !matchMedia('(pointer: coarse)').matches}
        square
        transforms
        .previews=${PREVIEW_SIZES}
        ?disabled=${busy}
        @crop-change=${this._saveDraftSoon}
      ></avatar-crop-area>
      ${this._small ? html`<p class="warning" part="warning"><span aria-hidden="true">⚠</span> ${format(t.smallPhoto, { size: this._small })}</p>` : nothing}
      <div class="row" part="actions">
        <button type="button" class="primary" part="button save" @click=${() => this.save()} aria-disabled=${busy} ?disabled=${this.disabled}>${t.save}</button>
        <button type="button" part="button cancel" @click=${() => this.cancel()}>${t.cancel}</button>
      </div>
    `;
  }

  /** A desktop's camera is opened here (getUserMedia); there is none outside secure contexts, or none plugged in. */
  private readonly _lookForCamera = async () => {
    const devices = (await navigator.mediaDevices?.enumerateDevices().catch(() => [])) ?? [];
    this._camera = devices.some((d) => d.kind === 'videoinput') ? 'live' : null;
  };

  private _openCamera() {
    void import('./camera.ts');
    this._stage = 'camera';
    this._notice = null;
  }

  /** The camera view, a chunk of its own: a photo taken goes to the crop step, closing goes back to the picker. */
  private _renderCamera(t: Strings) {
    return html`<avatar-camera
      exportparts="camera,button,shutter,retake,use-photo,cancel"
      .text=${t}
      @camera-photo=${(e: CustomEvent<File>) => void this.openFile(e.detail)}
      @camera-close=${async () => {
        this._stage = 'empty';
        await this.updateComplete;
        this.renderRoot.querySelector<HTMLElement>('[part~=camera]')?.focus();
      }}
    ></avatar-camera>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'avatar-editor': AvatarEditor;
  }
}
