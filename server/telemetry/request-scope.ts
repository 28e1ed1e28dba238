// What the log knows of a request while it is served: its id, and once known its route template and user. Kept on
// the request itself (a WeakMap keyed by Node's IncomingMessage), which Hono's context reaches as `c.env.incoming`.
// Not an AsyncLocalStorage: on Node 20 one costs every promise of every request a hook (measured: about a fifth of
// GET /healthz's throughput), so the lines that need a request's id (its request line, its errors) are given it.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

export interface RequestScope {
  requestId: string;
  /** The route template that answered (`/v1/users/{user_id}/avatar`), set once routing knows it. */
  route: string | null;
  /** The authenticated user, once known. */
  userId: string | null;
}

const scopes = new WeakMap<IncomingMessage, RequestScope>();

/**
 * An `X-Request-Id` we accept from a client or a proxy: 1 to 128 characters that cannot break a log line, a header
 * or a log pipeline's parsing (a UUID, a ULID, a hex trace id); anything else is replaced by a new id.
 */
export const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The id a request goes by: the one it brought when it is acceptable, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/** Starts the scope of a request as it arrives. */
export function openScope(req: IncomingMessage): RequestScope {
  const scope: RequestScope = { requestId: requestIdOf(req.headers['x-request-id']), route: null, userId: null };
  scopes.set(req, scope);
  return scope;
}

export const scopeOfRequest = (req: IncomingMessage): RequestScope | undefined => scopes.get(req);

/** The scope of the request a Hono context serves (none for app.request() in tests: no Node request behind it). */
export function scopeOfContext(c: Context): RequestScope | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming ? scopes.get(incoming) : undefined;
}

/** `{ request_id }` for a line logged about a request, or nothing when it has no scope. */
export const requestFields = (scope: RequestScope | undefined): { request_id?: string } => (scope ? { request_id: scope.requestId } : {});
