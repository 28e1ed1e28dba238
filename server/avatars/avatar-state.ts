// Transitions of a user's avatar pointer. Every change bumps the version, so clients can tell avatars apart.
import type { Transaction } from 'kysely';
import type { Deps } from '../deps.ts';
import { serializeOn } from '../db/dialect.ts';
import type { Database } from '../db/schema.ts';
import { objectKeys } from '../storage/index.ts';

type Trx = Transaction<Database>;

/**
 * Every change of a user's avatar pointers runs through here first: they are read and then written, so on
 * PostgreSQL the user's changes (an upload's request, a job's promotion) take turns (db/dialect.ts).
 */
async function ensureUser(trx: Trx, userId: string) {
  await serializeOn(trx, `avatar:${userId}`);
  await trx
    .insertInto('users')
    .values({ id: userId, avatar_rendition_id: null, avatar_version: 0, avatar_updated_at: null, requested_rendition_id: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Records that `renditionId` should become the avatar once ready; a newer request overrides an older one. */
export async function requestAvatar(trx: Trx, userId: string, renditionId: string) {
  await ensureUser(trx, userId);
  await trx.updateTable('users').set({ requested_rendition_id: renditionId }).where('id', '=', userId).execute();
}

/**
 * Points the avatar at a ready rendition now (and drops any pending request). A cartoon it replaces has
 * no file to be set again from, so its objects go after the grace period.
 */
export async function setAvatar(trx: Trx, deps: Deps, userId: string, renditionId: string | null, now: number) {
  await ensureUser(trx, userId);
  const previous = await trx
    .selectFrom('users')
    .innerJoin('renditions', 'renditions.id', 'users.avatar_rendition_id')
    .select(['renditions.id', 'renditions.config'])
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
  if (previous?.config !== null && previous !== undefined && previous.id !== renditionId) await scheduleGarbage(trx, deps, previous.id, now);
}

/** Whether `renditionId` is still the user's newest avatar request (taking the user's turn: see ensureUser). */
export async function isRequested(trx: Trx, userId: string, renditionId: string): Promise<boolean> {
  await serializeOn(trx, `avatar:${userId}`);
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
