// One log line (and, through `observe`, one metrics sample) per HTTP request, whichever listener answers it (Hono,
// or /cdn/'s own in front of it): the request gets a scope (request-scope.ts) that the answering code fills in with
// the route template and the user it authenticated. Its id is echoed as X-Request-Id on every response. Raw paths
// and query strings are never logged: a path holds ids and a query may hold a signature.
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from './log.ts';
import { openScope, scopeOfContext, scopeOfRequest } from './request-scope.ts';

/** The route of a request no route answered (a 404 of an unknown path): one label for all of them. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface FinishedRequest {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

/** Methods as labels: anything else (WebDAV verbs, junk) is one value, so no client can grow the label set. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const methodLabel = (method: string | undefined) => (method && METHODS.has(method) ? method : 'OTHER');

/** Wraps the server's request listener: scope, X-Request-Id, and the line once the response is finished. */
export function logRequests(log: Logger, listener: RequestListener, observe?: (request: FinishedRequest) => void): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const scope = openScope(req);
    res.setHeader('X-Request-Id', scope.requestId);
    // 'close' comes for every response, finished or cut off (then the status is what was to be sent).
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const finished: FinishedRequest = { method: methodLabel(req.method), route: scope.route ?? UNMATCHED_ROUTE, status: res.statusCode, seconds };
      observe?.(finished);
      const line = {
        request_id: scope.requestId,
        method: finished.method,
        route: finished.route,
        status: finished.status,
        duration_ms: Math.round(seconds * 1e4) / 10,
        ...(scope.userId === null ? {} : { user_id: scope.userId }),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (finished.status >= 500) log.warn(line, 'request');
      else log.info(line, 'request');
    });
    listener(req, res);
  };
}

/** Hono's `/v1/users/:user_id/avatar` as the API documents it, `/v1/users/{user_id}/avatar`. */
const documented = new Map<string, string>();
function documentedPath(path: string): string {
  let label = documented.get(path);
  if (label === undefined) {
    label = path.replaceAll(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');
    documented.set(path, label);
  }
  return label;
}

/**
 * The first middleware of the app: once a route has answered, tells the request's scope which route template it
 * was (the last route matched that is not a middleware for every path) and who was authenticated.
 */
export function recordRoute(): MiddlewareHandler<{ Variables: { userId: string | null } }> {
  return async (c, next) => {
    await next();
    const scope = scopeOfContext(c);
    if (!scope) return;
    const routes = matchedRoutes(c);
    for (let i = routes.length - 1; i >= 0; i--) {
      const route = routes[i]!;
      if (route.method !== 'ALL' && route.path !== '*' && route.path !== '/*') {
        scope.route = documentedPath(route.path);
        break;
      }
    }
    scope.userId = c.get('userId') ?? null;
  };
}

/** Marks a request as answered by a listener outside Hono (/cdn/). */
export function recordListenerRoute(req: IncomingMessage, route: string): void {
  const scope = scopeOfRequest(req);
  if (scope) scope.route = route;
}
