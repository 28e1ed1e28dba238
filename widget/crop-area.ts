// <avatar-crop-area>: the crop step both modes share, a chunk of its own (fetched when a photo is on its way).
// cropperjs v2 draws it and recognises the gestures (drag, pinch, handles); where the image sits is a View
// (crop-geometry.ts) that this element owns, so the crop is computed, never measured, and every change goes
// through the same limits: the image always covers the crop window.
//
// Two ways to crop. A fixed window (the circle, or a phone): the window stays, the image pans and zooms under it.
// A resizable window (a square on a desktop, emotes): the window is moved and resized with its handles too.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { CropperCanvas, CropperHandle, CropperImage, CropperSelection } from '@cropper/elements';
import {
  clampView,
  cropOf,
  fitRect,
  fitWindow,
  flipView,
  imageTransform,
  panBy,
  previewTransform,
  rotateBy,
  shownRect,
  splitRotation,
  viewOf,
  zoomAt,
  zoomLimits,
  zoomTo,
  type Crop,
  type Rect,
  type Size,
  type View,
} from './crop-geometry.ts';
import type { Strings } from './i18n.ts';
import { controlStyles, css } from './styles.ts';

for (const element of [CropperCanvas, CropperImage, CropperSelection, CropperHandle]) {
  if (!customElements.get(element.$name)) element.$define();
}

/** Stage pixels an arrow key moves (Shift: five times as far). */
const KEY_STEP = 10;
/** One + or − press, and one notch of a mouse wheel. */
const KEY_ZOOM = 1.1;
/** Room around a fixed window, and between a resizable one and the stage's edges at the start. */
const WINDOW_MARGIN = 24;
const ZOOM_STEPS = 1000;

type Point = [number, number];

/**
 * "150 %" and "7,5°" as the built-in locales write them; English (any region) "150%" and "7.5°". Not through
 * Intl.NumberFormat, whose first use costs 50–180 ms of ICU set-up at 4× CPU throttle, in the crop view's first render.
 */
const english = (locale: string) => /^en\b/i.test(locale);
const percentText = (locale: string, ratio: number) => `${Math.round(ratio * 100)}${english(locale) ? '' : '\u00a0'}%`;
const degreeText = (locale: string, degrees: number) => `${english(locale) ? degrees : String(degrees).replace('.', ',')}°`;

/** What cropper-canvas reports of a drag, a pinch or a handle (page coordinates). */
type CanvasAction = CustomEvent<{ action: string; relatedEvent?: PointerEvent; startX: number; startY: number; endX: number; endY: number; scale?: number; centerX?: number; centerY?: number }>;

export class CropArea extends LitElement {
  static override styles = [
    controlStyles,
    css`
      :host {
        display: block;
        margin-bottom: 0.75rem;
      }
      .stage {
        height: var(--avatar-editor-crop-height, 320px);
        margin: 0.5rem 0;
        border-radius: var(--_radius);
        overflow: hidden;
      }
      .stage:focus-visible {
        outline: 3px solid var(--_accent);
        outline-offset: 2px;
      }
      cropper-canvas {
        width: 100%;
        height: 100%;
      }
      cropper-selection {
        /* Dims everything outside the window (the canvas clips the shadow) and draws the thirds inside it. */
        --_line: #eee7 0 calc(33.33% + 0.5px), #0000 0 calc(66.67% - 0.5px), #eee7 0 calc(66.67% + 0.5px), #0000 0;
        box-shadow: 0 0 0 100vmax #000a;
        background: linear-gradient(90deg, #0000 calc(33.33% - 0.5px), var(--_line)), linear-gradient(#0000 calc(33.33% - 0.5px), var(--_line));
      }
      /* The circle: what is outside it is dimmed as it will be cut off wherever the avatar is shown round. */
      cropper-selection.round {
        border-radius: 50%;
        background: none;
      }
      /* Resize handles are 44 px touch targets around a visible 12 px dot. */
      cropper-handle[action$='resize'] {
        width: 44px;
        height: 44px;
        background: radial-gradient(circle, #fff 5px, #0008 6px, #0000 7px);
      }
      cropper-handle[action^='n'] {
        top: -22px;
      }
      cropper-handle[action^='s'] {
        bottom: -22px;
      }
      cropper-handle[action$='e-resize'] {
        right: -22px;
      }
      cropper-handle[action$='w-resize'] {
        left: -22px;
      }
      cropper-handle[action='n-resize'],
      cropper-handle[action='s-resize'] {
        width: calc(100% - 44px);
        background: none;
      }
      cropper-handle[action='e-resize'],
      cropper-handle[action='w-resize'] {
        height: calc(100% - 44px);
        background: none;
      }
      .slider {
        display: flex;
        flex: 1 1 12rem;
        gap: 0.5rem;
        align-items: center;
      }
      input[type='range'] {
        flex: 1;
        min-width: 6rem;
        margin: 0;
        accent-color: var(--_accent);
      }
      [aria-pressed='true'] {
        background: var(--_accent);
        border-color: var(--_accent);
        color: var(--_bg);
      }
      .previews {
        display: flex;
        gap: 0.75rem;
        align-items: flex-end;
        margin-top: 0.75rem;
      }
      .previews div {
        position: relative;
        overflow: hidden;
        border-radius: var(--_shape-radius);
        background: var(--_border);
      }
      .previews img {
        position: absolute;
        left: 0;
        top: 0;
        max-width: none;
        transform-origin: 0 0;
      }
      .sr {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip-path: inset(50%);
        white-space: nowrap;
      }
    `,
  ];

  static override shadowRootOptions: ShadowRootInit = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  static override properties = {
    src: { type: String },
    text: { attribute: false },
    label: { type: String },
    alt: { type: String },
    round: { type: Boolean },
    resizable: { type: Boolean },
    square: { type: Boolean },
    transforms: { type: Boolean },
    previews: { attribute: false },
    disabled: { type: Boolean },
    initial: { attribute: false },
    resetTo: { attribute: false },
    _view: { state: true },
    _window: { state: true },
    _said: { state: true },
    _cropper: { state: true },
  };

  /** The image (an object URL). */
  declare src: string;
  declare text: Strings;
  /** Accessible name of the stage, which says what the keys do. */
  declare label: string;
  declare alt: string;
  /** The window is a circle, and stays where it is (the image moves). */
  declare round: boolean;
  /** The window can be moved and resized; otherwise it stays and the image moves. */
  declare resizable: boolean;
  /** The window keeps a square; otherwise it may be any rectangle (resizable only). */
  declare square: boolean;
  /** Offers rotate, straighten and flip (the output is processed here, so any turn can be applied). */
  declare transforms: boolean;
  /** Sides in pixels of the live previews; none when empty. Their images come with the view (no full-size paint first). */
  declare previews: number[];
  declare disabled: boolean;
  /** The crop to open on (a draft's); read when the image has loaded. */
  declare initial: Crop | null;
  /** What Reset goes back to: the photo's default crop (the face-aware one it opened on); null: the largest centred crop. */
  declare resetTo: Crop | null;
  /** @internal */
  declare _view: View | null;
  /** @internal */
  declare _window: Rect;
  /** @internal */
  declare _said: string;
  /** @internal Whether cropperjs' elements are in: a task after the rest (see firstUpdated). */
  declare _cropper: boolean;

  /** The image's natural size, once it has loaded. */
  natural: Size | null = null;
  private _stage: Size = { width: 0, height: 0 };
  /** The view a straighten gesture started from (moving the slider back gives back its zoom), and where it is now. */
  private _straightenFrom: View | null = null;
  private _straightened: View | null = null;
  private _placing = false;
  private _dragsWindow = false;
  private _canvasOrigin: Point = [0, 0];
  private _loaded: Promise<unknown> | null = null;
  private _sized!: () => void;
  private readonly _sizeKnown = new Promise<void>((resolve) => (this._sized = resolve));
  private _mounted!: () => void;
  private readonly _cropperIn = new Promise<void>((resolve) => (this._mounted = resolve));
  /** The stage's size, taken up in the next frame: nothing changes inside the observer's own delivery. */
  private readonly _resizes = new ResizeObserver(([entry]) => {
    const { width, height } = entry!.contentRect;
    requestAnimationFrame(() => this._onStageSize(width, height));
  });

  constructor() {
    super();
    this.src = '';
    this.label = '';
    this.alt = '';
    this.round = false;
    this.resizable = false;
    this.square = false;
    this.transforms = false;
    this.previews = [];
    this.disabled = false;
    this.initial = null;
    this.resetTo = null;
    this._cropper = false;
    this._view = null;
    this._window = { x: 0, y: 0, w: 0, h: 0 };
    this._said = '';
  }

  /** Resolves once the image is shown with its first crop placed (false when it cannot be loaded). */
  get ready(): Promise<boolean> {
    return (this._loaded ??= this._load()).then(
      () => true,
      () => false,
    );
  }

  /** The crop the window shows, or null before the image is shown. */
  crop(): Crop | null {
    return this._view && this.natural ? cropOf(this._view, this._window, this.natural) : null;
  }

  /** Shows `crop` as if the photo had opened on it (the default crop, found once the photo was already shown). */
  show(crop: Crop) {
    if (this.natural) this._open(crop);
  }

  /** Back to the default crop (`resetTo`, else the image's largest centred crop), with no turn and no mirror. */
  reset() {
    if (!this.natural) return;
    if (this.resetTo) return this._open({ x: this.resetTo.x, y: this.resetTo.y, w: this.resetTo.w, h: this.resetTo.h });
    const view = this._fitView();
    this._window = this._defaultWindow(view);
    this._view = clampView(view, this._window, this._stage, this.natural);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._resizes.disconnect();
  }

  protected override firstUpdated() {
    this._resizes.observe(this.renderRoot.querySelector('.stage')!);
    // cropperjs' elements (each with a shadow root and styles of its own) come in a task after the toolbar and
    // previews: together, on a slow phone, they would hold the main thread well over 50 ms.
    setTimeout(() => (this._cropper = true));
  }

  protected override willUpdate(changed: PropertyValues<this>) {
    if (changed.has('src') && changed.get('src') !== undefined) {
      this._view = null;
      this.natural = null;
      this._loaded = null;
    }
    // The square switch of a resizable window: the largest window of the new shape on the image.
    if (changed.has('square') && changed.get('square') !== undefined && this._view) this._window = this._defaultWindow(this._view);
    // A shape changed to or from a fixed window (the host's `shape`): the same crop in the new kind of window.
    const crop = changed.has('resizable') && changed.get('resizable') !== undefined && this.crop();
    if (crop) this._open(crop);
  }

  protected override updated(changed: PropertyValues<this>) {
    if (changed.has('_cropper') && this._cropper) this._mounted();
    if (this.src && !this._loaded) void this.ready;
    if (changed.has('_view') || changed.has('_window')) this._draw();
  }

  /** Waits for the image and the stage's size, then opens on `initial` or the default view. */
  private async _load() {
    await this._cropperIn;
    const image = this.renderRoot.querySelector<CropperImage>('cropper-image')!;
    const img = await image.$ready();
    await this._sizeKnown;
    this.natural = { width: img.naturalWidth, height: img.naturalHeight };
    if (this.initial) this._open(this.initial);
    else this.reset();
    await this.updateComplete;
  }

  private _onStageSize(width: number, height: number) {
    if (!width || !height) return; // hidden (another tab): keep the view for when it shows again
    const crop = this.crop();
    this._stage = { width, height };
    this._sized();
    if (crop) this._open(crop); // the same crop in the new space
  }

  /** Shows `crop`: in a fixed window as it is; a resizable one takes the crop's shape, as large as the stage allows. */
  private _open(crop: Crop) {
    const image = this.natural!;
    this._window = this.resizable ? fitRect(this._inset(), crop.w / crop.h) : this._fixedWindow();
    this._view = clampView(viewOf(crop, this._window, image), this._window, this._stage, image);
  }

  private _inset(): Rect {
    const { width, height } = this._stage;
    return { x: WINDOW_MARGIN, y: WINDOW_MARGIN, w: Math.max(1, width - 2 * WINDOW_MARGIN), h: Math.max(1, height - 2 * WINDOW_MARGIN) };
  }

  private _fixedWindow(): Rect {
    return fitRect(this._inset(), 1);
  }

  /** The whole image fitted into the stage, unturned. */
  private _fitView(): View {
    const image = this.natural!;
    const inset = this._inset();
    const zoom = Math.min(inset.w / image.width, inset.h / image.height);
    return { x: this._stage.width / 2, y: this._stage.height / 2, zoom, rotate: 0, flip: false };
  }

  /** A fixed window; else the largest window of the right shape on the part of the image in the stage. */
  private _defaultWindow(view: View): Rect {
    if (!this.resizable) return this._fixedWindow();
    const shown = shownRect(view, this.natural!);
    const x = Math.max(shown.x, 0);
    const y = Math.max(shown.y, 0);
    const visible = { x, y, w: Math.min(shown.x + shown.w, this._stage.width) - x, h: Math.min(shown.y + shown.h, this._stage.height) - y };
    return this.square ? fitRect(visible, 1) : visible;
  }

  /** Live-region text; a repeated message changes by a no-break space so it is read again. */
  private _say(text: string) {
    this._said = this._said === text ? `${text}\u00a0` : text;
  }

  private get _centre(): Point {
    return [this._window.x + this._window.w / 2, this._window.y + this._window.h / 2];
  }

  private _zoomBy(factor: number, at: Point = this._centre) {
    const view = this._view;
    if (!view) return;
    this._view = zoomAt(view, factor, at, this._window, this._stage, this.natural!);
  }

  private _rotate(degrees: number) {
    if (!this._view) return;
    this._view = rotateBy(this._view, degrees, this._window, this._stage, this.natural!);
    this._say(`${this.text.rotation}: ${this._degrees(this._view.rotate)}`);
  }

  private _flip() {
    if (!this._view) return;
    this._view = flipView(this._view, this._window, this._stage, this.natural!);
    this._say(this._view.flip ? this.text.flipped : this.text.notFlipped);
  }

  /** Sets the straightening to `degrees`, from the view the slider was first moved in (any other change starts anew). */
  private _straighten(degrees: number) {
    if (!this._view) return;
    if (this._view !== this._straightened) this._straightenFrom = this._view;
    const from = this._straightenFrom!;
    this._view = this._straightened = rotateBy(from, degrees - splitRotation(from.rotate).straighten, this._window, this._stage, this.natural!);
  }

  /** The zoom slider: `step` of ZOOM_STEPS on a logarithmic scale from the least zoom to the most. */
  private _zoomSlider(step: number) {
    if (!this._view) return;
    const { min, max } = zoomLimits(this._window, this._stage, this.natural!, this._view.rotate);
    this._view = zoomTo(this._view, min * (max / min) ** (step / ZOOM_STEPS), this._window, this._stage, this.natural!);
  }

  private _degrees(value: number) {
    return degreeText(this.text.locale, Math.round(value * 10) / 10);
  }

  private _zoomText(view: View) {
    const { min } = zoomLimits(this._window, this._stage, this.natural!, view.rotate);
    return percentText(this.text.locale, view.zoom / min);
  }

  /** Arrows move the crop (Shift: further), + and − zoom, [ and ] turn, 0 resets. */
  private _onKey(event: KeyboardEvent) {
    const view = this._view;
    if (!view || this.disabled || event.ctrlKey || event.metaKey || event.altKey) return;
    const t = this.text;
    const step = event.shiftKey ? 5 * KEY_STEP : KEY_STEP;
    const move = ({ ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] } as Record<string, Point>)[event.key];
    if (move) {
      if (this.resizable) this._placeWindow({ ...this._window, x: this._window.x + move[0], y: this._window.y + move[1] });
      else this._view = panBy(view, -move[0], -move[1], this._window, this._stage, this.natural!);
      this._say(t.moved);
    } else if (/^[-+=_]$/.test(event.key)) {
      this._zoomBy(/[+=]/.test(event.key) ? KEY_ZOOM : 1 / KEY_ZOOM);
      this._say(`${t.zoom}: ${this._zoomText(this._view!)}`);
    } else if (this.transforms && (event.key === '[' || event.key === ']')) {
      this._rotate(event.key === ']' ? 90 : -90);
    } else if (event.key === '0') {
      this.reset();
      this._say(t.cropReset);
    } else return;
    event.preventDefault();
  }

  /** A mouse wheel zooms in steps, a trackpad pinch (ctrlKey) smoothly, both about the pointer. */
  private readonly _onWheel = {
    handleEvent: (event: WheelEvent) => {
      event.preventDefault();
      event.stopPropagation(); // cropper-canvas would zoom by fixed steps, 50 ms apart
      if (!this._view || this.disabled) return;
      const box = (event.currentTarget as Element).getBoundingClientRect();
      const delta = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1);
      const factor = event.ctrlKey ? Math.exp(-delta / 100) : KEY_ZOOM ** Math.max(-3, Math.min(3, -delta / 100));
      this._zoomBy(factor, [event.clientX - box.left, event.clientY - box.top]);
    },
    capture: true,
    passive: false,
  };

  private _onActionStart(event: CanvasAction) {
    const target = event.detail.relatedEvent?.target as Element | undefined;
    this._dragsWindow = this.resizable && Boolean(target?.closest('cropper-selection'));
    const box = (event.currentTarget as Element).getBoundingClientRect();
    this._canvasOrigin = [box.left + scrollX, box.top + scrollY];
  }

  /** Drags move the image (or a resizable window, which cropperjs moves), pinches zoom it about their centre. */
  private _onAction(event: CanvasAction) {
    const { action, startX, startY, endX, endY, scale, centerX, centerY } = event.detail;
    const view = this._view;
    if (!view) return;
    if (action === 'move' && !this._dragsWindow) {
      this._view = panBy(view, endX - startX, endY - startY, this._window, this._stage, this.natural!);
    } else if ((action === 'scale' || action === 'transform') && scale !== undefined) {
      this._zoomBy(1 + scale, [(centerX ?? 0) - this._canvasOrigin[0], (centerY ?? 0) - this._canvasOrigin[1]]);
    } else if (action !== 'rotate') return; // a twist of two fingers does not turn the image: the buttons do
    event.preventDefault();
  }

  /** cropperjs moved or resized the window: as far as the stage and the image allow. */
  private _onSelectionChange(event: CustomEvent<{ x: number; y: number; width: number; height: number }>) {
    if (this._placing || !this._view) return;
    event.preventDefault();
    const { x, y, width, height } = event.detail;
    this._placeWindow({ x, y, w: width, h: height });
  }

  private _placeWindow(to: Rect) {
    this._window = fitWindow(this._window, to, this._view!, this._stage, this.natural!);
  }

  /** Puts the view on screen: the image's transform, the window, the previews. Writes only, never measures. */
  private _draw() {
    const view = this._view;
    const image = this.natural;
    if (!view || !image) return;
    const root = this.renderRoot;
    root.querySelector<HTMLElement>('cropper-image')!.style.transform = imageTransform(view, image);
    const selection = root.querySelector<CropperSelection>('cropper-selection')!;
    const { x, y, w, h } = this._window;
    this._placing = true;
    selection.$change(x, y, w, h, Number.NaN);
    this._placing = false;
    for (const img of root.querySelectorAll<HTMLImageElement>('.previews img')) {
      const side = Number(img.dataset['side']);
      const { scale, transform } = previewTransform(view, this._window, image, side);
      img.style.cssText = `width:${image.width * scale}px;height:${image.height * scale}px;transform:${transform}`;
    }
    this.dispatchEvent(new Event('crop-change'));
  }

  override render() {
    const t = this.text;
    const view = this._view;
    const busy = this.disabled; // before the image shows, the handlers have no view to change: no attributes to flip then
    const limits = view && zoomLimits(this._window, this._stage, this.natural!, view.rotate);
    const zoomStep = limits ? (Math.log(view.zoom / limits.min) / Math.log(Math.max(limits.max / limits.min, 1.001))) * ZOOM_STEPS : 0;
    const straighten = view ? splitRotation(view.rotate).straighten : 0;
    const handles = this.resizable
      ? (this.square ? ['ne', 'nw', 'se', 'sw'] : ['n', 'e', 's', 'w', 'ne', 'nw', 'se', 'sw']).map((side) => html`<cropper-handle action=${`${side}-resize`} theme-color="transparent"></cropper-handle>`)
      : nothing;
    return html`
      <div class="stage" part="cropper" tabindex="0" role="application" aria-label=${this.label} @keydown=${this._onKey} @wheel=${this._onWheel}>
        ${this._cropper
          ? html`<cropper-canvas ?disabled=${busy} @actionstart=${this._onActionStart} @action=${this._onAction}>
              <cropper-image src=${this.src} alt=${this.alt}></cropper-image>
              <cropper-handle action="move" plain></cropper-handle>
              <cropper-selection class=${this.round ? 'round' : ''} ?movable=${this.resizable} ?resizable=${this.resizable} .aspectRatio=${this.square ? 1 : Number.NaN} outlined precise @change=${this._onSelectionChange}>
                <cropper-handle action="move" plain></cropper-handle>
                ${handles}
              </cropper-selection>
            </cropper-canvas>`
          : nothing}
      </div>
      <div part="toolbar">
        <div class="row">
          <label class="slider">
            ${t.zoom}
            <input
              type="range"
              name="zoom"
              min="0"
              max=${ZOOM_STEPS}
              step="any"
              .value=${String(zoomStep)}
              aria-valuetext=${view ? this._zoomText(view) : ''}
              ?disabled=${busy}
              @input=${(e: Event) => this._zoomSlider(Number((e.target as HTMLInputElement).value))}
            />
          </label>
        </div>
        <div class="row">
          ${this.transforms
            ? html`<button type="button" part="button rotate-left" aria-label=${t.rotateLeft} title=${t.rotateLeft} ?disabled=${busy} @click=${() => this._rotate(-90)}>⟲</button>
                <button type="button" part="button rotate-right" aria-label=${t.rotateRight} title=${t.rotateRight} ?disabled=${busy} @click=${() => this._rotate(90)}>⟳</button>
                <button type="button" part="button flip" aria-pressed=${String(Boolean(view?.flip))} aria-label=${t.flip} title=${t.flip} ?disabled=${busy} @click=${this._flip}>⇆</button>
                <label class="slider">
                  ${t.straighten}
                  <input
                    type="range"
                    name="straighten"
                    min="-45"
                    max="45"
                    step="0.5"
                    .value=${String(straighten)}
                    aria-valuetext=${this._degrees(straighten)}
                    ?disabled=${busy}
                    @input=${(e: Event) => this._straighten(Number((e.target as HTMLInputElement).value))}
                  />
                </label>`
            : nothing}
          <button type="button" part="button reset" ?disabled=${busy} @click=${() => (this.reset(), this._say(t.cropReset))}>${t.reset}</button>
          <slot></slot>
        </div>
      </div>
      ${this.previews.length
        ? html`<div class="previews" part="previews" role="group" aria-label=${t.preview}>
            ${this.previews.map((side) => html`<div style="width:${side}px;height:${side}px">${view ? html`<img src=${this.src} alt="" data-side=${side} />` : nothing}</div>`)}
          </div>`
        : nothing}
      <p class="sr" aria-live="polite">${this._said}</p>
    `;
  }
}

if (!customElements.get('avatar-crop-area')) customElements.define('avatar-crop-area', CropArea);

declare global {
  interface HTMLElementTagNameMap {
    'avatar-crop-area': CropArea;
  }
}
