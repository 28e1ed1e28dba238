// User tokens handed out by the server: request and response schemas.
import { z } from '@hono/zod-openapi';
import { UserId } from '../http/schemas.ts';

export const TokenBody = z
  .object({
    user_id: UserId,
    ttl_seconds: z.number().int().min(60).max(2_592_000).optional().openapi({ description: 'default 3600' }),
  })
  .openapi('TokenRequest');

export const TokenSchema = z.object({ token: z.string(), expires_at: z.number().int() }).openapi('Token');
