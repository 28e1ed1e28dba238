// The face detector as the server runs it: the compact model (the same bytes the widget is built with, see
// media/default-crop/model-file.ts), made from the packaged .tflite, never downloaded at run time.
import { BlazeFace, readCompactModel } from '../../media/default-crop/index.ts';
import { compactFaceModel } from '../../media/default-crop/model-file.ts';

/** A detector on the packaged model. */
export function loadFaceDetector(): BlazeFace {
  return new BlazeFace(readCompactModel(compactFaceModel()));
}
