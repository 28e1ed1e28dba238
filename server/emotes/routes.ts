// /v1/emotes…: the owner's list, trash and quota; reading, renaming, hiding, deleting and restoring an emote.
// Emotes are created through POST /v1/uploads with upload_type "emote".
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { optionalUser, requireUser } from '../access/auth.ts';
import type { Deps } from '../deps.ts';
import { createRoutes, PUBLIC, SITE, userSecurity, withAccess } from '../http/routes.ts';
import { parseLimit } from '../http/pagination.ts';
import { errors, json } from '../http/schemas.ts';
import { EmoteIdParam, EmoteList, EmoteListQuery, EmoteQuota, EmoteSchema, EmoteUrl, EmoteUrlQuery, UpdateEmoteBody } from './schemas.ts';
import {
  DEFAULT_EMOTE_SIZE, deleteEmote, emoteUrl, emoteView, listEmotes, quota, restoreEmote, updateEmote, visibleEmote,
} from './service.ts';

/** Who is asking on a route where a token is optional (null: anonymous). */
const viewerOf = (c: Context) => (c.get('userId') as string | null | undefined) ?? null;

/** Mounted at /v1/emotes. Reading an emote (and its URL) is public; the rest is the owner's, from the host's pages. */
export function emoteRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);
  const auth = requireUser(deps.tokens);
  const maybeAuth = optionalUser(deps.tokens);

  // Fixed paths first: /v1/emotes/trash must not be read as an emote id.
  for (const trash of [false, true]) {
    app.openapi(
      createRoute({
        method: 'get',
        path: trash ? '/trash' : '/',
        tags: ['Emotes'],
        summary: trash ? 'Your emotes in the trash, newest first' : 'Your emotes, newest first',
        security: userSecurity,
        middleware: [auth] as const,
        request: { query: EmoteListQuery },
        responses: { 200: json(EmoteList, 'A page of emotes'), ...errors('INVALID_LIMIT', 'INVALID_CURSOR') },
      }),
      async (c) => {
        const { limit, cursor } = c.req.valid('query');
        return c.json(await listEmotes(deps, c.get('userId'), { limit: parseLimit(limit), cursor, trash }), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/quota',
      tags: ['Emotes'],
      summary: 'How many emotes and bytes you use and may use',
      security: userSecurity,
      middleware: [auth] as const,
      responses: { 200: json(EmoteQuota, 'Usage') },
    }),
    async (c) => c.json(await quota(deps, c.get('userId')), 200),
  );

  app.openapi(
    withAccess(PUBLIC, createRoute({
      method: 'get',
      path: '/{id}',
      tags: ['Emotes'],
      summary: 'An emote: yours, or anyone’s public one (token optional)',
      middleware: [maybeAuth] as const,
      request: { params: EmoteIdParam },
      responses: { 200: json(EmoteSchema, 'The emote'), ...errors('UNAUTHENTICATED', 'AUTH_UNAVAILABLE', 'EMOTE_NOT_FOUND') },
    })),
    async (c) => c.json(emoteView(await visibleEmote(deps, c.req.valid('param').id, viewerOf(c))), 200),
  );

  app.openapi(
    withAccess(PUBLIC, createRoute({
      method: 'get',
      path: '/{id}/url',
      tags: ['Emotes'],
      summary: 'The image URL of one size (private emotes: signed, expiring)',
      middleware: [maybeAuth] as const,
      request: { params: EmoteIdParam, query: EmoteUrlQuery },
      responses: { 200: json(EmoteUrl, 'The URL'), ...errors('UNAUTHENTICATED', 'AUTH_UNAVAILABLE', 'EMOTE_NOT_FOUND', 'INVALID_SIZE', 'EMOTE_NOT_READY') },
    })),
    async (c) => {
      const emote = await visibleEmote(deps, c.req.valid('param').id, viewerOf(c));
      return c.json(await emoteUrl(deps, emote, c.req.valid('query').size ?? DEFAULT_EMOTE_SIZE), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}',
      tags: ['Emotes'],
      summary: 'Rename an emote or change whether it is public',
      security: userSecurity,
      middleware: [auth] as const,
      request: { params: EmoteIdParam, body: { required: true, content: { 'application/json': { schema: UpdateEmoteBody } } } },
      responses: { 200: json(EmoteSchema, 'The emote'), ...errors('EMOTE_NOT_FOUND', 'EMOTE_NOT_OWNER', 'SHORTCODE_INVALID', 'SHORTCODE_TAKEN', 'RATE_LIMITED') },
    }),
    async (c) => c.json(await updateEmote(deps, c.req.valid('param').id, c.get('userId'), c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      tags: ['Emotes'],
      summary: 'Move an emote to the trash (frees its shortcode and quota at once)',
      security: userSecurity,
      middleware: [auth] as const,
      request: { params: EmoteIdParam },
      responses: { 204: { description: 'In the trash' }, ...errors('EMOTE_NOT_FOUND', 'EMOTE_NOT_OWNER', 'RATE_LIMITED') },
    }),
    async (c) => {
      await deleteEmote(deps, c.req.valid('param').id, c.get('userId'));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/restore',
      tags: ['Emotes'],
      summary: 'Take an emote out of the trash',
      security: userSecurity,
      middleware: [auth] as const,
      request: { params: EmoteIdParam },
      responses: { 200: json(EmoteSchema, 'The emote'), ...errors('EMOTE_NOT_FOUND', 'EMOTE_NOT_OWNER', 'SHORTCODE_TAKEN', 'EMOTE_QUOTA_EXCEEDED', 'RATE_LIMITED') },
    }),
    async (c) => c.json(await restoreEmote(deps, c.req.valid('param').id, c.get('userId')), 200),
  );
  return app;
}
