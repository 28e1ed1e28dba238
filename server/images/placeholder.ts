// The placeholder of a rendered image (media/placeholder.ts): a ThumbHash of its smallest pixels, made in the same
// job as its variants from pixels already decoded, so it costs a resize of a few thousand pixels and no decode.
import sharp, { type Channels } from 'sharp';
import { encodePlaceholder, PLACEHOLDER_INPUT_MAX } from '../../media/placeholder.ts';

export interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: Channels;
}

/** The placeholder of raw sRGB pixels (3 or 4 channels), shrunk to fit PLACEHOLDER_INPUT_MAX first. */
export async function placeholderOfPixels(pixels: RawPixels): Promise<string> {
  const { data, info } = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
    .resize(PLACEHOLDER_INPUT_MAX, PLACEHOLDER_INPUT_MAX, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return encodePlaceholder(info.width, info.height, data);
}

/** The placeholder of an encoded image (its first frame), for images rendered before placeholders existed. */
export async function placeholderOfImage(bytes: Buffer): Promise<string> {
  const { data, info } = await sharp(bytes, { pages: 1, autoOrient: true })
    .resize(PLACEHOLDER_INPUT_MAX, PLACEHOLDER_INPUT_MAX, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return encodePlaceholder(info.width, info.height, data);
}
