// Paints a placeholder (media/placeholder.ts) into a <canvas> the size of the image it stands for: its ~32 px
// picture is drawn at its own size and scaled up by CSS, which blurs it. A canvas, not a data: URL, so a host page
// whose Content-Security-Policy has no img-src data: still shows it.
import { decodePlaceholder } from '../media/placeholder.ts';

/** Draws `placeholder` into `canvas`; returns false (and leaves it blank) when it is not a placeholder. */
export function paintPlaceholder(canvas: HTMLCanvasElement, placeholder: unknown): boolean {
  const picture = decodePlaceholder(placeholder);
  const context = picture && canvas.getContext('2d');
  if (!picture || !context) return false;
  canvas.width = picture.width;
  canvas.height = picture.height;
  context.putImageData(new ImageData(picture.rgba, picture.width, picture.height), 0, 0);
  return true;
}
