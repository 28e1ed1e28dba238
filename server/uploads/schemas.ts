// Uploads and files: request and response schemas (they validate requests and generate /openapi.json).
import { z } from '@hono/zod-openapi';
import { CROP_SOURCES } from '../../media/crop.ts';
import { CropFields, EXAMPLE_AVATAR_URLS, EXAMPLE_FILE_ID, EXAMPLE_TIME, ProcessingErrorSchema, UserId } from '../http/schemas.ts';

export const FileIdParam = z.object({
  file_id: z.string().min(1).max(64).openapi({ param: { name: 'file_id', in: 'path' }, example: EXAMPLE_FILE_ID }),
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
  .openapi('CreateUpload', {
    example: { upload_type: 'profile_pic', filename: 'me.webp', content_type: 'image/webp', size_bytes: 48213, crop_x: 100, crop_y: 0, crop_w: 400, crop_h: 400 },
  });

export const UploadCreated = z
  .object({
    file_id: z.string(),
    upload_url: z.string(),
    upload_method: z.literal('PUT'),
    upload_headers: z.record(z.string(), z.string()),
    expires_at: z.number().int(),
    emote_id: z.string().optional().openapi({ description: 'emote uploads: the id of the emote being created' }),
  })
  .openapi('UploadCreated', {
    example: {
      file_id: EXAMPLE_FILE_ID,
      upload_url: `https://avatars.example.com/v1/uploads/${EXAMPLE_FILE_ID}/content?expires=1796620728&signature=3b47b502498f4c1e404b8ff2b55f4fe90fba26d07b416c7c431b769822cc56ea`,
      upload_method: 'PUT',
      upload_headers: { 'Content-Type': 'image/webp' },
      expires_at: EXAMPLE_TIME + 600,
    },
  });

export const UploadContentQuery = z.object({
  expires: z.string().openapi({ param: { name: 'expires', in: 'query' } }),
  signature: z.string().openapi({ param: { name: 'signature', in: 'query' } }),
});

export const ProcessingAccepted = z.object({ file_id: z.string(), processing_state: z.enum(['awaiting_upload', 'processing', 'ready', 'failed']) }).openapi('ProcessingAccepted', { example: { file_id: EXAMPLE_FILE_ID, processing_state: 'processing' } });

const EXAMPLE_FILE = {
  id: EXAMPLE_FILE_ID,
  upload_type: 'profile_pic' as const,
  content_type: 'image/webp',
  size_bytes: 48213,
  processing_state: 'ready' as const,
  width: 600,
  height: 400,
  crop: { x: 100, y: 0, w: 400, h: 400 },
  crop_source: 'user' as const,
  created_at: EXAMPLE_TIME,
  updated_at: EXAMPLE_TIME + 1,
};

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
  .openapi('File', { example: EXAMPLE_FILE });

export const FileListQuery = z.object({
  upload_type: z.enum(['profile_pic', 'emote']).optional().openapi({ param: { name: 'upload_type', in: 'query' }, description: 'Only files of this type (default: both)' }),
  limit: z.string().optional().openapi({ param: { name: 'limit', in: 'query' }, description: '1-500, default 100 (else 400 INVALID_LIMIT)' }),
  cursor: z.string().optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'next_cursor of the previous page (else 400 INVALID_CURSOR)' }),
});

export const FileListItem = FileSchema.extend({
  is_avatar: z.boolean().openapi({ description: 'It is the avatar now (a recrop of it included)' }),
  thumbnail_url: z
    .string()
    .nullable()
    .openapi({ description: 'Its 128 px WebP, once ready (a private emote\'s is signed and expires like GET /v1/emotes/{id}/url); null before, when it failed, and for an emote in the trash' }),
}).openapi('FileListItem');

export const FileList = z
  .object({ files: z.array(FileListItem), next_cursor: z.string().nullable() })
  .openapi('FileList', {
    example: {
      files: [
        { ...EXAMPLE_FILE, is_avatar: true, thumbnail_url: EXAMPLE_AVATAR_URLS.urls[128] },
      ],
      next_cursor: null,
    },
  });

export const AvatarLinkBody = z
  .object({
    user_id: UserId,
    set_as_avatar: z.boolean().optional().openapi({ description: 'default true: the photo becomes the avatar once ready' }),
    ...CropFields,
  })
  .openapi('AvatarLinkRequest', { example: { user_id: 'bob', set_as_avatar: true } });

export const AvatarLinkCreated = z
  .object({
    file_id: z.string(),
    upload_url: z.string().openapi({ description: 'Signed, single use: POST multipart/form-data with the photo in the field "image", or PUT the raw image' }),
    upload_method: z.literal('POST'),
    expires_at: z.number().int(),
  })
  .openapi('AvatarLinkCreated', {
    example: {
      file_id: 'f_ivCJqHdsakO4Uj9c',
      upload_url: 'https://avatars.example.com/v1/uploads/f_ivCJqHdsakO4Uj9c/image?expires=1796620738&signature=87ab0e0c29e51dd1c282cd1a9c5e4cd4523caef0332718adf057346744833fe7',
      upload_method: 'POST',
      expires_at: EXAMPLE_TIME + 610,
    },
  });
