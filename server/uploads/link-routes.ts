// POST /v1/admin/avatars/new: a signed, single-use upload link for a backend-only avatar (links.ts); the link
// itself takes the bytes at /v1/uploads/{file_id}/image (routes.ts).
import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../deps.ts';
import { ADMIN, adminSecurity, createRoutes } from '../http/routes.ts';
import { errors, json } from '../http/schemas.ts';
import { createUploadLink } from './links.ts';
import { AvatarLinkBody, AvatarLinkCreated } from './schemas.ts';

/** Mounted at /v1/admin/avatars. */
export function uploadLinkRoutes(deps: Deps) {
  const app = createRoutes(deps, ADMIN);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/new',
      tags: ['Admin'],
      summary: 'A signed, single-use upload URL for a new photo of the user (multipart field "image", or a raw PUT); processing starts when the bytes arrive',
      security: adminSecurity,
      request: { body: { required: true, content: { 'application/json': { schema: AvatarLinkBody } } } },
      responses: { 201: json(AvatarLinkCreated, 'Upload URL created'), ...errors('CROP_INVALID', 'RATE_LIMITED', 'USER_ERASED') },
    }),
    async (c) => c.json(await createUploadLink(deps, c.req.valid('json')), 201),
  );
  return app;
}
