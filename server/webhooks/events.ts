// What each webhook event says. Every function here runs inside the transaction of the change it reports,
// reads that change's rows through it, and records the event in the same commit; callers kick
// deps.webhooks after the commit.
import type { Transaction } from 'kysely';
import type { ProcessingErrorCode } from '../../media/errors.ts';
import { DEFAULT_FORMAT } from '../../media/variants.ts';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { renditionImages } from '../renditions/images.ts';
import { visibilityOfKey } from '../storage/index.ts';
import { recordEvent } from './outbox.ts';

type Trx = Transaction<Database>;

/** Why an image failed, as avatar.failed and emote.failed carry it. */
type ProcessingError = { code: ProcessingErrorCode; message: string };

/** A rendition's variants in the format events name (one per size). */
const variantsOf = (trx: Trx, renditionId: string) =>
  trx.selectFrom('variants').select(['size', 'key']).where('rendition_id', '=', renditionId).where('format', '=', DEFAULT_FORMAT).execute();

/** The user's avatar version if `renditionId` is their avatar now, else null. */
async function versionIfAvatar(trx: Trx, userId: string, renditionId: string): Promise<number | null> {
  const user = await trx.selectFrom('users').select(['avatar_rendition_id', 'avatar_version']).where('id', '=', userId).executeTakeFirst();
  return user?.avatar_rendition_id === renditionId ? user.avatar_version : null;
}

/**
 * avatar.ready: a rendition is ready (a processed photo, a recrop, a cartoon), or was made the avatar.
 * `version` is the user's avatar version if it is the avatar now, null if it is not (yet).
 */
export async function avatarReady(trx: Trx, deps: Deps, userId: string, renditionId: string, fileId: string | null) {
  await recordEvent(trx, deps.clock(), 'avatar.ready', {
    user_id: userId,
    file_id: fileId,
    version: await versionIfAvatar(trx, userId, renditionId),
    source: fileId === null ? 'config' : 'upload',
    ...(await renditionImages(deps, trx, renditionId, { kind: 'avatar', animated: false, expiresAt: null })),
  });
}

/** avatar.failed: a profile picture (or a recrop of one) could not be processed. */
export async function avatarFailed(trx: Trx, deps: Deps, userId: string, fileId: string, error: ProcessingError) {
  await recordEvent(trx, deps.clock(), 'avatar.failed', { user_id: userId, file_id: fileId, version: null, source: 'upload', error });
}

/** avatar.removed: the avatar the user had (`removed`, read before the change) is gone; call after the change. */
export async function avatarRemoved(trx: Trx, deps: Deps, userId: string, removed: { file_id: string | null }) {
  const user = await trx.selectFrom('users').select('avatar_version').where('id', '=', userId).executeTakeFirstOrThrow();
  await recordEvent(trx, deps.clock(), 'avatar.removed', {
    user_id: userId,
    file_id: removed.file_id,
    version: user.avatar_version,
    source: removed.file_id === null ? 'config' : 'upload',
  });
}

/** The emote of a file, as events describe it. */
async function emoteOfFile(trx: Trx, fileId: string) {
  return trx.selectFrom('emotes').select(['id', 'owner_id', 'shortcode', 'public', 'animated']).where('file_id', '=', fileId).executeTakeFirst();
}

/** emote.ready: URLs only for a public emote (a private one's are signed and expire: GET /v1/emotes/{id}/url). */
export async function emoteReady(trx: Trx, deps: Deps, fileId: string, renditionId: string) {
  const emote = await emoteOfFile(trx, fileId);
  if (!emote) return;
  // URLs once anyone may read the objects: an emote made public while it was rendered has them moved out of
  // private/ just after this commit (emotes/objects.ts).
  const variants = emote.public ? await variantsOf(trx, renditionId) : [];
  const readable = variants.length > 0 && variants.every((v) => visibilityOfKey(v.key) === 'public');
  const images = await renditionImages(deps, trx, renditionId, { kind: 'emote', animated: Boolean(emote.animated), expiresAt: null });
  await recordEvent(trx, deps.clock(), 'emote.ready', {
    user_id: emote.owner_id,
    emote_id: emote.id,
    file_id: fileId,
    shortcode: emote.shortcode,
    public: Boolean(emote.public),
    animated: Boolean(emote.animated),
    source: 'upload',
    placeholder: images.placeholder,
    ...(readable ? { urls: images.urls, avif_urls: images.avif_urls } : {}),
  });
}

export async function emoteFailed(trx: Trx, deps: Deps, fileId: string, error: ProcessingError) {
  const emote = await emoteOfFile(trx, fileId);
  if (!emote) return;
  await recordEvent(trx, deps.clock(), 'emote.failed', {
    user_id: emote.owner_id,
    emote_id: emote.id,
    file_id: fileId,
    shortcode: emote.shortcode,
    source: 'upload',
    error,
  });
}

/** emote.deleted: moved to the trash (its shortcode is free again). */
export async function emoteDeleted(trx: Trx, deps: Deps, emote: { id: string; owner_id: string; file_id: string; shortcode: string }) {
  await recordEvent(trx, deps.clock(), 'emote.deleted', { user_id: emote.owner_id, emote_id: emote.id, file_id: emote.file_id, shortcode: emote.shortcode });
}
