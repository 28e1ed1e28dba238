// The crop a new photo opens on, one rule for the editor and its image worker. Written out here rather than
// imported from media/default-crop/rule.ts: code the entry bundle shared with the default-crop chunk would be
// hoisted into the entry, and the chunk (which the worker imports) would then import the entry, elements and all.
// test/widget/opening-crop.test.ts checks that both centred squares agree.
import type { Crop, DefaultCrop, ImageSize } from '../media/default-crop/rule.ts';

/**
 * Its default crop where one was found (around the face, or the subject), else the centred largest square, in
 * whole pixels. The editor opens the crop view on it, and the image worker starts encoding it as soon as the
 * photo is decoded (the view shows it to the pixel: viewOf and cropOf undo each other), so a Save made at once
 * finds that work done or under way.
 */
export function openingCrop({ width, height }: ImageSize, found: DefaultCrop | null): Crop {
  if (found && found.source !== 'center') return found.crop;
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), w: side, h: side };
}
