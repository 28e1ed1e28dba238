// The one loop for leased work (render jobs, webhook deliveries): claim what is due (each claim is a lease in the
// database, so work a dead process held is claimed again once its lease runs out), run each item, and claim again
// as items end, never more than `concurrency` at once. What running means, and how an item settles or is retried,
// is the caller's: `run` does all of it. One claimer at a time per loop; a kick during a claim asks for another
// pass, so no kick is lost.

export interface LeasedWork<T> {
  /** Items run at once, at most. */
  concurrency: number;
  /**
   * Leases due items for this process (`room`: how many more may run now; a claimer may take more than that as a
   * batch: the rest wait, already leased, and start as slots free up). [] when nothing is due.
   */
  claim(room: number): Promise<T[]>;
  /** Runs one item to its end: its outcome, its settling and any retry are the caller's. Must not throw. */
  run(item: T): Promise<void>;
  /** At start: takes back what an earlier process left running, where no other process can be running it. */
  recover?(): Promise<void>;
  /** At stop: items claimed but never started, handed back (before the running ones are waited for). */
  giveBack?(items: T[]): Promise<void>;
  /** Called when the loop has room but nothing more was due: a chance to schedule the next kick. */
  idle?(): Promise<void>;
  /** A claim failed; the loop tries again after `retryAfterMs` when set, else at the next kick. */
  onError(error: unknown): void;
  retryAfterMs?: number;
}

export interface LeasedLoop<T> {
  /** Claims and runs what is due now, as far as there is room. */
  kick(): void;
  /** Recovers, then starts claiming. Nothing is claimed before. */
  start(): Promise<void>;
  /** Stops claiming, waits for the claim in progress, gives back what never started, then waits for the rest. */
  stop(): Promise<void>;
  /** Items running now. */
  running(): number;
}

export function createLeasedLoop<T>(work: LeasedWork<T>): LeasedLoop<T> {
  const inFlight = new Set<Promise<void>>();
  /** Claimed (leased) items waiting for a free slot, oldest first. */
  const waiting: T[] = [];
  let started = false;
  let stopping = false;
  let claiming: Promise<void> | null = null;
  let claimAgain = false;
  let retryTimer: NodeJS.Timeout | undefined;

  function launch(item: T) {
    const running = work.run(item).finally(() => {
      inFlight.delete(running);
      if (!stopping) pump();
    });
    inFlight.add(running);
  }

  async function claimLoop() {
    try {
      do {
        claimAgain = false;
        while (!stopping && inFlight.size < work.concurrency) {
          if (waiting.length === 0) waiting.push(...(await work.claim(work.concurrency - inFlight.size)));
          const next = waiting.shift();
          if (next === undefined) break;
          launch(next);
        }
        // With every slot busy there is no need to wake up later: each item that ends claims again.
        if (!claimAgain && !stopping && inFlight.size < work.concurrency) await work.idle?.();
      } while (claimAgain && !stopping);
    } catch (error) {
      work.onError(error);
      if (work.retryAfterMs !== undefined && !stopping) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(pump, work.retryAfterMs);
        retryTimer.unref();
      }
    }
  }

  function pump() {
    if (!started || stopping) return;
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = claimLoop().finally(() => {
      claiming = null;
    });
  }

  return {
    kick: pump,
    async start() {
      await work.recover?.();
      started = true;
      pump();
    },
    async stop() {
      stopping = true;
      clearTimeout(retryTimer);
      await claiming;
      const unstarted = waiting.splice(0);
      if (unstarted.length > 0) await work.giveBack?.(unstarted);
      await Promise.allSettled([...inFlight]);
    },
    running: () => inFlight.size,
  };
}
