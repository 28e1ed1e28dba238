// Wakes the long-polls of GET /v1/files/{id}?wait=N (SPEC §3) when a file leaves processing. A process keeps its
// waiters in memory; a change is announced after the transaction that made it commits. With SQLite one process
// owns the database, so the announcement wakes its own waiters directly. With PostgreSQL the job may run on any
// process, so it is also sent as NOTIFY, and every process LISTENs on a connection of its own.
import type pg from 'pg';

/** The NOTIFY channel; the payload is the file id. */
export const FILE_SETTLED_CHANNEL = 'avatar_file_settled';

/** Waiters one process holds at most, and one user at most (each is an open request). */
export const MAX_WAITERS = 1000;
export const MAX_WAITERS_PER_USER = 8;

export type WaitOutcome = 'announced' | 'timeout' | 'aborted';

export interface FileSettledSignal {
  /** Tells the waiters of `fileId` in every process that it is ready or failed. Call after the change commits. */
  announce(fileId: string): Promise<void>;
  /**
   * Waits until `fileId` is announced, `ms` pass or `signal` aborts; the waiter is gone when this settles.
   * Returns null without waiting when the process or `userId` already holds the most waiters allowed; once
   * closed, answers 'timeout' at once.
   */
  wait(userId: string, fileId: string, ms: number, signal?: AbortSignal): Promise<WaitOutcome> | null;
  /** Waiters held now (for tests and metrics). */
  waiting(): number;
  /** Wakes every waiter and stops listening. */
  close(): Promise<void>;
}

interface Waiter {
  userId: string;
  wake(outcome: WaitOutcome): void;
}

interface Logger {
  error(line: string): void;
}

/**
 * The in-process half: waiters by file id. `send` delivers an announcement to the other processes (PostgreSQL);
 * without it an announcement only wakes this process's waiters.
 */
function localSignal(send?: (fileId: string) => Promise<void>) {
  const byFile = new Map<string, Set<Waiter>>();
  const perUser = new Map<string, number>();
  let count = 0;
  let closed = false;

  const wakeFile = (fileId: string, outcome: WaitOutcome) => {
    for (const waiter of byFile.get(fileId) ?? []) waiter.wake(outcome);
  };

  const signal: FileSettledSignal & { wakeFile: typeof wakeFile; wakeAll(): void } = {
    wakeFile,
    wakeAll() {
      for (const fileId of [...byFile.keys()]) wakeFile(fileId, 'announced');
    },
    async announce(fileId) {
      wakeFile(fileId, 'announced');
      await send?.(fileId);
    },
    wait(userId, fileId, ms, abort) {
      if (closed) return Promise.resolve('timeout');
      if (count >= MAX_WAITERS || (perUser.get(userId) ?? 0) >= MAX_WAITERS_PER_USER) return null;
      return new Promise<WaitOutcome>((resolve) => {
        const waiters = byFile.get(fileId) ?? new Set<Waiter>();
        byFile.set(fileId, waiters);
        count++;
        perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
        const onAbort = () => waiter.wake('aborted');
        const timer = setTimeout(() => waiter.wake('timeout'), ms);
        const waiter: Waiter = {
          userId,
          wake(outcome) {
            if (!waiters.delete(waiter)) return;
            if (waiters.size === 0) byFile.delete(fileId);
            clearTimeout(timer);
            abort?.removeEventListener('abort', onAbort);
            count--;
            const left = (perUser.get(userId) ?? 1) - 1;
            if (left > 0) perUser.set(userId, left);
            else perUser.delete(userId);
            resolve(outcome);
          },
        };
        waiters.add(waiter);
        if (abort?.aborted) onAbort();
        else abort?.addEventListener('abort', onAbort, { once: true });
      });
    },
    waiting: () => count,
    async close() {
      closed = true;
      signal.wakeAll();
    },
  };
  return signal;
}

/** One process owns the database (SQLite): announcements never leave it. */
export function createLocalFileSettled(): FileSettledSignal {
  return localSignal();
}

const RECONNECT_MS = [250, 1000, 5000];

/**
 * PostgreSQL: announcements are NOTIFY on `FILE_SETTLED_CHANNEL` (sent through `notify`, the pool), and one
 * connection of this process LISTENs. While that connection is down announcements may be missed, so every waiter
 * is woken when it comes back: each reads its file again and waits on if nothing changed.
 */
export async function createSharedFileSettled(opts: {
  connect: () => Promise<pg.Client>;
  notify: (channel: string, payload: string) => Promise<void>;
  log: Logger;
}): Promise<FileSettledSignal> {
  // A lost NOTIFY costs a waiter at most its N seconds (it then reads the state as it is); it never fails the job.
  const local = localSignal((fileId) =>
    opts.notify(FILE_SETTLED_CHANNEL, fileId).catch((error: unknown) => opts.log.error(`file wait: NOTIFY failed: ${error instanceof Error ? error.message : String(error)}`)),
  );
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const listen = async () => {
    const next = await opts.connect();
    next.on('notification', (message) => {
      if (message.channel === FILE_SETTLED_CHANNEL && message.payload) local.wakeFile(message.payload, 'announced');
    });
    next.on('error', (error) => {
      opts.log.error(`file wait listener: ${error.message}; reconnecting`);
      void next.end().catch(() => {});
      if (client === next) reconnect(0);
    });
    // The server may also close the connection without an error (a restart, an idle timeout).
    next.on('end', () => {
      if (client === next) reconnect(0);
    });
    try {
      await next.query(`LISTEN ${FILE_SETTLED_CHANNEL}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    if (closed) {
      await next.end();
      return;
    }
    client = next;
  };

  const reconnect = (attempt: number) => {
    client = null;
    if (closed) return;
    retry = setTimeout(() => {
      listen().then(
        () => local.wakeAll(),
        (error: unknown) => {
          opts.log.error(`file wait listener: ${error instanceof Error ? error.message : String(error)}`);
          reconnect(attempt + 1);
        },
      );
    }, RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)]);
    retry.unref();
  };

  await listen();
  return {
    announce: local.announce,
    wait: local.wait,
    waiting: local.waiting,
    async close() {
      closed = true;
      clearTimeout(retry);
      await local.close();
      await client?.end().catch(() => {});
      client = null;
    },
  };
}
