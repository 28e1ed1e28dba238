// Runs the default crop's face detection (media/default-crop, ~75 ms of JavaScript per photo) on worker threads,
// so the event loop goes on answering requests meanwhile. A small pool: a thread is started when a photo needs
// one and none is free, up to `size` (the job concurrency: no more photos than that are ever looked at at once);
// threads stay for the next photos and are stopped with the server.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DefaultCrop, ImageSize, Pixels } from '../../media/default-crop/index.ts';

/** A request to a thread: a photo's detection copy (RGBA) and the photo's size. */
export interface DetectionRequest {
  id: number;
  copy: Pixels;
  size: ImageSize;
}

/** A thread's answer: the default crop, or why there is none. */
export type DetectionAnswer = { id: number; result: DefaultCrop } | { id: number; error: string };

export interface FaceDetectionPool {
  /** The default crop of a photo of `size` whose detection copy (copySize(size), RGBA) is `copy`, found on a thread. */
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

interface Thread {
  worker: Worker;
  /** The request it is working on (one at a time: a thread's detector is not reentrant, and the pool is small). */
  busy: { request: DetectionRequest; resolve(result: DefaultCrop): void; reject(error: Error): void } | null;
}

/** `size`: at most this many threads; `log`: where a failed detection or a thread that died is told. */
export function createFaceDetectionPool({ size, log = () => {} }: { size: number; log?: (line: string) => void }): FaceDetectionPool {
  const threads = new Set<Thread>();
  const waiting: Array<NonNullable<Thread['busy']>> = [];
  let nextId = 1;
  let closed: FaceDetectionError | null = null;

  const start = (): Thread => {
    const thread: Thread = { worker: startWorker(), busy: null };
    threads.add(thread);
    thread.worker.on('message', (answer: DetectionAnswer) => {
      const task = thread.busy;
      if (!task || task.request.id !== answer.id) return;
      thread.busy = null;
      if ('result' in answer) task.resolve(answer.result);
      else {
        log(`face detection failed: ${answer.error}`);
        task.reject(new FaceDetectionError(`Face detection failed: ${answer.error}`));
      }
      next(thread);
    });
    // A thread that dies (an uncaught error, out of memory) fails its photo and leaves; the next photo starts another.
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

  /** Gives `thread` the oldest waiting photo; an idle thread does not keep the process alive. */
  const next = (thread: Thread) => {
    const task = waiting.shift();
    if (!task) return void thread.worker.unref();
    thread.busy = task;
    thread.worker.ref();
    thread.worker.postMessage(task.request);
  };

  return {
    defaultCrop(copy, photoSize) {
      return new Promise((resolve, reject) => {
        if (closed) return reject(closed);
        waiting.push({ request: { id: nextId++, copy, size: photoSize }, resolve, reject });
        const idle = [...threads].find((thread) => !thread.busy);
        if (idle) next(idle);
        else if (threads.size < size) next(start());
      });
    },
    threads: () => threads.size,
    async close() {
      closed ??= new FaceDetectionError('The face detection pool has been stopped');
      for (const task of waiting.splice(0)) task.reject(closed);
      await Promise.all([...threads].map((thread) => thread.worker.terminate()));
    },
  };
}
