// POST /v1/messages/parse: finds :shortcode: in a chat message and resolves them against the caller's emotes.
import { createRoute, z } from '@hono/zod-openapi';
import { requireUser } from '../access/auth.ts';
import type { Deps } from '../deps.ts';
import { createRoutes, SITE, userSecurity } from '../http/routes.ts';
import { json } from '../http/schemas.ts';
import { MAX_MESSAGE_LENGTH, parseMessage } from './parse.ts';
import { ParsedMessage } from './schemas.ts';
import { readyEmotesByShortcode } from './service.ts';

const Body = z.object({ body: z.string().max(MAX_MESSAGE_LENGTH).refine((s) => s.length <= MAX_MESSAGE_LENGTH, `must be at most ${MAX_MESSAGE_LENGTH} UTF-16 code units`) }).openapi('ParseMessage', { example: { body: 'gg :party_parrot:' } });

/** Mounted at /v1/messages. */
export function messageRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/parse',
      tags: ['Emotes'],
      summary: 'Resolve :shortcode: in a message against your ready emotes (UTF-16 indices, end exclusive)',
      security: userSecurity,
      middleware: [requireUser(deps.tokens)] as const,
      request: { body: { required: true, content: { 'application/json': { schema: Body } } } },
      responses: { 200: json(ParsedMessage, 'The message and its inline emotes') },
    }),
    async (c) => {
      const emotes = await readyEmotesByShortcode(deps, c.get('userId'));
      return c.json(parseMessage(c.req.valid('json').body, (key) => emotes.get(key)), 200);
    },
  );
  return app;
}
