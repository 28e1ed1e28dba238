// POST /v1/uploads, the presigned PUT, POST /v1/uploads/{file_id}/complete.
import { createRoute, z } from '@hono/zod-openapi';
import { Readable } from 'node:stream';
import { requireUser } from '../auth.ts';
import type { Deps } from '../context.ts';
import { CreateUploadBody, FileIdParam, ProcessingAccepted, UploadContentQuery, UploadCreated, errors, json } from '../schemas.ts';
import { completeUpload, createUpload, receiveUpload } from '../services/uploads.ts';
import { userSecurity, type App } from './env.ts';

/** Content-Length as a number, or null when absent or malformed (the stored length is checked anyway). */
export function contentLength(header: string | undefined): number | null {
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
}

export function requestBody(raw: Request): Readable | null {
  return raw.body ? Readable.fromWeb(raw.body as import('node:stream/web').ReadableStream) : null;
}

export function uploadRoutes(app: App, deps: Deps) {
  const auth = requireUser(deps.config.jwtSecret, deps.clock);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/uploads',
      tags: ['Uploads'],
      summary: 'Create an upload and get a presigned PUT URL',
      security: userSecurity,
      middleware: [auth] as const,
      request: { body: { required: true, content: { 'application/json': { schema: CreateUploadBody } } } },
      responses: {
        201: json(UploadCreated, 'Upload created; PUT the bytes to upload_url'),
        ...errors(400, 401, 409, 413, 415, 429),
      },
    }),
    async (c) => c.json(await createUpload(deps, c.get('userId'), c.req.valid('json')), 201),
  );

  // The PUT is authorised by its signature alone (no token), so it is described in the document but routed by hand:
  // its raw body must stream to storage, never through a validator.
  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/v1/uploads/{file_id}/content',
    tags: ['Uploads'],
    summary: 'Presigned upload target (local storage): the raw bytes with the signed Content-Type',
    request: {
      params: FileIdParam,
      query: UploadContentQuery,
      body: { content: { 'image/*': { schema: z.string().openapi({ format: 'binary' }) } } },
    },
    responses: { 204: { description: 'Stored' }, ...errors(400, 403, 409) },
  });
  app.put('/v1/uploads/:file_id/content', async (c) => {
    await receiveUpload(deps, {
      fileId: c.req.param('file_id'),
      expires: c.req.query('expires') ?? '',
      signature: c.req.query('signature') ?? '',
      contentType: c.req.header('content-type'),
      contentLength: contentLength(c.req.header('content-length')),
      body: requestBody(c.req.raw),
    });
    return c.body(null, 204);
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/uploads/{file_id}/complete',
      tags: ['Uploads'],
      summary: 'Start processing an uploaded file (idempotent)',
      security: userSecurity,
      middleware: [auth] as const,
      request: { params: FileIdParam },
      responses: { 202: json(ProcessingAccepted, 'Processing'), ...errors(401, 404, 409) },
    }),
    async (c) => c.json(await completeUpload(deps, c.get('userId'), c.req.valid('param').file_id), 202),
  );
}
