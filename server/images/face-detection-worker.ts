// A face detection thread of face-detection-pool.ts: builds the detector once (model read, one run to compile its
// loops: BlazeFace.warmUp), then answers one photo at a time with the default crop of media/default-crop, the
// same code the widget's worker runs.
import { parentPort } from 'node:worker_threads';
import { smartDefaultCrop } from '../../media/default-crop/index.ts';
import type { DetectionAnswer, DetectionRequest } from './face-detection-pool.ts';
import { loadFaceDetector } from './face-model.ts';

const detector = loadFaceDetector();
detector.warmUp();

parentPort!.on('message', ({ id, copy, size }: DetectionRequest) => {
  let answer: DetectionAnswer;
  try {
    const { crop, source } = smartDefaultCrop(detector, copy, size);
    answer = { id, result: { crop, source } };
  } catch (error) {
    answer = { id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(answer);
});
