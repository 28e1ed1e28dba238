// /v1/admin/*: widget tokens for host backends, avatar changes on behalf of a user, and upload links for
// backend-only avatars (POST /v1/admin/avatars/new).
import { createRoute } from '@hono/zod-openapi';
import { requireAdmin } from '../access/auth.ts';
import type { Deps } from '../deps.ts';
import { AvatarConfigBody, AvatarConfigUpdated, AvatarLinkBody, AvatarLinkCreated, ProcessingAccepted, SetAvatarBody, TokenBody, TokenSchema, UserIdParam, errors, json } from '../schemas.ts';
import { removeAvatar, setAvatarFromFile } from './service.ts';
import { setConfigAvatar } from './cartoons.ts';
import { createUploadLink } from '../uploads/links.ts';
import { directUploadBody, receiveDirectUpload } from '../uploads/direct-upload.ts';
import { adminSecurity, type App } from '../http/routes.ts';

export const DEFAULT_TOKEN_TTL = 3600;

/** A user token that expires after `ttlSeconds`. */
export async function issueToken(deps: Deps, userId: string, ttlSeconds = DEFAULT_TOKEN_TTL) {
  const expiresAt = deps.clock() + ttlSeconds;
  return { token: await deps.tokens.sign(userId, expiresAt), expires_at: expiresAt };
}

export function adminRoutes(app: App, deps: Deps) {
  const admin = requireAdmin(deps.config.adminKey, deps.tokens);
  app.use('/v1/admin/*', admin);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/tokens',
      tags: ['Admin'],
      summary: 'Issue a user token for the widget',
      security: adminSecurity,
      request: { body: { required: true, content: { 'application/json': { schema: TokenBody } } } },
      responses: { 200: json(TokenSchema, 'The token'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const { user_id, ttl_seconds } = c.req.valid('json');
      return c.json(await issueToken(deps, user_id, ttl_seconds), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/admin/users/{user_id}/avatar',
      tags: ['Admin'],
      summary: "Make one of the user's ready profile pictures their avatar",
      security: adminSecurity,
      request: { params: UserIdParam, body: { required: true, content: { 'application/json': { schema: SetAvatarBody } } } },
      responses: { 204: { description: 'Set' }, ...errors(400, 401, 403, 404, 409, 429) },
    }),
    async (c) => {
      await setAvatarFromFile(deps, c.req.valid('param').user_id, c.req.valid('json').file_id);
      return c.body(null, 204);
    },
  );

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/admin/users/{user_id}/avatar',
    tags: ['Admin'],
    summary: 'One-request upload on behalf of the user',
    security: adminSecurity,
    request: { params: UserIdParam, body: directUploadBody },
    responses: { 202: json(ProcessingAccepted, 'Processing; becomes the avatar when ready'), ...errors(400, 401, 403, 413, 415, 429) },
  });
  app.post('/v1/admin/users/:user_id/avatar', async (c) => {
    const { user_id } = UserIdParam.parse({ user_id: c.req.param('user_id') });
    return c.json(await receiveDirectUpload(c, deps, user_id), 202);
  });

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/admin/users/{user_id}/avatar',
      tags: ['Admin'],
      summary: "Remove the user's avatar",
      security: adminSecurity,
      request: { params: UserIdParam },
      responses: { 204: { description: 'Removed' }, ...errors(400, 401, 403, 429) },
    }),
    async (c) => {
      await removeAvatar(deps, c.req.valid('param').user_id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/users/{user_id}/avatar/config',
      tags: ['Admin'],
      summary: "Make a cartoon drawn from options the user's avatar; answers once it is served",
      security: adminSecurity,
      request: { params: UserIdParam, body: { required: true, content: { 'application/json': { schema: AvatarConfigBody } } } },
      responses: { 200: json(AvatarConfigUpdated, 'The new avatar, already served'), ...errors(400, 401, 403, 409, 429) },
    }),
    async (c) => c.json(await setConfigAvatar(deps, c.req.valid('param').user_id, c.req.valid('json').data), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/avatars/new',
      tags: ['Admin'],
      summary: 'A signed, single-use upload URL for a new photo of the user (multipart field "image", or a raw PUT); processing starts when the bytes arrive',
      security: adminSecurity,
      request: { body: { required: true, content: { 'application/json': { schema: AvatarLinkBody } } } },
      responses: { 201: json(AvatarLinkCreated, 'Upload URL created'), ...errors(400, 401, 403, 429) },
    }),
    async (c) => c.json(await createUploadLink(deps, c.req.valid('json')), 201),
  );
}
