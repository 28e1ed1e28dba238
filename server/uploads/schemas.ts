// Uploads and files: request and response schemas (they validate requests and generate /openapi.json).
import { z } from '@hono/zod-openapi';
import { CROP_SOURCES } from '../../media/crop.ts';
import { CropFields, ProcessingErrorSchema, UserId } from '../http/schemas.ts';

export const FileIdParam = z.object({
  file_id: z.string().min(1).max(64).openapi({ param: { name: 'file_id', in: 'path' } }),
});

export const CreateUploadBody = z
  .object({
    upload_type: z.enum(['profile_pic', 'emote']),
    filename: z.string().min(1).max(255),
    content_type: z.string().min(1).max(100).openapi({ example: 'image/webp' }),
    size_bytes: z.number().int().min(1),
    ...CropFields,
    set_as_avatar: z.boolean().optional().openapi({ description: 'profile_pic only; default true' }),
    shortcode: z.string().optional().openapi({ description: 'emote only, required: ^[A-Za-z0-9_]{2,32}$' }),
    public: z.boolean().optional().openapi({ description: 'emote only; default false' }),
  })
  .openapi('CreateUpload');

export const UploadCreated = z
  .object({
    file_id: z.string(),
    upload_url: z.string(),
    upload_method: z.literal('PUT'),
    upload_headers: z.record(z.string(), z.string()),
    expires_at: z.number().int(),
    emote_id: z.string().optional().openapi({ description: 'emote uploads: the id of the emote being created' }),
  })
  .openapi('UploadCreated');

export const UploadContentQuery = z.object({
  expires: z.string().openapi({ param: { name: 'expires', in: 'query' } }),
  signature: z.string().openapi({ param: { name: 'signature', in: 'query' } }),
});

export const ProcessingAccepted = z.object({ file_id: z.string(), processing_state: z.enum(['awaiting_upload', 'processing', 'ready', 'failed']) }).openapi('ProcessingAccepted');

export const FileSchema = z
  .object({
    id: z.string(),
    upload_type: z.enum(['profile_pic', 'emote']),
    content_type: z.string(),
    size_bytes: z.number().int(),
    processing_state: z.enum(['awaiting_upload', 'processing', 'ready', 'failed']),
    error: ProcessingErrorSchema.optional(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    crop: z
      .object({ x: z.number().int(), y: z.number().int(), w: z.number().int(), h: z.number().int() })
      .optional()
      .openapi({ description: 'The part of the source the picture is made of (after EXIF orientation): the one asked for, or the default crop. Absent while unknown (no crop asked for, not processed yet) and for an emote kept whole.' }),
    crop_source: z
      .enum(CROP_SOURCES)
      .optional()
      .openapi({
        description:
          'Why the crop is what it is: user (given with the upload or a recrop), or the default crop of an avatar uploaded without one: face (around the faces found), saliency (the largest square at a clear subject), center (the centred largest square; also always with AVATAR_DEFAULT_CROP=center).',
      }),
    created_at: z.number().int(),
    updated_at: z.number().int(),
  })
  .openapi('File');

export const AvatarLinkBody = z
  .object({
    user_id: UserId,
    set_as_avatar: z.boolean().optional().openapi({ description: 'default true: the photo becomes the avatar once ready' }),
    ...CropFields,
  })
  .openapi('AvatarLinkRequest');

export const AvatarLinkCreated = z
  .object({
    file_id: z.string(),
    upload_url: z.string().openapi({ description: 'Signed, single use: POST multipart/form-data with the photo in the field "image", or PUT the raw image' }),
    upload_method: z.literal('POST'),
    expires_at: z.number().int(),
  })
  .openapi('AvatarLinkCreated');
