// User tokens handed out by this server: to a host backend that does not sign its own (POST /v1/admin/tokens), and
// in dev mode to anyone (POST /v1/dev/token), so the demo works without a backend.
import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../deps.ts';
import { ADMIN, adminSecurity, createRoutes, SITE } from '../http/routes.ts';
import { json } from '../http/schemas.ts';
import { TokenBody, TokenSchema } from './schemas.ts';

export const DEFAULT_TOKEN_TTL = 3600;

/** A user token that expires after `ttlSeconds`. */
export async function issueToken(deps: Deps, userId: string, ttlSeconds = DEFAULT_TOKEN_TTL) {
  const expiresAt = deps.clock() + ttlSeconds;
  return { token: await deps.tokens.sign(userId, expiresAt), expires_at: expiresAt };
}

/** The one route both hand tokens out on: the body names the user (and how long the token lasts). */
function tokenRoute(deps: Deps, app: ReturnType<typeof createRoutes>, route: { path: string; tags: string[]; summary: string; security?: typeof adminSecurity }) {
  app.openapi(
    createRoute({
      method: 'post',
      ...route,
      request: { body: { required: true, content: { 'application/json': { schema: TokenBody } } } },
      responses: { 200: json(TokenSchema, 'The token') },
    }),
    async (c) => {
      const { user_id, ttl_seconds } = c.req.valid('json');
      return c.json(await issueToken(deps, user_id, ttl_seconds), 200);
    },
  );
  return app;
}

/** Mounted at /v1/admin/tokens. */
export const tokenRoutes = (deps: Deps) =>
  tokenRoute(deps, createRoutes(deps, ADMIN), { path: '/', tags: ['Admin'], summary: 'Issue a user token for the widget', security: adminSecurity });

/** Mounted at /v1/dev in dev mode only: a token for any user id. */
export const devTokenRoutes = (deps: Deps) =>
  tokenRoute(deps, createRoutes(deps, SITE), { path: '/token', tags: ['Dev mode'], summary: 'A user token for any user id (dev mode only)' });
