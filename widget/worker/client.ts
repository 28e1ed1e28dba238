// Main-thread side of the image worker. The `?worker&inline` import makes Vite bundle worker.ts (with
// Comlink and the pipeline) into this module as a string and start it from a blob: URL (data: URL if blob:
// is refused), so the widget stays one file and processing needs no further request. Under
// @web/test-runner a plugin in web-test-runner.config.mjs serves the same import as a module worker on
// worker.ts itself.
import * as Comlink from 'comlink';
import ImageWorker from './worker.ts?worker&inline';
import type { ImageWorkerApi } from './worker.ts';
import type { ImageSize, ProcessOptions, ProcessResult } from './process-image.ts';

export type { CropRect, ImageSize, ProcessOptions, ProcessResult } from './process-image.ts';

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

export function createImageWorker(): ImageWorkerClient {
  const worker = new ImageWorker({ name: 'avatar-editor-image' });
  const remote = Comlink.wrap<ImageWorkerApi>(worker);
  // Comlink never settles a call whose worker is gone, so every call also races the worker's failure.
  let fail!: (error: ImageWorkerError) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {}); // observed through the races below; not an unhandled rejection on its own
  let dead = false;
  const stop = (error: ImageWorkerError) => {
    if (dead) return;
    dead = true;
    fail(error);
    remote[Comlink.releaseProxy]();
    worker.terminate();
  };
  worker.addEventListener('error', (event) => {
    stop(new ImageWorkerError(`The image worker failed: ${event.message || 'it could not be started'}`));
  });
  const call = <T>(run: () => Promise<T>): Promise<T> =>
    dead ? Promise.reject(new ImageWorkerError('The image worker has been stopped')) : Promise.race([run(), failed]);

  return {
    processImage: (input, options) => call(() => remote.processImage(input, options)),
    probe: (input) => call(() => remote.probe(input)),
    terminate: () => stop(new ImageWorkerError('The image worker has been stopped')),
  };
}
