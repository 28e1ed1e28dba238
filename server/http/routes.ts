// How a feature declares its HTTP routes: `createRoutes(deps, access)` makes a sub-app that app.ts mounts with
// app.route(), so the route table is the features' own and the order of mounting does not matter. Each route has
// an Access: its CORS class, its body limit and (for the admin API) the admin key, applied by the route itself
// before its own middleware. The sub-app gives every route its Access; a route may declare another (withAccess).
// A browser's preflight is answered by the route the real request will reach: the one of its path and method.
import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Handler, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { ApiErrorCode } from '../../media/errors.ts';
import { requireAdmin, type AuthEnv } from '../access/auth.ts';
import type { Deps } from '../deps.ts';
import { limitBody } from './body-limit.ts';
import { invalidRequest } from './errors.ts';
import { withErrors } from './schemas.ts';

export type App = OpenAPIHono<AuthEnv>;

/**
 * Which browser pages may read a route's answers: `public` any origin (public reads, URLs authorised by their
 * signature, the widget's files, operations); `site` the origins in AVATAR_ALLOWED_ORIGINS (all of them with '*'
 * or in dev mode): the calls that carry a user token or the admin key.
 */
export type CorsClass = 'public' | 'site';

/** JSON bodies are small: anything bigger is refused before it is read. */
export const JSON_BODY_LIMIT = 64 * 1024;

export interface Access {
  cors: CorsClass;
  /**
   * The most bytes a body may have, read before the handler; or `streamed`: the handler streams it (uploads: to
   * storage, with their own limits, see request-body.ts).
   */
  body: number | 'streamed';
  /** `admin`: the admin key (Bearer or Basic auth) is required before anything else of the route runs. */
  auth?: 'admin';
}

/** The Access of most routes: called with a token from the host's pages, with a JSON body if any. */
export const SITE: Access = { cors: 'site', body: JSON_BODY_LIMIT };
/** The admin API (/v1/admin/…). */
export const ADMIN: Access = { ...SITE, auth: 'admin' };
/** Public reads and operations. */
export const PUBLIC: Access = { cors: 'public', body: JSON_BODY_LIMIT };

/** OpenAPI security requirement for routes that take a user token. */
export const userSecurity = [{ userToken: [] }];
/** OpenAPI security requirement for admin routes. */
export const adminSecurity = [{ adminKey: [] }];

const ACCESS = Symbol('access');

/** A route (as createRoute makes it) with an Access of its own instead of its sub-app's. */
export function withAccess<R extends object>(access: Partial<Access>, route: R): R {
  return Object.defineProperty(route, ACCESS, { value: access, enumerable: false });
}

const accessOf = (route: object, defaults: Access): Access => ({ ...defaults, ...((route as { [ACCESS]?: Partial<Access> })[ACCESS] ?? {}) });

/** The middleware that applies an Access, in order: CORS headers, the body limit, the admin key. */
function guards(deps: Pick<Deps, 'config' | 'tokens'>, access: Access): MiddlewareHandler[] {
  return [
    corsHeaders(deps.config.allowedOrigins, access.cors),
    ...(access.body === 'streamed' ? [] : [limitBody(access.body)]),
    ...(access.auth === 'admin' ? [requireAdmin(deps.config.adminKey, deps.tokens)] : []),
  ];
}

const EXPOSED_HEADERS = ['Retry-After', 'ETag', 'Location'];

/** The origin a page of `origin` is granted (null: none). */
function grantedOrigin(allowedOrigins: string[], corsClass: CorsClass): (origin: string) => string | null {
  const anyOrigin = allowedOrigins.includes('*');
  return (origin) => (corsClass === 'public' ? '*' : anyOrigin || allowedOrigins.includes(origin) ? origin : null);
}

/** Answers a preflight (OPTIONS with Access-Control-Request-Method). */
function preflightFor(allowedOrigins: string[], corsClass: CorsClass): MiddlewareHandler {
  return cors({
    origin: grantedOrigin(allowedOrigins, corsClass),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}

/**
 * The CORS headers of a real request, set on the answer once it is made. Hono's cors() sets them on `c.res` before
 * the handler runs, which makes every answer a full Response whose body is then read back as a stream: ~0.1 ms of
 * CPU per request (bench: the poll's cost).
 */
function corsHeaders(allowedOrigins: string[], corsClass: CorsClass): MiddlewareHandler {
  const granted = grantedOrigin(allowedOrigins, corsClass);
  const exposed = EXPOSED_HEADERS.join(',');
  return async (c, next) => {
    await next();
    const origin = granted(c.req.header('origin') ?? '');
    const headers = c.res.headers;
    if (origin) headers.set('Access-Control-Allow-Origin', origin);
    headers.set('Access-Control-Expose-Headers', exposed);
    headers.append('Vary', 'Origin');
  };
}

/**
 * The error codes every route of this shape may answer with, documented with the ones it lists itself. Any route
 * answers INTERNAL when something fails that it did not expect (the error funnel in app.ts).
 */
function impliedErrors(route: RouteConfig, access: Access): ApiErrorCode[] {
  const { params, query, body, headers } = route.request ?? {};
  const takesToken = route.security?.some((requirement) => 'userToken' in requirement) ?? false;
  return [
    'INTERNAL',
    ...(params || query || body || headers ? (['INVALID_REQUEST'] as const) : []),
    ...(body && access.body !== 'streamed' ? (['PAYLOAD_TOO_LARGE'] as const) : []),
    ...(takesToken ? (['UNAUTHENTICATED', 'AUTH_UNAVAILABLE'] as const) : []),
    ...(access.auth === 'admin' ? (['UNAUTHENTICATED', 'FORBIDDEN'] as const) : []),
  ];
}

/** Hono's path syntax for an OpenAPI path ('/{id}' → '/:id'). */
const routingPath = (path: string) => path.replaceAll(/\/{(.+?)}/g, '/:$1');

/**
 * A feature's sub-app. `openapi(route, handler)` applies the route's Access before the route's own middleware;
 * `handle(…)` does the same for a route described with openAPIRegistry.registerPath and routed by hand (one whose
 * raw body must reach its handler unread).
 */
export class Routes extends OpenAPIHono<AuthEnv> {
  readonly #deps: Pick<Deps, 'config' | 'tokens'>;
  readonly #defaults: Access;

  constructor(deps: Pick<Deps, 'config' | 'tokens'>, defaults: Access) {
    super({
      defaultHook: (result) => {
        if (!result.success) throw invalidRequest(result.error);
      },
    });
    this.#deps = deps;
    this.#defaults = defaults;
    const documented = this.openapi;
    this.openapi = ((route, handler, hook) => {
      const access = accessOf(route, defaults);
      answerPreflights(this, deps, [route.method.toUpperCase()], routingPath(route.path), access);
      const own = route.middleware === undefined ? [] : Array.isArray(route.middleware) ? route.middleware : [route.middleware];
      const responses = withErrors(route.responses, impliedErrors(route, access));
      return documented({ ...route, responses, middleware: [...guards(deps, access), ...own] }, handler, hook);
    }) as typeof this.openapi;
  }

  /** A route routed by hand, with the sub-app's Access or `access`. */
  handle<P extends string>(methods: string[], path: P, access: Partial<Access> | null, ...handlers: Array<MiddlewareHandler<AuthEnv, P> | Handler<AuthEnv, P>>) {
    const effective = { ...this.#defaults, ...(access ?? {}) };
    const upper = methods.map((method) => method.toUpperCase());
    answerPreflights(this, this.#deps, upper, path, effective);
    this.on(upper, [path], ...(guards(this.#deps, effective) as Array<MiddlewareHandler<AuthEnv, P>>), ...(handlers as Array<Handler<AuthEnv, P>>));
  }
}

/** A feature's sub-app whose routes have `access` unless they declare their own. */
export const createRoutes = (deps: Pick<Deps, 'config' | 'tokens'>, access: Access) => new Routes(deps, access);

/** OPTIONS on the route's path: answered when the preflight asks for one of its methods, else left to the next route. */
function answerPreflights(app: OpenAPIHono<AuthEnv>, deps: Pick<Deps, 'config'>, methods: string[], path: string, access: Access) {
  const preflight = preflightFor(deps.config.allowedOrigins, access.cors);
  const answers = new Set(methods.includes('GET') ? [...methods, 'HEAD'] : methods);
  app.options(path, (c, next) => {
    const asked = c.req.header('access-control-request-method')?.toUpperCase();
    return asked !== undefined && answers.has(asked) ? preflight(c, next) : next();
  });
}
