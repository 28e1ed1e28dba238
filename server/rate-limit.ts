// Per-key fixed-window counter, in memory (one process). Scale-out will need a shared store behind the same shape.
import { ApiError } from './errors.ts';

export interface RateLimiter {
  /** Counts one hit for `key`; throws 429 RATE_LIMITED with Retry-After when over the limit. */
  hit(key: string, now: number): void;
}

export function createRateLimiter(limit: number, windowSeconds: number): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    hit(key, now) {
      let window = windows.get(key);
      if (!window || now >= window.start + windowSeconds) {
        // Forget expired windows now and then, so the map stays as small as the set of active users.
        if (windows.size > 10_000) for (const [k, w] of windows) if (now >= w.start + windowSeconds) windows.delete(k);
        window = { start: now, count: 0 };
        windows.set(key, window);
      }
      if (window.count >= limit) {
        const retryAfter = Math.max(1, window.start + windowSeconds - now);
        throw new ApiError(429, 'RATE_LIMITED', `Too many uploads; try again in ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
      }
      window.count++;
    },
  };
}
