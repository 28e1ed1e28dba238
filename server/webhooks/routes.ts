// /v1/admin/webhooks…: endpoints, their deliveries, a manual retry and a test event (admin key).
import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../deps.ts';
import { ADMIN, adminSecurity, createRoutes } from '../http/routes.ts';
import { errors, json } from '../http/schemas.ts';
import {
  createEndpoint, deleteEndpoint, getEndpoint, listDeliveries, listEndpoints, parseDeliveryLimit, retryDelivery, sendTestEvent,
} from './endpoints.ts';
import { CreateWebhookBody, DeliveryList, DeliveryListQuery, DeliveryParams, DeliverySchema, TestEventSent, WebhookCreated, WebhookIdParam, WebhookList, WebhookSchema } from './schemas.ts';

const tags = ['Webhooks'];

/** Mounted at /v1/admin/webhooks. */
export function webhookRoutes(deps: Deps) {
  const app = createRoutes(deps, ADMIN);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags,
      summary: 'Add a webhook endpoint; the answer carries its signing secret, shown only this once',
      security: adminSecurity,
      request: { body: { required: true, content: { 'application/json': { schema: CreateWebhookBody } } } },
      responses: { 201: json(WebhookCreated, 'The endpoint and its secret'), ...errors('WEBHOOK_URL_INVALID', 'WEBHOOK_URL_FORBIDDEN') },
    }),
    async (c) => c.json(await createEndpoint(deps, c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'Every webhook endpoint, the configured one (AVATAR_WEBHOOK_URL) included',
      security: adminSecurity,
      responses: { 200: json(WebhookList, 'The endpoints (without secrets)') },
    }),
    async (c) => c.json(await listEndpoints(deps), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags,
      summary: 'A webhook endpoint',
      security: adminSecurity,
      request: { params: WebhookIdParam },
      responses: { 200: json(WebhookSchema, 'The endpoint (without its secret)'), ...errors('WEBHOOK_NOT_FOUND') },
    }),
    async (c) => c.json(await getEndpoint(deps, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      tags,
      summary: 'Remove a webhook endpoint and its deliveries (409 WEBHOOK_MANAGED_BY_CONFIG for the configured one)',
      security: adminSecurity,
      request: { params: WebhookIdParam },
      responses: { 204: { description: 'Removed' }, ...errors('WEBHOOK_NOT_FOUND', 'WEBHOOK_MANAGED_BY_CONFIG') },
    }),
    async (c) => {
      await deleteEndpoint(deps, c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/deliveries',
      tags,
      summary: "The endpoint's deliveries, newest first, each with its attempts",
      security: adminSecurity,
      request: { params: WebhookIdParam, query: DeliveryListQuery },
      responses: { 200: json(DeliveryList, 'A page of deliveries'), ...errors('WEBHOOK_NOT_FOUND', 'INVALID_LIMIT', 'INVALID_CURSOR') },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      return c.json(await listDeliveries(deps, c.req.valid('param').id, { limit: parseDeliveryLimit(limit), cursor }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/deliveries/{delivery_id}/retry',
      tags,
      summary: 'Send a delivery again now, with the same webhook-id (409 DELIVERY_IN_FLIGHT while it is being sent)',
      security: adminSecurity,
      request: { params: DeliveryParams },
      responses: { 202: json(DeliverySchema, 'Queued: the delivery, pending'), ...errors('WEBHOOK_NOT_FOUND', 'DELIVERY_NOT_FOUND', 'DELIVERY_IN_FLIGHT') },
    }),
    async (c) => {
      const { id, delivery_id } = c.req.valid('param');
      return c.json(await retryDelivery(deps, id, delivery_id), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/test',
      tags,
      summary: 'Send a webhook.test event to this endpoint only',
      security: adminSecurity,
      request: { params: WebhookIdParam },
      responses: { 202: json(TestEventSent, 'Queued'), ...errors('WEBHOOK_NOT_FOUND') },
    }),
    async (c) => c.json(await sendTestEvent(deps, c.req.valid('param').id), 202),
  );
  return app;
}
