// Persisted processing jobs. A job row is written in the same transaction as the work it stands for, so a
// crash never loses one. A claimed job carries a lease that its process renews while the job runs; a job whose
// lease ran out (its process died or hung) is claimed again, by any process sharing the database.
import { sql, type Transaction } from 'kysely';
import { isPostgres } from '../db/dialect.ts';
import type { Db } from '../db/index.ts';
import type { Database, JobRow } from '../db/schema.ts';

/** A job that fails this many times for reasons other than the image itself is given up. */
export const MAX_ATTEMPTS = 3;

/** How often a process sharing PostgreSQL looks for jobs queued by others and for leases that ran out. */
const POLL_MS = 1000;

export interface JobHandler {
  run(job: JobRow): Promise<void>;
  /** Called once a job has failed MAX_ATTEMPTS times, so its subject can be marked failed. */
  giveUp(job: JobRow, error: unknown): Promise<void>;
}

export interface JobQueue {
  /** Adds a job inside the caller's transaction; call kick() after it commits. */
  enqueue(trx: Transaction<Database>, renditionId: string, now: number): Promise<void>;
  /** Starts work on queued jobs, up to the concurrency limit. */
  kick(): void;
  /** Starts working (on SQLite, first re-queues the jobs the previous process left running). */
  start(handler: JobHandler): Promise<void>;
  /** Stops taking jobs and waits for the running ones. */
  stop(): Promise<void>;
  /** Number of jobs running in this process. */
  running(): number;
}

interface QueueOptions {
  db: Db;
  concurrency: number;
  /** Seconds a claim holds without being renewed (AVATAR_JOB_LEASE_SECONDS). */
  leaseSeconds: number;
  clock: () => number;
  log: { debug(line: string): void; error(line: string): void };
}

const describe = (error: unknown) => (error instanceof Error ? error.stack ?? error.message : String(error));

export function createJobQueue({ db, concurrency, leaseSeconds, clock, log }: QueueOptions): JobQueue {
  // Processes share a PostgreSQL database; a SQLite file has one.
  const shared = isPostgres(db);
  let handler: JobHandler | null = null;
  let stopping = false;
  let claiming = false;
  let claimAgain = false;
  let active = 0;
  /** Jobs running here whose leases are renewed until they end (not one taken over meanwhile). */
  const leased = new Map<number, JobRow>();
  const inFlight = new Set<Promise<void>>();
  let renewTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;

  /**
   * Takes the oldest job that is queued, or running on a lease that ran out, for this process. On PostgreSQL
   * the pick is FOR UPDATE SKIP LOCKED, so claimers in any process each get a different job; SQLite's single
   * writer makes UPDATE … WHERE id = (SELECT …) atomic as it is.
   */
  async function claim(): Promise<JobRow | undefined> {
    const now = clock();
    return db
      .updateTable('jobs')
      .set({ state: 'running', attempts: sql`attempts + 1`, lease_until: now + leaseSeconds, updated_at: now })
      .where('id', '=', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where((w) => w.or([w('state', '=', 'queued'), w.and([w('state', '=', 'running'), w.or([w('lease_until', 'is', null), w('lease_until', '<', now)])])]))
          .orderBy('id')
          .limit(1)
          .$if(shared, (q) => q.forUpdate().skipLocked()),
      )
      .returningAll()
      .executeTakeFirst();
  }

  /** Ends this claim of the job; a claim taken over meanwhile (its lease ran out) is left to its new owner. */
  async function finish(job: JobRow, state: 'done' | 'failed' | 'queued') {
    const ended = await db
      .updateTable('jobs')
      .set({ state, lease_until: null, updated_at: clock() })
      .where('id', '=', job.id)
      .where('attempts', '=', job.attempts)
      .where('state', '=', 'running')
      .executeTakeFirst();
    if (ended.numUpdatedRows === 0n) log.error(`job ${job.id} attempt ${job.attempts}: its lease ran out and another process took it over`);
  }

  /** Extends the leases of the jobs running here; one that was taken over is no longer renewed. */
  async function renewLeases() {
    const until = clock() + leaseSeconds;
    for (const job of leased.values()) {
      const renewed = await db
        .updateTable('jobs')
        .set({ lease_until: until })
        .where('id', '=', job.id)
        .where('attempts', '=', job.attempts)
        .where('state', '=', 'running')
        .executeTakeFirst();
      if (renewed.numUpdatedRows === 0n) leased.delete(job.id);
    }
  }

  async function runOne(job: JobRow) {
    const current = handler!;
    // Claimed more often than it may be tried: every earlier claimer died while running it, and it may be
    // what kills them. Give it up instead of crash-looping.
    if (job.attempts > MAX_ATTEMPTS) {
      await current.giveUp(job, new Error('the process stopped during every attempt')).catch((e: unknown) => log.error(`job ${job.id} give-up failed: ${describe(e)}`));
      await finish(job, 'failed');
      return;
    }
    try {
      await current.run(job);
      await finish(job, 'done');
    } catch (error) {
      log.error(`job ${job.id} attempt ${job.attempts} failed: ${describe(error)}`);
      if (job.attempts >= MAX_ATTEMPTS) {
        await current.giveUp(job, error).catch((e: unknown) => log.error(`job ${job.id} give-up failed: ${describe(e)}`));
        await finish(job, 'failed');
      } else {
        await finish(job, 'queued');
      }
    }
  }

  async function pump() {
    // One claimer at a time; a kick during a claim loop asks for another pass.
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = true;
    try {
      do {
        claimAgain = false;
        while (!stopping && handler && active < concurrency) {
          const job = await claim();
          if (!job) break;
          active++;
          leased.set(job.id, job);
          const work = runOne(job)
            .catch((error: unknown) => log.error(`job ${job.id}: ${describe(error)}`))
            .finally(() => {
              active--;
              leased.delete(job.id);
              inFlight.delete(work);
              if (!stopping) void pump();
            });
          inFlight.add(work);
        }
      } while (claimAgain && !stopping);
    } catch (error) {
      log.error(`job queue: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      claiming = false;
    }
  }

  return {
    async enqueue(trx, renditionId, now) {
      await trx
        .insertInto('jobs')
        .values({ kind: 'render', rendition_id: renditionId, state: 'queued', attempts: 0, lease_until: null, created_at: now, updated_at: now })
        .execute();
    },
    kick() {
      void pump();
    },
    async start(jobHandler) {
      handler = jobHandler;
      // One process owns a SQLite file, so a job marked running was cut off when the last one stopped: take it
      // again now, not when its lease runs out. (On PostgreSQL it may be another live process's.)
      if (!shared) await db.updateTable('jobs').set({ state: 'queued', lease_until: null, updated_at: clock() }).where('state', '=', 'running').execute();
      renewTimer = setInterval(() => {
        renewLeases().catch((error: unknown) => log.error(`job queue: renewing leases: ${describe(error)}`));
      }, Math.max(250, (leaseSeconds * 1000) / 3));
      renewTimer.unref();
      if (shared) {
        // Other processes enqueue jobs (and die) without telling this one.
        pollTimer = setInterval(() => void pump(), POLL_MS);
        pollTimer.unref();
      }
      void pump();
    },
    async stop() {
      stopping = true;
      clearInterval(pollTimer);
      await Promise.allSettled([...inFlight]);
      clearInterval(renewTimer);
    },
    running: () => active,
  };
}
