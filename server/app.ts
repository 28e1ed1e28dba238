// The HTTP application: middleware, every route module, and the single error funnel. No I/O of its own.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AuthEnv } from './access/auth.ts';
import { limitBody } from './http/body-limit.ts';
import type { Deps } from './deps.ts';
import { ApiError, invalidRequest, renderError } from './http/errors.ts';
import { adminRoutes } from './avatars/admin-routes.ts';
import { avatarConfigRoutes } from './avatars/cartoon-routes.ts';
import { devRoutes } from './access/dev-routes.ts';
import { editorSessionRoutes } from './editor/routes.ts';
import { emoteRoutes } from './emotes/routes.ts';
import { fileRoutes } from './uploads/file-routes.ts';
import { messageRoutes } from './emotes/message-routes.ts';
import { opsRoutes } from './ops/routes.ts';
import { uploadRoutes } from './uploads/routes.ts';
import { webhookRoutes } from './webhooks/routes.ts';
import { userRoutes } from './avatars/routes.ts';
import { widgetRoutes } from './ops/widget-files.ts';

/** JSON bodies are small; anything bigger is refused before it is read. */
export const JSON_BODY_LIMIT = 64 * 1024;

/** The method a request is for: a preflight asks on behalf of the one in Access-Control-Request-Method. */
const readMethod = (c: Context) => (c.req.method === 'OPTIONS' ? c.req.header('access-control-request-method')?.toUpperCase() : c.req.method);

/** Routes anyone may call from any origin: public reads, the presigned PUT and upload links (authorised by their signatures). */
function isPublic(c: Context): boolean {
  const path = c.req.path;
  return (
    /^\/v1\/users\/[^/]+\/avatar(\/image)?$/.test(path) && !path.startsWith('/v1/users/me/') ||
    /^\/v1\/uploads\/[^/]+\/(content|image)$/.test(path) ||
    (readMethod(c) === 'GET' && /^\/v1\/emotes\/(?!trash$|quota$)[^/]+(\/url)?$/.test(path)) ||
    (readMethod(c) === 'GET' && /^\/v1\/avatar-config\/(options|preview\.svg)$/.test(path)) ||
    path.startsWith('/cdn/') ||
    path.startsWith('/widget/') ||
    ['/healthz', '/readyz', '/openapi.json', '/docs'].includes(path)
  );
}

function corsPolicy(allowedOrigins: string[]): MiddlewareHandler {
  const anyOrigin = allowedOrigins.includes('*');
  return cors({
    origin: (origin, c) => (isPublic(c) ? '*' : anyOrigin || allowedOrigins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposeHeaders: ['Retry-After', 'ETag', 'Location'],
    maxAge: 600,
  });
}

/**
 * Every route that takes a body has a limit. Uploads stream to storage, never buffered here: the presigned PUT
 * enforces its exact length, one-request uploads and upload links their own limits (routes/request-body.ts).
 */
function bodyLimits(): MiddlewareHandler {
  const json = limitBody(JSON_BODY_LIMIT);
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    if (/^\/v1\/uploads\/[^/]+\/(content|image)$/.test(c.req.path)) return next();
    if (c.req.method === 'POST' && /^\/v1\/(users\/me|admin\/users\/[^/]+)\/avatar$/.test(c.req.path)) return next();
    return json(c, next);
  };
}

export function createApp(deps: Deps): OpenAPIHono<AuthEnv> {
  const app = new OpenAPIHono<AuthEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error);
    },
  });
  const corsMiddleware = corsPolicy(deps.config.allowedOrigins);
  // /cdn is answered before Hono with its own (static) CORS headers: see routes/cdn.ts.
  app.use('*', (c, next) => (c.req.path.startsWith('/cdn/') ? next() : corsMiddleware(c, next)));
  app.use('*', bodyLimits());

  uploadRoutes(app, deps);
  fileRoutes(app, deps);
  userRoutes(app, deps);
  avatarConfigRoutes(app, deps);
  emoteRoutes(app, deps);
  messageRoutes(app, deps);
  adminRoutes(app, deps);
  webhookRoutes(app, deps); // after adminRoutes: its /v1/admin/* middleware must run first
  editorSessionRoutes(app, deps); // after adminRoutes, likewise
  if (deps.config.dev) devRoutes(app, deps);
  opsRoutes(app, deps);
  widgetRoutes(app);

  app.notFound((c) => renderError(new ApiError(404, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`), c, deps.log.error));
  app.onError((err, c) => renderError(err, c, deps.log.error));
  return app;
}
