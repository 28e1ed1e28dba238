// The compact face model (compact-model.ts) made from the packaged .tflite, in Node: what the build ships to the
// widget (vite.config.ts), the server runs (server/images/face-model.ts), and tests and benchmarks use.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compactModel } from './compact-model.ts';

/** MediaPipe's BlazeFace short-range model, in the npm package @mediapipe/face_detection (Apache-2.0). */
export const TFLITE_MODEL = '@mediapipe/face_detection/face_detection_short_range.tflite';

/** Where the packaged .tflite is on this machine. */
export const tfliteModelPath = (): string => createRequire(import.meta.url).resolve(TFLITE_MODEL);

/** The compact model of the packaged .tflite: the same bytes on every call and every machine. */
export const compactFaceModel = (options?: Parameters<typeof compactModel>[1]): Uint8Array => compactModel(readFileSync(tfliteModelPath()), options);
