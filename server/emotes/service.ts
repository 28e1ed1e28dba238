// Emotes: shortcodes, visibility, quota, the trash, and URLs (signed for private emotes).
import { sql, type Transaction } from 'kysely';
import { DEFAULT_EMOTE_SIZE, DEFAULT_FORMAT, EMOTE_SIZES as EMOTE_VARIANT_SIZES } from '../../media/variants.ts';
import { nextSeq, serializeOn, violatesUnique, type UniqueIndex } from '../db/dialect.ts';
import { decodeCursor, encodeCursor } from '../http/pagination.ts';
import { newId } from '../db/ids.ts';
import type { Database, EmoteRow, FileRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { imagesOfRows } from '../renditions/images.ts';
import { visibilityOfKey } from '../storage/index.ts';
import { lockUser } from '../people/user-lock.ts';
import { emoteDeleted } from '../webhooks/events.ts';
import { placeEmoteVariants } from './objects.ts';

export const SHORTCODE = /^[A-Za-z0-9_]{2,32}$/;
export const EMOTE_SIZES = EMOTE_VARIANT_SIZES.map((variant) => variant.size);
/** The size whose width and height answers give as the emote's. */
const LARGEST_EMOTE_SIZE = EMOTE_VARIANT_SIZES[0].size;
export { DEFAULT_EMOTE_SIZE };
const DAY = 24 * 3600;

type Trx = Transaction<Database>;

const emoteNotFound = () => new ApiError('EMOTE_NOT_FOUND', 'No such emote');

export function checkShortcode(shortcode: unknown): string {
  if (typeof shortcode !== 'string' || !SHORTCODE.test(shortcode)) {
    throw new ApiError('SHORTCODE_INVALID', 'A shortcode is 2 to 32 letters, digits or underscores');
  }
  return shortcode;
}

/** The partial unique index of migration 0002 that keeps a user's shortcodes (outside the trash) unique. */
const SHORTCODE_INDEX: UniqueIndex = { name: 'emotes_owner_shortcode', table: 'emotes', columns: ['owner_id', 'shortcode_key'] };
const isShortcodeTaken = (err: unknown) => violatesUnique(err, SHORTCODE_INDEX);

const shortcodeTaken = (shortcode: string) => new ApiError('SHORTCODE_TAKEN', `You already have an emote called :${shortcode}:`);

/** Usage counts only emotes outside the trash that have not failed, so deleting (or failing) frees quota at once. */
async function usage(db: Deps['db'] | Trx, ownerId: string) {
  const row = await db
    .selectFrom('emotes')
    .innerJoin('files', 'files.id', 'emotes.file_id')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.coalesce(eb.fn.sum<number>('emotes.size_bytes'), sql<number>`0`).as('bytes')])
    .where('emotes.owner_id', '=', ownerId)
    .where('emotes.deleted_at', 'is', null)
    .where('files.state', '!=', 'failed')
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), bytes: Number(row.bytes) };
}

async function checkQuota(deps: Deps, trx: Trx, ownerId: string, addBytes: number) {
  // Counted and then inserted: two uploads of one user at once must not both fit in the last free place.
  await serializeOn(trx, `emotes:${ownerId}`);
  const used = await usage(trx, ownerId);
  const { emoteQuota, emoteQuotaBytes } = deps.config;
  if (used.count + 1 > emoteQuota) throw new ApiError('EMOTE_QUOTA_EXCEEDED', `You can have at most ${emoteQuota} emotes`);
  if (used.bytes + addBytes > emoteQuotaBytes) {
    throw new ApiError('EMOTE_QUOTA_EXCEEDED', `Your emotes may take at most ${emoteQuotaBytes} bytes (${used.bytes} used)`);
  }
}

export interface NewEmote {
  ownerId: string;
  fileId: string;
  name: string;
  shortcode: string;
  public: boolean;
  sizeBytes: number;
  mimeType: string;
}

/**
 * A failed emote keeps its shortcode for display, but no longer holds it: its key becomes one that no shortcode
 * can be (shortcodes have no '!'), unique per emote, so the partial unique index lets the name be used again.
 */
const FAILED_KEY_PREFIX = '!failed:';
const failedShortcodeKey = (emoteId: string) => `${FAILED_KEY_PREFIX}${emoteId}`;

/** Called in the transaction that marks an emote's file failed. */
export async function releaseFailedShortcode(trx: Trx, fileId: string) {
  await trx
    .updateTable('emotes')
    .set((eb) => ({ shortcode_key: sql<string>`${sql.lit(FAILED_KEY_PREFIX)} || ${eb.ref('id')}` }))
    .where('file_id', '=', fileId)
    .execute();
}

/** Inserts the emote for a new emote upload in the caller's transaction: quota first, then the shortcode. */
export async function insertEmote(deps: Deps, trx: Trx, emote: NewEmote, now: number): Promise<string> {
  await checkQuota(deps, trx, emote.ownerId, emote.sizeBytes);
  const id = newId('e');
  try {
    await trx
      .insertInto('emotes')
      .values({
        id,
        owner_id: emote.ownerId,
        file_id: emote.fileId,
        seq: nextSeq(trx, 'emotes'),
        name: emote.name,
        shortcode: emote.shortcode,
        shortcode_key: emote.shortcode.toLowerCase(),
        public: emote.public ? 1 : 0,
        animated: 0,
        size_bytes: emote.sizeBytes,
        mime_type: emote.mimeType,
        deleted_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  } catch (err) {
    if (isShortcodeTaken(err)) throw shortcodeTaken(emote.shortcode);
    throw err;
  }
  return id;
}

type EmoteWithState = EmoteRow &
  Pick<FileRow, 'state' | 'error_code' | 'error_message' | 'rendition_id'> & { placeholder: string | null; width: number | null; height: number | null };

/** Emotes with their file's state and their current rendition's placeholder and largest size (its aspect ratio). */
function emoteQuery(deps: Deps) {
  return deps.db
    .selectFrom('emotes')
    .innerJoin('files', 'files.id', 'emotes.file_id')
    .leftJoin('renditions', 'renditions.id', 'files.rendition_id')
    .leftJoin('variants', (join) =>
      join.onRef('variants.rendition_id', '=', 'files.rendition_id').on('variants.size', '=', LARGEST_EMOTE_SIZE).on('variants.format', '=', DEFAULT_FORMAT),
    )
    .selectAll('emotes')
    .select(['files.state as state', 'files.error_code', 'files.error_message', 'files.rendition_id', 'renditions.placeholder', 'variants.width', 'variants.height']);
}

export function emoteView(e: EmoteWithState) {
  return {
    id: e.id,
    owner_id: e.owner_id,
    name: e.name,
    shortcode: e.shortcode,
    size_bytes: e.size_bytes,
    mime_type: e.mime_type,
    processing_state: e.state,
    // Why a failed emote failed, as GET /v1/files tells it for its file.
    ...(e.state === 'failed' && e.error_code ? { error: { code: e.error_code, message: e.error_message ?? '' } } : {}),
    public: Boolean(e.public),
    animated: Boolean(e.animated),
    width: e.state === 'ready' ? e.width : null,
    height: e.state === 'ready' ? e.height : null,
    placeholder: e.state === 'ready' ? e.placeholder : null,
    created_at: e.created_at,
    updated_at: e.updated_at,
  };
}

export type EmoteView = ReturnType<typeof emoteView>;

/** An emote the viewer may see: its owner always, anyone when public. Others get 404, never a hint it exists. */
export async function visibleEmote(deps: Deps, id: string, viewer: string | null): Promise<EmoteWithState> {
  const emote = await emoteQuery(deps).where('emotes.id', '=', id).where('emotes.deleted_at', 'is', null).executeTakeFirst();
  if (!emote || (emote.owner_id !== viewer && !emote.public)) throw emoteNotFound();
  return emote;
}

/** An emote the viewer owns (trash included); a visible emote of someone else is 403, an invisible one 404. */
async function ownedEmote(deps: Deps, id: string, viewer: string): Promise<EmoteWithState> {
  const emote = await emoteQuery(deps).where('emotes.id', '=', id).executeTakeFirst();
  if (!emote || (emote.owner_id !== viewer && (!emote.public || emote.deleted_at !== null))) throw emoteNotFound();
  if (emote.owner_id !== viewer) throw new ApiError('EMOTE_NOT_OWNER', 'Only the owner can change this emote');
  return emote;
}

const encodeEmoteCursor = (seq: number) => encodeCursor('e1', seq);
const decodeEmoteCursor = (cursor: string) => Number(decodeCursor('e1', cursor, /^(\d{1,15})$/)[1]);

/** Newest first. The cursor is the position (creation sequence) of the last emote returned. */
export async function listEmotes(deps: Deps, ownerId: string, opts: { limit: number; cursor: string | undefined; trash: boolean }) {
  let query = emoteQuery(deps).where('emotes.owner_id', '=', ownerId).where('emotes.deleted_at', opts.trash ? 'is not' : 'is', null);
  if (opts.cursor) query = query.where('emotes.seq', '<', decodeEmoteCursor(opts.cursor));
  const rows = await query.orderBy('emotes.seq', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return { emotes: page.map(emoteView), next_cursor: rows.length > opts.limit && last ? encodeEmoteCursor(last.seq) : null };
}

export async function quota(deps: Deps, ownerId: string) {
  const used = await usage(deps.db, ownerId);
  return { used_count: used.count, max_count: deps.config.emoteQuota, used_bytes: used.bytes, max_bytes: deps.config.emoteQuotaBytes };
}

/** The URLs of one size: immutable for public emotes, signed and expiring for private ones. */
export async function emoteUrl(deps: Deps, emote: EmoteWithState, size: string) {
  if (!(EMOTE_SIZES as string[]).includes(size)) throw new ApiError('INVALID_SIZE', `size must be one of ${EMOTE_SIZES.join(', ')}`);
  if (emote.state !== 'ready' || !emote.rendition_id) throw new ApiError('EMOTE_NOT_READY', `The emote is ${emote.state}, not ready`);
  const variant = await deps.db
    .selectFrom('variants')
    .selectAll()
    .where('rendition_id', '=', emote.rendition_id)
    .where('size', '=', size)
    .execute();
  const base = variant.find((row) => row.format === DEFAULT_FORMAT);
  if (!base) throw new Error(`rendition ${emote.rendition_id} has no ${size} variant`);
  // By where the object is, not only the flag: while a change of visibility moves it, a signed URL reads it.
  const expiresAt = emote.public && visibilityOfKey(base.key) === 'public' ? null : deps.clock() + deps.config.emoteUrlTtlSeconds;
  const images = await imagesOfRows(deps, variant, emote.placeholder, { kind: 'emote', animated: Boolean(emote.animated), expiresAt });
  return { url: images.urls[size]!, avif_url: images.avif_urls[size] ?? null, expires_at: expiresAt, width: base.width, height: base.height, placeholder: images.placeholder };
}

export async function updateEmote(deps: Deps, id: string, viewer: string, changes: { shortcode?: string | undefined; public?: boolean | undefined }) {
  const emote = await ownedEmote(deps, id, viewer);
  if (emote.deleted_at !== null) throw emoteNotFound();
  const shortcode = changes.shortcode === undefined ? undefined : checkShortcode(changes.shortcode);
  await deps.changeLimiter.hit(viewer, deps.clock());
  // A failed emote may be renamed, but still holds no shortcode.
  const shortcodeKey = emote.state === 'failed' ? failedShortcodeKey(id) : shortcode?.toLowerCase();
  try {
    await deps.db
      .updateTable('emotes')
      .set({
        ...(shortcode === undefined ? {} : { shortcode, shortcode_key: shortcodeKey }),
        ...(changes.public === undefined ? {} : { public: changes.public ? 1 : 0 }),
        updated_at: deps.clock(),
      })
      .where('id', '=', id)
      .execute();
  } catch (err) {
    if (isShortcodeTaken(err) && shortcode) throw shortcodeTaken(shortcode);
    throw err;
  }
  if (changes.public !== undefined) await placeEmoteVariants(deps, emote.file_id);
  deps.variantAccess.forget();
  return emoteView(await visibleEmote(deps, id, viewer));
}

/** Moves the emote to the trash (idempotent): quota and shortcode are free at once. */
export async function deleteEmote(deps: Deps, id: string, viewer: string) {
  const emote = await ownedEmote(deps, id, viewer);
  if (emote.deleted_at !== null) return;
  await deps.changeLimiter.hit(viewer, deps.clock());
  const now = deps.clock();
  await deps.db.transaction().execute(async (trx) => {
    await lockUser(trx, viewer);
    const moved = await trx.updateTable('emotes').set({ deleted_at: now, updated_at: now }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    if (moved.numUpdatedRows > 0n) await emoteDeleted(trx, deps, emote);
  });
  await placeEmoteVariants(deps, emote.file_id);
  deps.variantAccess.forget();
  deps.webhooks.kick();
}

/** Takes an emote out of the trash; its shortcode and quota must still be free (a failed emote uses neither). */
export async function restoreEmote(deps: Deps, id: string, viewer: string) {
  const emote = await ownedEmote(deps, id, viewer);
  if (emote.deleted_at !== null) {
    await deps.changeLimiter.hit(viewer, deps.clock());
    try {
      await deps.db.transaction().execute(async (trx) => {
        await lockUser(trx, viewer);
        if (emote.state !== 'failed') await checkQuota(deps, trx, viewer, emote.size_bytes);
        await trx.updateTable('emotes').set({ deleted_at: null, updated_at: deps.clock() }).where('id', '=', id).execute();
      });
    } catch (err) {
      if (isShortcodeTaken(err)) throw shortcodeTaken(emote.shortcode);
      throw err;
    }
    await placeEmoteVariants(deps, emote.file_id);
    deps.variantAccess.forget();
  }
  return emoteView(await visibleEmote(deps, id, viewer));
}

/** The caller's ready emotes by lower-cased shortcode, for message parsing. */
export async function readyEmotesByShortcode(deps: Deps, ownerId: string) {
  const rows = await emoteQuery(deps)
    .where('emotes.owner_id', '=', ownerId)
    .where('emotes.deleted_at', 'is', null)
    .where('files.state', '=', 'ready')
    .execute();
  return new Map(rows.map((e) => [e.shortcode_key, { asset_id: e.id, shortcode: e.shortcode, width: e.width ?? 0, height: e.height ?? 0, placeholder: e.placeholder }]));
}

/** Deletes emotes that have been in the trash longer than the configured days: rows now, objects after. */
export async function purgeTrash(deps: Deps): Promise<number> {
  const cutoff = deps.clock() - deps.config.emoteTrashDays * DAY;
  const expired = await deps.db.selectFrom('emotes').select(['id', 'file_id']).where('deleted_at', '<=', cutoff).execute();
  for (const { id, file_id } of expired) {
    const now = deps.clock();
    await deps.db.transaction().execute(async (trx) => {
      const renditions = await trx.selectFrom('renditions').select('id').where('file_id', '=', file_id).execute();
      for (const { id: renditionId } of renditions) {
        await trx.insertInto('garbage').values({ prefix: `variants/${renditionId}/`, delete_after: now }).onConflict((oc) => oc.column('prefix').doNothing()).execute();
      }
      await trx.deleteFrom('emotes').where('id', '=', id).execute();
      if (renditions.length === 0) await trx.deleteFrom('files').where('id', '=', file_id).execute(); // never processed: no sweep will take it
    });
    // Rendition and variant rows go with their objects in the garbage sweep; the original goes now.
    await deps.storage.delete(`originals/${file_id}`);
  }
  if (expired.length) deps.variantAccess.forget();
  return expired.length;
}
