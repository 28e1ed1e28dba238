// Cartoon (config) avatars: the option list and live previews (public, /v1/avatar-config), and setting one as the
// avatar (/v1/users/me/avatar/config). The admin twin is in admin-routes.ts.
import { createHash } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { requireUser } from '../access/auth.ts';
import type { Deps } from '../deps.ts';
import { matchesEtag } from '../http/etag.ts';
import { createRoutes, PUBLIC, SITE, userSecurity } from '../http/routes.ts';
import { errors, json } from '../http/schemas.ts';
import { CARTOON_DEFAULTS, CARTOON_OPTIONS } from './cartoon/options.ts';
import { renderCartoonSvg } from './cartoon/render.ts';
import { cartoonConfig, setConfigAvatar } from './cartoons.ts';
import { deleteRecentCartoon, listRecentCartoons } from './recent-cartoons.ts';
import { AvatarConfigBody, AvatarConfigOptions, AvatarConfigPreviewQuery, AvatarConfigUpdated, CartoonIdParam, RecentCartoons } from './schemas.ts';

/** The options change only with a new server version: cache for an hour, previews for a day. */
const OPTIONS_CACHE = 'public, max-age=3600';
const PREVIEW_CACHE = 'public, max-age=86400';
/** An SVG opened on its own must not run anything; inline styles are all the drawing uses. */
const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const OPTIONS_BODY = JSON.stringify({ ...CARTOON_OPTIONS, defaults: CARTOON_DEFAULTS });

/** Mounted at /v1/avatar-config: read by any page. */
export function cartoonRoutes(deps: Deps) {
  const app = createRoutes(deps, PUBLIC);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/options',
      tags: ['Cartoon avatars'],
      summary: 'Every cartoon option with its allowed values (the first is the default), plus the defaults (public)',
      responses: { 200: json(AvatarConfigOptions, 'The options') },
    }),
    (c) => {
      c.header('Cache-Control', OPTIONS_CACHE);
      c.header('Content-Type', 'application/json; charset=UTF-8');
      return c.body(OPTIONS_BODY, 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/preview.svg',
      tags: ['Cartoon avatars'],
      summary: 'A cartoon drawn from options given in the query, by the same renderer as the variants (public)',
      request: { query: AvatarConfigPreviewQuery },
      responses: {
        200: { description: 'The cartoon', content: { 'image/svg+xml': { schema: { type: 'string' } } } },
        304: { description: 'Not modified' },
        ...errors('INVALID_AVATAR_CONFIG'),
      },
    }),
    (c) => {
      const svg = renderCartoonSvg(cartoonConfig(c.req.query()));
      const etag = `"${createHash('sha256').update(svg).digest('base64url').slice(0, 22)}"`;
      c.header('Cache-Control', PREVIEW_CACHE);
      c.header('ETag', etag);
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('Content-Security-Policy', PREVIEW_CSP);
      if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304) as never;
      c.header('Content-Type', 'image/svg+xml; charset=utf-8');
      return c.body(svg, 200) as never;
    },
  );
  return app;
}

/** Mounted at /v1/users, beside the user routes: the signed-in user's cartoon. */
export function cartoonAvatarRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);
  const auth = requireUser(deps.tokens);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/avatar/config',
      tags: ['Cartoon avatars'],
      summary: 'Make a cartoon drawn from options the avatar; answers once it is served (one of your recent cartoons with the same options is set again, not drawn again)',
      security: userSecurity,
      middleware: [auth] as const,
      request: { body: { required: true, content: { 'application/json': { schema: AvatarConfigBody } } } },
      responses: { 200: json(AvatarConfigUpdated, 'The new avatar, already served (409 AVATAR_SUPERSEDED: a newer avatar change was accepted while it was drawn)'), ...errors('INVALID_AVATAR_CONFIG', 'AVATAR_SUPERSEDED', 'RATE_LIMITED', 'USER_ERASED', 'STORAGE_UNAVAILABLE') },
    }),
    async (c) => c.json(await setConfigAvatar(deps, c.get('userId'), c.req.valid('json').data), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/cartoons',
      tags: ['Cartoon avatars'],
      summary: 'Your recent cartoons, to go back to: each with its options (a cartoon has no file)',
      security: userSecurity,
      middleware: [auth] as const,
      responses: { 200: json(RecentCartoons, 'The cartoons') },
    }),
    async (c) => c.json(await listRecentCartoons(deps, c.get('userId')), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/me/cartoons/{cartoon_id}',
      tags: ['Cartoon avatars'],
      summary: 'Forget one of your recent cartoons (its images go after the grace period)',
      security: userSecurity,
      middleware: [auth] as const,
      request: { params: CartoonIdParam },
      responses: {
        204: { description: 'Deleted' },
        ...errors('CARTOON_NOT_FOUND', 'CARTOON_IN_USE', 'RATE_LIMITED'),
      },
    }),
    async (c) => {
      await deleteRecentCartoon(deps, c.get('userId'), c.req.valid('param').cartoon_id);
      return c.body(null, 204);
    },
  );
  return app;
}
