// A face detection thread of face-detection-pool.ts: builds the detector once (model read, one run to compile its
// loops: BlazeFace.warmUp), then answers one request at a time: what the network sees in a window of a photo, or
// where the subject of a photo without faces is; the same code the widget's worker runs.
import { parentPort } from 'node:worker_threads';
import { salientCentre } from '../../media/default-crop/saliency.ts';
import type { DetectionAnswer, DetectionRequest } from './face-detection-pool.ts';
import { loadFaceDetector } from './face-model.ts';

const detector = loadFaceDetector();
detector.warmUp();

parentPort!.on('message', ({ id, copy, look }: DetectionRequest) => {
  let answer: DetectionAnswer;
  try {
    answer = look === 'subject' ? { id, subject: salientCentre(copy) } : { id, faces: detector.detect(copy, look) };
  } catch (error) {
    answer = { id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(answer);
});
