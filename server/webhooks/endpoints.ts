// Webhook endpoints as the admin API sees them: create (URL checked, secret generated), list, read, delete;
// their deliveries, a manual retry, and a test event. The endpoint from AVATAR_WEBHOOK_URL is kept in step
// with the configuration at start-up and cannot be deleted through the API.
import type { Config } from '../config.ts';
import type { Deps } from '../deps.ts';
import type { Db } from '../db/index.ts';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { newId } from '../db/ids.ts';
import type { AttemptRecord } from './dispatcher.ts';
import { recordEvent, TEST_EVENT, type EventType } from './outbox.ts';
import { backoffView, liftBackoff } from './health.ts';
import { generateSecret } from './sign.ts';
import { checkWebhookUrl, WebhookUrlError } from './target.ts';

/** The id of the endpoint that AVATAR_WEBHOOK_URL configures. */
export const CONFIG_ENDPOINT_ID = 'wh_config';

const webhookNotFound = () => new ApiError('WEBHOOK_NOT_FOUND', 'No such webhook endpoint');
const deliveryNotFound = () => new ApiError('DELIVERY_NOT_FOUND', 'No such delivery for this webhook endpoint');

export function endpointView(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: row.events === null ? null : (JSON.parse(row.events) as EventType[]),
    description: row.description,
    source: row.source,
    created_at: row.created_at,
  };
}

async function endpointRow(deps: Deps, id: string): Promise<WebhookEndpointRow> {
  const row = await deps.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw webhookNotFound();
  return row;
}

export interface NewEndpoint {
  url: string;
  events?: EventType[] | undefined;
  description?: string | undefined;
}

/** 201 body: the endpoint and its secret, shown this once. */
export async function createEndpoint(deps: Deps, input: NewEndpoint) {
  try {
    await checkWebhookUrl(input.url, { allowPrivate: deps.config.webhookAllowPrivate });
  } catch (err) {
    if (!(err instanceof WebhookUrlError)) throw err;
    throw new ApiError(err.kind === 'forbidden' ? 'WEBHOOK_URL_FORBIDDEN' : 'WEBHOOK_URL_INVALID', `url ${err.message}`);
  }
  const row: WebhookEndpointRow = {
    id: newId('wh'),
    url: input.url,
    events: input.events ? JSON.stringify([...new Set(input.events)]) : null,
    description: input.description ?? null,
    secret: generateSecret(),
    source: 'api',
    created_at: deps.clock(),
    failure_streak: 0,
    backoff_until: null,
  };
  await deps.db.insertInto('webhook_endpoints').values(row).execute();
  return { ...endpointView(row), secret: row.secret };
}

export async function listEndpoints(deps: Deps) {
  const rows = await deps.db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute();
  return { webhooks: rows.map(endpointView) };
}

export async function getEndpoint(deps: Deps, id: string) {
  return endpointView(await endpointRow(deps, id));
}

/** Removes an endpoint with its deliveries (pending ones are never sent), and events no one else awaits. */
async function removeEndpoint(db: Db, id: string) {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
    await trx.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
    await trx
      .deleteFrom('webhook_events')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'webhook_events.id'))))
      .execute();
  });
}

export async function deleteEndpoint(deps: Deps, id: string) {
  const row = await endpointRow(deps, id);
  if (row.source === 'config') {
    throw new ApiError('WEBHOOK_MANAGED_BY_CONFIG', 'This endpoint comes from AVATAR_WEBHOOK_URL; unset that variable and restart to remove it');
  }
  await removeEndpoint(deps.db, id);
}

/** At start-up: the configured endpoint is created, updated (URL, secret) or removed to match the configuration. */
export async function syncConfigEndpoint(db: Db, config: Config, now: number) {
  if (config.webhookUrl === null || config.webhookSecret === null) {
    if (await db.selectFrom('webhook_endpoints').select('id').where('id', '=', CONFIG_ENDPOINT_ID).executeTakeFirst()) await removeEndpoint(db, CONFIG_ENDPOINT_ID);
    return;
  }
  const values = { url: config.webhookUrl, secret: config.webhookSecret, events: null, description: 'AVATAR_WEBHOOK_URL' };
  await db
    .insertInto('webhook_endpoints')
    .values({ id: CONFIG_ENDPOINT_ID, source: 'config', created_at: now, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

/** A pending delivery of an endpoint that is backed off goes when the pause ends, not before. */
function deliveryView(row: WebhookDeliveryRow & { event_type: string }, backoffUntil: number | null) {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    user_id: row.user_id,
    state: row.state,
    attempt_count: row.attempts,
    response_code: row.last_status,
    error: row.last_error,
    duration_ms: row.last_duration_ms,
    next_attempt_at: row.state === 'pending' ? Math.max(row.next_attempt_at ?? 0, backoffUntil ?? 0) : null,
    attempts: JSON.parse(row.attempt_log) as AttemptRecord[],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function deliveryQuery(deps: Deps, endpointId: string) {
  return deps.db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
    .selectAll('webhook_deliveries')
    .select('webhook_events.type as event_type')
    .where('webhook_deliveries.endpoint_id', '=', endpointId);
}

const encodeCursor = (seq: number) => Buffer.from(`d1:${seq}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const match = /^d1:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new ApiError('INVALID_CURSOR', 'The cursor is not one this server handed out');
  return Number(match[1]);
}

export const DELIVERY_PAGE = { default: 50, max: 200 };

export function parseDeliveryLimit(raw: string | undefined): number {
  if (raw === undefined) return DELIVERY_PAGE.default;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= DELIVERY_PAGE.max)) throw new ApiError('INVALID_LIMIT', `limit must be a whole number from 1 to ${DELIVERY_PAGE.max}`);
  return limit;
}

/**
 * Newest first; the cursor is the position of the last delivery returned. `backoff` tells whether the endpoint is
 * paused (or on probation) for failing, and until when.
 */
export async function listDeliveries(deps: Deps, endpointId: string, opts: { limit: number; cursor: string | undefined }) {
  const endpoint = await endpointRow(deps, endpointId);
  const backoff = backoffView(endpoint, deps.clock());
  let query = deliveryQuery(deps, endpointId);
  if (opts.cursor !== undefined) query = query.where('webhook_deliveries.seq', '<', decodeCursor(opts.cursor));
  const rows = await query.orderBy('webhook_deliveries.seq', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    backoff,
    deliveries: page.map((row) => deliveryView(row, backoff?.until ?? null)),
    next_cursor: rows.length > opts.limit && last ? encodeCursor(last.seq) : null,
  };
}

/**
 * Sends a delivery again now (same webhook-id), whatever its state, unless it is being sent right now. An endpoint
 * backed off for failing is tried at once (one delivery at a time until one succeeds).
 */
export async function retryDelivery(deps: Deps, endpointId: string, deliveryId: string) {
  await endpointRow(deps, endpointId);
  const now = deps.clock();
  const updated = await deps.db
    .updateTable('webhook_deliveries')
    .set({ state: 'pending', next_attempt_at: now, lease_until: null, updated_at: now })
    .where('id', '=', deliveryId)
    .where('endpoint_id', '=', endpointId)
    .where('state', '!=', 'sending')
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n) {
    const exists = await deps.db.selectFrom('webhook_deliveries').select('id').where('id', '=', deliveryId).where('endpoint_id', '=', endpointId).executeTakeFirst();
    if (!exists) throw deliveryNotFound();
    throw new ApiError('DELIVERY_IN_FLIGHT', 'This delivery is being sent right now; retry once the attempt has finished');
  }
  await liftBackoff(deps.db, endpointId);
  deps.webhooks.kick();
  const row = await deliveryQuery(deps, endpointId).where('webhook_deliveries.id', '=', deliveryId).executeTakeFirstOrThrow();
  return deliveryView(row, null);
}

/** Records a webhook.test event for this endpoint only, through the same outbox as every other event. */
export async function sendTestEvent(deps: Deps, endpointId: string) {
  await endpointRow(deps, endpointId);
  const now = deps.clock();
  const data = { user_id: null, endpoint_id: endpointId, message: 'A test event from avatar-server' };
  const recorded = await deps.db.transaction().execute((trx) => recordEvent(trx, now, TEST_EVENT, data, { endpointId }));
  if (!recorded) throw webhookNotFound(); // deleted in the meantime
  await liftBackoff(deps.db, endpointId); // an operator is checking the endpoint: try it now
  deps.webhooks.kick();
  return { event_id: recorded.eventId, delivery_id: recorded.deliveryIds[0]! };
}
