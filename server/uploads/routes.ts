// POST /v1/uploads, the presigned PUT, POST /v1/uploads/{file_id}/complete, and the upload links of
// POST /v1/admin/avatars/new (POST or PUT /v1/uploads/{file_id}/image).
import { createRoute, z } from '@hono/zod-openapi';
import { requireUser } from '../access/auth.ts';
import type { Deps } from '../deps.ts';
import { contentLength, requestBody } from '../http/request-body.ts';
import { createRoutes, SITE, userSecurity } from '../http/routes.ts';
import { errors, json } from '../http/schemas.ts';
import { imageUploadBody, readImageUpload } from './direct-upload.ts';
import { commitLinkUpload, discardLinkUpload, openUploadLink, stageLinkUpload } from './links.ts';
import { CreateUploadBody, FileIdParam, ProcessingAccepted, UploadContentQuery, UploadCreated } from './schemas.ts';
import { completeUpload, createUpload, receiveUpload } from './service.ts';

/** Mounted at /v1/uploads. */
export function uploadRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);
  const auth = requireUser(deps.tokens);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['Uploads'],
      summary: 'Create an upload and get a presigned PUT URL',
      security: userSecurity,
      middleware: [auth] as const,
      request: { body: { required: true, content: { 'application/json': { schema: CreateUploadBody } } } },
      responses: {
        201: json(UploadCreated, 'Upload created; PUT the bytes to upload_url'),
        ...errors('UNSUPPORTED_MEDIA_TYPE', 'FILE_TOO_LARGE', 'CROP_INVALID', 'SHORTCODE_INVALID', 'SHORTCODE_TAKEN', 'EMOTE_QUOTA_EXCEEDED', 'RATE_LIMITED', 'USER_ERASED'),
      },
    }),
    async (c) => c.json(await createUpload(deps, c.get('userId'), c.req.valid('json')), 201),
  );

  // The PUT is authorised by its signature alone (no token), so it is described in the document but routed by hand:
  // its raw body must stream to storage, never through a validator.
  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/{file_id}/content',
    tags: ['Uploads'],
    summary: 'Presigned upload target (local storage): the raw bytes with the signed Content-Type',
    request: {
      params: FileIdParam,
      query: UploadContentQuery,
      body: { content: { 'image/*': { schema: z.string().openapi({ format: 'binary' }) } } },
    },
    responses: { 204: { description: 'Stored' }, ...errors('SIZE_MISMATCH', 'UPLOAD_URL_INVALID', 'UPLOAD_URL_EXPIRED', 'UPLOAD_ALREADY_RECEIVED', 'FILE_NOT_FOUND', 'STORAGE_UNAVAILABLE') },
  });
  // Any origin: the signature is the authority, as with an S3 presigned PUT.
  app.handle(['PUT'], '/:file_id/content', { cors: 'public', body: 'streamed' }, async (c) => {
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

  // An upload link, authorised by its signature alone: the image as a multipart POST (field "image") or a raw
  // PUT, streamed to storage; processing starts once the whole request has arrived.
  for (const method of ['post', 'put'] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: '/{file_id}/image',
      tags: ['Uploads'],
      summary: 'Upload link (POST /v1/admin/avatars/new): the photo as multipart field "image", or a raw image body; single use',
      request: { params: FileIdParam, query: UploadContentQuery, body: imageUploadBody('image', false) },
      responses: { 202: json(ProcessingAccepted, 'Received; processing'), ...errors('INVALID_REQUEST', 'MULTIPART_INVALID', 'UPLOAD_URL_INVALID', 'UPLOAD_URL_EXPIRED', 'UPLOAD_ALREADY_RECEIVED', 'FILE_NOT_FOUND', 'FILE_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'USER_ERASED', 'STORAGE_UNAVAILABLE') },
    });
  }
  app.handle(['POST', 'PUT'], '/:file_id/image', { cors: 'public', body: 'streamed' }, async (c) => {
    const file = await openUploadLink(deps, { fileId: c.req.param('file_id'), expires: c.req.query('expires') ?? '', signature: c.req.query('signature') ?? '' });
    const { stored } = await readImageUpload(c, {
      fileField: 'image',
      fields: [],
      maxBytes: deps.config.maxAvatarBytes,
      stage: (image) => stageLinkUpload(deps, file, image),
      discard: (image) => discardLinkUpload(deps, image),
    });
    return c.json(await commitLinkUpload(deps, file, stored), 202);
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{file_id}/complete',
      tags: ['Uploads'],
      summary: 'Start processing an uploaded file (idempotent)',
      security: userSecurity,
      middleware: [auth] as const,
      request: { params: FileIdParam },
      responses: { 202: json(ProcessingAccepted, 'Processing'), ...errors('FILE_NOT_FOUND', 'UPLOAD_NOT_RECEIVED', 'SIZE_MISMATCH', 'USER_ERASED') },
    }),
    async (c) => c.json(await completeUpload(deps, c.get('userId'), c.req.valid('param').file_id), 202),
  );
  return app;
}
