// What the worker keeps between calls for the photo being edited, so Save costs as little as possible:
// - the bitmap decoded when the photo was picked (open), so a 12 MP photo is decoded once per pick, not again
//   at Save;
// - the last result, keyed by its options: the worker starts on the crop a photo opens on as soon as it is
//   decoded, the widget asks again whenever the crop settles, and Save, asking with the same crop, gets that
//   result (or the encode already under way) instead of starting over.
// Renders run one at a time; one asked for ahead of time (`ahead`) is skipped if a newer one is asked for
// before it starts.
import type { DefaultCrop } from '../../media/default-crop/rule.ts';
import { openingCrop } from '../opening-crop.ts';
import { decode, processBitmap, type ImageSize, type ProcessOptions, type ProcessResult } from './process-image.ts';

/** A render asked for ahead of time that a newer one replaced before it started. */
export class SupersededError extends Error {
  constructor() {
    super('A newer crop replaced this one');
    this.name = 'SupersededError';
  }
}

export interface ImageSession {
  /** Decodes `input` and keeps it as photo `id` (the previous one is let go). Rejects with DecodeError. */
  open(id: number, input: Blob): Promise<ImageSize>;
  /**
   * Processes photo `id` if it is the open one (else decodes `input` for this call alone). The same options
   * twice in a row give the same result. `ahead`: asked for before Save, so a newer call may skip it.
   */
  process(input: Blob, options: ProcessOptions, id?: number, ahead?: boolean): Promise<ProcessResult>;
  /**
   * Starts encoding the crop photo `id` opens on (openingCrop: its default crop, from `defaultCrop` when given, or
   * the centred largest square) as soon as it is decoded, while the page builds the crop view: a Save made at once
   * asks for the same crop and gets this render, done or under way. Null if `id` is not the open photo.
   */
  prepareOpening(id: number, input: Blob, outputSize: number, defaultCrop: (() => Promise<DefaultCrop | null>) | null): Promise<ProcessResult | null>;
  /** Lets photo `id` go, if it is the open one. */
  close(id: number): void;
  /** What `use` makes of photo `id`'s decoded bitmap (null if it is not the open photo); the bitmap stays open. */
  inspect<T>(id: number, use: (bitmap: ImageBitmap) => Promise<T>): Promise<T | null>;
}

/** The same photo and options, however their objects were built (the editor's crop, or the worker's own opening crop). */
const keyOf = (id: number, { crop, outputSize, quality, maxOutputBytes }: ProcessOptions) =>
  JSON.stringify([id, crop && [crop.x, crop.y, crop.w, crop.h, crop.rotate ?? 0, crop.flip ?? false], outputSize, quality, maxOutputBytes]);

export function createImageSession(decodeImage: (input: Blob) => Promise<ImageBitmap> = decode): ImageSession {
  let photo: { id: number; bitmap: Promise<ImageBitmap> } | null = null;
  let last: { key: string; result: Promise<ProcessResult> } | null = null;
  let newest = '';
  let queue: Promise<unknown> = Promise.resolve();

  const release = () => {
    void photo?.bitmap.then((bitmap) => bitmap.close(), () => {});
    photo = null;
    last = null;
  };

  const session: ImageSession = {
    open(id, input) {
      release();
      const bitmap = decodeImage(input);
      photo = { id, bitmap };
      bitmap.catch(() => photo?.id === id && (photo = null));
      return bitmap.then((b) => ({ width: b.width, height: b.height }));
    },
    process(input, options, id, ahead = false) {
      const open = photo && photo.id === id ? photo : null;
      if (!open) return decodeImage(input).then((bitmap) => processBitmap(bitmap, options).finally(() => bitmap.close()));
      const key = keyOf(open.id, options);
      if (last?.key === key) return last.result;
      newest = key;
      const result = queue.then(async () => {
        if (ahead && newest !== key) throw new SupersededError();
        return processBitmap(await open.bitmap, options);
      });
      queue = result.catch(() => {});
      last = { key, result };
      // A failure is not kept: Save tries again rather than repeating an error from ahead of time.
      result.catch(() => last?.result === result && (last = null));
      return result;
    },
    async prepareOpening(id, input, outputSize, defaultCrop) {
      const asked = newest;
      const size = await session.inspect(id, async (bitmap) => ({ width: bitmap.width, height: bitmap.height }));
      const found = size && defaultCrop ? await defaultCrop().catch(() => null) : null;
      const options = size && { crop: openingCrop(size, found), outputSize };
      // A crop asked for meanwhile (the person moved it before the default crop was found) is newer: it stays first.
      if (!options || (newest !== asked && newest !== keyOf(id, options))) return null;
      return session.process(input, options, id, true);
    },
    close(id) {
      if (photo?.id === id) release();
    },
    async inspect(id, use) {
      return photo?.id === id ? use(await photo.bitmap) : null;
    },
  };
  return session;
}
