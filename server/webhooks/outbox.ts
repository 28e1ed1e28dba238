// The outbox: an event and one delivery per matching endpoint are written in the caller's transaction, the one
// that makes the change the event reports, so neither exists without the other. Call deps.webhooks.kick() after
// the commit; the dispatcher sends what is due.
import type { Kysely, Transaction } from 'kysely';
import { nextSeq } from '../db/dialect.ts';
import type { Database } from '../db/schema.ts';
import { newId } from '../db/ids.ts';

export const EVENT_TYPES = ['avatar.ready', 'avatar.failed', 'avatar.removed', 'emote.ready', 'emote.failed', 'emote.deleted', 'user.deleted'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** Sent only to the endpoint it is asked for (POST …/{id}/test), whatever its filter. */
export const TEST_EVENT = 'webhook.test';

/** What every event's `data` has; each type adds its own fields. */
export interface EventData {
  /** The user the event is about (null for webhook.test): deliveries of one user go out in order. */
  user_id: string | null;
  [field: string]: unknown;
}

type Trx = Transaction<Database>;

/** Endpoints subscribed to `type`: those without a filter, and those whose filter lists it. */
async function subscribers(trx: Trx, type: string, endpointId: string | undefined): Promise<string[]> {
  let query = trx.selectFrom('webhook_endpoints').select(['id', 'events']);
  if (endpointId !== undefined) return (await query.where('id', '=', endpointId).execute()).map((e) => e.id);
  query = query.orderBy('created_at').orderBy('id');
  return (await query.execute()).filter((e) => e.events === null || (JSON.parse(e.events) as string[]).includes(type)).map((e) => e.id);
}

/**
 * Records an event for every subscribed endpoint (or only `endpointId`) in `trx`. Nothing is written when no
 * endpoint wants it. Returns the event id (the webhook-id receivers deduplicate on) and the deliveries.
 */
export async function recordEvent(
  trx: Trx,
  now: number,
  type: EventType | typeof TEST_EVENT,
  data: EventData,
  opts: { endpointId?: string } = {},
): Promise<{ eventId: string; deliveryIds: string[] } | null> {
  const endpoints = await subscribers(trx, type, opts.endpointId);
  if (endpoints.length === 0) return null;
  const eventId = newId('msg');
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  await trx.insertInto('webhook_events').values({ id: eventId, type, user_id: data.user_id, body, created_at: now }).execute();
  const deliveryIds: string[] = [];
  // One row at a time: each takes the next seq (db/dialect.ts: max + 1 on SQLite, a sequence on PostgreSQL).
  for (const endpointId of endpoints) {
    const id = newId('dlv');
    await trx
      .insertInto('webhook_deliveries')
      .values({
        id,
        seq: nextSeq(trx, 'webhook_deliveries'),
        event_id: eventId,
        endpoint_id: endpointId,
        user_id: data.user_id,
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_until: null,
        last_status: null,
        last_error: null,
        last_duration_ms: null,
        attempt_log: '[]',
        created_at: now,
        updated_at: now,
      })
      .execute();
    deliveryIds.push(id);
  }
  return { eventId, deliveryIds };
}

/** The event an erasure sends: the one row left that names an erased user, until its deliveries have ended. */
export const USER_DELETED = 'user.deleted';

/**
 * Deletes every event (and delivery) about a user, sent or not, in the erasure's transaction: the host has what was
 * sent, and what was not is superseded by the user.deleted that follows, after which it drops all it has of them.
 * A user.deleted of an earlier erasure still being sent stays (purgeDeliveredErasures takes it once sent).
 */
export async function forgetUserEvents(trx: Trx, userId: string): Promise<void> {
  const ofUser = trx.selectFrom('webhook_events').select('id').where('user_id', '=', userId).where('type', '!=', USER_DELETED);
  await trx.deleteFrom('webhook_deliveries').where('event_id', 'in', ofUser).execute();
  await trx.deleteFrom('webhook_events').where('user_id', '=', userId).where('type', '!=', USER_DELETED).execute();
}

/**
 * user.deleted events name the user they erase, so they are not kept for the deliveries listing like the others:
 * once none of their deliveries is still pending or being sent, they go (with their deliveries).
 */
export async function purgeDeliveredErasures(db: Kysely<Database>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const done = await trx
      .selectFrom('webhook_events')
      .select('id')
      .where('type', '=', USER_DELETED)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'webhook_events.id').where('d.state', 'in', ['pending', 'sending']))),
      )
      .execute();
    if (done.length === 0) return 0;
    const ids = done.map((event) => event.id);
    await trx.deleteFrom('webhook_deliveries').where('event_id', 'in', ids).execute();
    await trx.deleteFrom('webhook_events').where('id', 'in', ids).execute();
    return ids.length;
  });
}

/** Finished deliveries are kept this long for the deliveries listing, then purged with their events. */
export const RETENTION_SECONDS = 30 * 24 * 3600;

/** Deletes succeeded and failed deliveries last touched before `before`, and events no delivery needs any more. */
export async function purgeOutbox(db: Kysely<Database>, before: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('webhook_deliveries').where('state', 'in', ['succeeded', 'failed']).where('updated_at', '<', before).executeTakeFirst();
    await trx
      .deleteFrom('webhook_events')
      .where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'webhook_events.id'))))
      .execute();
    return Number(deleted.numDeletedRows);
  });
}
