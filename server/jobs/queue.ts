// Persisted processing jobs. A job row is written in the same transaction as the work it stands for, so a
// crash never loses one; jobs that were running when the process died are queued again at start.
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/index.ts';
import type { Database, JobRow } from '../db/schema.ts';

/** A job that fails this many times for reasons other than the image itself is given up. */
export const MAX_ATTEMPTS = 3;

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
  /** Re-queues jobs left running by a dead process and starts working. */
  start(handler: JobHandler): Promise<void>;
  /** Stops taking jobs and waits for the running ones. */
  stop(): Promise<void>;
  /** Number of jobs running in this process. */
  running(): number;
}

interface QueueOptions {
  db: Db;
  concurrency: number;
  clock: () => number;
  log: { debug(line: string): void; error(line: string): void };
}

export function createJobQueue({ db, concurrency, clock, log }: QueueOptions): JobQueue {
  let handler: JobHandler | null = null;
  let active = 0;
  let stopping = false;
  let claiming = false;
  let claimAgain = false;
  const inFlight = new Set<Promise<void>>();

  // SQLite has one writer, so the UPDATE … WHERE id = (SELECT …) claim is atomic.
  // PostgreSQL will need FOR UPDATE SKIP LOCKED in the sub-select.
  async function claim(): Promise<JobRow | undefined> {
    const now = clock();
    return db
      .updateTable('jobs')
      .set({ state: 'running', attempts: sql`attempts + 1`, updated_at: now })
      .where('id', '=', (eb) => eb.selectFrom('jobs').select('id').where('state', '=', 'queued').orderBy('id').limit(1))
      .returningAll()
      .executeTakeFirst();
  }

  async function finish(job: JobRow, state: 'done' | 'failed' | 'queued') {
    await db.updateTable('jobs').set({ state, updated_at: clock() }).where('id', '=', job.id).execute();
  }

  async function runOne(job: JobRow) {
    const current = handler!;
    try {
      await current.run(job);
      await finish(job, 'done');
    } catch (error) {
      log.error(`job ${job.id} attempt ${job.attempts} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      if (job.attempts >= MAX_ATTEMPTS) {
        await current.giveUp(job, error).catch((e: unknown) => log.error(`job ${job.id} give-up failed: ${String(e)}`));
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
          const work = runOne(job).finally(() => {
            active--;
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
      await trx.insertInto('jobs').values({ kind: 'render', rendition_id: renditionId, state: 'queued', attempts: 0, created_at: now, updated_at: now }).execute();
    },
    kick() {
      void pump();
    },
    async start(jobHandler) {
      handler = jobHandler;
      // A job that was running every time the process died may be what kills it: give it up instead of crash-looping.
      const doomed = await db.selectFrom('jobs').selectAll().where('state', '=', 'running').where('attempts', '>=', MAX_ATTEMPTS).execute();
      for (const job of doomed) {
        await jobHandler.giveUp(job, new Error('the process stopped during every attempt'));
        await finish(job, 'failed');
      }
      await db.updateTable('jobs').set({ state: 'queued', updated_at: clock() }).where('state', '=', 'running').execute();
      void pump();
    },
    async stop() {
      stopping = true;
      await Promise.allSettled([...inFlight]);
    },
    running: () => active,
  };
}
