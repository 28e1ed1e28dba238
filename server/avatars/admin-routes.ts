// /v1/admin/users/{user_id}/avatar…: avatar changes on behalf of a user, from the host's backend.
import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../deps.ts';
import { ADMIN, adminSecurity, createRoutes } from '../http/routes.ts';
import { UserIdParam, errors, json } from '../http/schemas.ts';
import { directUploadBody, receiveDirectUpload } from '../uploads/direct-upload.ts';
import { ProcessingAccepted } from '../uploads/schemas.ts';
import { setConfigAvatar } from './cartoons.ts';
import { AvatarConfigBody, AvatarConfigUpdated, SetAvatarBody } from './schemas.ts';
import { removeAvatar, setAvatarFromFile } from './service.ts';

/** Mounted at /v1/admin/users. */
export function adminAvatarRoutes(deps: Deps) {
  const app = createRoutes(deps, ADMIN);

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{user_id}/avatar',
      tags: ['Admin'],
      summary: "Make one of the user's ready profile pictures their avatar",
      security: adminSecurity,
      request: { params: UserIdParam, body: { required: true, content: { 'application/json': { schema: SetAvatarBody } } } },
      responses: { 204: { description: 'Set' }, ...errors('FILE_NOT_FOUND', 'FILE_NOT_PROFILE_PIC', 'FILE_NOT_READY', 'RATE_LIMITED', 'USER_ERASED') },
    }),
    async (c) => {
      await setAvatarFromFile(deps, c.req.valid('param').user_id, c.req.valid('json').file_id);
      return c.body(null, 204);
    },
  );

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/{user_id}/avatar',
    tags: ['Admin'],
    summary: 'One-request upload on behalf of the user',
    security: adminSecurity,
    request: { params: UserIdParam, body: directUploadBody },
    responses: { 202: json(ProcessingAccepted, 'Processing; becomes the avatar when ready'), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'INVALID_REQUEST', 'CROP_INVALID', 'MULTIPART_INVALID', 'FILE_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMITED', 'USER_ERASED', 'STORAGE_UNAVAILABLE') },
  });
  app.handle(['POST'], '/:user_id/avatar', { body: 'streamed' }, async (c) => {
    const { user_id } = UserIdParam.parse({ user_id: c.req.param('user_id') });
    return c.json(await receiveDirectUpload(c, deps, user_id), 202);
  });

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{user_id}/avatar',
      tags: ['Admin'],
      summary: "Remove the user's avatar",
      security: adminSecurity,
      request: { params: UserIdParam },
      responses: { 204: { description: 'Removed' }, ...errors('RATE_LIMITED', 'USER_ERASED') },
    }),
    async (c) => {
      await removeAvatar(deps, c.req.valid('param').user_id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{user_id}/avatar/config',
      tags: ['Admin'],
      summary: "Make a cartoon drawn from options the user's avatar; answers once it is served",
      security: adminSecurity,
      request: { params: UserIdParam, body: { required: true, content: { 'application/json': { schema: AvatarConfigBody } } } },
      responses: { 200: json(AvatarConfigUpdated, 'The new avatar, already served'), ...errors('INVALID_AVATAR_CONFIG', 'AVATAR_SUPERSEDED', 'RATE_LIMITED', 'USER_ERASED', 'STORAGE_UNAVAILABLE') },
    }),
    async (c) => c.json(await setConfigAvatar(deps, c.req.valid('param').user_id, c.req.valid('json').data), 200),
  );
  return app;
}
