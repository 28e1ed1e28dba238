// GET /v1/files/{file_id}: the owner's view of an upload and its processing.
import { createRoute } from '@hono/zod-openapi';
import { requireUser } from '../auth.ts';
import type { Deps } from '../context.ts';
import type { FileRow } from '../db/schema.ts';
import { FileIdParam, FileSchema, errors, json } from '../schemas.ts';
import { ownedFile } from '../services/files.ts';
import { userSecurity, type App } from './env.ts';

export function fileView(file: FileRow) {
  return {
    id: file.id,
    upload_type: file.upload_type,
    content_type: file.content_type,
    size_bytes: file.size_bytes,
    processing_state: file.state,
    ...(file.error_code ? { error: { code: file.error_code, message: file.error_message ?? '' } } : {}),
    width: file.width,
    height: file.height,
    created_at: file.created_at,
    updated_at: file.updated_at,
  };
}

export function fileRoutes(app: App, deps: Deps) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/files/{file_id}',
      tags: ['Uploads'],
      summary: 'An uploaded file and its processing state (owner only)',
      security: userSecurity,
      middleware: [requireUser(deps.tokens)] as const,
      request: { params: FileIdParam },
      responses: { 200: json(FileSchema, 'The file'), ...errors(401, 404) },
    }),
    async (c) => c.json(fileView(await ownedFile(deps, c.get('userId'), c.req.valid('param').file_id)), 200),
  );
}
