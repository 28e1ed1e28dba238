// The messages between the widget and its image worker: the APPLY call and its answer in Comlink's wire
// format, and nothing else of Comlink. Both sides fit in a few lines, the inlined worker stays small, and a
// Comlink.wrap() client (the benchmark page) can still call the worker.

/** Main thread → worker: call `path[0]` with these arguments. */
export interface WorkerCall {
  id: number;
  type: 'APPLY';
  path: [string];
  argumentList: Array<{ type: 'RAW'; value: unknown }>;
}

/** Worker → main thread: the value, or what was thrown (its name and message survive the trip). */
export type WorkerAnswer =
  | { id: number; type: 'RAW'; value: unknown }
  | { id: number; type: 'HANDLER'; name: 'throw'; value: { isError: true; value: { name: string; message: string } } };
