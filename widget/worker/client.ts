// Main-thread side of the image worker. The `?worker&inline` import makes Vite bundle worker.ts (with the
// pipeline) into this module as a string and start it from a blob: URL (data: URL if blob: is refused), so
// the widget stays one file and processing needs no further request. Under @web/test-runner a plugin in
// web-test-runner.config.mjs serves the same import as a module worker on worker.ts itself.
import ImageWorker from './worker.ts?worker&inline';
import type { ImageWorkerApi } from './worker.ts';
import type { WorkerAnswer, WorkerCall } from './protocol.ts';
import type { DefaultCrop } from '../../media/default-crop/rule.ts';
import type { ImageSize, ProcessOptions, ProcessResult } from './process-image.ts';

export type { ImageSize, ProcessOptions, ProcessResult } from './process-image.ts';

export interface ImageWorkerClient {
  /**
   * Decode, rotate, crop, downscale and encode `input` in the worker. The Blobs cross by reference, not by copy.
   * A photo opened with open() is not decoded again, and the same options twice give the same result.
   */
  processImage(input: Blob, options: ProcessOptions): Promise<ProcessResult>;
  /** Starts processImage(input, options) ahead of time (the crop has settled), so Save finds it done. */
  prepare(input: Blob, options: ProcessOptions): void;
  /** Decodes `input` in the worker and keeps it for processImage (one photo at a time). Rejects with DecodeError. */
  open(input: Blob): Promise<ImageSize>;
  /** Oriented size of `input`. */
  probe(input: Blob): Promise<ImageSize>;
  /**
   * The face-aware default crop of `input` (opened with open()), found in the worker by the default-crop chunk at
   * `chunkUrl` (absolute). Null if `input` is no longer the open photo.
   */
  defaultCrop(input: Blob, chunkUrl: string): Promise<DefaultCrop | null>;
  /**
   * Has the worker encode the crop `input` (opened with open()) opens on once it is decoded, its default crop
   * found first by the default-crop chunk at `chunkUrl` when given (see image-session.ts prepareOpening), so
   * Save finds it done or under way.
   */
  prepareOpening(input: Blob, outputSize: number, chunkUrl: string | null): void;
  /** Has the worker import the default-crop chunk at `chunkUrl` and run it once, ahead of the first photo. */
  warmDefaultCrop(chunkUrl: string): Promise<void>;
  /** Stops the worker; calls in flight and later calls reject. */
  terminate(): void;
}

/** The worker could not start (e.g. a Content-Security-Policy without blob:/data: in worker-src) or died. */
export class ImageWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageWorkerError';
  }
}

type Method = keyof ImageWorkerApi;

export function createImageWorker(): ImageWorkerClient {
  const worker = new ImageWorker({ name: 'avatar-editor-image' });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let stopped: ImageWorkerError | null = null;
  // A dead worker never answers: every call in flight fails with the reason instead.
  const stop = (error: ImageWorkerError) => {
    if (stopped) return;
    stopped = error;
    worker.terminate();
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };
  worker.addEventListener('message', ({ data }: MessageEvent<WorkerAnswer>) => {
    const call = pending.get(data.id);
    pending.delete(data.id);
    if (data.type === 'RAW') call?.resolve(data.value);
    else call?.reject(Object.assign(new Error(data.value.value.message), { name: data.value.value.name }));
  });
  worker.addEventListener('error', (event) => {
    stop(new ImageWorkerError(`The image worker failed: ${event.message || 'it could not be started'}`));
  });
  const call = <M extends Method>(method: M, ...args: Parameters<ImageWorkerApi[M]>) =>
    new Promise<Awaited<ReturnType<ImageWorkerApi[M]>>>((resolve, reject) => {
      if (stopped) return reject(stopped);
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message: WorkerCall = { id, type: 'APPLY', path: [method], argumentList: args.map((value) => ({ type: 'RAW', value })) };
      worker.postMessage(message);
    });

  // The photo open in the worker, by the Blob the widget holds.
  let opened: { input: Blob; id: number; size: Promise<ImageSize> } | null = null;
  let photos = 0;
  const idOf = (input: Blob) => (opened?.input === input ? opened.id : undefined);
  return {
    processImage: (input, options) => call('processImage', input, options, idOf(input), false),
    prepare(input, options) {
      const id = idOf(input);
      if (id !== undefined) call('processImage', input, options, id, true).catch(() => {}); // Save asks again
    },
    open(input) {
      if (opened?.input === input) return opened.size;
      const id = ++photos;
      opened = { input, id, size: call('open', id, input) };
      return opened.size;
    },
    probe: (input) => call('probe', input),
    defaultCrop: async (input, chunkUrl) => {
      const id = idOf(input);
      return id === undefined ? null : call('defaultCrop', id, chunkUrl);
    },
    prepareOpening(input, outputSize, chunkUrl) {
      const id = idOf(input);
      if (id !== undefined) call('prepareOpening', id, input, outputSize, chunkUrl).catch(() => {}); // Save asks again
    },
    warmDefaultCrop: (chunkUrl) => call('warmDefaultCrop', chunkUrl),
    terminate: () => stop(new ImageWorkerError('The image worker has been stopped')),
  };
}

let shared: ImageWorkerClient | null = null;
/** One worker per page, created on first use. */
export const sharedImageWorker = (): ImageWorkerClient => (shared ??= createImageWorker());

/** Decodes the photo to edit and keeps it in the worker for Save; false when it does not decode as an image. */
export const openImage = (file: Blob): Promise<boolean> =>
  sharedImageWorker()
    .open(file)
    .then(
      () => true,
      (error: Error) => error.name !== 'DecodeError', // a worker that cannot start fails at Save, with its reason
    );

/** True when `file` does not decode as an image (a text file named .png, a truncated JPEG…). */
export const undecodable = (file: Blob): Promise<boolean> =>
  sharedImageWorker()
    .probe(file)
    .then(
      () => false,
      (error: Error) => error.name === 'DecodeError',
    );
