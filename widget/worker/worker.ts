// The dedicated worker's entry: answers the calls of client.ts (see protocol.ts) with the image pipeline.
// Bundled into the widget as an inlined worker (see client.ts); never imported by main-thread code except
// for its types.
import type { ProcessOptions } from './process-image.ts';
import { createImageSession } from './image-session.ts';
import { probe } from './process-image.ts';
import type { WorkerAnswer, WorkerCall } from './protocol.ts';
import type { DefaultCrop } from '../../media/default-crop/rule.ts';

const session = createImageSession();
/** The open photo's default crop, found once: the editor asks for it, and so does prepareOpening. */
let found: { id: number; crop: Promise<DefaultCrop | null> } | null = null;

/**
 * The face-aware default crop of the open photo `id` (issue 21), by the default-crop chunk at `chunkUrl`: an
 * absolute URL, since this worker runs from a blob: URL, against which a relative one resolves to nothing. The
 * photo stays in this worker; null if `id` is no longer the open photo.
 */
function defaultCrop(id: number, chunkUrl: string): Promise<DefaultCrop | null> {
  if (found?.id !== id) found = { id, crop: importChunk(chunkUrl).then((chunk) => session.inspect(id, chunk.defaultCropOfBitmap)) };
  return found.crop;
}

/** The crop photo `id` opens on, encoded once it is decoded (see image-session.ts), its default crop found first. */
const prepareOpening = (id: number, input: Blob, outputSize: number, chunkUrl: string | null) =>
  void session.prepareOpening(id, input, outputSize, chunkUrl ? () => defaultCrop(id, chunkUrl) : null).catch(() => {}); // Save asks again

/** Imports the default-crop chunk, which fetches its model and runs the detector once, before the first photo needs it. */
async function warmDefaultCrop(chunkUrl: string): Promise<void> {
  await (await importChunk(chunkUrl)).warmUp();
}

const importChunk = (url: string) => import(/* @vite-ignore */ url) as Promise<typeof import('../default-crop/default-crop.ts')>;

const api = {
  probe,
  open: session.open,
  close: session.close,
  defaultCrop,
  prepareOpening,
  warmDefaultCrop,
  /** `id`: the open photo's (its decoded bitmap is used); `ahead`: asked for before Save (see image-session.ts). */
  processImage: (input: Blob, options: ProcessOptions, id?: number, ahead?: boolean) => session.process(input, options, id, ahead),
};

export type ImageWorkerApi = typeof api;

const answer = (message: WorkerAnswer) => postMessage(message);

addEventListener('message', async ({ data: { id, path, argumentList } }: MessageEvent<WorkerCall>) => {
  try {
    const run = api[path[0] as keyof ImageWorkerApi] as (...args: unknown[]) => unknown;
    answer({ id, type: 'RAW', value: await run(...argumentList.map((argument) => argument.value)) });
  } catch (error) {
    // Also a result that cannot be cloned: the call fails instead of never settling.
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    answer({ id, type: 'HANDLER', name: 'throw', value: { isError: true, value: { name, message } } });
  }
});
