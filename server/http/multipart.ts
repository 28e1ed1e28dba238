// Streams a multipart/form-data upload through busboy: one file part, handed on as a stream while the body is
// still arriving (to storage, with its own byte limit), and a few small text fields. Nothing is buffered but
// the chunk in hand. Every malformed body is a 400 with a precise code; a body or file over the limit is a 413
// FILE_TOO_LARGE; no body can cause a 5xx by its shape alone.
import busboy from 'busboy';
import type { Readable } from 'node:stream';
import { ApiError } from './errors.ts';
import { fileTooLarge, pump, refuseBody, refuseDeclaredLength, type RequestBody } from './request-body.ts';

/** Room for part headers and fields next to the file: a body may be this much larger than its largest file. */
export const MULTIPART_OVERHEAD = 64 * 1024;
/** Text fields read (known or not), parts in all, and bytes per field value. Part headers: busboy's 16 KiB each. */
export const MULTIPART_LIMITS = { fields: 8, parts: 10, fieldBytes: 1024 } as const;
/** Like the presigned path's `filename` (1–255 characters): longer client file names are cut. */
export const MAX_FILENAME = 255;

export interface FilePart {
  /** The client's file name without any path, control characters removed, at most MAX_FILENAME characters. */
  filename: string | null;
  /** The part's Content-Type (busboy's default when absent: text/plain, or application/octet-stream). */
  contentType: string;
  body: Readable;
}

export interface MultipartSpec<T> {
  /** The name of the one file part. */
  fileField: string;
  /** Text fields kept; others are ignored (within the limits). */
  fields: readonly string[];
  maxFileBytes: number;
  /** Takes the file part: must read `body` to its end, or reject. */
  onFile(part: FilePart): Promise<T>;
  /** Undoes what onFile did, when the rest of the body turns out to be bad. */
  discard(taken: T): Promise<void>;
}

export const multipartInvalid = (why: string) => new ApiError('MULTIPART_INVALID', `The multipart/form-data body is malformed: ${why}`);
const invalidField = (message: string) => new ApiError('INVALID_REQUEST', message);

/** busboy's words for what went wrong, said for an API client. */
function describe(error: Error): string {
  const message = error.message;
  if (/boundary not found/i.test(message)) return 'the Content-Type has no boundary parameter';
  if (/content type/i.test(message)) return 'the Content-Type is not valid multipart/form-data';
  if (/unexpected end of (form|file)/i.test(message)) return 'it ends before its closing boundary (truncated, or the boundary does not match the Content-Type)';
  if (/part header/i.test(message)) return 'a part has malformed headers (or more than 16 KiB of them)';
  return message;
}

export function cleanFilename(raw: string | undefined): string | null {
  // eslint-disable-next-line no-control-regex
  const cleaned = [...(raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim()].slice(0, MAX_FILENAME).join('');
  return cleaned === '' ? null : cleaned;
}

const ignore = () => {};

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Reads a multipart/form-data body. Resolves once the whole body has been parsed (closing boundary included)
 * with the text fields and what `onFile` made of the file part; rejects with the first reason to refuse it,
 * after `discard` has undone a file already taken.
 */
export async function readMultipart<T>(request: RequestBody, spec: MultipartSpec<T>): Promise<{ fields: Record<string, string>; file: T }> {
  const maxBody = spec.maxFileBytes + MULTIPART_OVERHEAD;
  if (request.contentLength !== null && request.contentLength > maxBody) throw await refuseDeclaredLength(request, maxBody, fileTooLarge(spec.maxFileBytes));
  const reader = request.body?.getReader() ?? null;

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': request.contentType },
      defParamCharset: 'utf8',
      limits: {
        files: 1,
        fields: MULTIPART_LIMITS.fields,
        parts: MULTIPART_LIMITS.parts + 1, // busboy signals on reaching its limit, not on passing it
        fieldSize: MULTIPART_LIMITS.fieldBytes,
        fileSize: spec.maxFileBytes + 1, // busboy flags a file that reaches the limit; one byte over is too large
      },
    });
  } catch (error) {
    throw await refuseBody(reader, false, multipartInvalid(describe(error as Error)));
  }

  const fields: Record<string, string> = {};
  let failure: unknown = null;
  let parseError: Error | null = null;
  let file: Promise<Settled<T>> | null = null;
  const stop = new AbortController();
  const closed = new Promise<void>((resolve) => parser.once('close', resolve));
  // busboy calls back from inside its write: it is destroyed (ending a file part in flight) a tick later.
  const halt = () => {
    if (stop.signal.aborted) return;
    stop.abort();
    setImmediate(() => parser.destroy());
  };
  const fail = (error: unknown) => {
    if (failure !== null) return;
    failure = error;
    halt();
  };

  parser.on('error', (error: Error) => {
    parseError ??= error;
    halt();
  });
  parser.on('filesLimit', () => fail(multipartInvalid('only one file part is allowed')));
  parser.on('fieldsLimit', () => fail(multipartInvalid(`more than ${MULTIPART_LIMITS.fields} text fields`)));
  parser.on('partsLimit', () => fail(multipartInvalid(`more than ${MULTIPART_LIMITS.parts} parts`)));
  parser.on('field', (name, value, info) => {
    if (failure !== null) return;
    if (name === spec.fileField) return fail(invalidField(`${name}: must be sent as a file (a part with a filename)`));
    if (!spec.fields.includes(name)) return; // unknown fields are ignored
    if (info.valueTruncated) return fail(invalidField(`${name}: longer than ${MULTIPART_LIMITS.fieldBytes} bytes`));
    if (Object.hasOwn(fields, name)) return fail(invalidField(`${name}: given more than once`));
    fields[name] = value;
  });
  parser.on('file', (name, stream, info) => {
    // busboy destroys a part cut short with an error; the parser's own error reports it (and onFile sees the stream
    // end badly), so an unlistened 'error' must not bring the process down before onFile attaches its listeners.
    stream.on('error', ignore);
    if (failure !== null) {
      stream.resume();
      return;
    }
    if (name !== spec.fileField) {
      stream.resume();
      return fail(invalidField(`${spec.fileField}: the file must be sent in a field named "${spec.fileField}"${name ? `, not "${name}"` : ''}`));
    }
    stream.once('limit', () => fail(fileTooLarge(spec.maxFileBytes)));
    const part = { filename: cleanFilename(info.filename), contentType: info.mimeType, body: stream };
    file = new Promise<T>((resolve) => resolve(spec.onFile(part))).then(
      (value) => {
        stream.resume(); // whatever onFile left unread (nothing, normally) must not stall the parser
        return { ok: true as const, value };
      },
      (error: unknown) => {
        fail(error);
        return { ok: false as const, error };
      },
    );
  });

  const end = await pump(reader, parser, maxBody, stop.signal);
  if (end === 'ended') parser.end();
  else if (end === 'too-large') fail(fileTooLarge(spec.maxFileBytes));
  else if (end === 'aborted') fail(multipartInvalid('the request body was cut off'));
  await closed;
  const taken = file ? await (file as Promise<Settled<T>>) : null;

  // Our own refusals first; then what the parser found (a file part cut short is the parser's finding too).
  const error = failure instanceof ApiError ? failure : parseError ? multipartInvalid(describe(parseError)) : failure;
  if (error !== null) {
    if (taken?.ok) await spec.discard(taken.value);
    throw await refuseBody(reader, end === 'ended' || end === 'aborted', error);
  }
  if (!taken?.ok) throw invalidField(`${spec.fileField}: a file field named "${spec.fileField}" is required`);
  return { fields, file: taken.value };
}
