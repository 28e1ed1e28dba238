// Hosted editor sessions: request and response schemas, and the languages the page speaks.
import { z } from '@hono/zod-openapi';
import { UserId } from '../http/schemas.ts';

/** The languages the hosted editor page (and the widget in it) speaks. */
export const EDITOR_LANGUAGES = ['en', 'de', 'fr', 'es'] as const;
const EXAMPLE_SESSION_ID = 'gy1cauBO61QPRKqCrX-IBe-fLznFdv0A';
const EDITOR_LOCALE = new RegExp(`^(${EDITOR_LANGUAGES.join('|')})(-[A-Za-z0-9]{2,8})?$`, 'i');

export const EditorSessionBody = z
  .object({
    user_id: UserId,
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
  .openapi('EditorSessionRequest', { example: { user_id: 'alice', type: 'edit-existing', ttl_seconds: 3600, return_url: 'https://app.example.com/settings/profile', locale: 'de' } });

export const EditorSessionCreated = z
  .object({ session_id: z.string(), url: z.string().openapi({ description: 'The editor page: open it, or frame it on an allowed origin' }), expires_at: z.number().int() })
  .openapi('EditorSession', {
    example: { session_id: EXAMPLE_SESSION_ID, url: `https://avatars.example.com/editor/${EXAMPLE_SESSION_ID}`, expires_at: 1796623738 },
  });

export const EditorSessionParam = z.object({ session_id: z.string().openapi({ param: { name: 'session_id', in: 'path' }, example: EXAMPLE_SESSION_ID }) });
