// The dedicated worker's entry: exposes the image pipeline over Comlink. Bundled into the widget as an
// inlined worker (see client.ts); never imported by main-thread code except for its types.
import * as Comlink from 'comlink';
import { probe, processImage } from './process-image.ts';

const api = { processImage, probe };

export type ImageWorkerApi = typeof api;

Comlink.expose(api);
