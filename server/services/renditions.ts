// A rendition is one crop of a file plus its variants. Creating one always queues its render job.
import { sql, type Transaction } from 'kysely';
import type { Deps } from '../context.ts';
import type { Database } from '../db/schema.ts';
import { newId } from '../ids.ts';
import type { Crop } from '../images/pipeline.ts';
import { requestAvatar } from './avatar-state.ts';

/**
 * Inserts a rendition and its job in the caller's transaction; call deps.jobs.kick() after commit.
 * `seq` orders renditions by creation, so a slow older recrop can never replace a newer one.
 */
export async function queueRendition(trx: Transaction<Database>, deps: Deps, fileId: string, crop: Crop | null, requestFor: string | null, now: number) {
  const id = newId('r');
  await trx
    .insertInto('renditions')
    .values({
      id,
      file_id: fileId,
      // SQLite has one writer, so max+1 inside the transaction is unique. PostgreSQL will use a sequence.
      seq: sql<number>`(select coalesce(max(seq), 0) + 1 from renditions)`,
      crop_x: crop?.x ?? null,
      crop_y: crop?.y ?? null,
      crop_w: crop?.w ?? null,
      crop_h: crop?.h ?? null,
      state: 'processing',
      created_at: now,
    })
    .execute();
  if (requestFor) await requestAvatar(trx, requestFor, id);
  await deps.jobs.enqueue(trx, id, now);
  return id;
}
