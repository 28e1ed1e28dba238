// Deletes superseded renditions (and failed uploads' originals) once their grace period is over: rows first
// (in one transaction), then objects.
// The garbage row stays until the objects are gone, so a crash in between is finished by the next sweep.
// Also deletes uploads that never got their bytes (with their emotes), once their URL is long expired.
import { isPostgres, runAlone } from '../db/dialect.ts';
import type { FileRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { purgeTrash } from '../emotes/service.ts';
import { objectKeys } from '../storage/index.ts';
import { expireErasures } from '../people/user-lock.ts';
import { deleteExpiredOriginals } from '../uploads/original-retention.ts';
import { FINISHED_JOB_RETENTION_SECONDS, purgeFinishedJobs } from '../work/job-queue.ts';
import { purgeDeliveredErasures } from '../webhooks/outbox.ts';
import { receivedInBucket } from '../uploads/service.ts';

/** The rendition a garbage row names, or null for a row naming another prefix or one object. */
export const renditionIdOf = (prefix: string) => /^variants\/([^/]+)\/$/.exec(prefix)?.[1] ?? null;

/**
 * Sweeps every due garbage row. One the storage will not delete (down, or refusing the call) stays for the next
 * sweep without holding up the others; one line per sweep says how many, and why for the first.
 */
export async function sweepGarbage(deps: Deps): Promise<number> {
  const due = await deps.db.selectFrom('garbage').selectAll().where('delete_after', '<=', deps.clock()).execute();
  const failures: unknown[] = [];
  for (const { prefix } of due) {
    await sweepOne(deps, prefix).catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) {
    const first = failures[0] instanceof Error ? failures[0].message : String(failures[0]);
    deps.log.error(`cleanup: ${failures.length} of ${due.length} due deletion(s) failed and will be tried again; the first: ${first}`);
  }
  return due.length - failures.length;
}

async function sweepOne(deps: Deps, prefix: string) {
  const renditionId = renditionIdOf(prefix);
  if (renditionId) {
    const inUse = await deps.db.selectFrom('users').select('id').where('avatar_rendition_id', '=', renditionId).executeTakeFirst();
    if (inUse) {
      // Still someone's avatar (its replacement has not been promoted): look again after another grace period.
      await deps.db.updateTable('garbage').set({ delete_after: deps.clock() + deps.config.cleanupGraceSeconds }).where('prefix', '=', prefix).execute();
      return;
    }
    await deps.db.transaction().execute(async (trx) => {
      const rendition = await trx.selectFrom('renditions').select('file_id').where('id', '=', renditionId).executeTakeFirst();
      await trx.deleteFrom('variants').where('rendition_id', '=', renditionId).execute();
      await trx.deleteFrom('renditions').where('id', '=', renditionId).execute();
      // A purged emote's file, and a file its owner deleted, go with their last rendition.
      if (rendition?.file_id) {
        await trx
          .deleteFrom('files')
          .where('id', '=', rendition.file_id)
          .where((eb) =>
            eb.or([
              eb('deleted_at', 'is not', null),
              eb.and([eb('upload_type', '=', 'emote'), eb.not(eb.exists(eb.selectFrom('emotes').select('id').where('emotes.file_id', '=', rendition.file_id)))]),
            ]),
          )
          .where((eb) => eb.not(eb.exists(eb.selectFrom('renditions').select('id').where('renditions.file_id', '=', rendition.file_id))))
          .execute();
      }
    });
  }
  deps.variantAccess.forget(); // /cdn must stop serving these keys now, not when its cache expires
  await deleteGarbageObjects(deps, prefix);
  await deps.db.deleteFrom('garbage').where('prefix', '=', prefix).execute();
}

/**
 * Deletes the objects a garbage row names: a rendition's (its variants, public and private), those under another
 * prefix (ending in '/'), or one object (an original, a variant moved to the other access).
 */
export async function deleteGarbageObjects(deps: Deps, prefix: string): Promise<void> {
  const renditionId = renditionIdOf(prefix);
  if (renditionId) for (const objects of objectKeys.renditionPrefixes(renditionId)) await deps.storage.deletePrefix(objects);
  else if (prefix.endsWith('/')) await deps.storage.deletePrefix(prefix);
  // A variant moved back (an emote made public, private and public again) is in use: it stays.
  else if (!(await deps.db.selectFrom('variants').select('key').where('key', '=', prefix).executeTakeFirst())) await deps.storage.delete(prefix);
}

/**
 * Bytes PUT straight to the storage (a bucket's presigned PUT) are only recorded by `complete`: ask the storage
 * before taking an upload for unsent, and record what is there (as `complete` would), so it is asked once. Bytes
 * that do not match the upload are deleted by the check, and the upload counts as never sent.
 */
async function sentToBucket(deps: Deps, file: FileRow): Promise<boolean> {
  if (!deps.storage.capabilities.presignedPut) return false;
  return receivedInBucket(deps, file).catch(() => false);
}

/**
 * Deletes uploads created and never sent (an emote's, a photo's, an upload link's): their URL expired more
 * than the grace period ago, no bytes arrived, none are arriving. Without this an abandoned emote upload
 * would hold its quota and its shortcode for ever. The grace period (AVATAR_CLEANUP_GRACE_SECONDS, 300 s
 * by default: as long as Node lets a request run) outlasts a PUT that began just before the URL expired.
 * An upload whose bytes arrived but which was never completed stays: `complete` has no deadline.
 */
export async function sweepAbandonedUploads(deps: Deps): Promise<number> {
  // Every upload URL (presigned PUT and upload link alike) expires uploadUrlTtlSeconds after its file was made.
  const cutoff = deps.clock() - deps.config.uploadUrlTtlSeconds - deps.config.cleanupGraceSeconds;
  const candidates = await deps.db
    .selectFrom('files')
    .selectAll()
    .where('state', '=', 'awaiting_upload')
    .where('received', '=', 0)
    .where('created_at', '<', cutoff)
    .orderBy('created_at')
    .limit(1000) // the rest in the next passes
    .execute();
  let swept = 0;
  for (const file of candidates) {
    if ((await deps.uploadReservations.writing(file.id)) || (await sentToBucket(deps, file))) continue;
    const gone = await deps.db.transaction().execute(async (trx) => {
      // Locked, so bytes arriving right now (a PUT marking it received) wait for this and then find no file.
      let still = trx.selectFrom('files').select('id').where('id', '=', file.id).where('state', '=', 'awaiting_upload').where('received', '=', 0);
      if (isPostgres(trx)) still = still.forUpdate();
      if (!(await still.executeTakeFirst())) return false;
      await trx.deleteFrom('emotes').where('file_id', '=', file.id).execute();
      await trx.deleteFrom('files').where('id', '=', file.id).execute();
      // Normally there is no object; a write cut off by a crash may have left one. The garbage sweep after this deletes it.
      await trx.insertInto('garbage').values({ prefix: objectKeys.original(file.id), delete_after: deps.clock() }).onConflict((oc) => oc.column('prefix').doNothing()).execute();
      return true;
    });
    if (gone) swept++;
  }
  if (swept) deps.log.debug(`cleanup: deleted ${swept} upload(s) never sent`);
  return swept;
}

/** A temp file not written to for this long belongs to an upload that died (requests time out well before). */
export const STALE_TEMP_MS = 15 * 60 * 1000;

/**
 * Purges the emote trash and uploads never sent, deletes originals past their retention, sweeps garbage and stale temp
 * files, ends erased users' refusals, forgets delivered user.deleted events and jobs finished more than
 * FINISHED_JOB_RETENTION_SECONDS ago, now and then every `intervalSeconds`; the
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
    // Purging the trash and abandoned uploads schedules objects as garbage; the sweep right after deletes those already due.
    await purgeTrash(deps);
    await sweepAbandonedUploads(deps);
    await deleteExpiredOriginals(deps);
    await sweepGarbage(deps);
    await expireErasures(deps.db, deps.clock());
    await purgeDeliveredErasures(deps.db);
    const purgedJobs = await purgeFinishedJobs(deps.db, deps.clock() - FINISHED_JOB_RETENTION_SECONDS);
    if (purgedJobs) deps.log.debug(`cleanup: deleted ${purgedJobs} finished job(s)`);
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
