// Reads a one-request avatar upload: multipart/form-data field `avatar` (+ crop fields), or a raw image/* body.
import type { Context } from 'hono';
import { Readable } from 'node:stream';
import { ApiError } from '../errors.ts';
import type { CropFields } from '../services/files.ts';
import type { DirectUpload } from '../services/uploads.ts';
import { contentLength, requestBody } from './uploads.ts';

const CROP_FIELDS = ['crop_x', 'crop_y', 'crop_w', 'crop_h'] as const;

function cropFrom(read: (name: string) => unknown): CropFields {
  const crop: CropFields = {};
  for (const name of CROP_FIELDS) {
    const value = read(name);
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || !/^\d{1,7}$/.test(value)) throw new ApiError(400, 'INVALID_REQUEST', `${name}: must be a whole number`);
    crop[name] = Number(value);
  }
  return crop;
}

export async function readDirectUpload(c: Context): Promise<DirectUpload> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    // Multipart is buffered (bounded by the route's body limit); raw bodies stream.
    const form = await c.req.parseBody();
    const file = form.avatar;
    if (!(file instanceof File)) throw new ApiError(400, 'INVALID_REQUEST', 'avatar: a file field named "avatar" is required');
    return {
      contentType: file.type,
      filename: file.name || 'avatar',
      body: Readable.from(Buffer.from(await file.arrayBuffer())),
      sizeBytes: file.size,
      ...cropFrom((name) => form[name]),
    };
  }
  if (type.startsWith('image/')) {
    return {
      contentType: type,
      filename: 'avatar',
      body: requestBody(c.req.raw) ?? Readable.from([]),
      sizeBytes: contentLength(c.req.header('content-length')),
      ...cropFrom((name) => c.req.query(name)),
    };
  }
  throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send multipart/form-data with an "avatar" field, or a raw image body');
}

/** OpenAPI description of the one-request upload body. */
export const directUploadBody = {
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object' as const,
        required: ['avatar'],
        properties: {
          avatar: { type: 'string' as const, format: 'binary' },
          ...Object.fromEntries(CROP_FIELDS.map((name) => [name, { type: 'integer' as const }])),
        },
      },
    },
    'image/*': { schema: { type: 'string' as const, format: 'binary' } },
  },
};
