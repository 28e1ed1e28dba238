// What the worker keeps between calls for the photo being edited, so Save costs as little as possible:
// - the bitmap decoded when the photo was picked (open), so a 12 MP photo is decoded once per pick, not again
//   at Save;
// - the last result, keyed by its options: the widget asks for it as soon as the crop settles, and Save, asking
//   with the same crop, gets that result (or the encode already under way) instead of starting over.
// Renders run one at a time; one asked for ahead of time (`ahead`) is skipped if a newer one is asked for
// before it starts.
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
  /** Lets photo `id` go, if it is the open one. */
  close(id: number): void;
  /** What `use` makes of photo `id`'s decoded bitmap (null if it is not the open photo); the bitmap stays open. */
  inspect<T>(id: number, use: (bitmap: ImageBitmap) => Promise<T>): Promise<T | null>;
}

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

  return {
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
      const key = `${id} ${JSON.stringify(options)}`;
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
    close(id) {
      if (photo?.id === id) release();
    },
    async inspect(id, use) {
      return photo?.id === id ? use(await photo.bitmap) : null;
    },
  };
}
