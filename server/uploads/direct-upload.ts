// One-request uploads, read as they stream in: multipart/form-data (one file part plus text fields, through
// multipart.ts) or a raw image/* body (text fields in the query). The bytes go to storage while they arrive
// (`stage`); the caller then creates or completes the file. Used by POST /v1/users/me/avatar, its admin twin,
// and the upload links of POST /v1/admin/avatars/new.
import type { Context } from 'hono';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { squareCrop, type CropFields } from './files.ts';
import { commitDirectUpload, discardImage, stageDirectUpload, type IncomingImage, type StoredImage } from './service.ts';
import { readMultipart } from '../http/multipart.ts';
import { readRawBody, requestBodyOf } from '../http/request-body.ts';

const CROP_FIELDS = ['crop_x', 'crop_y', 'crop_w', 'crop_h'] as const;

/** The crop fields of a form or query, parsed at the edge (whole numbers; absent or empty means not given). */
function cropFrom(fields: Record<string, string | undefined>): CropFields {
  const crop: CropFields = {};
  for (const name of CROP_FIELDS) {
    const value = fields[name];
    if (value === undefined || value === '') continue;
    if (!/^\d{1,7}$/.test(value)) throw new ApiError('INVALID_REQUEST', `${name}: must be a whole number`);
    crop[name] = Number(value);
  }
  return crop;
}

const isMultipart = (c: Context) => (c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');

export interface ImageUploadSpec {
  /** The multipart field the file comes in. */
  fileField: string;
  /** Text fields: multipart fields, or query parameters with a raw body. */
  fields: readonly string[];
  maxBytes: number;
  /** Takes the image as it streams in (storing it); must read it to the end or reject. */
  stage(image: IncomingImage): Promise<StoredImage>;
  /** Undoes `stage` when the rest of a multipart body is refused. */
  discard(stored: StoredImage): Promise<void>;
}

/** Reads the image of a one-request upload into storage; resolves once the whole request has been read. */
export async function readImageUpload(c: Context, spec: ImageUploadSpec): Promise<{ stored: StoredImage; fields: Record<string, string> }> {
  const request = requestBodyOf(c);
  if (isMultipart(c)) {
    const form = await readMultipart(request, { fileField: spec.fileField, fields: spec.fields, maxFileBytes: spec.maxBytes, onFile: spec.stage, discard: spec.discard });
    return { stored: form.file, fields: form.fields };
  }
  if (request.contentType.toLowerCase().startsWith('image/')) {
    const fields: Record<string, string> = {};
    for (const name of spec.fields) {
      const value = c.req.query(name);
      if (value !== undefined) fields[name] = value;
    }
    const stored = await readRawBody(request, spec.maxBytes, (body) => spec.stage({ contentType: request.contentType, filename: null, body }));
    return { stored, fields };
  }
  throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `Send multipart/form-data with a "${spec.fileField}" file field, or a raw image body`);
}

/** POST /v1/users/me/avatar and its admin twin: field `avatar` (+ crop fields), or a raw body (crop in the query). */
export async function receiveDirectUpload(c: Context, deps: Deps, userId: string) {
  // A raw body's crop is known before its bytes: a bad one is refused unread.
  if (!isMultipart(c)) squareCrop(cropFrom(c.req.query()));
  const { stored, fields } = await readImageUpload(c, {
    fileField: 'avatar',
    fields: CROP_FIELDS,
    maxBytes: deps.config.maxAvatarBytes,
    stage: (image) => stageDirectUpload(deps, userId, image),
    discard: (image) => discardImage(deps, image),
  });
  let crop: CropFields;
  try {
    crop = cropFrom(fields);
  } catch (err) {
    await discardImage(deps, stored);
    throw err;
  }
  return commitDirectUpload(deps, userId, stored, crop);
}

/** OpenAPI description of a one-request upload body whose file field is `fileField`. */
export function imageUploadBody(fileField: string, withCrop: boolean) {
  return {
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object' as const,
          required: [fileField],
          properties: {
            [fileField]: { type: 'string' as const, format: 'binary' },
            ...(withCrop ? Object.fromEntries(CROP_FIELDS.map((name) => [name, { type: 'integer' as const }])) : {}),
          },
        },
      },
      'image/*': { schema: { type: 'string' as const, format: 'binary' } },
    },
  };
}

/** OpenAPI description of the one-request avatar upload body. */
export const directUploadBody = imageUploadBody('avatar', true);
