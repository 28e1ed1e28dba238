// The crop area both modes share: cropperjs v2's canvas with a movable, resizable selection (square or
// free), its keyboard (arrows move, + and - zoom) and reading the crop back in image pixels.
import { html } from 'lit';
import { css } from './styles.ts';
// Only the elements the template below uses: the shade outside the selection and the grid inside it are CSS
// (see cropAreaStyles) and the previews are plain images (mirrorSelection), so cropper-shade, cropper-grid,
// cropper-viewer and cropper-crosshair stay out of the bundle.
import { CropperCanvas, CropperHandle, CropperImage, CropperSelection } from '@cropper/elements';
import { cropFromBoxes, type Crop } from './crop-geometry.ts';

for (const element of [CropperCanvas, CropperImage, CropperSelection, CropperHandle]) {
  if (!customElements.get(element.$name)) element.$define();
}

const KEY_MOVE_STEP = 10;
export const KEY_ZOOM_STEP = 0.1;

export const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

export const cropAreaStyles = css`
  .crop {
    height: var(--avatar-editor-crop-height, 320px);
    margin: 0.5rem 0;
    border-radius: var(--_radius);
    overflow: hidden;
  }
  .crop:focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  cropper-canvas {
    width: 100%;
    height: 100%;
  }
  cropper-selection {
    /* Dims everything outside the selection (the canvas clips the shadow) and draws the thirds inside it. */
    --_line: #eee7 0 calc(33.33% + 0.5px), #0000 0 calc(66.67% - 0.5px), #eee7 0 calc(66.67% + 0.5px), #0000 0;
    box-shadow: 0 0 0 100vmax #000a;
    background: linear-gradient(90deg, #0000 calc(33.33% - 0.5px), var(--_line)), linear-gradient(#0000 calc(33.33% - 0.5px), var(--_line));
  }
`;

// Underscored like the widget's other internals, so the bundle shortens the names.
export interface CropAreaOptions {
  _imageUrl: string;
  /** Accessible name of the area, which says what the keys do. */
  _label: string;
  _imageAlt: string;
  _busy: boolean;
  /** Square keeps the selection's aspect ratio at 1; free lets it be any rectangle. */
  _square: boolean;
  /** The selection moved or was resized, or the image was zoomed, moved or rotated. */
  _onChange?: () => void;
  _onKeyDown: (event: KeyboardEvent) => void;
}

export function renderCropArea(o: CropAreaOptions) {
  const onChange = (event: Event) => {
    const root = (event.currentTarget as Element).getRootNode() as ParentNode;
    queueMicrotask(() => mirrorSelection(root)); // the element applies the change after its event
    o._onChange?.();
  };
  return html`
    <div class="crop" part="cropper" tabindex="0" role="application" aria-label=${o._label} @keydown=${o._onKeyDown}>
      <cropper-canvas background ?disabled=${o._busy}>
        <cropper-image src=${o._imageUrl} alt=${o._imageAlt} rotatable scalable translatable initial-center-size="contain" @transform=${onChange}></cropper-image>
        <cropper-handle action="move" plain></cropper-handle>
        <cropper-selection initial-coverage="0.7" .aspectRatio=${o._square ? 1 : NaN} movable resizable outlined @change=${onChange}>
          <cropper-handle action="move" theme-color="rgba(255, 255, 255, 0.35)"></cropper-handle>
          <cropper-handle action="ne-resize"></cropper-handle>
          <cropper-handle action="nw-resize"></cropper-handle>
          <cropper-handle action="se-resize"></cropper-handle>
          <cropper-handle action="sw-resize"></cropper-handle>
          ${o._square
            ? null
            : html`<cropper-handle action="n-resize"></cropper-handle><cropper-handle action="e-resize"></cropper-handle>
                <cropper-handle action="s-resize"></cropper-handle><cropper-handle action="w-resize"></cropper-handle>`}
        </cropper-selection>
      </cropper-canvas>
    </div>
  `;
}

/** The crop area's parts inside `root` (null before an image is shown). */
function parts(root: ParentNode) {
  const canvas = root.querySelector<CropperCanvas>('cropper-canvas');
  const image = root.querySelector<CropperImage>('cropper-image');
  const selection = root.querySelector<CropperSelection>('cropper-selection');
  return canvas && image && selection ? { canvas, image, selection } : null;
}

/** Resolves once the image has loaded and the canvas has placed it and the selection. */
export async function cropAreaReady(root: ParentNode): Promise<boolean> {
  const image = root.querySelector<CropperImage>('cropper-image');
  if (!image) return false;
  await image.$ready();
  await nextFrame();
  await nextFrame();
  return true;
}

export function zoomCropImage(root: ParentNode, step: number) {
  parts(root)?.image.$zoom(step);
}

export function rotateCropImage(root: ParentNode, degrees: number) {
  parts(root)?.image.$rotate(`${degrees}deg`);
}

const MOVES: Record<string, [number, number]> = {
  ArrowLeft: [-KEY_MOVE_STEP, 0],
  ArrowRight: [KEY_MOVE_STEP, 0],
  ArrowUp: [0, -KEY_MOVE_STEP],
  ArrowDown: [0, KEY_MOVE_STEP],
};

/** Arrows move the selection, + and - zoom the image. Returns what the key did, or null if nothing. */
export function applyCropKey(root: ParentNode, key: string): 'move' | 'zoom' | null {
  const found = parts(root);
  if (!found) return null;
  const move = MOVES[key];
  if (move) {
    found.selection.$move(...move);
    return 'move';
  }
  if (key === '+' || key === '=' || key === '-' || key === '_') {
    found.image.$zoom(key === '+' || key === '=' ? KEY_ZOOM_STEP : -KEY_ZOOM_STEP);
    return 'zoom';
  }
  return null;
}

/** Live previews of the selection: square boxes, each holding an <img> of the same source (see mirrorSelection). */
export function renderPreviews(imageUrl: string, sizes: number[]) {
  return sizes.map((size) => html`<div aria-hidden="true" style="width:${size}px;height:${size}px"><img src=${imageUrl} alt="" /></div>`);
}

/**
 * Frames the selection in every `.previews img`: the image scaled so the selection fills the box, with the crop
 * image's transform. What cropper-viewer does with a second cropper-image per preview, as one CSS transform.
 */
export function mirrorSelection(root: ParentNode) {
  const found = parts(root);
  const natural = found?.image.$image;
  if (!found || !natural?.naturalWidth) return;
  const { x, y, width } = found.selection;
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = found.image.$getTransform();
  // The translation, in the image's own space, that brings the selection's corner to the box's corner.
  const det = a * d - b * c;
  const tx = (c * y - d * x) / det;
  const ty = (b * x - a * y) / det;
  for (const img of root.querySelectorAll<HTMLImageElement>('.previews img')) {
    const scale = img.parentElement!.clientWidth / width;
    img.style.cssText = `width:${natural.naturalWidth * scale}px;height:${natural.naturalHeight * scale}px;transform:matrix(${a},${b},${c},${d},${(a * tx + c * ty + e) * scale},${(b * tx + d * ty + f) * scale})`;
  }
}

/** The image's on-screen box and its natural size, once it has loaded. */
export function shownImage(root: ParentNode) {
  const image = parts(root)?.image;
  const img = image?.$image;
  if (!image || !img?.naturalWidth) return null;
  return { box: image.getBoundingClientRect(), naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight };
}

/** The crop under the selection in pixels of the image rotated by `rotation`; null before an image is shown. */
export function readCrop(root: ParentNode, rotation: number, square: boolean): Crop | null {
  const image = shownImage(root);
  const selection = parts(root)?.selection;
  if (!image || !selection) return null;
  return cropFromBoxes(image.box, selection.getBoundingClientRect(), image.naturalWidth, image.naturalHeight, rotation, square);
}

/** Places the selection at `box` (page coordinates, as getBoundingClientRect gives). */
export function placeSelection(root: ParentNode, box: { left: number; top: number; width: number; height: number }) {
  const found = parts(root);
  if (!found) return;
  const canvas = found.canvas.getBoundingClientRect();
  found.selection.$change(box.left - canvas.left, box.top - canvas.top, box.width, box.height);
}

/** Selects the whole visible image, or its centred largest square. */
export function selectWholeImage(root: ParentNode, square: boolean) {
  const found = parts(root);
  if (!found) return;
  const canvas = found.canvas.getBoundingClientRect();
  const image = found.image.getBoundingClientRect();
  const left = Math.max(image.left, canvas.left);
  const top = Math.max(image.top, canvas.top);
  const width = Math.min(image.right, canvas.right) - left;
  const height = Math.min(image.bottom, canvas.bottom) - top;
  if (width <= 0 || height <= 0) return;
  if (!square) return placeSelection(root, { left, top, width, height });
  const side = Math.min(width, height);
  placeSelection(root, { left: left + (width - side) / 2, top: top + (height - side) / 2, width: side, height: side });
}
