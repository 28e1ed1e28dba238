// AVATAR_ORIGINALS_RETENTION_DAYS: an upload's original is needed only to crop it again, which only the avatar can
// be. Once an upload has not been the avatar for that many days (counted from its upload, or from when it last
// stopped being the avatar: files.retention_from), its original is deleted; its variants stay, so it can still be
// listed and set as the avatar again, but a recrop then answers 409 AVATAR_NOT_RECROPPABLE.
import type { Deps } from '../deps.ts';
import { scheduleObjectDeletion } from '../avatars/avatar-state.ts';
import { lockUser } from '../people/user-lock.ts';
import { objectKeys } from '../storage/index.ts';
import { avatarFiles } from './file-list.ts';

const DAY = 24 * 3600;
/** Originals looked at per pass; the rest in the next passes. */
const BATCH = 500;

/** Deletes the originals whose time is up (through the garbage table: their objects go in the sweep right after). */
export async function deleteExpiredOriginals(deps: Deps): Promise<number> {
  const days = deps.config.originalsRetentionDays;
  if (days === null) return 0;
  const cutoff = deps.clock() - days * DAY;
  const due = await deps.db
    .selectFrom('files')
    .select(['id', 'owner_id'])
    .where('retention_from', '<=', cutoff)
    .where('received', '=', 1)
    .where('state', 'in', ['ready', 'awaiting_upload'])
    .orderBy('retention_from')
    .limit(BATCH)
    .execute();
  let deleted = 0;
  for (const file of due) {
    const done = await deps.db.transaction().execute(async (trx) => {
      await lockUser(trx, file.owner_id);
      const now = deps.clock();
      // Read again in the user's turn: it may have become the avatar (or its request) meanwhile.
      const avatar = await avatarFiles(trx, file.owner_id);
      // The avatar's retention_from is null already; a photo becoming it is looked at again in the next pass.
      if (avatar.current === file.id || avatar.requested === file.id) return false;
      const marked = await trx
        .updateTable('files')
        .set({ original_deleted_at: now, retention_from: null })
        .where('id', '=', file.id)
        .where('retention_from', '<=', cutoff)
        .executeTakeFirst();
      if (marked.numUpdatedRows === 0n) return false;
      await scheduleObjectDeletion(trx, deps, objectKeys.original(file.id), now, 0);
      return true;
    });
    if (done) deleted++;
  }
  if (deleted) deps.log.debug(`retention: ${deleted} original(s) deleted after ${days} day(s) without being the avatar`);
  return deleted;
}
