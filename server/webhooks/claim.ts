// Claiming: which due deliveries this process sends next, fairly. Deliveries of one user to one endpoint go one at
// a time, in order, on their first attempt (an ordering key); the claim looks at the oldest due delivery of every
// key, so one user's backlog holds one slot and never hides another user's event. Each endpoint has at most
// its cap of deliveries claimed here at once (endpoint-shares.ts: its share, more once it has earned them by
// answering; one while it is on probation after failing, none while it is backed off: health.ts), so an endpoint
// that never answers holds its share of the slots, not all of them.
// A claim is a lease, so a sender that dies gives its deliveries back when the lease runs out (and at once on
// restart: see dispatcher.start()).
// Finding each key's oldest due delivery reads every due delivery, and most claims are of the one slot an ended
// attempt frees; so on SQLite (one process) a claim keeps what it read and had no room for, and the claims that
// follow within the same second take from it instead of reading again, as long as no endpoint with room may have
// more than that (anything new, an event or a retry falling due, forgets it: forgetSpare()).
import { sql, type Transaction } from 'kysely';
import { isPostgres, serializeOn } from '../db/dialect.ts';
import type { Db } from '../db/index.ts';
import type { Database, WebhookDeliveryRow } from '../db/schema.ts';
import type { EndpointShares } from './endpoint-shares.ts';
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

type DueRow = Pick<WebhookDeliveryRow, 'id' | 'endpoint_id' | 'user_id' | 'seq'>;

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
 * them with what sending needs. `shares`: the most deliveries of each endpoint claimed here at once.
 */
export function createClaimer(db: Db, here: ClaimedHere, shares: Pick<EndpointShares, 'cap'>) {
  // Processes share a PostgreSQL database (a SQLite file has one): see claim().
  const shared = isPostgres(db);
  let nextLeaseCheck = 0;
  /**
   * SQLite: what the last read of every key found and did not take (keys' oldest due deliveries, in order), the
   * second it was read in, and the endpoints that had room then and nothing due (so nothing to read without a kick).
   */
  let spare: { rows: DueRow[]; at: number; idle: Set<string> } | null = null;
  /**
   * SQLite: the last claim left every endpoint at its cap, and nothing that gives one room has happened since (a
   * claim ending here: released(); or a kick). The loop asks again after each claim it starts, so without this
   * every delivery paid for a second claim that only read the endpoints to find no room.
   */
  let full = false;
  /** Counts those events, so a claim that read while one happened does not conclude it is full. */
  let changes = 0;
  const isDue = (now: number) => sql<boolean>`((state = 'pending' and next_attempt_at <= ${now}) or (state = 'sending' and lease_until < ${now}))`;

  /** How many more deliveries each endpoint may have claimed here now (0 while backed off). */
  async function roomPerEndpoint(db: Db | Transaction<Database>, now: number): Promise<Map<string, number>> {
    const endpoints = await db.selectFrom('webhook_endpoints').select(['id', 'failure_streak', 'backoff_until']).execute();
    return new Map(endpoints.map((e) => [e.id, Math.max(0, deliveriesAllowed(e, now, shares.cap(e.id)) - (here.perEndpoint.get(e.id) ?? 0))]));
  }

  /**
   * PostgreSQL: the ordering keys of deliveries being sent under a live lease, by any process (`here` knows only
   * ours): a user's delivery another process is sending holds back the next ones. Read on their own, under the
   * claim's lock, rather than as a correlated NOT EXISTS in the read of due deliveries: planned from statistics
   * that show few pending rows (an outbox mostly sent, or a new table), PostgreSQL ran that as a nested loop that
   * read every sending row version again for each due delivery, and the versions pile up as deliveries are sent:
   * 25 ms a claim on average over a backlog of 1,000 (1.5 ms with fresh statistics), and claims take turns.
   */
  async function sentElsewhere(db: Db | Transaction<Database>, now: number): Promise<Set<string>> {
    const sending = await db
      .selectFrom('webhook_deliveries')
      .select(['id', 'endpoint_id', 'user_id'])
      .where('state', '=', 'sending')
      .where('lease_until', '>=', now)
      .where('user_id', 'is not', null)
      .execute();
    return new Set(sending.map(orderingKey));
  }

  /**
   * The ids of up to `slots` due deliveries: leases of dead senders first, then the oldest due delivery of each
   * ordering key, oldest first, none of a key being sent here and none beyond an endpoint's room.
   */
  async function pickDue(db: Db | Transaction<Database>, now: number, slots: number): Promise<string[]> {
    if (full) return [];
    const changesBefore = changes;
    const room = await roomPerEndpoint(db, now);
    /** Returns `picked`, noting whether they fill every endpoint's room. */
    const done = (picked: string[]) => {
      full = !shared && changes === changesBefore && [...room.values()].every((left) => left === 0);
      return picked;
    };
    const picked: string[] = [];
    const keys = new Set<string>();
    const busy = shared ? await sentElsewhere(db, now) : null;
    /** Takes what there is room for; returns the rows left (none of a key taken now or being sent here or elsewhere). */
    const take = (rows: DueRow[]) =>
      rows.filter((row) => {
        const key = orderingKey(row);
        const left = room.get(row.endpoint_id) ?? 0;
        if (here.keys.has(key) || keys.has(key) || busy?.has(key)) return false;
        if (left === 0 || picked.length === slots) return true;
        room.set(row.endpoint_id, left - 1);
        keys.add(key);
        picked.push(row.id);
        return false;
      });
    const columns = ['id', 'endpoint_id', 'user_id', 'seq'] as const;
    // Cheap, but rarely useful (a sender must have died): only on the periodic wake-ups.
    if (now >= nextLeaseCheck) {
      nextLeaseCheck = now + LEASE_CHECK_SECONDS;
      take(await db.selectFrom('webhook_deliveries').select(columns).where('state', '=', 'sending').where('lease_until', '<', now).orderBy('seq').limit(slots).execute());
    }
    if (spare && spare.at === now) {
      spare.rows = take(spare.rows);
      // Read again only if an endpoint with room may have more due than was left over.
      const idle = spare.idle;
      if (picked.length === slots || [...room].every(([id, left]) => left === 0 || idle.has(id))) return done(picked);
    }
    spare = null;
    const leftOver: DueRow[] = [];
    /** Endpoints with something due read (taken or not). */
    const withWork = new Set<string>();
    let open: string[] = [];
    let after = 0;
    let readAll = false;
    while (picked.length < slots) {
      open = [...room].flatMap(([id, left]) => (left > 0 ? [id] : []));
      if (open.length === 0) break;
      const firsts = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where('endpoint_id', 'in', open)
        .groupBy(['endpoint_id', 'user_id', sql`case when user_id is null then id end`])
        .having((eb) => eb.fn.min('seq'), '>', after)
        .orderBy(sql`min(seq)`)
        .limit(KEY_PAGE)
        .execute();
      readAll = firsts.length < KEY_PAGE;
      if (firsts.length === 0) break;
      const seqs = firsts.map((f) => Number(f.seq));
      const rows = await db.selectFrom('webhook_deliveries').select(columns).where('seq', 'in', seqs).orderBy('seq').execute();
      for (const row of rows) withWork.add(row.endpoint_id);
      leftOver.push(...take(rows));
      if (readAll) break;
      after = seqs.at(-1)!;
    }
    if (!shared && leftOver.length > 0) spare = { rows: leftOver, at: now, idle: new Set(readAll ? open.filter((id) => !withWork.has(id)) : []) };
    return done(picked);
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
    // What sending needs comes back with the claim: one statement, not a claim and a read.
    const claimed = await db
      .updateTable('webhook_deliveries')
      .set({ state: 'sending', lease_until: now + LEASE_SECONDS, updated_at: now })
      .where('id', 'in', picked)
      .where(isDue(now))
      .returningAll()
      .returning((eb) => [
        eb.selectFrom('webhook_events as e').select('e.body').whereRef('e.id', '=', 'webhook_deliveries.event_id').as('body'),
        eb.selectFrom('webhook_endpoints as p').select('p.url').whereRef('p.id', '=', 'webhook_deliveries.endpoint_id').as('url'),
        eb.selectFrom('webhook_endpoints as p').select('p.secret').whereRef('p.id', '=', 'webhook_deliveries.endpoint_id').as('secret'),
      ])
      .execute();
    if (claimed.length < picked.length) full = false; // some were no longer due: their room is still free
    return claimed.flatMap(({ body, url, secret, ...delivery }) => {
      if (body === null || url === null || secret === null) return []; // its endpoint was deleted meanwhile
      return [{ delivery, body, url, secret }];
    });
  }

  /** Something new may be due (an event recorded, a retry's time come): the next claim reads again. */
  const forgetSpare = () => {
    spare = null;
    full = false;
    changes++;
  };

  /** A delivery claimed here has ended (or was given back): its endpoint has room again. */
  const released = () => {
    full = false;
    changes++;
  };

  return Object.assign(claim, { forgetSpare, released });
}
