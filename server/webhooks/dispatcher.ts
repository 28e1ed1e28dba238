// Sends due deliveries from the outbox: claims them in batches (claim.ts: fairly between users and endpoints, one
// at a time per (endpoint, user), at most its cap at once per endpoint: endpoint-shares.ts), sends up to
// `concurrency` at once, and records every attempt: on the delivery, in its endpoint's share, and on its endpoint's
// health (health.ts: an endpoint that keeps failing is backed off). A failed attempt is retried on the configured schedule (with jitter), then the delivery is failed.
// A delivery cut off by a crash is sent again after the restart, with the same webhook-id: delivery is at least
// once. Old finished ones are purged. The claim → send cycle runs on work/leased-loop.ts, as render jobs do.
import type { QueryCreator } from 'kysely';
import { isPostgres } from '../db/dialect.ts';
import { createGroupCommit, type GroupWrite } from '../db/group-commit.ts';
import type { Db } from '../db/index.ts';
import type { Database, WebhookDeliveryRow, WebhookDeliveryState } from '../db/schema.ts';
import type { Logger } from '../telemetry/log.ts';
import { createLeasedLoop } from '../work/leased-loop.ts';
import { createClaimer, orderingKey, type Claimed, type ClaimedHere } from './claim.ts';
import { createEndpointShares } from './endpoint-shares.ts';
import { createOutcomeRecorder, endStreak } from './health.ts';
import { purgeOutbox, RETENTION_SECONDS } from './outbox.ts';
import { createSender, type SendResult, type Sender } from './send.ts';
import { parseSecret, signatureHeaders } from './sign.ts';
import type { TargetPolicy } from './target.ts';

export interface WebhookDispatcher {
  /** Sends what is due now; call after committing a transaction that recorded events. */
  kick(): void;
  /** Takes back deliveries a dead process was sending, then starts sending. */
  start(): Promise<void>;
  /** Stops claiming and waits for the requests in flight. */
  stop(): Promise<void>;
}

/** One finished attempt, as the deliveries listing shows it. */
export interface AttemptRecord {
  attempt: number;
  /** Unix seconds when it started. */
  at: number;
  response_code: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string | null;
}

export const DEFAULT_CONCURRENCY = 16;
/**
 * Each endpoint's share of the deliveries in flight at once (per process): a quarter of the slots, so an endpoint
 * that never answers (each attempt waits out the timeout) leaves the others three quarters of them. One that
 * answers earns more, up to all but a share (endpoint-shares.ts).
 */
export const PER_ENDPOINT = 4;
export const SEND_TIMEOUT_MS = 10_000;
/** Attempts kept per delivery in its log (the counters keep the full count). */
const LOGGED_ATTEMPTS = 20;
/** Wake up at least this often, for deliveries written by another process. */
const POLL_MS = 10_000;
const JITTER = 0.2;
const PURGE_EVERY_MS = 3600_000;

interface DispatcherOptions {
  db: Db;
  /** Seconds to wait before each retry; its length is the number of retries. */
  retrySchedule: number[];
  policy: TargetPolicy;
  log: Logger;
  /** Told of every attempt's outcome (`retrying`: another attempt is scheduled): metrics count them. */
  onAttempt?: (endpointId: string, outcome: DeliveryOutcome, seconds: number) => void;
  concurrency?: number;
  timeoutMs?: number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** How an attempt ended: delivered, failed with a retry scheduled, or failed for good. */
export type DeliveryOutcome = 'succeeded' | 'retrying' | 'failed';

/** When the retry after attempt `attempt` is due (Unix seconds), or null when there is none left. */
export function nextAttemptAt(schedule: number[], attempt: number, nowMs: number, random = Math.random): number | null {
  const delay = schedule[attempt - 1];
  if (delay === undefined) return null;
  return Math.ceil(nowMs / 1000 + delay * (1 - JITTER + 2 * JITTER * random()));
}

export function createWebhookDispatcher(opts: DispatcherOptions): WebhookDispatcher {
  const { db, retrySchedule, policy, log } = opts;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const sender: Sender = createSender({ policy, timeoutMs: opts.timeoutMs ?? SEND_TIMEOUT_MS });
  /** What this process has claimed (queued or being sent): no second delivery of a key, at most its cap per endpoint. */
  const here: ClaimedHere = { keys: new Set(), perEndpoint: new Map() };
  const shares = createEndpointShares(Math.min(PER_ENDPOINT, concurrency), concurrency);
  let stopping = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  /**
   * The wake-up is set for what the outbox holds: nothing was recorded (kick) and no attempt failed (a retry, a
   * pause) since it was, so a pass that ends idle need not read the next due time again.
   */
  let wakeUpToDate = false;
  const claim = createClaimer(db, here, shares);
  const shared = isPostgres(db);
  const recordEndpointOutcome = createOutcomeRecorder(db, shared);
  // SQLite: a commit costs more than the update in it, so outcomes that end together share one (group-commit.ts).
  // PostgreSQL: each is written on its own, in parallel on the pool's connections; one transaction would write them
  // one after another on one connection, and measured no faster.
  const commitOutcome = shared ? (write: GroupWrite) => write(db).then(() => undefined) : createGroupCommit(db);
  let purgeTimer: NodeJS.Timeout | undefined;
  let purging: Promise<unknown> = Promise.resolve();

  function purge() {
    purging = purgeOutbox(db, nowSeconds() - RETENTION_SECONDS).catch((e: unknown) => log.error({ err: e }, 'webhook purge failed'));
  }

  async function record(delivery: WebhookDeliveryRow, startedAt: number, result: SendResult) {
    const attempt = delivery.attempts + 1;
    const entry: AttemptRecord = {
      attempt,
      at: startedAt,
      response_code: result.status,
      error: result.error,
      duration_ms: result.durationMs,
      response_excerpt: result.excerpt,
    };
    const attemptLog = [...(JSON.parse(delivery.attempt_log) as AttemptRecord[]), entry].slice(-LOGGED_ATTEMPTS);
    const retryAt = result.ok ? null : nextAttemptAt(retrySchedule, attempt, Date.now());
    if (!result.ok) wakeUpToDate = false;
    const state: WebhookDeliveryState = result.ok ? 'succeeded' : retryAt === null ? 'failed' : 'pending';
    const now = nowSeconds();
    // Only while this claim still holds: a delivery deleted or taken over meanwhile is left alone.
    const writeOutcome = (db: QueryCreator<Database>) =>
      db
        .updateTable('webhook_deliveries')
        .set({
          state,
          attempts: attempt,
          next_attempt_at: retryAt,
          lease_until: null,
          last_status: result.status,
          last_error: result.error,
          last_duration_ms: result.durationMs,
          attempt_log: JSON.stringify(attemptLog),
          updated_at: now,
        })
        .where('id', '=', delivery.id)
        .where('state', '=', 'sending')
        .where('lease_until', '=', delivery.lease_until);
    // PostgreSQL, a success: the outcome and the end of its endpoint's failure streak (as recordEndpointOutcome
    // writes it there, every time: another process may have failed) in one statement, as each costs a round trip.
    const endsStreakToo = shared && result.ok;
    if (endsStreakToo) {
      await endStreak(db.with('outcome', (db) => writeOutcome(db).returning('id')), delivery.endpoint_id).execute();
    } else {
      // SQLite: with the outcomes of the attempts that ended together, in one commit; PostgreSQL (a failure): alone.
      // Either way the claim is released only once its outcome is written.
      await commitOutcome((db) => writeOutcome(db).execute());
    }
    const outcome = result.ok ? String(result.status) : result.error;
    const deliveryOutcome: DeliveryOutcome = state === 'pending' ? 'retrying' : state === 'succeeded' ? 'succeeded' : 'failed';
    opts.onAttempt?.(delivery.endpoint_id, deliveryOutcome, result.durationMs / 1000);
    const fields = {
      delivery_id: delivery.id,
      event_id: delivery.event_id,
      endpoint_id: delivery.endpoint_id,
      attempt,
      outcome: deliveryOutcome,
      status: result.status,
      duration_ms: result.durationMs,
      ...(result.error === null ? {} : { error: result.error }),
    };
    log.info(fields, `webhook ${state} ${delivery.id} ${delivery.event_id} attempt ${attempt}: ${outcome}`);
    shares.record(delivery.endpoint_id, result.ok);
    const backoff = endsStreakToo ? null : await recordEndpointOutcome(delivery.endpoint_id, result.ok, now);
    if (backoff) {
      log.info({ endpoint_id: delivery.endpoint_id }, `webhook endpoint ${delivery.endpoint_id} backed off until ${new Date(backoff.until * 1000).toISOString()}: ${backoff.streak} failed attempts in a row, the last: ${outcome}`);
    }
  }

  async function deliver({ delivery, body, url, secret }: Claimed) {
    const startedAt = nowSeconds();
    const key = parseSecret(secret);
    const result: SendResult =
      typeof key === 'string'
        ? { ok: false, status: null, error: `SECRET_INVALID: the endpoint's secret ${key}`, durationMs: 0, excerpt: null }
        : await sender.send(url, signatureHeaders(key, delivery.event_id, startedAt, body), body);
    await record(delivery, startedAt, result);
  }

  /** Forgets a claim once its attempt is recorded (or given back). */
  function release({ delivery }: Claimed) {
    claim.released();
    here.keys.delete(orderingKey(delivery));
    const left = (here.perEndpoint.get(delivery.endpoint_id) ?? 1) - 1;
    if (left > 0) here.perEndpoint.set(delivery.endpoint_id, left);
    else here.perEndpoint.delete(delivery.endpoint_id);
  }

  /** Sleeps until the next retry falls due (or POLL_MS at most); kicks and finished sends wake it earlier. */
  async function scheduleWake() {
    if (stopping || wakeUpToDate) return;
    wakeUpToDate = true;
    clearTimeout(wakeTimer);
    const now = nowSeconds();
    let next: { at: number | null } | undefined;
    let resumes: { at: number | null } | undefined;
    try {
      next = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.min('next_attempt_at').as('at'))
        .where('state', '=', 'pending')
        .where('next_attempt_at', '>', now)
        .executeTakeFirst();
      // An endpoint's pause ending makes its waiting deliveries due too.
      resumes = await db.selectFrom('webhook_endpoints').select((eb) => eb.fn.min('backoff_until').as('at')).where('backoff_until', '>', now).executeTakeFirst();
    } catch (error) {
      wakeUpToDate = false; // no wake-up is set: the next idle pass tries again
      throw error;
    }
    const times = [next?.at, resumes?.at].flatMap((t) => (t === null || t === undefined ? [] : [Number(t)]));
    const at = times.length ? Math.min(...times) : null;
    const delay = at === null ? POLL_MS : Math.min(POLL_MS, Math.max(0, at * 1000 - Date.now()) + 5);
    wakeTimer = setTimeout(kick, delay);
    wakeTimer.unref();
  }

  /** Something may have fallen due: claims read the outbox again. */
  const kick = () => {
    wakeUpToDate = false;
    claim.forgetSpare();
    loop.kick();
  };

  const loop = createLeasedLoop<Claimed>({
    concurrency,
    // A whole batch per claim, started as slots free up: one claim's queries serve many sends.
    claim: () => claim(concurrency, nowSeconds()),
    // A claim's key and its endpoint's place stay reserved (since the claim) until the attempt is recorded.
    run: (claimed) =>
      deliver(claimed)
        .catch((err: unknown) => log.error({ err, delivery_id: claimed.delivery.id }, `webhook ${claimed.delivery.id} failed`))
        .finally(() => release(claimed)),
    // One process owns a SQLite file, so whatever is marked sending was cut off by a crash: send it again now.
    // On PostgreSQL it may be another live process's: a dead sender's deliveries are claimed when their lease runs out.
    recover: isPostgres(db)
      ? undefined
      : async () => {
          const now = nowSeconds();
          await db.updateTable('webhook_deliveries').set({ state: 'pending', next_attempt_at: now, lease_until: null, updated_at: now }).where('state', '=', 'sending').execute();
        },
    // Claimed but not started: back to the queue, to be sent first by the next process.
    async giveBack(unsent) {
      unsent.forEach(release);
      await db.updateTable('webhook_deliveries').set({ state: 'pending', lease_until: null }).where('id', 'in', unsent.map((c) => c.delivery.id)).where('state', '=', 'sending').execute();
    },
    idle: scheduleWake,
    onError: (error) => log.error({ err: error }, 'webhook dispatcher failed'),
    retryAfterMs: 1000,
  });

  return {
    kick,
    async start() {
      await loop.start();
      purge();
      purgeTimer = setInterval(purge, PURGE_EVERY_MS);
      purgeTimer.unref();
    },
    async stop() {
      stopping = true;
      clearTimeout(wakeTimer);
      clearInterval(purgeTimer);
      await purging;
      await loop.stop();
      clearTimeout(wakeTimer); // set by a wake-up that was being scheduled as the loop stopped
      sender.close();
    },
  };
}
