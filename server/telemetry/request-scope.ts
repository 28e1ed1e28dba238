// The request the server is working for right now: its id, and once known its route template and user. Kept in an
// AsyncLocalStorage, so every log line made meanwhile carries the request id (log.ts) and the request line can name
// the route and user (request-log.ts). Background loops run outside it (outsideRequests). The storage is only a key:
// each scope is its own object, so two servers in one process share nothing through it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestScope {
  requestId: string;
  /** The route template that answered (`/v1/users/{user_id}/avatar`), set once routing knows it. */
  route: string | null;
  /** The authenticated user, once known. */
  userId: string | null;
}

const storage = new AsyncLocalStorage<RequestScope>();

/**
 * An `X-Request-Id` we accept from a client or a proxy: 1 to 128 characters that cannot break a log line, a header
 * or a log pipeline's parsing (a UUID, a ULID, a hex trace id); anything else is replaced by a new id.
 */
export const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The id a request goes by: the one it brought when it is acceptable, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/** Runs `work` as part of `scope`: what it logs, queues or records carries the scope's request id. */
export const runInScope = <T>(scope: RequestScope, work: () => T): T => storage.run(scope, work);

/**
 * Runs `work` outside any request: background loops (jobs, deliveries) started by a request's kick must not carry
 * that request's id into the lines of everything they go on to do.
 */
export const outsideRequests = <T>(work: () => T): T => storage.exit(work);

/** The scope of the work running now, if any. */
export const currentScope = (): RequestScope | undefined => storage.getStore();

/** The request id of the work running now (null outside any request, job or delivery). */
export const currentRequestId = (): string | null => storage.getStore()?.requestId ?? null;

