// Main-thread side of the image worker. The `?worker&inline` import makes Vite bundle worker.ts (with the
// pipeline) into this module as a string and start it from a blob: URL (data: URL if blob: is refused), so
// the widget stays one file and processing needs no further request. Under @web/test-runner a plugin in
// web-test-runner.config.mjs serves the same import as a module worker on worker.ts itself.
import ImageWorker from './worker.ts?worker&inline';
import type { ImageWorkerApi } from './worker.ts';
import type { WorkerAnswer, WorkerCall } from './protocol.ts';
import type { ImageSize, ProcessOptions, ProcessResult } from './process-image.ts';

export type { ImageSize, ProcessOptions, ProcessResult } from './process-image.ts';

export interface ImageWorkerClient {
  /** Decode, rotate, crop, downscale and encode `input` in the worker. The Blobs cross by reference, not by copy. */
  processImage(input: Blob, options: ProcessOptions): Promise<ProcessResult>;
  /** Oriented size of `input`. */
  probe(input: Blob): Promise<ImageSize>;
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

  return {
    processImage: (input, options) => call('processImage', input, options),
    probe: (input) => call('probe', input),
    terminate: () => stop(new ImageWorkerError('The image worker has been stopped')),
  };
}

let shared: ImageWorkerClient | null = null;
/** One worker per page, created on first use. */
export const sharedImageWorker = (): ImageWorkerClient => (shared ??= createImageWorker());

/** True when `file` does not decode as an image (a text file named .png, a truncated JPEG…). */
export const undecodable = (file: Blob): Promise<boolean> =>
  sharedImageWorker()
    .probe(file)
    .then(
      () => false,
      (error: Error) => error.name === 'DecodeError',
    );
