// Avatars: public reads by user id, and the signed-in user's own avatar (/v1/users/me…).
import { createRoute } from '@hono/zod-openapi';
import { requireUser } from '../access/auth.ts';
import type { Deps } from '../deps.ts';
import { cacheableJson } from '../http/content-encoding.ts';
import { ApiError } from '../http/errors.ts';
import { createRoutes, PUBLIC, SITE, userSecurity, withAccess } from '../http/routes.ts';
import { UserIdParam, errors, json } from '../http/schemas.ts';
import { negotiatedUrl } from '../renditions/images.ts';
import { directUploadBody, receiveDirectUpload } from '../uploads/direct-upload.ts';
import { ProcessingAccepted } from '../uploads/schemas.ts';
import { identiconSvg, initialsSvg } from './default-images.ts';
import { AvatarImageQuery, AvatarQuery, AvatarSchema, AvatarsQuery, AvatarsSchema, userIdsOf, PatchUserBody, RecropAccepted, RecropBody, SetAvatarBody, UserSchema } from './schemas.ts';
import { describeUser, findAvatarVariant, getAvatar, getAvatars, recropAvatar, removeAvatar, requestedSize, setAvatarFromFile } from './service.ts';

/**
 * Public answers that name the current avatar (the /avatar/image redirect, GET /v1/avatars): a minute at most in any
 * cache. Pages that heard avatar-changed show the new one at once; other viewers may see the old one that long.
 */
const SHORT_CACHE = 'public, max-age=60';

/** Mounted at /v1/users: the signed-in user's avatar (/me…), and anyone's avatar, read publicly. */
export function userRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);
  const auth = requireUser(deps.tokens);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      tags: ['Avatars'],
      summary: 'The signed-in user and their avatar',
      security: userSecurity,
      middleware: [auth] as const,
      responses: { 200: json(UserSchema, 'The user') },
    }),
    async (c) => c.json(await describeUser(deps, c.get('userId')), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/me',
      tags: ['Avatars'],
      summary: 'Update the signed-in user ({"remove_avatar": true} removes the avatar)',
      security: userSecurity,
      middleware: [auth] as const,
      request: { body: { required: true, content: { 'application/json': { schema: PatchUserBody } } } },
      responses: { 200: json(UserSchema, 'The user'), ...errors('RATE_LIMITED', 'USER_ERASED') },
    }),
    async (c) => {
      if (c.req.valid('json').remove_avatar) await removeAvatar(deps, c.get('userId'));
      return c.json(await describeUser(deps, c.get('userId')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/me/avatar',
      tags: ['Avatars'],
      summary: 'Make a ready profile picture the avatar',
      security: userSecurity,
      middleware: [auth] as const,
      request: { body: { required: true, content: { 'application/json': { schema: SetAvatarBody } } } },
      responses: { 204: { description: 'Set' }, ...errors('FILE_NOT_FOUND', 'FILE_NOT_PROFILE_PIC', 'FILE_NOT_READY', 'RATE_LIMITED', 'USER_ERASED') },
    }),
    async (c) => {
      await setAvatarFromFile(deps, c.get('userId'), c.req.valid('json').file_id);
      return c.body(null, 204);
    },
  );

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/me/avatar',
    tags: ['Avatars'],
    summary: 'One-request upload: multipart field "avatar" (+ crop fields) or a raw image body (crop fields in the query)',
    security: userSecurity,
    request: { body: directUploadBody },
    responses: { 202: json(ProcessingAccepted, 'Processing; becomes the avatar when ready'), ...errors('UNAUTHENTICATED', 'AUTH_UNAVAILABLE', 'INVALID_REQUEST', 'CROP_INVALID', 'MULTIPART_INVALID', 'FILE_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMITED', 'USER_ERASED', 'STORAGE_UNAVAILABLE') },
  });
  app.handle(['POST'], '/me/avatar', { body: 'streamed' }, auth, async (c) => c.json(await receiveDirectUpload(c, deps, c.get('userId')), 202));

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/me/avatar',
      tags: ['Avatars'],
      summary: 'Remove the avatar (idempotent; the file is kept)',
      security: userSecurity,
      middleware: [auth] as const,
      responses: { 204: { description: 'Removed' }, ...errors('RATE_LIMITED', 'USER_ERASED') },
    }),
    async (c) => {
      await removeAvatar(deps, c.get('userId'));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/me/avatar/recrop',
      tags: ['Avatars'],
      summary: 'Crop the current avatar again from its stored original',
      security: userSecurity,
      middleware: [auth] as const,
      request: { body: { required: true, content: { 'application/json': { schema: RecropBody } } } },
      responses: { 202: json(RecropAccepted, 'Queued'), ...errors('AVATAR_NOT_FOUND', 'AVATAR_NOT_RECROPPABLE', 'FILE_NOT_FOUND', 'RECROP_INVALID', 'RATE_LIMITED', 'USER_ERASED') },
    }),
    async (c) => c.json(await recropAvatar(deps, c.get('userId'), c.req.valid('json')), 202),
  );

  app.openapi(
    withAccess(PUBLIC, createRoute({
      method: 'get',
      path: '/{user_id}/avatar',
      tags: ['Avatars'],
      summary: "A user's avatar URL at a size (public)",
      request: { params: UserIdParam, query: AvatarQuery },
      responses: { 200: json(AvatarSchema, 'The avatar'), ...errors('INVALID_SIZE', 'AVATAR_NOT_FOUND', 'AVATAR_NOT_READY') },
    })),
    async (c) => {
      const { size, is_preview } = c.req.valid('query');
      return c.json(await getAvatar(deps, c.req.valid('param').user_id, requestedSize(deps, size, is_preview === 'true')), 200);
    },
  );

  app.openapi(
    withAccess(PUBLIC, createRoute({
      method: 'get',
      path: '/{user_id}/avatar/image',
      tags: ['Avatars'],
      summary: "Redirect to a user's avatar image, or a generated default (usable as <img src>)",
      request: { params: UserIdParam, query: AvatarImageQuery },
      responses: {
        302: { description: 'Redirect to the variant' },
        200: { description: 'Generated default', content: { 'image/svg+xml': { schema: { type: 'string' } } } },
        ...errors('INVALID_SIZE', 'AVATAR_NOT_FOUND'),
      },
    })),
    async (c) => {
      const { size: sizeParam, is_preview, default: fallback = 'identicon', name } = c.req.valid('query');
      const userId = c.req.valid('param').user_id;
      const size = requestedSize(deps, sizeParam, is_preview === 'true');
      // While the first avatar is processing there is nothing to show yet: the default stands in.
      const found = await findAvatarVariant(deps, userId, size).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'AVATAR_NOT_READY') return null;
        throw err;
      });
      c.header('Cache-Control', SHORT_CACHE);
      // AVIF to browsers that say they take it, WebP to the rest: caches keep one answer per Accept.
      c.header('Vary', 'Accept');
      if (found) return c.redirect(await negotiatedUrl(deps, found.variant, 'avatar', c.req.header('accept')), 302);
      if (fallback === '404') throw new ApiError('AVATAR_NOT_FOUND', 'This user has no avatar');
      const pixels = size === 'cropped' ? 512 : Number(size);
      const svg = fallback === 'initials' && name ? initialsSvg(name, userId, pixels) : identiconSvg(userId, pixels);
      c.header('Content-Type', 'image/svg+xml');
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
      return c.body(svg, 200);
    },
  );
  return app;
}

/**
 * Mounted at /v1/avatars: many users' avatars in one answer, for a page that shows many (<avatar-image> asks for all
 * of a page's users at once: one request instead of one per avatar).
 */
export function avatarListRoutes(deps: Deps) {
  const app = createRoutes(deps, PUBLIC);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['Avatars'],
      summary: "Many users' avatars: every size's URL (WebP and AVIF) and placeholder (public; cached for a minute)",
      request: { query: AvatarsQuery },
      responses: { 200: json(AvatarsSchema, 'One entry per user asked for'), 304: { description: 'Not modified (If-None-Match)' } },
    }),
    async (c) => cacheableJson(c, await getAvatars(deps, userIdsOf(c.req.valid('query').user_ids)), SHORT_CACHE),
  );
  return app;
}
