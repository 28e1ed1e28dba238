// Runs the default crop's face detection (media/default-crop, BlazeFace in plain JavaScript, the bulk of it) on
// worker threads, so the event loop goes on answering requests meanwhile. The search (faceSearch) runs here and
// hands each of its steps' windows to the threads as separate tasks: a photo looked at alone spreads its windows
// over every thread (a 4:3 photo's two search windows at once: its complete → ready no longer waits for both in
// turn), and photos looked at together share the threads window by window. A small pool: a thread is started
// when a window needs one and none is free, up to `size` (the job concurrency); threads stay for the next photos
// and are stopped with the server.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cropOfFaces, faceSearch, type DefaultCrop, type FaceBox, type ImageSize, type Pixels, type Window } from '../../media/default-crop/index.ts';

/**
 * A request to a thread about a photo's detection copy (RGBA, in shared memory): the faces the network sees in one
 * window of it, or where its subject is when it has no face (saliency.ts: pixel work too, kept off the event loop).
 */
export interface DetectionRequest {
  id: number;
  copy: Pixels;
  look: Window | 'subject';
}

/** A thread's answer: what the network saw in the window, the subject's centre, or why it could not look. */
export type DetectionAnswer = { id: number; faces: FaceBox[] } | { id: number; subject: number | null } | { id: number; error: string };

export interface FaceDetectionPool {
  /** The default crop of a photo of `size` whose detection copy (copySize(size), RGBA) is `copy`, found on the threads. */
  defaultCrop(copy: Pixels, size: ImageSize): Promise<DefaultCrop>;
  /** Threads running now (for tests and the benchmark). */
  threads(): number;
  /** Stops every thread; detections in flight and later calls reject. */
  close(): Promise<void>;
}

export class FaceDetectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaceDetectionError';
  }
}

// Built, this file is .js next to a .js worker; run from source (tsx), .ts next to a .ts one.
const WORKER_URL = new URL(`./face-detection-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** A thread on the worker module. From source, it loads tsx itself: Node 20 does not hand module hooks on to threads. */
function startWorker(): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL);
  return new Worker(`import('tsx/esm/api').then(({ register }) => (register(), import(${JSON.stringify(WORKER_URL.href)})));`, { eval: true });
}

interface Task {
  request: DetectionRequest;
  resolve(answer: DetectionAnswer): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  /** The window it is looking at (one at a time: a thread's detector is not reentrant). */
  busy: Task | null;
}

/** What a thread saw in a window it was asked to look at. */
function facesIn(answer: DetectionAnswer): FaceBox[] {
  if ('faces' in answer) return answer.faces;
  throw new FaceDetectionError('Face detection answered a window with no faces list');
}

/** Where a thread found the subject it was asked for. */
function subjectIn(answer: DetectionAnswer): number | null {
  if ('subject' in answer) return answer.subject;
  throw new FaceDetectionError('Face detection answered the subject search with no subject');
}

/** The copy in memory the threads share, so each window sent is not a copy of it. */
function shared(copy: Pixels): Pixels {
  const data = new Uint8Array(new SharedArrayBuffer(copy.data.byteLength));
  data.set(copy.data);
  return { data, width: copy.width, height: copy.height };
}

/** `size`: at most this many threads; `log`: where a failed detection or a thread that died is told. */
export function createFaceDetectionPool({ size, log = () => {} }: { size: number; log?: (line: string) => void }): FaceDetectionPool {
  const threads = new Set<Thread>();
  const waiting: Task[] = [];
  let nextId = 1;
  let closed: FaceDetectionError | null = null;

  const start = (): Thread => {
    const thread: Thread = { worker: startWorker(), busy: null };
    threads.add(thread);
    thread.worker.on('message', (answer: DetectionAnswer) => {
      const task = thread.busy;
      if (!task || task.request.id !== answer.id) return;
      thread.busy = null;
      if (!('error' in answer)) task.resolve(answer);
      else {
        log(`face detection failed: ${answer.error}`);
        task.reject(new FaceDetectionError(`Face detection failed: ${answer.error}`));
      }
      next(thread);
    });
    // A thread that dies (an uncaught error, out of memory) fails its window and leaves; the next window starts another.
    const died = (error: Error) => {
      if (!threads.delete(thread)) return;
      if (!closed) log(`a face detection thread stopped: ${error.message}`);
      thread.busy?.reject(closed ?? new FaceDetectionError(`The face detection thread stopped: ${error.message}`));
      thread.busy = null;
      if (!closed && waiting.length > 0) next(start());
    };
    thread.worker.on('error', died);
    thread.worker.on('exit', (code) => died(new Error(`exit code ${code}`)));
    return thread;
  };

  /** Gives `thread` the oldest waiting window; an idle thread does not keep the process alive. */
  const next = (thread: Thread) => {
    const task = waiting.shift();
    if (!task) return void thread.worker.unref();
    thread.busy = task;
    thread.worker.ref();
    thread.worker.postMessage(task.request);
  };

  const ask = (copy: Pixels, look: DetectionRequest['look']) =>
    new Promise<DetectionAnswer>((resolve, reject) => {
      if (closed) return reject(closed);
      waiting.push({ request: { id: nextId++, copy, look }, resolve, reject });
      const idle = [...threads].find((thread) => !thread.busy);
      if (idle) next(idle);
      else if (threads.size < size) next(start());
    });

  return {
    async defaultCrop(copy, photoSize) {
      if (closed) throw closed;
      const sharedCopy = shared(copy);
      const search = faceSearch(copy);
      let step = search.next();
      while (!step.done) {
        const seen = step.value.map(async (window) => facesIn(await ask(sharedCopy, window)));
        // Every window is awaited, so a failed one leaves none of the photo's windows unobserved.
        const settled = await Promise.allSettled(seen);
        const found: FaceBox[][] = [];
        for (const result of settled) {
          if (result.status === 'rejected') throw result.reason;
          found.push(result.value);
        }
        step = search.next(found);
      }
      const subject = step.value.length > 0 ? null : subjectIn(await ask(sharedCopy, 'subject'));
      const { crop, source } = cropOfFaces(step.value, subject, copy, photoSize);
      return { crop, source };
    },
    threads: () => threads.size,
    async close() {
      closed ??= new FaceDetectionError('The face detection pool has been stopped');
      for (const task of waiting.splice(0)) task.reject(closed);
      await Promise.all([...threads].map((thread) => thread.worker.terminate()));
    },
  };
}
