// Transitions of a user's avatar pointer. Every change bumps the version, so clients can tell avatars apart.
import { sql, type Expression, type SqlBool, type Transaction } from 'kysely';
import type { Deps } from '../deps.ts';
import type { Database } from '../db/schema.ts';
import { beginUserWrite, lockUser } from '../people/user-lock.ts';
import { objectKeys } from '../storage/index.ts';

type Trx = Transaction<Database>;

/**
 * Every change of a user's avatar pointers runs through here first: they are read and then written, so on
 * PostgreSQL the user's changes (an upload's request, a job's promotion) take turns (people/user-lock.ts). A user
 * being erased gets no row again (409 USER_ERASED).
 */
async function ensureUser(trx: Trx, userId: string, now: number) {
  await beginUserWrite(trx, userId, now);
  await trx
    .insertInto('users')
    .values({ id: userId, avatar_rendition_id: null, avatar_version: 0, avatar_updated_at: null, requested_rendition_id: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Records that `renditionId` should become the avatar once ready; a newer request overrides an older one. */
export async function requestAvatar(trx: Trx, userId: string, renditionId: string, now: number) {
  await ensureUser(trx, userId, now);
  await trx.updateTable('users').set({ requested_rendition_id: renditionId }).where('id', '=', userId).execute();
}

/** The file of a rendition (null for a cartoon, or none). */
async function fileOf(trx: Trx, renditionId: string | null): Promise<string | null> {
  if (renditionId === null) return null;
  const rendition = await trx.selectFrom('renditions').select('file_id').where('id', '=', renditionId).executeTakeFirst();
  return rendition?.file_id ?? null;
}

/**
 * Points the avatar at a ready rendition now (and drops any pending request). A photo it replaces starts its
 * originals retention (AVATAR_ORIGINALS_RETENTION_DAYS) now; the new one's stops. Cartoons have no file to be set
 * again from: the user's most recent ones are kept to go back to, older ones go after the grace period.
 */
export async function setAvatar(trx: Trx, deps: Deps, userId: string, renditionId: string | null, now: number) {
  await ensureUser(trx, userId, now);
  const previous = await trx
    .selectFrom('users')
    .innerJoin('renditions', 'renditions.id', 'users.avatar_rendition_id')
    .select(['renditions.id', 'renditions.config', 'renditions.file_id'])
    .where('users.id', '=', userId)
    .executeTakeFirst();
  await trx
    .updateTable('users')
    .set((eb) => ({
      avatar_rendition_id: renditionId,
      requested_rendition_id: null,
      avatar_version: eb('avatar_version', '+', 1),
      avatar_updated_at: now,
    }))
    .where('id', '=', userId)
    .execute();
  const fileId = await fileOf(trx, renditionId);
  if (fileId !== null) await trx.updateTable('files').set({ retention_from: null }).where('id', '=', fileId).execute();
  if (previous?.file_id && previous.file_id !== fileId) {
    await trx.updateTable('files').set({ retention_from: now }).where('id', '=', previous.file_id).where('original_deleted_at', 'is', null).execute();
  }
  if (previous?.config != null && previous.id !== renditionId) await keepRecentCartoons(trx, deps, userId, now);
}

/** Whether `renditionId` is still the user's newest avatar request (taking the user's turn: see ensureUser). */
export async function isRequested(trx: Trx, userId: string, renditionId: string): Promise<boolean> {
  await lockUser(trx, userId);
  const user = await trx.selectFrom('users').select('requested_rendition_id').where('id', '=', userId).executeTakeFirst();
  return user?.requested_rendition_id === renditionId;
}

/** Called when a rendition becomes ready: it is promoted only if it is still the newest request. */
export async function promoteIfRequested(trx: Trx, deps: Deps, userId: string, renditionId: string, now: number) {
  if (await isRequested(trx, userId, renditionId)) await setAvatar(trx, deps, userId, renditionId, now);
}

/** Drops a request that will not become ready (a newer one, if any, stands). */
export async function withdrawRequest(deps: Deps, userId: string, renditionId: string) {
  await deps.db.updateTable('users').set({ requested_rendition_id: null }).where('id', '=', userId).where('requested_rendition_id', '=', renditionId).execute();
}

/** Queues a rendition's objects and rows for deletion after the grace period, so URLs already handed out keep working a while. */
export async function scheduleGarbage(trx: Trx, deps: Deps, renditionId: string, now: number) {
  await trx
    .insertInto('garbage')
    .values({ prefix: objectKeys.renditionPrefix(renditionId), delete_after: now + deps.config.cleanupGraceSeconds })
    .onConflict((oc) => oc.column('prefix').doNothing())
    .execute();
}

/** Queues one object (a failed upload's original, a moved variant) for deletion after the grace period (or `graceSeconds`). */
export async function scheduleObjectDeletion(trx: Trx, deps: Deps, key: string, now: number, graceSeconds = deps.config.cleanupGraceSeconds) {
  await trx
    .insertInto('garbage')
    .values({ prefix: key, delete_after: now + graceSeconds })
    .onConflict((oc) => oc.column('prefix').doNothing())
    .execute();
}

/** Cartoons kept per user to go back to (the widget's Recent list shows up to this many avatars). */
export const RECENT_CARTOONS = 6;

/** The garbage prefix of a rendition (objectKeys.renditionPrefix) as text before and after its id, for SQL. */
const [BEFORE_ID, AFTER_ID] = objectKeys.renditionPrefix('\0').split('\0') as [string, string];

/** A rendition not yet scheduled for deletion (the garbage sweep takes its rows with its objects). */
const notDiscarded = (id: Expression<string>): Expression<SqlBool> =>
  sql<SqlBool>`not exists (select 1 from garbage where garbage.prefix = ${sql.lit(BEFORE_ID)} || ${id} || ${sql.lit(AFTER_ID)})`;

/** The user's kept cartoons (ready, not scheduled for deletion), most recent first. */
export function keptCartoons(db: Deps['db'] | Trx, userId: string) {
  return db
    .selectFrom('renditions')
    .selectAll()
    .where('owner_id', '=', userId)
    .where('config', 'is not', null)
    .where('state', '=', 'ready')
    .where((eb) => notDiscarded(eb.ref('renditions.id')))
    .orderBy('seq', 'desc');
}

/**
 * After the avatar changed: the user's cartoons beyond the RECENT_CARTOONS most recent (never the avatar) go after
 * the grace period. A cartoon has no file to be set again from: the kept ones are what the user can go back to.
 */
async function keepRecentCartoons(trx: Trx, deps: Deps, userId: string, now: number) {
  const user = await trx.selectFrom('users').select('avatar_rendition_id').where('id', '=', userId).executeTakeFirst();
  const kept = await keptCartoons(trx, userId).execute();
  for (const cartoon of kept.slice(RECENT_CARTOONS)) {
    if (cartoon.id !== user?.avatar_rendition_id) await scheduleGarbage(trx, deps, cartoon.id, now);
  }
}
