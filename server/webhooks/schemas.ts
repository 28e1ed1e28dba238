// Webhook endpoints and deliveries (/v1/admin/webhooks…): request and response schemas.
import { z } from '@hono/zod-openapi';
import { BACKOFF_AFTER, FIRST_BACKOFF_SECONDS, LONGEST_BACKOFF_SECONDS } from './health.ts';
import { EVENT_TYPES } from './outbox.ts';
import { MAX_URL_LENGTH as MAX_WEBHOOK_URL_LENGTH } from './target.ts';

const WebhookEventName = z.enum(EVENT_TYPES);

const EXAMPLE_WEBHOOK_ID = 'wh_Zf1x7qYkC2mNw0aB';
const EXAMPLE_WEBHOOK = {
  id: EXAMPLE_WEBHOOK_ID,
  url: 'https://backend.example.com/hooks/avatars',
  events: ['avatar.ready' as const, 'avatar.removed' as const],
  description: 'Our backend',
  source: 'api' as const,
  created_at: 1796620128,
};
const EXAMPLE_DELIVERY = {
  id: 'dlv_c1pQ9mR2sT4uV6wX',
  event_id: 'msg_h3JkL5nP7qR9sT1v',
  event_type: 'avatar.ready',
  user_id: 'alice',
  state: 'succeeded' as const,
  attempt_count: 2,
  response_code: 200,
  error: null,
  duration_ms: 84,
  next_attempt_at: null,
  attempts: [
    { attempt: 1, at: 1796620129, response_code: 503, error: 'HTTP_503: Service Unavailable', duration_ms: 120, response_excerpt: 'upstream busy' },
    { attempt: 2, at: 1796620134, response_code: 200, error: null, duration_ms: 84, response_excerpt: 'ok' },
  ],
  created_at: 1796620129,
  updated_at: 1796620134,
};

export const CreateWebhookBody = z
  .object({
    url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH).openapi({ example: 'https://backend.example.com/hooks/avatars', description: 'https; http and loopback/private addresses only with AVATAR_WEBHOOK_ALLOW_PRIVATE=1' }),
    events: z.array(WebhookEventName).min(1).optional().openapi({ description: 'Event types to receive; omitted: every event, including types added later' }),
    description: z.string().max(500).optional(),
  })
  .openapi('CreateWebhook', { example: { url: EXAMPLE_WEBHOOK.url, events: EXAMPLE_WEBHOOK.events, description: EXAMPLE_WEBHOOK.description } });

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(WebhookEventName).nullable().openapi({ description: 'null: every event' }),
    description: z.string().nullable(),
    source: z.enum(['api', 'config']).openapi({ description: '"config": from AVATAR_WEBHOOK_URL (cannot be deleted here)' }),
    created_at: z.number().int(),
  })
  .openapi('Webhook', { example: EXAMPLE_WEBHOOK });

export const WebhookCreated = WebhookSchema.extend({
  secret: z.string().openapi({ description: 'whsec_<base64>: verify deliveries with it (Standard Webhooks). Shown only here.' }),
}).openapi('WebhookCreated', { example: { ...EXAMPLE_WEBHOOK, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } });

export const WebhookList = z.object({ webhooks: z.array(WebhookSchema) }).openapi('WebhookList', { example: { webhooks: [EXAMPLE_WEBHOOK] } });

export const WebhookIdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: EXAMPLE_WEBHOOK_ID }) });

export const DeliveryParams = WebhookIdParam.extend({ delivery_id: z.string().min(1).max(64).openapi({ param: { name: 'delivery_id', in: 'path' }, example: EXAMPLE_DELIVERY.id }) });

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
  .openapi('WebhookDelivery', { example: EXAMPLE_DELIVERY });

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
  .openapi('WebhookDeliveryList', { example: { backoff: null, deliveries: [EXAMPLE_DELIVERY], next_cursor: null } });

export const TestEventSent = z
  .object({ event_id: z.string(), delivery_id: z.string() })
  .openapi('WebhookTestSent', { example: { event_id: 'msg_b2CdE4fG6hI8jK0l', delivery_id: 'dlv_m1NoP3qR5sT7uV9w' } });
