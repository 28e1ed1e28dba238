// A user's turn to change their rows, and the refusal of changes while the user is being erased.
//
// Every transaction that changes a user's rows takes the user's lock first (before any row lock), so on PostgreSQL
// it runs wholly before or wholly after an erasure's transactions, never interleaved with them (and never in a
// deadlock with them: the lock is always the first taken). SQLite's transactions never interleave anyway.
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { serializeOn } from '../db/dialect.ts';
import type { Database } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';

type Trx = Transaction<Database>;

/**
 * How an erasure names the user it erases: a hash of the id, so the short-lived rows that must outlive the erasure
 * (the refusal below, the deletions it scheduled) do not name the user.
 */
export const userKey = (userId: string) => createHash('sha256').update(`avatar-server user ${userId}`).digest('base64url');

/** Takes the user's turn: the first statement of a transaction that changes the user's rows. */
export async function lockUser(trx: Trx, userId: string): Promise<void> {
  await serializeOn(trx, `user:${userId}`);
}

export const userErased = () =>
  new ApiError('USER_ERASED', "This user's data has just been erased; changes for them are refused for a few minutes");

/**
 * Takes the user's turn and refuses (409 USER_ERASED) while the user is being erased: for transactions that create
 * rows of the user. A request that began before an erasure and writes after it would otherwise bring them back.
 */
export async function beginUserWrite(trx: Trx, userId: string, now: number): Promise<void> {
  await lockUser(trx, userId);
  const erasing = await trx.selectFrom('erasures').select('user_key').where('user_key', '=', userKey(userId)).where('refuse_until', '>', now).executeTakeFirst();
  if (erasing) throw userErased();
}

/** Ends the refusal of erased users' writes once it has lasted its time (the garbage sweep calls this). */
export async function expireErasures(db: Kysely<Database>, now: number): Promise<number> {
  const ended = await db.deleteFrom('erasures').where('refuse_until', '<=', now).executeTakeFirst();
  return Number(ended.numDeletedRows);
}
