// An endpoint that keeps failing is backed off, so it stops holding delivery slots (and a receiver that is down is
// not hammered): after BACKOFF_AFTER failed attempts in a row none of its deliveries is sent for a while, doubling
// each time, then one at a time until one succeeds (probation). A success ends it all; so does an operator's
// manual retry or test event, which is sent at once. Deliveries wait meanwhile; none is lost, and their own retry
// schedules are not used up by the pause.
import type { QueryCreator } from 'kysely';
import type { Db } from '../db/index.ts';
import type { Database, WebhookEndpointRow } from '../db/schema.ts';

/** Failed attempts in a row after which an endpoint is backed off. */
export const BACKOFF_AFTER = 5;
/** The first pause, doubled for each further failure, up to the longest. */
export const FIRST_BACKOFF_SECONDS = 5;
export const LONGEST_BACKOFF_SECONDS = 300;

export type EndpointHealth = Pick<WebhookEndpointRow, 'failure_streak' | 'backoff_until'>;

/** How many deliveries to the endpoint may be in flight at once now: none while backed off, one on probation. */
export function deliveriesAllowed(endpoint: EndpointHealth, now: number, perEndpoint: number): number {
  if (endpoint.backoff_until !== null && endpoint.backoff_until > now) return 0;
  return endpoint.failure_streak >= BACKOFF_AFTER ? 1 : perEndpoint;
}

/** The pause after `streak` failures in a row (none below BACKOFF_AFTER). */
export function backoffSeconds(streak: number): number {
  if (streak < BACKOFF_AFTER) return 0;
  return Math.min(LONGEST_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** Math.min(16, streak - BACKOFF_AFTER));
}

/** A success ends the endpoint's failure streak and any pause (written only when there is one to end). */
export const endStreak = (db: QueryCreator<Database>, endpointId: string) =>
  db.updateTable('webhook_endpoints').set({ failure_streak: 0, backoff_until: null }).where('id', '=', endpointId).where('failure_streak', '>', 0);

/**
 * Records an attempt's outcome on its endpoint; returns the pause it starts (with the streak), if it starts one.
 * Attempts that end together each add to the streak: the database counts them.
 */
export async function recordEndpointOutcome(db: Db, endpointId: string, ok: boolean, now: number): Promise<{ until: number; streak: number } | null> {
  if (ok) {
    await endStreak(db, endpointId).execute();
    return null;
  }
  const row = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({ failure_streak: eb('failure_streak', '+', 1) }))
    .where('id', '=', endpointId)
    .returning('failure_streak')
    .executeTakeFirst();
  const pause = row ? backoffSeconds(row.failure_streak) : 0;
  if (!row || pause === 0) return null;
  const until = now + pause;
  await db.updateTable('webhook_endpoints').set({ backoff_until: until }).where('id', '=', endpointId).execute();
  return { until, streak: row.failure_streak };
}

/**
 * recordEndpointOutcome for one sender. On SQLite this process is the only one that writes failure streaks (and only
 * here), so once a success has cleared an endpoint's streak the next successes have nothing to clear: they write
 * nothing until one of its attempts fails. On PostgreSQL another process may have failed meanwhile: always written.
 */
export function createOutcomeRecorder(db: Db, shared: boolean) {
  const cleared = new Set<string>();
  /** Failed attempts recorded so far: a success clears only if none was recorded while it wrote. */
  let failures = 0;
  return async (endpointId: string, ok: boolean, now: number) => {
    if (ok && cleared.has(endpointId)) return null;
    if (!ok) {
      failures++;
      cleared.delete(endpointId);
    }
    const failuresBefore = failures;
    const backoff = await recordEndpointOutcome(db, endpointId, ok, now);
    if (ok && !shared && failures === failuresBefore) cleared.add(endpointId);
    return backoff;
  };
}

/** An operator asked for a delivery now (a manual retry, a test event): the pause ends; a failure starts a longer one. */
export async function liftBackoff(db: Db, endpointId: string): Promise<void> {
  await db.updateTable('webhook_endpoints').set({ backoff_until: null }).where('id', '=', endpointId).where('backoff_until', 'is not', null).execute();
}

/** How the deliveries listing shows it: null while the endpoint is not backed off. */
export function backoffView(endpoint: EndpointHealth, now: number) {
  if (endpoint.backoff_until === null || endpoint.backoff_until <= now) {
    return endpoint.failure_streak >= BACKOFF_AFTER ? { state: 'probation' as const, consecutive_failures: endpoint.failure_streak, until: null } : null;
  }
  return { state: 'paused' as const, consecutive_failures: endpoint.failure_streak, until: endpoint.backoff_until };
}
