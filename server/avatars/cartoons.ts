// Cartoon avatars: options → our own SVG → the same variants as a photo → the avatar, all in one request.
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { newId } from '../db/ids.ts';
import { CartoonConfigError, parseCartoonConfig, type CartoonConfig } from './cartoon/options.ts';
import { renderCartoonSvg } from './cartoon/render.ts';
import { CARTOON_SIDE, ImageError, renderSvgVariants } from '../images/pipeline.ts';
import { lockUser } from '../people/user-lock.ts';
import { objectKeys } from '../storage/index.ts';
import { isRequested, keptCartoons, requestAvatar, setAvatar, withdrawRequest } from './avatar-state.ts';
import { describeAvatar, userRow } from './service.ts';
import { pipelineLimits } from '../renditions/render-job.ts';
import { insertConfigRendition, storeVariants } from '../renditions/service.ts';
import { placeholderOfVariants } from '../renditions/images.ts';
import { avatarReady } from '../webhooks/events.ts';

/** Validated options (omitted keys take their defaults), or 400 INVALID_AVATAR_CONFIG naming the key. */
export function cartoonConfig(input: unknown): CartoonConfig {
  try {
    return parseCartoonConfig(input);
  } catch (error) {
    if (error instanceof CartoonConfigError) throw new ApiError('INVALID_AVATAR_CONFIG', error.message);
    throw error;
  }
}

const superseded = () =>
  new ApiError('AVATAR_SUPERSEDED', 'A newer avatar change was accepted while this cartoon was being drawn; the newer one is the avatar');

/**
 * Points the avatar back at the user's kept cartoon of the same options (one of their recent avatars), if there is
 * one: nothing to draw. Returns whether it did.
 */
async function reuseKeptCartoon(deps: Deps, userId: string, configJson: string): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    const now = deps.clock();
    await lockUser(trx, userId);
    const kept = await keptCartoons(trx, userId).where('config', '=', configJson).executeTakeFirst();
    if (!kept) return false;
    await setAvatar(trx, deps, userId, kept.id, now);
    await avatarReady(trx, deps, userId, kept.id, null);
    return true;
  });
}

/**
 * Draws the cartoon, stores its variants and makes it the avatar; returns once it is served. A cartoon the user had
 * recently (the same options) is not drawn again: the avatar points back at it.
 * Like a photo, the cartoon is the user's newest avatar request from the moment it is accepted: a photo (or a
 * removal, or another avatar set) accepted while it is being drawn is newer and wins, and the cartoon then
 * answers 409 AVATAR_SUPERSEDED instead of replacing it.
 * The previous avatar is served until the final transaction, so a crash mid-way changes nothing for viewers;
 * the objects written before such a crash are removed by a garbage row written first and dropped on success.
 */
export async function setConfigAvatar(deps: Deps, userId: string, input: unknown) {
  const config = cartoonConfig(input);
  const configJson = JSON.stringify(config);
  if (await keptCartoons(deps.db, userId).where('config', '=', configJson).executeTakeFirst()) {
    await deps.changeLimiter.hit(userId, deps.clock());
    if (await reuseKeptCartoon(deps, userId, configJson)) return servedAvatar(deps, userId);
  }
  await deps.uploadLimiter.hit(userId, deps.clock()); // drawing costs CPU like an upload does
  const renditionId = newId('r');
  const prefix = objectKeys.renditionPrefix(renditionId);
  // Drawing ends within the processing timeout (storing the variants after it, well within a second one), so
  // the sweep cannot take objects still being written; the check in the final transaction makes sure of it.
  const deleteAfter = deps.clock() + 2 * deps.config.processingTimeoutSeconds + deps.config.cleanupGraceSeconds;
  await deps.db.transaction().execute(async (trx) => {
    await requestAvatar(trx, userId, renditionId, deps.clock());
    await trx.insertInto('garbage').values({ prefix, delete_after: deleteAfter }).execute();
  });
  deps.log.debug(`cartoon started ${renditionId} ${userId}`);
  let rows;
  let placeholder: string | null;
  try {
    const variants = await renderSvgVariants(renderCartoonSvg(config, CARTOON_SIDE), deps.config.avatarSizes, pipelineLimits(deps));
    [rows, placeholder] = await Promise.all([storeVariants(deps, renditionId, variants), placeholderOfVariants(variants)]);
  } catch (error) {
    // The objects go with the garbage row, at its time; the request no longer stands.
    await withdrawRequest(deps, userId, renditionId);
    // Our own drawing failing is our fault, not the request's.
    if (error instanceof ImageError) throw new ApiError('INTERNAL', 'The cartoon could not be drawn');
    throw error;
  }
  const now = deps.clock();
  const promoted = await deps.db.transaction().execute(async (trx) => {
    if (!(await isRequested(trx, userId, renditionId))) return false; // left to the sweep with its garbage row
    const claimed = await trx.deleteFrom('garbage').where('prefix', '=', prefix).executeTakeFirst();
    if (claimed.numDeletedRows !== 1n) throw new Error(`cartoon ${renditionId} was swept while it was being drawn`);
    await insertConfigRendition(trx, renditionId, userId, configJson, placeholder, now);
    await trx.insertInto('variants').values(rows).execute();
    await setAvatar(trx, deps, userId, renditionId, now);
    await avatarReady(trx, deps, userId, renditionId, null);
    return true;
  });
  deps.log.debug(`cartoon finished ${renditionId} ${userId}${promoted ? '' : ' superseded'}`);
  if (!promoted) throw superseded();
  return servedAvatar(deps, userId);
}

async function servedAvatar(deps: Deps, userId: string) {
  deps.webhooks.kick();
  const user = await userRow(deps, userId);
  return { message: 'AVATAR_HAS_BEEN_UPDATED' as const, avatar: user ? await describeAvatar(deps, user) : null };
}
