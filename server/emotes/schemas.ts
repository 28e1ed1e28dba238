// Emotes and message parsing: request and response schemas (they validate requests and generate /openapi.json).
import { z } from '@hono/zod-openapi';
import { DEFAULT_EMOTE_SIZE, EMOTE_SIZES } from '../../media/variants.ts';
import { EXAMPLE_EMOTE_ID, EXAMPLE_TIME, Placeholder, ProcessingErrorSchema } from '../http/schemas.ts';

const EXAMPLE_EMOTE_PLACEHOLDER = 'o64CBwDvrInvvYnerMmrqZmJCAERMBAD';
const EXAMPLE_EMOTE = {
  id: EXAMPLE_EMOTE_ID,
  owner_id: 'alice',
  name: 'party.png',
  shortcode: 'party_parrot',
  size_bytes: 713,
  mime_type: 'image/png',
  processing_state: 'ready' as const,
  public: true,
  animated: false,
  width: 128,
  height: 128,
  placeholder: EXAMPLE_EMOTE_PLACEHOLDER,
  created_at: EXAMPLE_TIME,
  updated_at: EXAMPLE_TIME + 1,
};

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
    width: z.number().int().nullable().openapi({ description: "The largest variant's width (its aspect ratio is the emote's); null until ready" }),
    height: z.number().int().nullable(),
    placeholder: Placeholder,
    created_at: z.number().int(),
    updated_at: z.number().int(),
  })
  .openapi('Emote', { example: EXAMPLE_EMOTE });

export const EmoteIdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: EXAMPLE_EMOTE_ID }) });

export const EmoteListQuery = z.object({
  limit: z.string().optional().openapi({ param: { name: 'limit', in: 'query' }, description: '1-500, default 100' }),
  cursor: z.string().optional().openapi({ param: { name: 'cursor', in: 'query' } }),
});

export const EmoteList = z.object({ emotes: z.array(EmoteSchema), next_cursor: z.string().nullable() }).openapi('EmoteList', { example: { emotes: [EXAMPLE_EMOTE], next_cursor: null } });

export const EmoteUrlQuery = z.object({
  size: z
    .string()
    .optional()
    .openapi({
      param: { name: 'size', in: 'query' },
      description: EMOTE_SIZES.map(({ size }) => (size === DEFAULT_EMOTE_SIZE ? `${size} (default)` : size)).join(', '),
    }),
});

export const EmoteUrl = z
  .object({
    url: z.string().openapi({ description: 'This size as WebP (animated when the emote is)' }),
    avif_url: z.string().nullable().openapi({ description: 'This size as AVIF; null for animated emotes and below 100×100 px. Expires with `url`' }),
    expires_at: z.number().int().nullable(),
    width: z.number().int(),
    height: z.number().int(),
    placeholder: Placeholder,
  })
  .openapi('EmoteUrl', {
    example: {
      url: 'https://avatars.example.com/cdn/variants/r_4c8DkQvqtuHlERRV/128-480f97fac9a0a80a068f631c82ff3b5a.webp',
      avif_url: 'https://avatars.example.com/cdn/variants/r_4c8DkQvqtuHlERRV/128.avif',
      expires_at: null,
      width: 128,
      height: 128,
      placeholder: EXAMPLE_EMOTE_PLACEHOLDER,
    },
  });

export const UpdateEmoteBody = z.object({ shortcode: z.string().optional(), public: z.boolean().optional() }).openapi('UpdateEmote', { example: { shortcode: 'party_blob', public: false } });

export const EmoteQuota = z
  .object({ used_count: z.number().int(), max_count: z.number().int(), used_bytes: z.number().int(), max_bytes: z.number().int() })
  .openapi('EmoteQuota', { example: { used_count: 1, max_count: 50, used_bytes: 713, max_bytes: 10485760 } });

export const ParsedMessage = z
  .object({
    body: z.string(),
    inline_emotes: z.array(
      z.object({
        shortcode: z.string(),
        asset_id: z.string(),
        start_index: z.number().int(),
        end_index: z.number().int(),
        width: z.number().int().openapi({ description: "The emote's width and height (its aspect ratio): a renderer keeps its box from the first paint" }),
        height: z.number().int(),
        placeholder: Placeholder,
      }),
    ),
  })
  .openapi('ParsedMessage', {
    example: {
      body: 'gg :party_parrot:',
      inline_emotes: [{ shortcode: 'party_parrot', asset_id: EXAMPLE_EMOTE_ID, start_index: 3, end_index: 17, width: 128, height: 128, placeholder: EXAMPLE_EMOTE_PLACEHOLDER }],
    },
  });
