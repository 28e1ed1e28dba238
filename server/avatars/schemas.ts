// Avatars and cartoons: request and response schemas (they validate requests and generate /openapi.json).
import { z } from '@hono/zod-openapi';
import { AVATAR_SIZES, DEFAULT_AVATAR_SIZE } from '../../media/variants.ts';
import { MAX_AVATARS_PER_REQUEST, USER_ID } from '../../media/users.ts';
import { AvifUrls, cropInt, EXAMPLE_AVATAR_URLS, EXAMPLE_FILE_ID, EXAMPLE_PLACEHOLDER, EXAMPLE_TIME, Placeholder, SizeUrls } from '../http/schemas.ts';
import { CARTOON_DEFAULTS, CARTOON_KEYS } from './cartoon/options.ts';

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
    url: z.string().openapi({ description: 'This size as WebP' }),
    avif_url: z.string().nullable().openapi({ description: 'This size as AVIF; null where it is not made in AVIF (below 100×100 px)' }),
    expires_at: z.number().int().nullable(),
    size: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    content_type: z.string().openapi({ description: "`url`'s" }),
    version: z.number().int(),
    updated_at: z.number().int(),
    placeholder: Placeholder,
    urls: SizeUrls,
    avif_urls: AvifUrls,
  })
  .openapi('Avatar', {
    example: {
      url: EXAMPLE_AVATAR_URLS.urls[256],
      avif_url: EXAMPLE_AVATAR_URLS.avif_urls[256],
      expires_at: null,
      size: '256',
      width: 256,
      height: 256,
      content_type: 'image/webp',
      version: 1,
      updated_at: EXAMPLE_TIME,
      placeholder: EXAMPLE_PLACEHOLDER,
      ...EXAMPLE_AVATAR_URLS,
    },
  });

/** The user ids of a GET /v1/avatars, each once, in the order asked. */
export const userIdsOf = (value: string): string[] => [...new Set(value.split(','))];

export const AvatarsQuery = z.object({
  user_ids: z
    .string()
    .refine((value) => {
      const ids = userIdsOf(value);
      return ids.length <= MAX_AVATARS_PER_REQUEST && ids.every((id) => USER_ID.test(id));
    }, `must be 1 to ${MAX_AVATARS_PER_REQUEST} user ids (1-128 characters of A-Za-z0-9_.:@- each), separated by commas`)
    .openapi({
      param: { name: 'user_ids', in: 'query' },
      example: 'alice,bob',
      description: `Comma-separated user ids, at most ${MAX_AVATARS_PER_REQUEST} different ones`,
    }),
});

/** What a page needs to show an avatar at any size: every size's URL in both formats, and the placeholder. */
const PublicAvatarSchema = z
  .object({
    version: z.number().int(),
    updated_at: z.number().int(),
    placeholder: Placeholder,
    urls: SizeUrls,
    avif_urls: AvifUrls,
  })
  .openapi('PublicAvatar', { example: { version: 1, updated_at: EXAMPLE_TIME, placeholder: EXAMPLE_PLACEHOLDER, ...EXAMPLE_AVATAR_URLS } });

export const AvatarsSchema = z
  .object({
    users: z
      .array(z.object({ id: z.string(), avatar: PublicAvatarSchema.nullable().openapi({ description: 'null: no avatar (or the first one is still processing): show a default' }) }))
      .openapi({ description: 'One entry per user id asked for, in the order asked' }),
  })
  .openapi('Avatars', {
    example: {
      users: [
        { id: 'alice', avatar: { version: 1, updated_at: EXAMPLE_TIME, placeholder: EXAMPLE_PLACEHOLDER, ...EXAMPLE_AVATAR_URLS } },
        { id: 'bob', avatar: null },
      ],
    },
  });

const CartoonOptionsUsed = z.record(z.string(), z.string()).openapi({ description: 'Every option of the cartoon, defaults filled in' });

export const UserAvatarSchema = z
  .object({
    file_id: z.string().nullable().openapi({ description: 'null for a cartoon (config) avatar' }),
    version: z.number().int(),
    source: z.enum(['upload', 'config']),
    url: z.string().nullable().openapi({ description: 'The 256 px variant' }),
    urls: SizeUrls,
    avif_urls: AvifUrls,
    placeholder: Placeholder,
    config: CartoonOptionsUsed.optional().openapi({ description: 'source "config" only' }),
    updated_at: z.number().int(),
  })
  .openapi('UserAvatar');

const EXAMPLE_USER_AVATAR = {
  file_id: EXAMPLE_FILE_ID,
  version: 1,
  source: 'upload' as const,
  url: EXAMPLE_AVATAR_URLS.urls[256],
  ...EXAMPLE_AVATAR_URLS,
  placeholder: EXAMPLE_PLACEHOLDER,
  updated_at: EXAMPLE_TIME,
};

export const UserSchema = z
  .object({
    id: z.string(),
    avatar_url: z.string().nullable(),
    avatar: UserAvatarSchema.nullable(),
    avatar_processing: z.boolean(),
  })
  .openapi('User', { example: { id: 'alice', avatar_url: EXAMPLE_USER_AVATAR.url, avatar: EXAMPLE_USER_AVATAR, avatar_processing: false } });

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

export const AvatarConfigBody = z.strictObject({ data: CartoonOptionsObject }).openapi('AvatarConfig', { example: { data: VERBATIM_CONFIG } });

export const AvatarConfigUpdated = z
  .object({ message: z.literal('AVATAR_HAS_BEEN_UPDATED'), avatar: UserAvatarSchema.nullable() })
  .openapi('AvatarConfigUpdated', {
    example: { message: 'AVATAR_HAS_BEEN_UPDATED', avatar: { ...EXAMPLE_USER_AVATAR, file_id: null, source: 'config', config: { ...VERBATIM_CONFIG, hatColor: 'Gray01', graphicType: 'Skull' }, version: 2 } },
  });

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

export const SetAvatarBody = z.object({ file_id: z.string().min(1).max(64) }).openapi('SetAvatar', { example: { file_id: EXAMPLE_FILE_ID } });

export const PatchUserBody = z.object({ remove_avatar: z.boolean().optional() }).openapi('PatchUser', { example: { remove_avatar: true } });

export const RecropBody = z
  .object({ crop_x: cropInt, crop_y: cropInt, crop_w: cropInt.min(1), crop_h: cropInt.min(1).optional() })
  .openapi('Recrop', { example: { crop_x: 150, crop_y: 0, crop_w: 400 } });

export const RecropAccepted = z
  .object({ status: z.literal('processing'), message: z.string() })
  .openapi('RecropAccepted', { example: { status: 'processing', message: 'Avatar recrop queued' } });

const EXAMPLE_CARTOON_ID = 'r_Qm3vW8pLk2Zt7Yx1';

export const RecentCartoon = z
  .object({
    id: z.string().openapi({ description: 'The cartoon (it has no file_id)' }),
    config: CartoonOptionsUsed,
    is_avatar: z.boolean(),
    thumbnail_url: z.string().nullable().openapi({ description: 'Its 128 px WebP' }),
    created_at: z.number().int(),
  })
  .openapi('RecentCartoon');

export const RecentCartoons = z
  .object({ cartoons: z.array(RecentCartoon).openapi({ description: 'At most 6 (7 with an older avatar), most recent first. Set one again by POST /v1/users/me/avatar/config with its config: it is not drawn again.' }) })
  .openapi('RecentCartoons', {
    example: {
      cartoons: [
        { id: EXAMPLE_CARTOON_ID, config: VERBATIM_CONFIG, is_avatar: false, thumbnail_url: `https://avatars.example.com/cdn/variants/${EXAMPLE_CARTOON_ID}/128-9e4bd1f0a3c2d5e6f708192a3b4c5d6e.webp`, created_at: EXAMPLE_TIME },
      ],
    },
  });

export const CartoonIdParam = z.object({ cartoon_id: z.string().min(1).max(64).openapi({ param: { name: 'cartoon_id', in: 'path' }, example: EXAMPLE_CARTOON_ID }) });
