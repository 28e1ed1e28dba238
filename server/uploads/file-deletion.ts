// DELETE /v1/files/{file_id}: a person deletes one of their uploads. It is gone for them at once (404 from then on,
// no longer listed); its objects (the original, every rendition's variants) go after the grace period, as a replaced
// avatar's do, so URLs already handed out keep working that long, and its rows go with them (the garbage sweep).
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { lockUser } from '../people/user-lock.ts';
import { scheduleGarbage, scheduleObjectDeletion } from '../avatars/avatar-state.ts';
import { objectKeys } from '../storage/index.ts';
import { avatarFiles } from './file-list.ts';
import { ownedFile } from './files.ts';

export async function deleteFile(deps: Deps, userId: string, fileId: string) {
  const file = await ownedFile(deps, userId, fileId);
  if (file.upload_type !== 'profile_pic') throw new ApiError('FILE_NOT_PROFILE_PIC', 'This file is an emote: delete it with DELETE /v1/emotes/{id}');
  await deps.changeLimiter.hit(userId, deps.clock());
  await deps.db.transaction().execute(async (trx) => {
    await lockUser(trx, userId);
    const now = deps.clock();
    const current = await trx.selectFrom('files').select(['deleted_at']).where('id', '=', fileId).executeTakeFirst();
    if (!current || current.deleted_at !== null) throw new ApiError('FILE_NOT_FOUND', 'No such file');
    const avatar = await avatarFiles(trx, userId);
    if (avatar.current === fileId || avatar.requested === fileId) {
      throw new ApiError('FILE_IN_USE', 'This photo is your avatar (or is becoming it); choose another avatar, or remove it, first');
    }
    const renditions = await trx.selectFrom('renditions').select('id').where('file_id', '=', fileId).execute();
    for (const { id } of renditions) await scheduleGarbage(trx, deps, id, now);
    // Bytes may still arrive for an upload never sent (an S3 URL stays valid until it expires): the original's
    // deletion waits for that too.
    const grace = file.received ? deps.config.cleanupGraceSeconds : deps.config.uploadUrlTtlSeconds + deps.config.cleanupGraceSeconds;
    await scheduleObjectDeletion(trx, deps, objectKeys.original(fileId), now, grace);
    // A file with renditions goes with the last of them (the sweep); one without has nothing to wait for.
    if (renditions.length === 0) await trx.deleteFrom('files').where('id', '=', fileId).execute();
    else await trx.updateTable('files').set({ deleted_at: now, retention_from: null, updated_at: now }).where('id', '=', fileId).execute();
  });
}
