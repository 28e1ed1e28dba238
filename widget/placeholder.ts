// Paints a placeholder (media/placeholder.ts) into a <canvas> the size of the image it stands for: its ~32 px
// picture is drawn at its own size and scaled up by CSS, which blurs it. A canvas, not a data: URL, so a host page
// whose Content-Security-Policy has no img-src data: still shows it. The decoder (~0.9 kB gzipped) is a chunk of
// its own, fetched when the first element that may need it connects: in parallel with that element's lookup.
type Decoder = (typeof import('../media/placeholder.ts'))['decodePlaceholder'];

let decoder: Promise<Decoder> | undefined;

/** Starts loading the decoder (once); elements call it as they connect. Only the decoder: the chunk leaves the encoder out. */
export const loadPlaceholderDecoder = (): Promise<Decoder> => (decoder ??= import('../media/placeholder.ts').then(({ decodePlaceholder }) => decodePlaceholder));

/**
 * Draws `placeholder` into `canvas`; resolves false (and leaves it blank) when it is not a placeholder. The canvas
 * takes the picture's size, or with `keepSize` keeps its own (its width and height hold a box) and the picture is
 * scaled into it.
 */
export async function paintPlaceholder(canvas: HTMLCanvasElement, placeholder: unknown, keepSize = false): Promise<boolean> {
  const picture = (await loadPlaceholderDecoder())(placeholder);
  const context = picture && canvas.getContext('2d');
  if (!picture || !context) return false;
  const image = new ImageData(picture.rgba, picture.width, picture.height);
  if (!keepSize) {
    canvas.width = picture.width;
    canvas.height = picture.height;
    context.putImageData(image, 0, 0);
    return true;
  }
  context.drawImage(await createImageBitmap(image), 0, 0, canvas.width, canvas.height);
  return true;
}
