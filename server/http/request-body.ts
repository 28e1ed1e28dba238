// Upload bodies streamed from the request, never buffered: a pump that copies the body into a consumer with
// back-pressure and a byte limit, and the raw (non-multipart) case built on it. When a body is refused (part way,
// or by its declared length), the rest is read and dropped (up to DRAIN_MAX) before the answer, so the client can read it on a connection
// it may reuse; only a body larger still gets `Connection: close`.
import type { Context } from 'hono';
import { once } from 'node:events';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { ApiError } from './errors.ts';

/** Content-Length as a number, or null when absent or malformed (the stored length is checked anyway). */
export function contentLength(header: string | undefined): number | null {
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
}

/** The body as a Node stream (the presigned PUT, whose exact length storage checks). */
export function requestBody(raw: Request): Readable | null {
  return raw.body ? Readable.fromWeb(raw.body as import('node:stream/web').ReadableStream) : null;
}

/** What an upload route knows about its request body before reading it. */
export interface RequestBody {
  /** The Content-Type header, as sent ('' when absent). */
  contentType: string;
  /** The declared Content-Length, or null for a chunked body. */
  contentLength: number | null;
  body: ReadableStream<Uint8Array> | null;
}

export function requestBodyOf(c: Context): RequestBody {
  return { contentType: c.req.header('content-type') ?? '', contentLength: contentLength(c.req.header('content-length')), body: c.req.raw.body };
}

/** How much of a refused body is read and dropped before the connection is given up instead. */
export const DRAIN_MAX = 1024 * 1024;

export const fileTooLarge = (maxBytes: number) => new ApiError('FILE_TOO_LARGE', `The file is larger than the ${maxBytes} bytes allowed`);

const bodyCutOff = () => new ApiError('INVALID_REQUEST', 'The request body ended before it was complete');

type Reader = ReadableStreamDefaultReader<Uint8Array>;

/** How a pump ended: the whole body went in, it passed `maxBytes`, the consumer stopped it, or the client did. */
export type PumpEnd = 'ended' | 'too-large' | 'stopped' | 'aborted';

/**
 * Copies the body into `sink` chunk by chunk, waiting for 'drain' when the sink is full, until the body ends
 * (the sink is not ended: the caller decides), passes `maxBytes`, or `stop` is aborted. A read in flight when
 * `stop` aborts finishes first (the rest of the body is drained afterwards anyway). No promise outlives a chunk:
 * racing each read against one long-lived promise would keep every chunk of the body alive until the end.
 */
export async function pump(reader: Reader | null, sink: Writable, maxBytes: number, stop: AbortSignal): Promise<PumpEnd> {
  if (!reader) return 'ended';
  let total = 0;
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch {
      return 'aborted';
    }
    if (stop.aborted) return 'stopped';
    if (next.done) return 'ended';
    total += next.value.byteLength;
    if (total > maxBytes) return 'too-large';
    if (!sink.write(next.value)) {
      try {
        await once(sink, 'drain', { signal: stop });
      } catch {
        return 'stopped'; // stopped, or the sink failed (its consumer reports why)
      }
    }
  }
}

/** Reads and drops the rest of a refused body; true when it ended within DRAIN_MAX bytes. */
export async function drainRest(reader: Reader | null): Promise<boolean> {
  if (!reader) return true;
  try {
    for (let left = DRAIN_MAX; ; ) {
      const { done, value } = await reader.read();
      if (done) return true;
      left -= value.byteLength;
      if (left < 0) return false;
    }
  } catch {
    return true; // the client went away: nobody is left to read the answer
  }
}

/**
 * The error to answer a refused body with, once its unread rest has been dropped. A body too large to drop
 * closes the connection after the answer instead (an ApiError carries the header; anything else is a 500).
 */
export async function refuseBody(reader: Reader | null, bodyEnded: boolean, error: unknown): Promise<unknown> {
  if (bodyEnded || (await drainRest(reader))) return error;
  return error instanceof ApiError ? withConnectionClose(error) : error;
}

/**
 * The error for a body whose declared length is over `limit`, once it has been read and dropped, as much as a
 * streamed one is (up to `limit` + DRAIN_MAX): answering first leaves the client sending into a connection
 * @hono/node-server gives half a second to finish before resetting it, so a slow client (a loaded machine, a slow
 * link) never reads its 413. A body larger still is answered at once and left to @hono/node-server.
 */
export async function refuseDeclaredLength(request: RequestBody, limit: number, error: ApiError): Promise<ApiError> {
  const declared = request.contentLength ?? 0;
  if (declared - limit <= DRAIN_MAX) await discardBody(request.body?.getReader() ?? null);
  return error;
}

/** Reads the body to its end (its declared length bounds it) and drops it; a client that goes away ends it too. */
export async function discardBody(reader: Reader | null): Promise<void> {
  if (!reader) return;
  try {
    while (!(await reader.read()).done);
  } catch {
    // the client went away: nobody is left to read the answer
  }
}

const withConnectionClose = (error: ApiError) => new ApiError(error.code, error.message, { ...error.headers, Connection: 'close' });

/**
 * Streams a raw request body to `consume` (which must read it to the end), refusing with 413 FILE_TOO_LARGE a
 * declared or actual length over `maxBytes`. Resolves with what `consume` resolved with.
 */
export async function readRawBody<T>(request: RequestBody, maxBytes: number, consume: (body: Readable) => Promise<T>): Promise<T> {
  if (request.contentLength !== null && request.contentLength > maxBytes) throw await refuseDeclaredLength(request, maxBytes, fileTooLarge(maxBytes));
  const reader = request.body?.getReader() ?? null;
  const sink = new PassThrough();
  sink.on('error', () => {}); // reported through `consume`, which may attach its own listeners only later
  const stop = new AbortController();
  const consumed = consume(sink).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => {
      stop.abort();
      return { ok: false as const, error };
    },
  );
  const end = await pump(reader, sink, maxBytes, stop.signal);
  if (end === 'ended') sink.end();
  else sink.destroy(end === 'too-large' ? fileTooLarge(maxBytes) : bodyCutOff());
  const result = await consumed;
  if (end === 'ended' && result.ok) return result.value;
  // Our reason first: `consume` only sees its stream cut short.
  let error = result.ok ? bodyCutOff() : result.error;
  if (end === 'too-large') error = fileTooLarge(maxBytes);
  if (end === 'aborted') error = bodyCutOff();
  throw await refuseBody(reader, end === 'ended' || end === 'aborted', error);
}
