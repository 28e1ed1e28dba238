// Emotes and message parsing: request and response schemas (they validate requests and generate /openapi.json).
import { z } from '@hono/zod-openapi';
import { DEFAULT_EMOTE_SIZE, EMOTE_SIZES } from '../../media/variants.ts';
import { ProcessingErrorSchema } from '../http/schemas.ts';

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
