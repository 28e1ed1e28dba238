// Group commit: small writes that come in together share one transaction. A write asked for while another batch
// is being written, or in the same turn of the event loop as others, waits for the batch after it, so under load
// many writes pay for one commit (on SQLite a commit costs several times an indexed single-row update), and a
// lone write goes at once, in a transaction of its own, as it would have. Each caller's promise settles when its
// own write is committed (or has failed), so nothing that must follow a write can run before it is durable.
import type { Transaction } from 'kysely';
import type { Db } from './index.ts';
import type { Database } from './schema.ts';

export type GroupWrite = (db: Db | Transaction<Database>) => Promise<unknown>;

interface Queued {
  write: GroupWrite;
  resolve(): void;
  reject(error: unknown): void;
}

/** `commit(write)` runs `write` together with the others asked for meanwhile; resolves once it is committed. */
export function createGroupCommit(db: Db) {
  let queue: Queued[] = [];
  let scheduled = false;
  let writing = false;

  /** Runs every write alone: a batch that failed, so that each write gets its own outcome. */
  async function oneByOne(batch: Queued[]) {
    for (const queued of batch) await queued.write(db).then(queued.resolve, queued.reject);
  }

  async function flush() {
    scheduled = false;
    writing = true;
    const batch = queue;
    queue = [];
    try {
      if (batch.length === 1) await oneByOne(batch);
      else {
        const committed = await db
          .transaction()
          .execute(async (trx) => {
            for (const { write } of batch) await write(trx);
          })
          .then(
            () => true,
            () => false,
          );
        if (committed) batch.forEach((queued) => queued.resolve());
        else await oneByOne(batch);
      }
    } finally {
      writing = false;
      if (queue.length > 0) schedule();
    }
  }

  function schedule() {
    if (scheduled || writing) return;
    scheduled = true;
    // After the I/O callbacks of this turn: answers that arrived together are written together.
    setImmediate(() => void flush());
  }

  return (write: GroupWrite) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ write, resolve, reject });
      schedule();
    });
}
