// Dev mode only: POST /v1/dev/token lets the demo sign in without a host backend. Not registered otherwise.
import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../deps.ts';
import { TokenBody, TokenSchema, errors, json } from '../schemas.ts';
import { issueToken } from '../avatars/admin-routes.ts';
import type { App } from '../http/routes.ts';

export function devRoutes(app: App, deps: Deps) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/dev/token',
      tags: ['Dev mode'],
      summary: 'A user token for any user id (dev mode only)',
      request: { body: { required: true, content: { 'application/json': { schema: TokenBody } } } },
      responses: { 200: json(TokenSchema, 'The token'), ...errors(400) },
    }),
    async (c) => {
      const { user_id, ttl_seconds } = c.req.valid('json');
      return c.json(await issueToken(deps, user_id, ttl_seconds), 200);
    },
  );
}
