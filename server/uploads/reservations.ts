// Which originals are being written right now, so a second PUT of the same upload URL (or a second use of a
// single-use link) is refused while the first is still streaming. In memory for the one process of a SQLite
// site; a table every process shares on PostgreSQL, where the two requests may reach different processes.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/index.ts';

export interface UploadReservations {
  /** Reserves the file's original for one writer: false when another request (on any process) holds it. */
  reserve(fileId: string): Promise<boolean>;
  /** Ends this process's reservation of the file (a no-op when it holds none). */
  release(fileId: string): Promise<void>;
  /** True while some request (on any process) is writing the file's original: its bytes are arriving. */
  writing(fileId: string): Promise<boolean>;
}

export function createLocalReservations(): UploadReservations {
  const receiving = new Set<string>();
  return {
    async reserve(fileId) {
      if (receiving.has(fileId)) return false;
      receiving.add(fileId);
      return true;
    },
    async release(fileId) {
      receiving.delete(fileId);
    },
    async writing(fileId) {
      return receiving.has(fileId);
    },
  };
}

interface SharedOptions {
  db: Db;
  /** Seconds a reservation holds without renewal: how long a PUT cut off by a crash keeps its URL busy. */
  leaseSeconds: number;
  clock: () => number;
  log: { error(line: string): void };
}

/** Rows of reservations whose process died, kept this long past their expiry, then deleted (now and then). */
const PRUNE_AFTER_SECONDS = 3600;

/**
 * Reservations in the upload_reservations table: one row per file, renewed every third of the lease while the
 * bytes arrive. A row whose lease ran out belonged to a process that died mid-PUT, and is taken over.
 */
export function createSharedReservations({ db, leaseSeconds, clock, log }: SharedOptions): UploadReservations {
  /** file id → the holder token of our reservation. */
  const held = new Map<string, string>();
  let renewTimer: NodeJS.Timeout | undefined;
  let prunedAt = 0;

  async function renew() {
    const until = clock() + leaseSeconds;
    for (const [fileId, holder] of held) {
      await db.updateTable('upload_reservations').set({ expires_at: until }).where('file_id', '=', fileId).where('holder', '=', holder).execute();
    }
  }

  function keepRenewing() {
    if (renewTimer || held.size === 0) return;
    renewTimer = setInterval(() => {
      if (held.size === 0) {
        clearInterval(renewTimer);
        renewTimer = undefined;
        return;
      }
      renew().catch((err: unknown) => log.error(`upload reservations: renewing: ${err instanceof Error ? err.message : String(err)}`));
    }, Math.max(250, (leaseSeconds * 1000) / 3));
    renewTimer.unref();
  }

  return {
    async reserve(fileId) {
      const now = clock();
      if (now >= prunedAt + PRUNE_AFTER_SECONDS) {
        prunedAt = now;
        await db.deleteFrom('upload_reservations').where('expires_at', '<', now - PRUNE_AFTER_SECONDS).execute();
      }
      const holder = randomBytes(12).toString('base64url');
      const taken = await db
        .insertInto('upload_reservations')
        .values({ file_id: fileId, holder, expires_at: now + leaseSeconds })
        .onConflict((oc) => oc.column('file_id').doUpdateSet({ holder, expires_at: now + leaseSeconds }).where('upload_reservations.expires_at', '<', now))
        .returning('holder')
        .executeTakeFirst();
      if (!taken) return false;
      held.set(fileId, holder);
      keepRenewing();
      return true;
    },
    async release(fileId) {
      const holder = held.get(fileId);
      if (holder === undefined) return;
      held.delete(fileId);
      await db.deleteFrom('upload_reservations').where('file_id', '=', fileId).where('holder', '=', holder).execute();
    },
    async writing(fileId) {
      const row = await db.selectFrom('upload_reservations').select('file_id').where('file_id', '=', fileId).where('expires_at', '>=', clock()).executeTakeFirst();
      return row !== undefined;
    },
  };
}
