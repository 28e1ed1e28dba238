// Where an emote's variant objects live follows its visibility (objectKeys: variants/ public, private/ not), so a
// bucket or CDN that exposes variants/ never exposes a private emote, nor one in the trash. A change of visibility
// (public flag, trash, restore) moves the objects.
import type { Deps } from '../deps.ts';
import type { FileRow } from '../db/schema.ts';
import { objectKeys, visibilityOfKey, type VariantVisibility } from '../storage/index.ts';
import { scheduleObjectDeletion } from '../avatars/avatar-state.ts';
import { IMMUTABLE } from '../renditions/service.ts';

/** Readable by anyone: public and not in the trash. */
export const visibilityOfEmote = (emote: { public: number; deleted_at: number | null }): VariantVisibility =>
  emote.public && emote.deleted_at === null ? 'public' : 'private';

/** The visibility new variants of this file get: an emote's, else (an avatar) public. */
export async function visibilityOfFile(deps: Deps, file: Pick<FileRow, 'id' | 'upload_type'>): Promise<VariantVisibility> {
  if (file.upload_type !== 'emote') return 'public';
  const emote = await deps.db.selectFrom('emotes').select(['public', 'deleted_at']).where('file_id', '=', file.id).executeTakeFirst();
  return emote ? visibilityOfEmote(emote) : 'public';
}

/**
 * Moves the current variants of an emote's file to the prefix its visibility asks for: copy, re-point the row,
 * then the old object goes — at once when it was public (it must stop being readable), after the grace period
 * when it was private (signed URLs already handed out keep working until then). Idempotent; repeated until what
 * it read is what is stored, so a visibility changed again meanwhile (here or on another process) is followed.
 * Returns whether anything moved.
 */
export async function placeEmoteVariants(deps: Deps, fileId: string): Promise<boolean> {
  let movedAny = false;
  for (let round = 0; round < 3; round++) {
    const rows = await deps.db
      .selectFrom('emotes')
      .innerJoin('files', 'files.id', 'emotes.file_id')
      .innerJoin('variants', 'variants.rendition_id', 'files.rendition_id')
      .select(['emotes.public', 'emotes.deleted_at', 'variants.rendition_id', 'variants.size', 'variants.format', 'variants.key', 'variants.content_type'])
      .where('emotes.file_id', '=', fileId)
      .execute();
    const misplaced = rows.filter((row) => visibilityOfKey(row.key) !== visibilityOfEmote(row));
    if (misplaced.length === 0) break;
    for (const row of misplaced) {
      const visibility = visibilityOfEmote(row);
      const target = objectKeys.withVisibility(row.key, visibility);
      const bytes = await deps.storage.getBytes(row.key);
      if (!bytes) continue; // moved (and deleted) by a concurrent call: the next round re-reads
      await deps.storage.put(target, bytes, { contentType: row.content_type, cacheControl: IMMUTABLE });
      const now = deps.clock();
      const moved = await deps.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('variants')
          .set({ key: target })
          .where('rendition_id', '=', row.rendition_id)
          .where('size', '=', row.size)
          .where('format', '=', row.format)
          .where('key', '=', row.key)
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) return false;
        // The target may be due for deletion from an earlier move the other way: it is in use again.
        await trx.deleteFrom('garbage').where('prefix', '=', target).execute();
        // A row first, so a crash before the delete below still ends with the object gone.
        await scheduleObjectDeletion(trx, deps, row.key, now, visibility === 'private' ? 0 : deps.config.cleanupGraceSeconds);
        return true;
      });
      if (moved && visibility === 'private') await deps.storage.delete(row.key);
      movedAny ||= moved;
    }
  }
  return movedAny;
}
