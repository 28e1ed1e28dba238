// The one funnel for failures: routes and services throw ApiError by code (media/errors.ts gives its status);
// app.onError renders every error body.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { ERRORS, type ApiErrorCode } from '../../media/errors.ts';
import { StorageError } from '../storage/index.ts';
import type { Logger } from '../telemetry/log.ts';
import { requestFields, scopeOfContext } from '../telemetry/request-scope.ts';

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;

  /** `message`: what went wrong this time (the catalogue's default message when absent). */
  constructor(
    readonly code: ApiErrorCode,
    message: string = ERRORS[code].message,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERRORS[code].status as ContentfulStatusCode;
  }
}

export function errorBody(code: ApiErrorCode, message: string) {
  return { error: { code, message } };
}

/** 400 INVALID_REQUEST naming the first offending field. */
export function invalidRequest(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  return new ApiError('INVALID_REQUEST', `${field}: ${issue?.message ?? 'is invalid'}`);
}

/** What Hono's own HTTPException (e.g. from bodyLimit) stands for. */
const codeOfStatus = (status: number): ApiErrorCode => (status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST');

/** Renders any thrown value as the documented error shape; unknown errors are logged and hidden. */
export function renderError(err: unknown, c: Context, log: Pick<Logger, 'error'>): Response {
  if (err instanceof ApiError) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
    return c.json(errorBody(err.code, err.message), err.status);
  }
  if (err instanceof z.ZodError) return renderError(invalidRequest(err), c, log);
  if (err instanceof Error && 'status' in err && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    return c.json(errorBody(codeOfStatus(status), err.message || 'Bad request'), status);
  }
  log.error({ err, ...requestFields(scopeOfContext(c)) }, `error: ${c.req.method} ${c.req.path}`);
  // Object storage that stayed unreachable through its retries: nothing was changed, the caller may try again.
  if (err instanceof StorageError) return renderError(new ApiError('STORAGE_UNAVAILABLE'), c, log);
  return renderError(new ApiError('INTERNAL'), c, log);
}
