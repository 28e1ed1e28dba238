// Cartoons to go back to. A cartoon has no file: what is kept of it is its rendition (its stored config and its
// variants), the user's RECENT_CARTOONS most recent ones (avatar-state.ts keepRecentCartoons). Setting a cartoon whose
// options equal a kept one's points the avatar back at it (cartoons.ts).
import { DEFAULT_FORMAT, THUMBNAIL_SIZE } from '../../media/variants.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { variantUrl } from '../http/urls.ts';
import { lockUser } from '../people/user-lock.ts';
import { keptCartoons, RECENT_CARTOONS, scheduleGarbage } from './avatar-state.ts';

/** GET /v1/users/me/cartoons: the kept ones (RECENT_CARTOONS, and the avatar if it is older), most recent first. */
export async function listRecentCartoons(deps: Deps, userId: string) {
  const user = await deps.db.selectFrom('users').select('avatar_rendition_id').where('id', '=', userId).executeTakeFirst();
  const cartoons = await keptCartoons(deps.db, userId).limit(RECENT_CARTOONS + 1).execute();
  const ids = cartoons.map((cartoon) => cartoon.id);
  const thumbnails = ids.length === 0 ? [] : await deps.db
    .selectFrom('variants')
    .select(['rendition_id', 'key'])
    .where('rendition_id', 'in', ids)
    .where('size', '=', THUMBNAIL_SIZE)
    .where('format', '=', DEFAULT_FORMAT)
    .execute();
  const thumbnailOf = new Map(thumbnails.map((v) => [v.rendition_id, variantUrl(deps, v.key)]));
  return {
    cartoons: cartoons.map((cartoon) => ({
      id: cartoon.id,
      config: JSON.parse(cartoon.config!) as Record<string, string>,
      is_avatar: cartoon.id === user?.avatar_rendition_id,
      thumbnail_url: thumbnailOf.get(cartoon.id) ?? null,
      created_at: cartoon.created_at,
    })),
  };
}

/** DELETE /v1/users/me/cartoons/{id}: 409 CARTOON_IN_USE while it is the avatar; its objects go after the grace period. */
export async function deleteRecentCartoon(deps: Deps, userId: string, cartoonId: string) {
  const notFound = new ApiError('CARTOON_NOT_FOUND', 'No such cartoon among your recent avatars');
  const exists = await keptCartoons(deps.db, userId).where('id', '=', cartoonId).executeTakeFirst();
  if (!exists) throw notFound;
  await deps.changeLimiter.hit(userId, deps.clock());
  await deps.db.transaction().execute(async (trx) => {
    await lockUser(trx, userId);
    const user = await trx.selectFrom('users').select(['avatar_rendition_id', 'requested_rendition_id']).where('id', '=', userId).executeTakeFirst();
    if (user?.avatar_rendition_id === cartoonId || user?.requested_rendition_id === cartoonId) {
      throw new ApiError('CARTOON_IN_USE', 'This cartoon is your avatar; choose another avatar (or remove it) first');
    }
    if (!(await keptCartoons(trx, userId).where('id', '=', cartoonId).executeTakeFirst())) throw notFound;
    await scheduleGarbage(trx, deps, cartoonId, deps.clock());
  });
}
