// GET /v1/users/me/files: a person's uploads, newest first, each as GET /v1/files/{id} shows it, with whether it is the
// avatar now and a small picture of it (THUMBNAIL_SIZE) to choose it by.
import { DEFAULT_FORMAT, THUMBNAIL_SIZE } from '../../media/variants.ts';
import type { Transaction } from 'kysely';
import type { Database, FileRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { decodeCursor, encodeCursor } from '../http/pagination.ts';
import { privateVariantUrl, variantUrl } from '../http/urls.ts';
import { visibilityOfKey } from '../storage/index.ts';
import { fileView } from './file-routes.ts';
import { cropOf, type RenditionCrop } from './files.ts';

export interface FileListOptions {
  uploadType: FileRow['upload_type'] | undefined;
  limit: number;
  cursor: string | undefined;
}

/** Files are ordered by their creation sequence, newest first; a cursor is the position of the last file returned. */
const encodeFileCursor = (file: FileRow) => encodeCursor('f1', file.seq);
const decodeFileCursor = (cursor: string) => Number(decodeCursor('f1', cursor, /^(\d{1,15})$/)[1]);

/**
 * The file ids of the user's avatar and of the photo on its way to becoming it (null: none, or a cartoon): the
 * files a user may not delete, and whose originals are kept.
 */
export async function avatarFiles(db: Deps['db'] | Transaction<Database>, userId: string): Promise<{ current: string | null; requested: string | null }> {
  const user = await db
    .selectFrom('users')
    .leftJoin('renditions as a', 'a.id', 'users.avatar_rendition_id')
    .leftJoin('renditions as r', 'r.id', 'users.requested_rendition_id')
    .select(['a.file_id as current', 'r.file_id as requested'])
    .where('users.id', '=', userId)
    .executeTakeFirst();
  return { current: user?.current ?? null, requested: user?.requested ?? null };
}

/** A small picture of each rendition: public URLs as they are, a private emote's signed for AVATAR_EMOTE_URL_TTL_SECONDS. */
async function thumbnails(deps: Deps, renditionIds: string[]): Promise<Map<string, string>> {
  if (renditionIds.length === 0) return new Map();
  // An emote in the trash is not served (/cdn answers 404): it has no picture to show.
  const variants = await deps.db
    .selectFrom('variants')
    .innerJoin('renditions', 'renditions.id', 'variants.rendition_id')
    .leftJoin('emotes', 'emotes.file_id', 'renditions.file_id')
    .select(['variants.rendition_id', 'variants.key'])
    .where('variants.rendition_id', 'in', renditionIds)
    .where('variants.size', '=', THUMBNAIL_SIZE)
    .where('variants.format', '=', DEFAULT_FORMAT)
    .where('emotes.deleted_at', 'is', null)
    .execute();
  const expiresAt = deps.clock() + deps.config.emoteUrlTtlSeconds;
  const urls = await Promise.all(
    variants.map(async (v) => [v.rendition_id, visibilityOfKey(v.key) === 'public' ? variantUrl(deps, v.key) : await privateVariantUrl(deps, v.key, expiresAt)] as const),
  );
  return new Map(urls);
}

/** The user's files (not those they deleted), newest first. */
export async function listFiles(deps: Deps, userId: string, opts: FileListOptions) {
  let query = deps.db
    .selectFrom('files')
    .leftJoin('renditions', 'renditions.id', 'files.rendition_id')
    .selectAll('files')
    .select(['renditions.crop_x as r_crop_x', 'renditions.crop_y as r_crop_y', 'renditions.crop_w as r_crop_w', 'renditions.crop_h as r_crop_h', 'renditions.crop_source as r_crop_source'])
    .where('files.owner_id', '=', userId)
    .where('files.deleted_at', 'is', null);
  if (opts.uploadType) query = query.where('files.upload_type', '=', opts.uploadType);
  if (opts.cursor) query = query.where('files.seq', '<', decodeFileCursor(opts.cursor));
  const rows = await query.orderBy('files.seq', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit);
  const [avatar, pictures] = await Promise.all([avatarFiles(deps.db, userId), thumbnails(deps, page.flatMap((row) => (row.rendition_id ? [row.rendition_id] : [])))]);
  const last = page.at(-1);
  return {
    files: page.map((row) => {
      const rendition: RenditionCrop | undefined = row.rendition_id
        ? { crop_x: row.r_crop_x, crop_y: row.r_crop_y, crop_w: row.r_crop_w, crop_h: row.r_crop_h, crop_source: row.r_crop_source }
        : undefined;
      return {
        ...fileView(row, cropOf(row, rendition)),
        is_avatar: row.id === avatar.current,
        thumbnail_url: (row.rendition_id && pictures.get(row.rendition_id)) ?? null,
      };
    }),
    next_cursor: rows.length > opts.limit && last ? encodeFileCursor(last) : null,
  };
}
