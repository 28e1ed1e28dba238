// The one funnel for failures: routes and services throw ApiError; app.onError renders every error body.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { StorageError } from '../storage/index.ts';
import { z } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (code: string, what: string) => new ApiError(404, code, `${what} not found`);

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** 400 INVALID_REQUEST naming the first offending field. */
export function invalidRequest(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  return new ApiError(400, 'INVALID_REQUEST', `${field}: ${issue?.message ?? 'is invalid'}`);
}

/** Renders any thrown value as the documented error shape; unknown errors are logged and hidden. */
export function renderError(err: unknown, c: Context, log: (line: string) => void): Response {
  if (err instanceof ApiError) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
    return c.json(errorBody(err.code, err.message), err.status);
  }
  if (err instanceof z.ZodError) return renderError(invalidRequest(err), c, log);
  // Hono's own HTTPException (e.g. from bodyLimit) carries a status.
  if (err instanceof Error && 'status' in err && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    return c.json(errorBody(status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST', err.message || 'Bad request'), status);
  }
  log(`error: ${c.req.method} ${c.req.path}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  // Object storage that stayed unreachable through its retries: nothing was changed, the caller may try again.
  if (err instanceof StorageError) return c.json(errorBody('STORAGE_UNAVAILABLE', 'The image storage cannot be reached; try again shortly'), 503);
  return c.json(errorBody('INTERNAL', 'Something went wrong on the server; try again'), 500);
}
