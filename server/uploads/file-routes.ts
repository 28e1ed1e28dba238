// A person's uploads: GET /v1/files/{file_id} (one, and its processing), DELETE /v1/files/{file_id}, and the list of
// them all (GET /v1/users/me/files).
import { createRoute, z } from '@hono/zod-openapi';
import { requireUser } from '../access/auth.ts';
import type { FileRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { createRoutes, SITE, userSecurity } from '../http/routes.ts';
import { errors, json } from '../http/schemas.ts';
import { parseLimit } from '../http/pagination.ts';
import { deleteFile } from './file-deletion.ts';
import { listFiles } from './file-list.ts';
import { appliedCrop, settledFile, type AppliedCrop } from './files.ts';
import { FileIdParam, FileList, FileListQuery, FileSchema } from './schemas.ts';

export function fileView(file: FileRow, applied: AppliedCrop | null = null) {
  return {
    id: file.id,
    upload_type: file.upload_type,
    content_type: file.content_type,
    size_bytes: file.size_bytes,
    processing_state: file.state,
    ...(file.error_code ? { error: { code: file.error_code, message: file.error_message ?? '' } } : {}),
    width: file.width,
    height: file.height,
    ...(applied ?? {}),
    created_at: file.created_at,
    updated_at: file.updated_at,
  };
}

/** The longest a GET /v1/files/{id}?wait=N may hold (SPEC §3). */
export const MAX_WAIT_SECONDS = 30;

const WaitQuery = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .optional()
    .openapi({
      param: { name: 'wait', in: 'query' },
      description: `Long-poll: answer as soon as the file is ready or failed, or after this many seconds (at most ${MAX_WAIT_SECONDS}) with the state as it is. Answers 429 RATE_LIMITED with Retry-After when too many requests are waiting.`,
      example: 25,
    }),
});

/** Mounted at /v1/files. */
export function fileRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{file_id}',
      tags: ['Uploads'],
      summary: 'An uploaded file and its processing state (owner only); with ?wait=N, once it is ready or failed',
      security: userSecurity,
      middleware: [requireUser(deps.tokens)] as const,
      request: { params: FileIdParam, query: WaitQuery },
      responses: { 200: json(FileSchema, 'The file'), ...errors('FILE_NOT_FOUND', 'RATE_LIMITED') },
    }),
    async (c) => {
      const wait = c.req.valid('query').wait ?? 0;
      // The request's signal only when it may wait: making it costs every plain poll a full Request.
      const file = await settledFile(deps, c.get('userId'), c.req.valid('param').file_id, wait, wait > 0 ? c.req.raw.signal : undefined);
      return c.json(fileView(file, await appliedCrop(deps, file)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{file_id}',
      tags: ['Uploads'],
      summary: 'Delete one of your photos: gone for you at once, its images after the grace period (409 FILE_IN_USE while it is the avatar)',
      security: userSecurity,
      middleware: [requireUser(deps.tokens)] as const,
      request: { params: FileIdParam },
      responses: {
        204: { description: 'Deleted' },
        ...errors('FILE_NOT_PROFILE_PIC', 'FILE_NOT_FOUND', 'FILE_IN_USE', 'RATE_LIMITED'),
      },
    }),
    async (c) => {
      await deleteFile(deps, c.get('userId'), c.req.valid('param').file_id);
      return c.body(null, 204);
    },
  );
  return app;
}

/** Mounted at /v1/users, beside the user routes: the signed-in user's files. */
export function userFileRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/files',
      tags: ['Uploads'],
      summary: 'Your uploads, newest first, with their state, crop, a small picture, and which is the avatar',
      security: userSecurity,
      middleware: [requireUser(deps.tokens)] as const,
      request: { query: FileListQuery },
      responses: { 200: json(FileList, 'A page of files'), ...errors('INVALID_LIMIT', 'INVALID_CURSOR') },
    }),
    async (c) => {
      const { upload_type, limit, cursor } = c.req.valid('query');
      return c.json(await listFiles(deps, c.get('userId'), { uploadType: upload_type, limit: parseLimit(limit), cursor }), 200);
    },
  );
  return app;
}
