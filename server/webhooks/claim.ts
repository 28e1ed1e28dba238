// Claiming: which due deliveries this process sends next, fairly. Deliveries of one user to one endpoint go one at
// a time, in order, on their first attempt (an ordering key); the claim looks at the oldest due delivery of every
// key, so one user's backlog holds one slot and never hides another user's event. Each endpoint has at most
// `perEndpoint` deliveries claimed here at once (one while it is on probation after failing, none while it is
// backed off: health.ts), so an endpoint that never answers holds its share of the slots, not all of them.
// A claim is a lease, so a sender that dies gives its deliveries back when the lease runs out (and at once on
// restart: see dispatcher.start()).
import { sql, type Transaction } from 'kysely';
import { isPostgres, serializeOn } from '../db/dialect.ts';
import type { Db } from '../db/index.ts';
import type { Database, WebhookDeliveryRow } from '../db/schema.ts';
import { deliveriesAllowed } from './health.ts';

/** Longer than any attempt can take (plus its wait in the claimed queue): a lease that runs out means its sender died. */
export const LEASE_SECONDS = 60;
/** Leases of dead senders are looked for at most this often (they are rare: only another process can leave one). */
const LEASE_CHECK_SECONDS = 10;
/** Ordering keys read per query when claiming (one row each: the key's oldest due delivery). */
const KEY_PAGE = 256;

export interface Claimed {
  delivery: WebhookDeliveryRow;
  body: string;
  url: string;
  secret: string;
}

/** Deliveries of one user to one endpoint are sent one at a time; events without a user are independent. */
export const orderingKey = (d: Pick<WebhookDeliveryRow, 'endpoint_id' | 'user_id' | 'id'>) => `${d.endpoint_id}\u0000${d.user_id ?? `\u0000${d.id}`}`;

/** What this process has claimed and not finished: the claimer leaves it alone and keeps within the caps. */
export interface ClaimedHere {
  /** Ordering keys. */
  keys: Set<string>;
  /** Deliveries per endpoint id. */
  perEndpoint: Map<string, number>;
}

/**
 * `claim(slots, now)` leases up to `slots` due deliveries, fairly (see above), records them in `here`, and returns
 * them with what sending needs. `perEndpoint`: the most deliveries of one endpoint claimed here at once.
 */
export function createClaimer(db: Db, here: ClaimedHere, perEndpoint: number) {
  // Processes share a PostgreSQL database (a SQLite file has one): see claim().
  const shared = isPostgres(db);
  let nextLeaseCheck = 0;
  const isDue = (now: number) => sql<boolean>`((state = 'pending' and next_attempt_at <= ${now}) or (state = 'sending' and lease_until < ${now}))`;

  /** How many more deliveries each endpoint may have claimed here now (0 while backed off). */
  async function roomPerEndpoint(db: Db | Transaction<Database>, now: number): Promise<Map<string, number>> {
    const endpoints = await db.selectFrom('webhook_endpoints').select(['id', 'failure_streak', 'backoff_until']).execute();
    return new Map(endpoints.map((e) => [e.id, Math.max(0, deliveriesAllowed(e, now, perEndpoint) - (here.perEndpoint.get(e.id) ?? 0))]));
  }

  /**
   * The ids of up to `slots` due deliveries: leases of dead senders first, then the oldest due delivery of each
   * ordering key, oldest first, none of a key being sent here and none beyond an endpoint's room.
   */
  async function pickDue(db: Db | Transaction<Database>, now: number, slots: number): Promise<string[]> {
    const room = await roomPerEndpoint(db, now);
    const picked: string[] = [];
    const keys = new Set<string>();
    const take = (rows: Array<Pick<WebhookDeliveryRow, 'id' | 'endpoint_id' | 'user_id'>>) => {
      for (const row of rows) {
        const key = orderingKey(row);
        const left = room.get(row.endpoint_id) ?? 0;
        if (picked.length === slots) return;
        if (left === 0 || here.keys.has(key) || keys.has(key)) continue;
        room.set(row.endpoint_id, left - 1);
        keys.add(key);
        picked.push(row.id);
      }
    };
    const columns = ['id', 'endpoint_id', 'user_id', 'seq'] as const;
    // Cheap, but rarely useful (a sender must have died): only on the periodic wake-ups.
    if (now >= nextLeaseCheck) {
      nextLeaseCheck = now + LEASE_CHECK_SECONDS;
      take(await db.selectFrom('webhook_deliveries').select(columns).where('state', '=', 'sending').where('lease_until', '<', now).orderBy('seq').limit(slots).execute());
    }
    let after = 0;
    while (picked.length < slots) {
      const open = [...room].flatMap(([id, left]) => (left > 0 ? [id] : []));
      if (open.length === 0) break;
      const firsts = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where('endpoint_id', 'in', open)
        // A user's delivery another process is sending holds back the next ones (`here` knows only ours).
        .$if(shared, (q) =>
          q.where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('webhook_deliveries as s')
                  .select('s.id')
                  .whereRef('s.endpoint_id', '=', 'webhook_deliveries.endpoint_id')
                  .whereRef('s.user_id', '=', 'webhook_deliveries.user_id')
                  .where('s.state', '=', 'sending')
                  .where('s.lease_until', '>=', now),
              ),
            ),
          ),
        )
        .groupBy(['endpoint_id', 'user_id', sql`case when user_id is null then id end`])
        .having((eb) => eb.fn.min('seq'), '>', after)
        .orderBy(sql`min(seq)`)
        .limit(KEY_PAGE)
        .execute();
      if (firsts.length === 0) break;
      const seqs = firsts.map((f) => Number(f.seq));
      take(await db.selectFrom('webhook_deliveries').select(columns).where('seq', 'in', seqs).orderBy('seq').execute());
      if (firsts.length < KEY_PAGE) break;
      after = seqs.at(-1)!;
    }
    return picked;
  }

  /**
   * SQLite has one writer and this process claims one batch at a time, so pick-then-update is atomic enough.
   * On PostgreSQL the update's isDue() is re-checked on rows another claimer changed meanwhile, so no delivery
   * is claimed twice; and claims of all processes take turns (a transaction-scoped advisory lock), so each
   * sees the others' leases and a user's deliveries stay one at a time across processes.
   */
  async function claim(slots: number, now: number): Promise<Claimed[]> {
    const claimed = shared
      ? await db.transaction().execute(async (trx) => {
          await serializeOn(trx, 'avatar-server:webhook-claim');
          return claimWith(trx, slots, now);
        })
      : await claimWith(db, slots, now);
    for (const { delivery } of claimed) {
      here.keys.add(orderingKey(delivery));
      here.perEndpoint.set(delivery.endpoint_id, (here.perEndpoint.get(delivery.endpoint_id) ?? 0) + 1);
    }
    return claimed;
  }

  async function claimWith(db: Db | Transaction<Database>, slots: number, now: number): Promise<Claimed[]> {
    const picked = await pickDue(db, now, slots);
    if (picked.length === 0) return [];
    const claimed = await db
      .updateTable('webhook_deliveries')
      .set({ state: 'sending', lease_until: now + LEASE_SECONDS, updated_at: now })
      .where('id', 'in', picked)
      .where(isDue(now))
      .returningAll()
      .execute();
    if (claimed.length === 0) return [];
    const targets = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .innerJoin('webhook_endpoints as p', 'p.id', 'd.endpoint_id')
      .select(['d.id', 'e.body', 'p.url', 'p.secret'])
      .where('d.id', 'in', claimed.map((d) => d.id))
      .execute();
    const byId = new Map(targets.map((t) => [t.id, t]));
    return claimed.flatMap((delivery) => {
      const target = byId.get(delivery.id);
      if (!target) return []; // its endpoint was deleted meanwhile
      return [{ delivery, body: target.body, url: target.url, secret: target.secret }];
    });
  }

  return claim;
}
