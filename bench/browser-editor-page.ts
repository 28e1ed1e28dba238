// Runs on the editor benchmark's page in Chromium (bundled by bench/browser-editor.ts with esbuild), loaded
// before the widget, which the page embeds as a host app does: one script tag from the avatar server. It only
// watches: when the person picked (the file input's change), when the crop view is on screen, when Save was
// clicked, when `avatar-changed` came, and every main-thread long task. In the same page, the floor: decode the
// same file (handed to a second file input by path), draw the widget's crop into the output square, encode WebP
// at the widget's quality, in a worker.
import * as Comlink from 'comlink';
import type { Crop } from '../widget/crop-geometry.ts';
import type { FloorWorkerApi } from './browser-floor-worker.ts';

export interface LongTask {
  start: number;
  duration: number;
}

export interface EditorMarks {
  /** The widget's file input changed (the person picked). */
  pick: number | null;
  /** First frame after the cropper shows the picked image with its selection placed. */
  cropVisible: number | null;
  /** The Save button was clicked. */
  save: number | null;
  /** The worker's WebP was in the widget's hands (upload-progress: processing done), and the upload's last byte sent. */
  processed: number | null;
  uploaded: number | null;
  /** `avatar-changed` reached the page. */
  changed: number | null;
  /** The widget's script finished downloading, and the editor's first render completed. */
  scriptLoaded: number | null;
  /**
   * This page script finished evaluating: the widget's script comes next in document order, so its evaluation
   * cannot start before this (nor before it has loaded).
   */
  widgetMayRun: number | null;
  firstRender: number | null;
}

export interface EditorBenchPage {
  marks(): EditorMarks;
  /**
   * Resolves once `mark` is set (from where it is set: no polling by the driver, whose own scripts would run on
   * the measured main thread).
   */
  until(mark: keyof EditorMarks): Promise<number>;
  /** Long tasks that overlap [from, to]. */
  longTasks(from: number, to: number): LongTask[];
  /** The crop the widget will upload, in pixels of the (rotated) photo. */
  crop(): Crop | null;
  /** Decode + draw + encode of the file in #floor-input, in a worker; ms from call to Blob. */
  floor(crop: Crop, outputSize: number): Promise<{ ms: number; bytes: number; type: string }>;
  /** createImageBitmap of the same file alone, in the floor's worker; ms. */
  decode(): Promise<number>;
  longTasksSupported(): boolean;
}

type Editor = HTMLElement & { currentCrop(): Crop | null; updateComplete: Promise<boolean> };

const tasks: LongTask[] = [];
const supported = PerformanceObserver.supportedEntryTypes.includes('longtask');
if (supported) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
}

const marks: EditorMarks = { pick: null, cropVisible: null, save: null, processed: null, uploaded: null, changed: null, scriptLoaded: null, widgetMayRun: null, firstRender: null };
const waiting = new Map<keyof EditorMarks, Array<(at: number) => void>>();

function mark(name: keyof EditorMarks, at = performance.now()) {
  marks[name] = at;
  performance.mark(`editor-bench:${name}`, { startTime: at }); // for a trace of the run
  for (const resolve of waiting.get(name) ?? []) resolve(at);
  waiting.delete(name);
}
const editor = () => document.querySelector('avatar-editor') as Editor;
const floorWorker = Comlink.wrap<FloorWorkerApi>(new Worker('/floor-worker.js', { type: 'module', name: 'floor' }));

/**
 * True once the crop area shows the loaded image with its first crop placed: it gives a crop only then (its
 * `natural` size is known once the image has loaded). Not through cropper-image's members, whose names the
 * bundle shortens.
 */
function cropShown(root: ShadowRoot): boolean {
  const area = root.querySelector('avatar-crop-area') as (HTMLElement & { crop?(): unknown }) | null;
  return Boolean(area?.crop?.());
}

/** From the pick on, checks each frame; the mark is the frame after the one that first showed the crop. */
function watchForCropView(root: ShadowRoot) {
  const check = () => {
    if (!cropShown(root)) return requestAnimationFrame(check);
    requestAnimationFrame(() => mark('cropVisible'));
  };
  requestAnimationFrame(check);
}

/**
 * Watches the element the page measures: <avatar-editor> from /widget/avatar-editor.js, or the one its <html>
 * names in data-element and data-script (the load's floor page, bench/browser-load-floor.ts).
 */
async function watchEditor() {
  const { element = 'avatar-editor', script: path = '/widget/avatar-editor.js' } = document.documentElement.dataset;
  await customElements.whenDefined(element);
  const el = document.querySelector(element) as Editor;
  await el.updateComplete;
  mark('firstRender');
  const script = performance.getEntriesByType('resource').find((entry) => entry.name.endsWith(path)) as PerformanceResourceTiming | undefined;
  marks.scriptLoaded = script?.responseEnd ?? null;
  const root = el.shadowRoot!;
  root.addEventListener(
    'change',
    (event) => {
      if ((event.target as HTMLInputElement).type !== 'file') return;
      marks.cropVisible = null;
      mark('pick');
      watchForCropView(root);
    },
    true,
  );
  root.addEventListener(
    'click',
    (event) => {
      if (!(event.target as Element).closest('[part~="save"]')) return;
      marks.processed = marks.uploaded = null;
      mark('save');
    },
    true,
  );
  el.addEventListener('upload-progress', (event) => {
    const { phase, loaded, total } = (event as CustomEvent<{ phase: string; loaded: number; total: number }>).detail;
    if (phase === 'processing' && loaded === total && marks.processed === null) mark('processed');
    if (phase === 'waiting' && marks.uploaded === null) mark('uploaded');
  });
  el.addEventListener('avatar-changed', () => mark('changed'));
}
void watchEditor();

function floorFile(): File {
  const file = (document.getElementById('floor-input') as HTMLInputElement).files?.[0];
  if (!file) throw new Error('#floor-input has no file');
  return file;
}

const api: EditorBenchPage = {
  marks: () => ({ ...marks }),
  until: (name) => {
    const at = marks[name];
    if (at !== null) return Promise.resolve(at);
    return new Promise((resolve) => waiting.set(name, [...(waiting.get(name) ?? []), resolve]));
  },
  longTasks: (from, to) => tasks.filter((task) => task.start + task.duration > from && task.start < to),
  crop: () => editor().currentCrop(),
  async floor(crop, outputSize) {
    const start = performance.now();
    const result = await floorWorker.floor(floorFile(), crop, outputSize);
    return { ms: performance.now() - start, bytes: result.bytes, type: result.type };
  },
  async decode() {
    const start = performance.now();
    await floorWorker.decode(floorFile());
    return performance.now() - start;
  },
  longTasksSupported: () => supported,
};

(globalThis as unknown as { editorBench: EditorBenchPage }).editorBench = api;
mark('widgetMayRun');
