// User tokens handed out by the server: request and response schemas.
import { z } from '@hono/zod-openapi';
import { UserId } from '../http/schemas.ts';

export const TokenBody = z
  .object({
    user_id: UserId,
    ttl_seconds: z.number().int().min(60).max(2_592_000).optional().openapi({ description: 'default 3600' }),
  })
  .openapi('TokenRequest', { example: { user_id: 'alice', ttl_seconds: 3600 } });

export const TokenSchema = z.object({ token: z.string(), expires_at: z.number().int() }).openapi('Token', {
  example: {
    token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImlhdCI6MTc5NjYyMDEyOCwiZXhwIjoxNzk2NjIzNzI4fQ.vHgsQPXXHfWpSDvfhMyVUMDe_X9BNqb8Wd5nXUD8raw',
    expires_at: 1796623728,
  },
});
