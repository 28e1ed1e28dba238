// Request and response schemas: the same zod objects validate requests and generate /openapi.json.
import { z } from '@hono/zod-openapi';
import { CROP_SOURCES } from '../media/crop.ts';
import { AVATAR_SIZES, DEFAULT_AVATAR_SIZE, DEFAULT_EMOTE_SIZE, EMOTE_SIZES } from '../media/variants.ts';
import { USER_ID } from './access/auth.ts';
import { CARTOON_DEFAULTS, CARTOON_KEYS } from './avatars/cartoon/options.ts';
import { MAX_JPEG_SCANS } from './images/jpeg-structure.ts';
import { BACKOFF_AFTER, FIRST_BACKOFF_SECONDS, LONGEST_BACKOFF_SECONDS } from './webhooks/health.ts';
import { EVENT_TYPES } from './webhooks/outbox.ts';
import { MAX_URL_LENGTH as MAX_WEBHOOK_URL_LENGTH } from './webhooks/target.ts';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'FILE_NOT_FOUND' }), message: z.string() }) })
  .openapi('Error');

/** OpenAPI response entries for error statuses. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));

/** An OpenAPI JSON response entry. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const cropInt = z.number().int().min(0).max(1_000_000);

export const CropFields = {
  crop_x: cropInt.optional(),
  crop_y: cropInt.optional(),
  crop_w: cropInt.min(1).optional(),
  crop_h: cropInt.min(1).optional().openapi({ description: 'Defaults to crop_w (avatars are square).' }),
};

export const UserIdParam = z.object({
  user_id: z.string().regex(USER_ID, 'must be 1-128 characters of A-Za-z0-9_.:@-').openapi({ param: { name: 'user_id', in: 'path' }, example: 'alice' }),
});

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

/** Why processing failed, in one place for files and emotes (and the image limits behind the codes). */
export const ProcessingErrorSchema = z
  .object({
    code: z.string().openapi({
      example: 'IMAGE_INVALID',
      description:
        `IMAGE_INVALID (does not decode, is not the declared type, or took longer than AVATAR_PROCESSING_TIMEOUT_SECONDS), ` +
        `IMAGE_TOO_LARGE (more than AVATAR_MAX_PIXELS pixels or AVATAR_MAX_FRAMES frames), ` +
        `IMAGE_TOO_COMPLEX (a JPEG of more than ${MAX_JPEG_SCANS} scans, i.e. progressive passes: real encoders write at most about 18), ` +
        'UNSUPPORTED_MEDIA_TYPE, CROP_INVALID',
    }),
    message: z.string(),
  })
  .openapi('ProcessingError');

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

export const AvatarQuery = z.object({
  size: z
    .string()
    .optional()
    .openapi({
      param: { name: 'size', in: 'query' },
      example: DEFAULT_AVATAR_SIZE,
      description: `${['cropped', ...AVATAR_SIZES].map((size) => (String(size) === DEFAULT_AVATAR_SIZE ? `${size} (default)` : size)).join(', ')}, or a configured size`,
    }),
  is_preview: z.enum(['true', 'false']).optional().openapi({ param: { name: 'is_preview', in: 'query' }, description: 'true means size=64' }),
});

export const AvatarImageQuery = AvatarQuery.extend({
  default: z.enum(['identicon', 'initials', '404']).optional().openapi({ param: { name: 'default', in: 'query' } }),
  name: z.string().max(200).optional().openapi({ param: { name: 'name', in: 'query' }, description: 'for default=initials' }),
});

export const AvatarSchema = z
  .object({
    url: z.string(),
    expires_at: z.number().int().nullable(),
    size: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    content_type: z.string(),
    version: z.number().int(),
    updated_at: z.number().int(),
  })
  .openapi('Avatar');

const CartoonOptionsUsed = z.record(z.string(), z.string()).openapi({ description: 'Every option of the cartoon, defaults filled in' });

export const UserAvatarSchema = z
  .object({
    file_id: z.string().nullable().openapi({ description: 'null for a cartoon (config) avatar' }),
    version: z.number().int(),
    source: z.enum(['upload', 'config']),
    url: z.string().nullable().openapi({ description: 'The 256 px variant' }),
    urls: z.record(z.string(), z.string()),
    config: CartoonOptionsUsed.optional().openapi({ description: 'source "config" only' }),
    updated_at: z.number().int(),
  })
  .openapi('UserAvatar');

export const UserSchema = z
  .object({
    id: z.string(),
    avatar_url: z.string().nullable(),
    avatar: UserAvatarSchema.nullable(),
    avatar_processing: z.boolean(),
  })
  .openapi('User');

const VERBATIM_CONFIG = {
  topType: 'LongHairMiaWallace', accessoriesType: 'Medal04', hairColor: 'Blonde', facialHairType: 'Blank', clotheType: 'ShirtVNeck', eyeType: 'StarStruck06',
  eyebrowType: 'UpDownNatural', mouthType: 'Default', skinColor: 'Tanned', clotheColor: 'Blue01', facialHairColor: 'Black', background: 'blank', frame: 'Blank',
};

/**
 * The options object exactly as sent: a record schema would copy it key by key, and a "__proto__" key would then
 * become the copy's prototype and vanish instead of being refused like any other unknown option
 * (parseCartoonConfig checks every key).
 */
const CartoonOptionsObject = z
  .custom<Record<string, unknown>>((value) => value !== null && typeof value === 'object' && !Array.isArray(value), { message: 'must be an object of option → value' })
  .openapi({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Option → value, as GET /v1/avatar-config/options lists them; omitted options take their defaults. Anything else is 400 INVALID_AVATAR_CONFIG.',
    example: VERBATIM_CONFIG,
  });

export const AvatarConfigBody = z.strictObject({ data: CartoonOptionsObject }).openapi('AvatarConfig');

export const AvatarConfigUpdated = z
  .object({ message: z.literal('AVATAR_HAS_BEEN_UPDATED'), avatar: UserAvatarSchema.nullable() })
  .openapi('AvatarConfigUpdated');

export const AvatarConfigOptions = z
  .record(z.string(), z.union([z.array(z.string()), z.record(z.string(), z.string())]))
  .openapi('AvatarConfigOptions', {
    description: 'Every option with its allowed values (the first is the default), plus "defaults": option → default value',
    example: { eyeType: ['Default', 'Close', 'StarStruck06'], frame: ['Blank', 'Circle'], defaults: { eyeType: 'Default', frame: 'Blank' } },
  });

/** Documents the preview's query: the route itself parses the raw query, so an unknown option is refused, not dropped. */
export const AvatarConfigPreviewQuery = z.object(
  Object.fromEntries(CARTOON_KEYS.map((key) => [key, z.string().optional().openapi({ param: { name: key, in: 'query' }, example: CARTOON_DEFAULTS[key] })])),
);

export const SetAvatarBody = z.object({ file_id: z.string().min(1).max(64) }).openapi('SetAvatar');

export const PatchUserBody = z.object({ remove_avatar: z.boolean().optional() }).openapi('PatchUser');

export const RecropBody = z
  .object({ crop_x: cropInt, crop_y: cropInt, crop_w: cropInt.min(1), crop_h: cropInt.min(1).optional() })
  .openapi('Recrop');

export const RecropAccepted = z.object({ status: z.literal('processing'), message: z.string() }).openapi('RecropAccepted');

export const DirectUploadQuery = z.object({
  crop_x: z.string().regex(/^\d+$/).optional().openapi({ param: { name: 'crop_x', in: 'query' } }),
  crop_y: z.string().regex(/^\d+$/).optional().openapi({ param: { name: 'crop_y', in: 'query' } }),
  crop_w: z.string().regex(/^\d+$/).optional().openapi({ param: { name: 'crop_w', in: 'query' } }),
  crop_h: z.string().regex(/^\d+$/).optional().openapi({ param: { name: 'crop_h', in: 'query' } }),
});

export const TokenBody = z
  .object({
    user_id: z.string().regex(USER_ID, 'must be 1-128 characters of A-Za-z0-9_.:@-'),
    ttl_seconds: z.number().int().min(60).max(2_592_000).optional().openapi({ description: 'default 3600' }),
  })
  .openapi('TokenRequest');

export const TokenSchema = z.object({ token: z.string(), expires_at: z.number().int() }).openapi('Token');

// ---- Programmatic creation and editor sessions (/v1/admin/avatars/new, /v1/admin/sessions) ----

export const AvatarLinkBody = z
  .object({
    user_id: z.string().regex(USER_ID, 'must be 1-128 characters of A-Za-z0-9_.:@-'),
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

/** The languages the hosted editor page (and the widget in it) speaks. */
export const EDITOR_LANGUAGES = ['en', 'de', 'fr', 'es'] as const;
const EDITOR_LOCALE = new RegExp(`^(${EDITOR_LANGUAGES.join('|')})(-[A-Za-z0-9]{2,8})?$`, 'i');

export const EditorSessionBody = z
  .object({
    user_id: z.string().regex(USER_ID, 'must be 1-128 characters of A-Za-z0-9_.:@-'),
    type: z.enum(['edit-existing', 'create']).openapi({ description: 'Both open the editor for the user. edit-existing: on their current avatar (an avatar still processing is awaited and shown; without one the editor opens empty). create: for choosing a new avatar' }),
    ttl_seconds: z.number().int().min(1).max(86_400).optional().openapi({ description: 'default 3600; the page and its token expire together' }),
    return_url: z.string().min(1).max(2048).optional().openapi({ description: 'http(s), its origin one of AVATAR_ALLOWED_ORIGINS: where the page goes after a save' }),
    locale: z
      .string()
      .regex(EDITOR_LOCALE, `must be one of ${EDITOR_LANGUAGES.join(', ')}, optionally with a region (e.g. de-AT)`)
      .optional()
      .openapi({
        description: `The page's language: ${EDITOR_LANGUAGES.join(', ')}, optionally with a region (e.g. de-AT). Without it the page follows the browser's languages (Accept-Language), else English.`,
        example: 'de',
      }),
  })
  .openapi('EditorSessionRequest');

export const EditorSessionCreated = z
  .object({ session_id: z.string(), url: z.string().openapi({ description: 'The editor page: open it, or frame it on an allowed origin' }), expires_at: z.number().int() })
  .openapi('EditorSession');

export const EditorSessionParam = z.object({ session_id: z.string().openapi({ param: { name: 'session_id', in: 'path' } }) });

export const EmoteSchema = z
  .object({
    id: z.string(),
    owner_id: z.string(),
    name: z.string(),
    shortcode: z.string(),
    size_bytes: z.number().int(),
    mime_type: z.string(),
    processing_state: z.enum(['awaiting_upload', 'processing', 'ready', 'failed']),
    error: ProcessingErrorSchema.optional().openapi({ description: 'Why processing failed (only when processing_state is failed). A failed emote holds neither quota nor shortcode; delete it.' }),
    public: z.boolean(),
    animated: z.boolean(),
    created_at: z.number().int(),
    updated_at: z.number().int(),
  })
  .openapi('Emote');

export const EmoteIdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

export const EmoteListQuery = z.object({
  limit: z.string().optional().openapi({ param: { name: 'limit', in: 'query' }, description: '1-500, default 100' }),
  cursor: z.string().optional().openapi({ param: { name: 'cursor', in: 'query' } }),
});

export const EmoteList = z.object({ emotes: z.array(EmoteSchema), next_cursor: z.string().nullable() }).openapi('EmoteList');

export const EmoteUrlQuery = z.object({
  size: z
    .string()
    .optional()
    .openapi({
      param: { name: 'size', in: 'query' },
      description: EMOTE_SIZES.map(({ size }) => (size === DEFAULT_EMOTE_SIZE ? `${size} (default)` : size)).join(', '),
    }),
});

export const EmoteUrl = z.object({ url: z.string(), expires_at: z.number().int().nullable() }).openapi('EmoteUrl');

export const UpdateEmoteBody = z.object({ shortcode: z.string().optional(), public: z.boolean().optional() }).openapi('UpdateEmote');

export const EmoteQuota = z
  .object({ used_count: z.number().int(), max_count: z.number().int(), used_bytes: z.number().int(), max_bytes: z.number().int() })
  .openapi('EmoteQuota');

export const ParsedMessage = z
  .object({
    body: z.string(),
    inline_emotes: z.array(z.object({ shortcode: z.string(), asset_id: z.string(), start_index: z.number().int(), end_index: z.number().int() })),
  })
  .openapi('ParsedMessage');

// ---- Webhooks (/v1/admin/webhooks…) ----

const WebhookEventName = z.enum(EVENT_TYPES);

export const CreateWebhookBody = z
  .object({
    url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH).openapi({ example: 'https://backend.example.com/hooks/avatars', description: 'https; http and loopback/private addresses only with AVATAR_WEBHOOK_ALLOW_PRIVATE=1' }),
    events: z.array(WebhookEventName).min(1).optional().openapi({ description: 'Event types to receive; omitted: every event, including types added later' }),
    description: z.string().max(500).optional(),
  })
  .openapi('CreateWebhook');

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(WebhookEventName).nullable().openapi({ description: 'null: every event' }),
    description: z.string().nullable(),
    source: z.enum(['api', 'config']).openapi({ description: '"config": from AVATAR_WEBHOOK_URL (cannot be deleted here)' }),
    created_at: z.number().int(),
  })
  .openapi('Webhook');

export const WebhookCreated = WebhookSchema.extend({
  secret: z.string().openapi({ description: 'whsec_<base64>: verify deliveries with it (Standard Webhooks). Shown only here.' }),
}).openapi('WebhookCreated');

export const WebhookList = z.object({ webhooks: z.array(WebhookSchema) }).openapi('WebhookList');

export const WebhookIdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

export const DeliveryParams = WebhookIdParam.extend({ delivery_id: z.string().min(1).max(64).openapi({ param: { name: 'delivery_id', in: 'path' } }) });

export const DeliveryListQuery = z.object({
  limit: z.string().optional().openapi({ param: { name: 'limit', in: 'query' }, description: '1-200, default 50' }),
  cursor: z.string().optional().openapi({ param: { name: 'cursor', in: 'query' } }),
});

const DeliveryAttempt = z.object({
  attempt: z.number().int(),
  at: z.number().int(),
  response_code: z.number().int().nullable(),
  error: z.string().nullable().openapi({ description: 'CODE: detail (HTTP_500, TIMEOUT, REDIRECT_NOT_FOLLOWED, ADDRESS_FORBIDDEN, ECONNREFUSED, …)' }),
  duration_ms: z.number().int(),
  response_excerpt: z.string().nullable().openapi({ description: 'At most the first 256 characters of the answer' }),
});

export const DeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string().openapi({ description: 'The webhook-id header: the same on every attempt' }),
    event_type: z.string(),
    user_id: z.string().nullable(),
    state: z.enum(['pending', 'sending', 'succeeded', 'failed']),
    attempt_count: z.number().int(),
    response_code: z.number().int().nullable().openapi({ description: 'Of the last attempt' }),
    error: z.string().nullable().openapi({ description: 'Of the last attempt' }),
    duration_ms: z.number().int().nullable().openapi({ description: 'Of the last attempt' }),
    next_attempt_at: z.number().int().nullable().openapi({ description: 'When a pending delivery is sent (next retry, or the end of its endpoint’s backoff)' }),
    attempts: z.array(DeliveryAttempt).openapi({ description: 'The last 20 attempts, oldest first' }),
    created_at: z.number().int(),
    updated_at: z.number().int(),
  })
  .openapi('WebhookDelivery');

export const EndpointBackoff = z
  .object({
    state: z.enum(['paused', 'probation']).openapi({
      description: 'paused: nothing is sent to the endpoint until `until`; probation: one delivery at a time until one succeeds',
    }),
    consecutive_failures: z.number().int().openapi({ description: 'Attempts to the endpoint that failed in a row' }),
    until: z.number().int().nullable().openapi({ description: 'When the pause ends (null on probation)' }),
  })
  .openapi('WebhookEndpointBackoff', {
    description: `An endpoint whose last ${BACKOFF_AFTER} or more attempts failed is backed off: paused ${FIRST_BACKOFF_SECONDS} s, doubling up to ${LONGEST_BACKOFF_SECONDS} s, then on probation. A success, a manual retry or a test event ends the pause.`,
  });

export const DeliveryList = z
  .object({
    backoff: EndpointBackoff.nullable().openapi({ description: 'null while the endpoint is healthy' }),
    deliveries: z.array(DeliverySchema),
    next_cursor: z.string().nullable(),
  })
  .openapi('WebhookDeliveryList');

export const TestEventSent = z.object({ event_id: z.string(), delivery_id: z.string() }).openapi('WebhookTestSent');
