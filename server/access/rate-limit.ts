// Per-key fixed-window counters: in memory for the one process of a SQLite site, in a table every process
// shares on PostgreSQL (a user's uploads count the same whichever process they reach).
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/index.ts';
import { ApiError } from '../http/errors.ts';

export interface RateLimiter {
  /** Counts one hit for `key`; throws 429 RATE_LIMITED with Retry-After when over the limit. */
  hit(key: string, now: number): Promise<void>;
  /** Forgets `key`'s window (its user was erased). */
  forget(key: string): Promise<void>;
}

/** What a limit counts: named in its 429 message, and the namespace of its keys in the shared table. */
export type LimitedAction = 'uploads' | 'changes';

function rateLimited(action: LimitedAction, windowStart: number, windowSeconds: number, now: number): ApiError {
  const retryAfter = Math.max(1, windowStart + windowSeconds - now);
  const what = action === 'uploads' ? 'uploads' : 'avatar and emote changes';
  return new ApiError('RATE_LIMITED', `Too many ${what}; try again in ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
}

export function createRateLimiter(action: LimitedAction, limit: number, windowSeconds: number): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    async hit(key, now) {
      let window = windows.get(key);
      if (!window || now >= window.start + windowSeconds) {
        // Forget expired windows now and then, so the map stays as small as the set of active users.
        if (windows.size > 10_000) for (const [k, w] of windows) if (now >= w.start + windowSeconds) windows.delete(k);
        window = { start: now, count: 0 };
        windows.set(key, window);
      }
      if (window.count >= limit) throw rateLimited(action, window.start, windowSeconds, now);
      window.count++;
    },
    async forget(key) {
      windows.delete(key);
    },
  };
}

/**
 * The same limit kept in the rate_limit_windows table: one upsert per hit opens a new window or counts in the
 * current one, atomically, so hits on different processes at once are all counted. Expired windows are
 * deleted now and then (at most once a window per process). A window is named by a hash of its key, so the table
 * never names a user (an erased user's request still under way may count a hit after the erasure).
 */
export function createSharedRateLimiter(db: Db, action: LimitedAction, limit: number, windowSeconds: number): RateLimiter {
  let prunedAt = 0;
  const keyOf = (userKey: string) => `${action}:${createHash('sha256').update(userKey).digest('base64url')}`;
  return {
    async forget(userKey) {
      await db.deleteFrom('rate_limit_windows').where('key', '=', keyOf(userKey)).execute();
    },
    async hit(userKey, now) {
      const key = keyOf(userKey);
      const expired = sql<boolean>`rate_limit_windows.window_start + ${windowSeconds} <= ${now}`;
      const window = await db
        .insertInto('rate_limit_windows')
        .values({ key, window_start: now, hits: 1 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            window_start: sql<number>`case when ${expired} then ${now} else rate_limit_windows.window_start end`,
            hits: sql<number>`case when ${expired} then 1 else rate_limit_windows.hits + 1 end`,
          }),
        )
        .returning(['window_start', 'hits'])
        .executeTakeFirstOrThrow();
      if (now >= prunedAt + windowSeconds) {
        prunedAt = now;
        await db.deleteFrom('rate_limit_windows').where('window_start', '<=', now - windowSeconds).execute();
      }
      if (window.hits > limit) throw rateLimited(action, window.window_start, windowSeconds, now);
    },
  };
}
