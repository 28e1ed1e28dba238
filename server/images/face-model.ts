// The face detector's model as the server reads it: face_detection_short_range.tflite from the npm package
// @mediapipe/face_detection (never downloaded at run time).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BlazeFace } from '../../media/default-crop/index.ts';

const MODEL = '@mediapipe/face_detection/face_detection_short_range.tflite';

/** A detector on the packaged model. */
export function loadFaceDetector(): BlazeFace {
  return new BlazeFace(readFileSync(createRequire(import.meta.url).resolve(MODEL)));
}
