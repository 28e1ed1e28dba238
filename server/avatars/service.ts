// Reading and changing a user's avatar. Writes go through avatar-state.ts so every change bumps the version.
import { DEFAULT_AVATAR_SIZE, DEFAULT_FORMAT, PREVIEW_AVATAR_SIZE } from '../../media/variants.ts';
import type { Deps } from '../deps.ts';
import type { UserRow, VariantRow } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { lockUser } from '../people/user-lock.ts';
import { setAvatar } from './avatar-state.ts';
import { queueRendition } from '../renditions/service.ts';
import { ownedFile, squareCrop, type CropFields } from '../uploads/files.ts';
import { variantUrl } from '../http/urls.ts';
import { manyRenditionImages, renditionImages } from '../renditions/images.ts';
import { avatarReady, avatarRemoved } from '../webhooks/events.ts';

export const DEFAULT_SIZE = DEFAULT_AVATAR_SIZE;
export const PREVIEW_SIZE = PREVIEW_AVATAR_SIZE;

/** The size a request asks for: `is_preview` means 64; anything not configured is 400 INVALID_SIZE. */
export function requestedSize(deps: Deps, size: string | undefined, isPreview: boolean): string {
  if (isPreview) return PREVIEW_SIZE;
  const wanted = size ?? DEFAULT_SIZE;
  if (wanted === 'cropped' || deps.config.avatarSizes.some((s) => String(s) === wanted)) return wanted;
  const allowed = ['cropped', ...deps.config.avatarSizes].join(', ');
  throw new ApiError('INVALID_SIZE', `size must be one of ${allowed}`);
}

export async function userRow(deps: Deps, userId: string): Promise<UserRow | undefined> {
  return deps.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
}

/** A rendition's variants in the format JSON answers name (one per size). */
async function variantsOf(deps: Deps, renditionId: string): Promise<VariantRow[]> {
  return deps.db.selectFrom('variants').selectAll().where('rendition_id', '=', renditionId).where('format', '=', DEFAULT_FORMAT).execute();
}

/**
 * The variant for `size`; for a size configured after this avatar was rendered, the smallest larger
 * one (else the largest), so adding a size never makes existing avatars disappear.
 */
function pickVariant(variants: VariantRow[], size: string): VariantRow | undefined {
  const exact = variants.find((v) => v.size === size);
  if (exact || size === 'cropped') return exact;
  const bySide = variants.filter((v) => v.size !== 'cropped').sort((a, b) => a.width - b.width);
  return bySide.find((v) => Number(v.size) >= Number(size)) ?? bySide.at(-1);
}

/** The variant served for a size, or null when the user has no avatar. 409 while the only avatar is processing. */
export async function findAvatarVariant(deps: Deps, userId: string, size: string) {
  const user = await userRow(deps, userId);
  if (!user?.avatar_rendition_id) {
    if (user?.requested_rendition_id) throw new ApiError('AVATAR_NOT_READY', 'The avatar is still being processed');
    return null;
  }
  const variant = pickVariant(await variantsOf(deps, user.avatar_rendition_id), size);
  return variant ? { user, variant } : null;
}

/** An avatar's images: every size in WebP and AVIF, and its placeholder. */
const avatarImages = (deps: Deps, renditionId: string) => renditionImages(deps, deps.db, renditionId, { kind: 'avatar', animated: false, expiresAt: null });

export async function getAvatar(deps: Deps, userId: string, size: string) {
  const found = await findAvatarVariant(deps, userId, size);
  if (!found) throw new ApiError('AVATAR_NOT_FOUND', 'This user has no avatar');
  const { user, variant } = found;
  const images = await avatarImages(deps, variant.rendition_id);
  return {
    url: variantUrl(deps, variant.key),
    avif_url: images.avif_urls[variant.size] ?? null,
    expires_at: null,
    size,
    width: variant.width,
    height: variant.height,
    content_type: variant.content_type,
    version: user.avatar_version,
    updated_at: user.avatar_updated_at ?? 0,
    ...images,
  };
}

/** GET /v1/avatars: each user's avatar images (null without one, or while the first is processing), in the order asked. */
export async function getAvatars(deps: Deps, userIds: readonly string[]) {
  const users = await deps.db.selectFrom('users').select(['id', 'avatar_rendition_id', 'avatar_version', 'avatar_updated_at']).where('id', 'in', userIds).execute();
  const byId = new Map(users.map((user) => [user.id, user]));
  const renditions = users.flatMap((user) => (user.avatar_rendition_id ? [user.avatar_rendition_id] : []));
  const images = await manyRenditionImages(deps, renditions, { kind: 'avatar', animated: false, expiresAt: null });
  return {
    users: userIds.map((id) => {
      const user = byId.get(id);
      const avatar = user?.avatar_rendition_id ? images.get(user.avatar_rendition_id) : undefined;
      return { id, avatar: user && avatar ? { version: user.avatar_version, updated_at: user.avatar_updated_at ?? 0, ...avatar } : null };
    }),
  };
}

/** The user's avatar as /users/me and the config route show it, or null. */
export async function describeAvatar(deps: Deps, user: UserRow) {
  if (!user.avatar_rendition_id) return null;
  const rendition = await deps.db.selectFrom('renditions').select(['file_id', 'config']).where('id', '=', user.avatar_rendition_id).executeTakeFirstOrThrow();
  const images = await avatarImages(deps, user.avatar_rendition_id);
  const common = { version: user.avatar_version, url: images.urls[DEFAULT_SIZE] ?? null, ...images, updated_at: user.avatar_updated_at ?? 0 };
  if (rendition.config === null) return { file_id: rendition.file_id, source: 'upload' as const, ...common };
  return { file_id: null, source: 'config' as const, config: JSON.parse(rendition.config) as Record<string, string>, ...common };
}

export async function describeUser(deps: Deps, userId: string) {
  const user = await userRow(deps, userId);
  const avatar = user ? await describeAvatar(deps, user) : null;
  return { id: userId, avatar_url: avatar?.url ?? null, avatar, avatar_processing: Boolean(user?.requested_rendition_id) };
}

/** PUT …/avatar {file_id}: any ready profile picture of the user's own. */
export async function setAvatarFromFile(deps: Deps, userId: string, fileId: string) {
  const file = await ownedFile(deps, userId, fileId);
  if (file.upload_type !== 'profile_pic') throw new ApiError('FILE_NOT_PROFILE_PIC', 'This file is not a profile picture');
  if (file.state !== 'ready' || !file.rendition_id) throw new ApiError('FILE_NOT_READY', `The file is ${file.state}, not ready`);
  await deps.changeLimiter.hit(userId, deps.clock());
  const renditionId = file.rendition_id;
  await deps.db.transaction().execute(async (trx) => {
    await setAvatar(trx, deps, userId, renditionId, deps.clock());
    await avatarReady(trx, deps, userId, renditionId, file.id);
  });
  deps.webhooks.kick();
}

/** DELETE …/avatar: idempotent; also cancels a pending promotion. The file stays and can be set again. */
export async function removeAvatar(deps: Deps, userId: string) {
  const user = await userRow(deps, userId);
  if (!user?.avatar_rendition_id && !user?.requested_rendition_id) return;
  await deps.changeLimiter.hit(userId, deps.clock());
  await deps.db.transaction().execute(async (trx) => {
    // Re-read in the transaction: only an avatar that was there is reported removed.
    const removed = await trx
      .selectFrom('users')
      .innerJoin('renditions', 'renditions.id', 'users.avatar_rendition_id')
      .select('renditions.file_id')
      .where('users.id', '=', userId)
      .executeTakeFirst();
    await setAvatar(trx, deps, userId, null, deps.clock());
    if (removed) await avatarRemoved(trx, deps, userId, removed);
  });
  deps.webhooks.kick();
}

/** Queues a new rendition of the current avatar's file with another crop; the old one is served until it is ready. */
export async function recropAvatar(deps: Deps, userId: string, input: CropFields) {
  const user = await userRow(deps, userId);
  if (!user?.avatar_rendition_id) throw new ApiError('AVATAR_NOT_FOUND', 'This user has no avatar to recrop');
  const rendition = await deps.db.selectFrom('renditions').select('file_id').where('id', '=', user.avatar_rendition_id).executeTakeFirstOrThrow();
  if (rendition.file_id === null) throw new ApiError('AVATAR_NOT_RECROPPABLE', 'A cartoon avatar has no photo to crop; change its options instead');
  const file = await ownedFile(deps, userId, rendition.file_id);
  if (file.original_deleted_at !== null) {
    throw new ApiError('AVATAR_NOT_RECROPPABLE', 'The original of this photo has been deleted (it was not your avatar for longer than the server keeps originals); upload the photo again to crop it differently');
  }
  const crop = squareCrop(input, 'RECROP_INVALID');
  if (!crop) throw new ApiError('RECROP_INVALID', 'crop_x, crop_y and crop_w are required');
  if (file.width === null || file.height === null || crop.x + crop.w > file.width || crop.y + crop.h > file.height) {
    throw new ApiError('RECROP_INVALID', `The crop must lie inside the ${file.width}×${file.height} source image`);
  }
  await deps.uploadLimiter.hit(userId, deps.clock()); // rendering again costs what an upload does
  await deps.db.transaction().execute(async (trx) => {
    await lockUser(trx, userId);
    await queueRendition(trx, deps, file, crop, true, deps.clock());
  });
  deps.jobs.kick();
  return { status: 'processing' as const, message: 'Avatar recrop queued' };
}
