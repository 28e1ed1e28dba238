// Deletes superseded renditions (and failed uploads' originals) once their grace period is over: rows first
// (in one transaction), then objects.
// The garbage row stays until the objects are gone, so a crash in between is finished by the next sweep.
import type { Deps } from '../context.ts';
import { isPostgres, runAlone } from '../db/dialect.ts';
import { forgetVariantAccess, purgeTrash } from './emotes.ts';

const renditionIdOf = (prefix: string) => /^variants\/([^/]+)\/$/.exec(prefix)?.[1] ?? null;

export async function sweepGarbage(deps: Deps): Promise<number> {
  const due = await deps.db.selectFrom('garbage').selectAll().where('delete_after', '<=', deps.clock()).execute();
  for (const { prefix } of due) {
    const renditionId = renditionIdOf(prefix);
    if (renditionId) {
      const inUse = await deps.db.selectFrom('users').select('id').where('avatar_rendition_id', '=', renditionId).executeTakeFirst();
      if (inUse) {
        // Still someone's avatar (its replacement has not been promoted): look again after another grace period.
        await deps.db.updateTable('garbage').set({ delete_after: deps.clock() + deps.config.cleanupGraceSeconds }).where('prefix', '=', prefix).execute();
        continue;
      }
      await deps.db.transaction().execute(async (trx) => {
        const rendition = await trx.selectFrom('renditions').select('file_id').where('id', '=', renditionId).executeTakeFirst();
        await trx.deleteFrom('variants').where('rendition_id', '=', renditionId).execute();
        await trx.deleteFrom('renditions').where('id', '=', renditionId).execute();
        // A purged emote's file goes with its last rendition.
        if (rendition) {
          await trx
            .deleteFrom('files')
            .where('id', '=', rendition.file_id)
            .where('upload_type', '=', 'emote')
            .where((eb) => eb.not(eb.exists(eb.selectFrom('emotes').select('id').where('emotes.file_id', '=', rendition.file_id))))
            .where((eb) => eb.not(eb.exists(eb.selectFrom('renditions').select('id').where('renditions.file_id', '=', rendition.file_id))))
            .execute();
        }
      });
    }
    forgetVariantAccess(); // /cdn must stop serving these keys now, not when its cache expires
    // A row names a prefix (a rendition's variants, ending in '/') or one object (a failed upload's original).
    if (prefix.endsWith('/')) await deps.storage.deletePrefix(prefix);
    else await deps.storage.delete(prefix);
    await deps.db.deleteFrom('garbage').where('prefix', '=', prefix).execute();
  }
  return due.length;
}

/** A temp file not written to for this long belongs to an upload that died (requests time out well before). */
export const STALE_TEMP_MS = 15 * 60 * 1000;

/**
 * Purges the emote trash, sweeps garbage and stale temp files now and then every `intervalSeconds`; the
 * timer never keeps the process alive. With SQLite, the first pass removes every temp file older than this
 * process: the file is its alone, so none of its writes can have started before it did, and older ones are
 * leftovers of a process that was killed. Processes sharing PostgreSQL may share a folder too, so there only
 * temp files untouched for STALE_TEMP_MS are removed, and one process at a time sweeps (an advisory lock).
 */
export function startGarbageSweeper(deps: Deps, intervalSeconds: number): () => void {
  let running: Promise<unknown> = Promise.resolve();
  const shared = isPostgres(deps.db);
  let tempBefore = shared ? Date.now() - STALE_TEMP_MS : performance.timeOrigin;
  const sweep = async () => {
    // Purging the trash schedules objects as garbage; the sweep right after deletes those already due.
    await purgeTrash(deps);
    await sweepGarbage(deps);
    await deps.storage.removeStaleTemp(tempBefore);
    tempBefore = Date.now() - STALE_TEMP_MS;
  };
  const tick = () => {
    running = runAlone(deps.db, 'avatar-server:sweeper', sweep).catch((e: unknown) => deps.log.error(`cleanup: ${e instanceof Error ? e.message : String(e)}`));
  };
  tick();
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    return running;
  };
}
