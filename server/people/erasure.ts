// DELETE /v1/admin/users/{user_id}: erases everything of a user — every row that names them and every object of
// theirs — and tells the host (user.deleted). In three steps, each safe to repeat, so an erasure cut off anywhere (a
// crash, a kill -9) is finished by running it again:
//  1. Refuse the user's writes (the erasures row), so a request that began before the erasure and writes after it
//     (an upload's bytes still arriving, a render finishing) cannot bring rows back.
//  2. In one transaction: schedule every object of theirs as garbage tagged with this erasure, delete every row, and
//     record user.deleted.
//  3. Delete the tagged objects now. Their garbage rows stay until the refusal ends, when the sweep deletes the same
//     objects again: anything a write already under way stored meanwhile (an S3 presigned PUT cannot be revoked
//     before its URL expires) goes then.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { createLimiter } from '../images/limiter.ts';
import { deleteGarbageObjects, renditionIdOf } from '../renditions/cleanup.ts';
import { renditionUrlPrefix } from '../http/urls.ts';
import { objectKeys } from '../storage/index.ts';
import { forgetUserEvents, recordEvent, USER_DELETED } from '../webhooks/outbox.ts';
import { lockUser, userKey } from './user-lock.ts';

type Trx = Transaction<Database>;

/** Garbage rows inserted per statement (3 values each: far below SQLite's limit on parameters). */
const BATCH = 500;
/** Object deletions at once (each is a round trip with S3). */
const DELETIONS_AT_ONCE = 8;

/**
 * How long an erased user's writes are refused: as long as a write that began before the erasure may still land.
 * An upload URL handed out just before stays valid uploadUrlTtlSeconds (plus a PUT under way at its expiry, or a
 * one-request upload's body: at most the grace period, as long as Node lets a request run); a render attempt
 * runs at most twice the processing timeout.
 */
export const refusalSeconds = (deps: Deps) => deps.config.uploadUrlTtlSeconds + 2 * deps.config.processingTimeoutSeconds + deps.config.cleanupGraceSeconds;

export interface ErasureOutcome {
  /** Rows deleted by this run (0 when a previous run had deleted them all). */
  rows: number;
  /**
   * Where the user's public images were served from (URL prefixes, each a rendition's): what a CDN in front of the
   * bucket (or of /cdn) may still hold and should purge. A repeat during the refusal lists them again.
   */
  purgeUrlPrefixes: string[];
}

export async function eraseUser(deps: Deps, userId: string): Promise<ErasureOutcome> {
  const key = userKey(userId);
  const started = deps.clock();
  const refuseUntil = started + refusalSeconds(deps);
  await deps.db.transaction().execute(async (trx) => {
    await lockUser(trx, userId);
    await trx
      .insertInto('erasures')
      .values({ user_key: key, started_at: started, refuse_until: refuseUntil })
      .onConflict((oc) => oc.column('user_key').doUpdateSet({ refuse_until: refuseUntil }))
      .execute();
  });
  deps.log.debug(`erasure started ${key}`);
  const rows = await deps.db.transaction().execute((trx) => deleteRows(trx, deps, userId, key, refuseUntil));
  deps.variantAccess.forget(); // /cdn stops serving their variants now, not when its cache expires
  await Promise.all([deps.uploadLimiter.forget(userId), deps.changeLimiter.forget(userId)]);
  deps.log.debug(`erasure rows deleted ${key} ${rows}`);
  deps.webhooks.kick();
  const tagged = await deleteTaggedObjects(deps, key);
  deps.log.debug(`erasure finished ${key} ${tagged.length}`);
  const renditions = tagged.flatMap((prefix) => renditionIdOf(prefix) ?? []);
  return { rows, purgeUrlPrefixes: renditions.map((renditionId) => renditionUrlPrefix(deps, renditionId)) };
}

/** Step 2: the objects become garbage of this erasure, the rows go, user.deleted is recorded if anything went. */
async function deleteRows(trx: Trx, deps: Deps, userId: string, key: string, refuseUntil: number): Promise<number> {
  await lockUser(trx, userId);
  const files = trx.selectFrom('files').select('id').where('owner_id', '=', userId);
  const renditions = trx
    .selectFrom('renditions')
    .select('id')
    .where((eb) => eb.or([eb('owner_id', '=', userId), eb('file_id', 'in', files)]));
  const prefixes = [
    ...(await renditions.execute()).map((r) => objectKeys.renditionPrefix(r.id)),
    ...(await files.execute()).map((f) => objectKeys.original(f.id)),
  ];
  for (let i = 0; i < prefixes.length; i += BATCH) {
    await trx
      .insertInto('garbage')
      .values(prefixes.slice(i, i + BATCH).map((prefix) => ({ prefix, delete_after: refuseUntil, erasure: key })))
      .onConflict((oc) => oc.column('prefix').doUpdateSet((eb) => ({ delete_after: eb.ref('excluded.delete_after'), erasure: eb.ref('excluded.erasure') })))
      .execute();
  }
  // Children before parents (variants → renditions → files), as the garbage sweep deletes them.
  const counts = [
    await trx.deleteFrom('variants').where('rendition_id', 'in', renditions).executeTakeFirst(),
    await trx.deleteFrom('jobs').where((eb) => eb.or([eb('owner_id', '=', userId), eb('rendition_id', 'in', renditions)])).executeTakeFirst(),
    await trx.deleteFrom('renditions').where('id', 'in', renditions).executeTakeFirst(),
    await trx.deleteFrom('emotes').where('owner_id', '=', userId).executeTakeFirst(),
    await trx.deleteFrom('upload_reservations').where('file_id', 'in', files).executeTakeFirst(),
    await trx.deleteFrom('files').where('owner_id', '=', userId).executeTakeFirst(),
    await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst(),
    await trx.deleteFrom('editor_sessions').where('user_id', '=', userId).executeTakeFirst(),
  ];
  await forgetUserEvents(trx, userId);
  const rows = counts.reduce((sum, result) => sum + Number(result.numDeletedRows), 0);
  // Told once: a repeat finds nothing left and stays quiet.
  if (rows > 0) await recordEvent(trx, deps.clock(), USER_DELETED, { user_id: userId });
  return rows;
}

/** Step 3: deletes the objects of every garbage row this erasure tagged (the rows stay for the second pass); returns their prefixes. */
async function deleteTaggedObjects(deps: Deps, key: string): Promise<string[]> {
  const tagged = (await deps.db.selectFrom('garbage').select('prefix').where('erasure', '=', key).orderBy('prefix').execute()).map((row) => row.prefix);
  const limit = createLimiter(DELETIONS_AT_ONCE);
  await Promise.all(tagged.map((prefix) => limit(() => deleteGarbageObjects(deps, prefix))));
  return tagged;
}
