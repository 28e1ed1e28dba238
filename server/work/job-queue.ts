// Persisted processing jobs. A job row is written in the same transaction as the work it stands for, so a
// crash never loses one. A claimed job carries a lease that its process renews while the job runs; a job whose
// lease ran out (its process died or hung) is claimed again, by any process sharing the database.
// Claims are fair between users: the next job is the oldest of the user with the fewest jobs running and, among
// those, the one served longest ago (round-robin), so one user's backlog takes at most its share of the workers
// while others wait. Each attempt has a deadline, and a job is tried at most MAX_ATTEMPTS times, so no job (and no
// file) is in the works longer than their product. The claim → run cycle itself is work/leased-loop.ts, the one
// webhook deliveries run on too; this file says what claiming, running and settling a job are.
import { sql, type Transaction } from 'kysely';
import { isPostgres } from '../db/dialect.ts';
import type { Db } from '../db/index.ts';
import type { Database, JobRow } from '../db/schema.ts';
import type { Logger } from '../telemetry/log.ts';
import { createLeasedLoop } from './leased-loop.ts';

/** A job that fails this many times for reasons other than the image itself is given up. */
export const MAX_ATTEMPTS = 3;

/** A finished job (done or failed) is kept this long after it finished, for an operator to look into, then purged. */
export const FINISHED_JOB_RETENTION_SECONDS = 7 * 24 * 3600;

/** Deletes the jobs that finished (done or failed) before `before` (Unix seconds); the sweeper calls it. */
export async function purgeFinishedJobs(db: Db, before: number): Promise<number> {
  const { numDeletedRows } = await db.deleteFrom('jobs').where('state', 'in', ['done', 'failed']).where('updated_at', '<', before).executeTakeFirst();
  return Number(numDeletedRows);
}

/** How often a process sharing PostgreSQL looks for jobs queued by others and for leases that ran out. */
const POLL_MS = 1000;

export interface JobHandler {
  /** `signal` aborts once the attempt's deadline has passed: the attempt then counts as failed, and must change nothing more. */
  run(job: JobRow, signal: AbortSignal): Promise<void>;
  /** Called once a job has failed MAX_ATTEMPTS times, so its subject can be marked failed. */
  giveUp(job: JobRow, error: unknown): Promise<void>;
}

/** What a job works on, and for whom. */
export interface NewJob {
  renditionId: string;
  /** The user it works for (claims are fair between users). */
  ownerId: string;
}

/** The error an attempt fails with when its deadline passes. */
export class AttemptTimedOut extends Error {
  constructor(seconds: number) {
    super(`the attempt did not end within its deadline of ${seconds} s`);
    this.name = 'AttemptTimedOut';
  }
}

export interface JobQueue {
  /** Adds a job inside the caller's transaction; call kick() after it commits. */
  enqueue(trx: Transaction<Database>, job: NewJob, now: number): Promise<void>;
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
  /** Seconds one attempt may take, from claim to outcome (AVATAR_PROCESSING_TIMEOUT_SECONDS). */
  attemptSeconds: number;
  clock: () => number;
  log: Logger;
  /** Told of every attempt that threw (it is retried or given up): metrics count them. */
  onAttemptFailed?: () => void;
}

export function createJobQueue({ db, concurrency, leaseSeconds, attemptSeconds, clock, log, onAttemptFailed }: QueueOptions): JobQueue {
  // Processes share a PostgreSQL database; a SQLite file has one.
  const shared = isPostgres(db);
  let handler: JobHandler | null = null;
  /** Jobs running here whose leases are renewed until they end (not one taken over meanwhile). */
  const leased = new Map<number, JobRow>();
  let renewTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;

  /**
   * Takes a job that is queued, or running on a lease that ran out, for this process: among each user's oldest
   * such job, the one of the user with the fewest jobs running now (in any process), then of the user whose last
   * claim is oldest (never served first), then the oldest job. On PostgreSQL the pick is FOR UPDATE SKIP LOCKED,
   * so claimers in any process each get a different job; SQLite's single writer makes UPDATE … WHERE id =
   * (SELECT …) atomic as it is.
   */
  async function claim(): Promise<JobRow | undefined> {
    const now = clock();
    const claimable = sql<boolean>`(c.state = 'queued' or (c.state = 'running' and (c.lease_until is null or c.lease_until < ${now})))`;
    const runningFor = sql<number>`(select count(*) from jobs r where r.owner_id = j.owner_id and r.state = 'running' and r.lease_until >= ${now})`;
    const lastServed = sql<number>`coalesce((select max(s.claimed_at_ms) from jobs s where s.owner_id = j.owner_id), 0)`;
    return db
      .updateTable('jobs')
      .set({ state: 'running', attempts: sql`attempts + 1`, lease_until: now + leaseSeconds, claimed_at_ms: Date.now(), updated_at: now })
      .where('id', '=', (eb) =>
        eb
          .selectFrom('jobs as j')
          .select('j.id')
          .where('j.id', 'in', (firsts) => firsts.selectFrom('jobs as c').select((c) => c.fn.min('c.id').as('id')).where(claimable).groupBy('c.owner_id'))
          .orderBy(runningFor)
          .orderBy(lastServed)
          .orderBy('j.id')
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

  /** Runs one attempt, failing it with AttemptTimedOut once the deadline passes (the handler is told by its signal). */
  async function attempt(current: JobHandler, job: JobRow) {
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new AttemptTimedOut(attemptSeconds);
        deadline.abort(error);
        reject(error);
      }, attemptSeconds * 1000);
    });
    try {
      await Promise.race([current.run(job, deadline.signal), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function runOne(job: JobRow) {
    const current = handler!;
    // Claimed more often than it may be tried: every earlier claimer died while running it, and it may be
    // what kills them. Give it up instead of crash-looping.
    if (job.attempts > MAX_ATTEMPTS) {
      await current.giveUp(job, new Error('the process stopped during every attempt')).catch((e: unknown) => log.error({ err: e, job_id: job.id }, `job ${job.id} give-up failed`));
      await finish(job, 'failed');
      return;
    }
    try {
      await attempt(current, job);
      await finish(job, 'done');
    } catch (error) {
      log.error({ err: error, job_id: job.id, attempt: job.attempts }, `job ${job.id} attempt ${job.attempts} failed`);
      onAttemptFailed?.();
      if (job.attempts >= MAX_ATTEMPTS) {
        await current.giveUp(job, error).catch((e: unknown) => log.error({ err: e, job_id: job.id }, `job ${job.id} give-up failed`));
        await finish(job, 'failed');
      } else {
        await finish(job, 'queued');
      }
    }
  }

  const loop = createLeasedLoop<JobRow>({
    concurrency,
    // One job per claim: each claim takes the fairest job there is at that moment.
    claim: async () => {
      const job = await claim();
      return job ? [job] : [];
    },
    async run(job) {
      leased.set(job.id, job);
      try {
        await runOne(job);
      } catch (error) {
        log.error({ err: error, job_id: job.id }, `job ${job.id} failed`);
      } finally {
        leased.delete(job.id);
      }
    },
    // One process owns a SQLite file, so a job marked running was cut off when the last one stopped: take it
    // again now, not when its lease runs out. (On PostgreSQL it may be another live process's.)
    recover: shared
      ? undefined
      : async () => {
          await db.updateTable('jobs').set({ state: 'queued', lease_until: null, updated_at: clock() }).where('state', '=', 'running').execute();
        },
    onError: (error) => log.error({ err: error }, 'job queue failed'),
  });

  return {
    async enqueue(trx, job, now) {
      await trx
        .insertInto('jobs')
        .values({ kind: 'render', rendition_id: job.renditionId, owner_id: job.ownerId, state: 'queued', attempts: 0, lease_until: null, claimed_at_ms: null, created_at: now, updated_at: now })
        .execute();
    },
    kick: loop.kick,
    async start(jobHandler) {
      handler = jobHandler;
      renewTimer = setInterval(() => {
        renewLeases().catch((error: unknown) => log.error({ err: error }, 'job queue: renewing leases failed'));
      }, Math.max(250, (leaseSeconds * 1000) / 3));
      renewTimer.unref();
      if (shared) {
        // Other processes enqueue jobs (and die) without telling this one.
        pollTimer = setInterval(loop.kick, POLL_MS);
        pollTimer.unref();
      }
      await loop.start();
    },
    async stop() {
      clearInterval(pollTimer);
      await loop.stop();
      clearInterval(renewTimer);
    },
    running: loop.running,
  };
}
