// Claiming: which due deliveries this process sends next. Oldest first, at most one per (endpoint, user) at a
// time, so a user's events go out in order on their first attempt; a claim is a lease, so a sender that dies
// gives its deliveries back when the lease runs out (and at once on restart: see dispatcher.start()).
import { sql, type Transaction } from 'kysely';
import { isPostgres, serializeOn } from '../db/dialect.ts';
import type { Db } from '../db/index.ts';
import type { Database, WebhookDeliveryRow } from '../db/schema.ts';

/** Longer than any attempt can take (plus its wait in the claimed queue): a lease that runs out means its sender died. */
export const LEASE_SECONDS = 60;
/** Leases of dead senders are looked for at most this often (they are rare: only another process can leave one). */
const LEASE_CHECK_SECONDS = 10;
/** Due deliveries read when claiming: a small first page, then bigger ones while keys being sent fill them. */
const FIRST_PAGE = 32;
const NEXT_PAGE = 512;
const MAX_PAGES = 6;

export interface Claimed {
  delivery: WebhookDeliveryRow;
  body: string;
  url: string;
  secret: string;
}

/** Deliveries of one user to one endpoint are sent one at a time; events without a user are independent. */
export const orderingKey = (d: Pick<WebhookDeliveryRow, 'endpoint_id' | 'user_id' | 'id'>) => `${d.endpoint_id}\u0000${d.user_id ?? `\u0000${d.id}`}`;

/**
 * `claim(slots, now)` leases up to `slots` due deliveries whose ordering key is not in `busy` (the keys this
 * process has claimed and not yet finished), adds their keys to it, and returns them with what sending needs.
 */
export function createClaimer(db: Db, busy: Set<string>) {
  // Processes share a PostgreSQL database (a SQLite file has one): see claim().
  const shared = isPostgres(db);
  let nextLeaseCheck = 0;
  const isDue = (now: number) => sql<boolean>`((state = 'pending' and next_attempt_at <= ${now}) or (state = 'sending' and lease_until < ${now}))`;

  /**
   * The ids of up to `slots` due deliveries, oldest first, at most one per (endpoint, user) and none of a key
   * being sent here: leases of dead senders first, then pending ones, read in pages along the (state, seq) index.
   */
  async function pickDue(db: Db | Transaction<Database>, now: number, slots: number): Promise<string[]> {
    const picked: string[] = [];
    const keys = new Set<string>();
    const take = (rows: Array<Pick<WebhookDeliveryRow, 'id' | 'endpoint_id' | 'user_id'>>) => {
      for (const row of rows) {
        const key = orderingKey(row);
        if (picked.length === slots) return;
        if (busy.has(key) || keys.has(key)) continue;
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
    for (let page = 0; page < MAX_PAGES && picked.length < slots; page++) {
      const limit = page === 0 ? FIRST_PAGE : NEXT_PAGE;
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select(columns)
        .where('state', '=', 'pending')
        .where('seq', '>', after)
        .where('next_attempt_at', '<=', now)
        // A user's delivery another process is sending holds back the next ones (`busy` knows only ours).
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
        .orderBy('seq')
        .limit(limit)
        .execute();
      take(rows);
      if (rows.length < limit) break;
      after = rows.at(-1)!.seq;
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
    for (const { delivery } of claimed) busy.add(orderingKey(delivery));
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
