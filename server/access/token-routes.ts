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

/** Mounted at /v1/admin/tokens. */
export function tokenRoutes(deps: Deps) {
  const app = createRoutes(deps, ADMIN);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['Admin'],
      summary: 'Issue a user token for the widget',
      security: adminSecurity,
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

/** Mounted at /v1/dev in dev mode only: a token for any user id. */
export function devTokenRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/token',
      tags: ['Dev mode'],
      summary: 'A user token for any user id (dev mode only)',
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
