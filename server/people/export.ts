// GET /v1/admin/users/{user_id}/export: everything of a user as one ZIP (data portability), streamed as it is read:
// every upload's original and current variants, the kept cartoons' variants, and last a JSON manifest of their rows
// as the API shows them (files, cartoons, emotes with their shortcodes and visibility, trash included, and the
// avatar), each entry naming where its images are in the archive. The rows are read first; an object deleted before
// it is reached is left out, and the manifest (written last) says so.
import type { Readable } from 'node:stream';
import { IMAGE_FORMATS } from '../../media/formats.ts';
import { describeUser } from '../avatars/service.ts';
import { listRecentCartoons } from '../avatars/recent-cartoons.ts';
import type { Deps } from '../deps.ts';
import { listEmotes } from '../emotes/service.ts';
import { MAX_LIMIT } from '../http/pagination.ts';
import { formatFromMime } from '../images/sniff.ts';
import { formatOfKey, objectKeys } from '../storage/index.ts';
import { listFiles } from '../uploads/file-list.ts';
import { zipStream, type ZipEntry } from './zip-stream.ts';

/** What the manifest's `format` says, so a reader knows the layout. */
export const EXPORT_FORMAT = 'avatar-server-export/1';

/** Every page of a list, read in turn. */
async function allPages<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const { items, next_cursor } = await page(cursor);
    all.push(...items);
    cursor = next_cursor ?? undefined;
  } while (cursor);
  return all;
}

type FileItem = Awaited<ReturnType<typeof listFiles>>['files'][number];
type CartoonItem = Awaited<ReturnType<typeof listRecentCartoons>>['cartoons'][number];
/** size → format → path in the archive. */
type VariantPaths = Record<string, Record<string, string>>;

/** One object to copy into the archive. */
interface Planned {
  key: string;
  path: string;
  modified: number;
}

/** Where a rendition's variants go: `<folder>/<size>.<extension>`; by size, then format, as the manifest lists them. */
async function planVariants(deps: Deps, renditionId: string, folder: string, modified: number, plan: Planned[]) {
  const variants = await deps.db.selectFrom('variants').select(['size', 'format', 'key']).where('rendition_id', '=', renditionId).orderBy('size').orderBy('format').execute();
  const paths: VariantPaths = {};
  for (const variant of variants) {
    const format = formatOfKey(variant.key) ?? variant.format;
    const path = `${folder}/${variant.size}.${IMAGE_FORMATS[format].extension}`;
    plan.push({ key: variant.key, path, modified });
    (paths[variant.size] ??= {})[variant.format] = path;
  }
  return paths;
}

/** The user's data as a ZIP stream. Reads every row first (pages of the API's own lists), then streams the objects. */
export async function exportUser(deps: Deps, userId: string): Promise<Readable> {
  const exportedAt = deps.clock();
  const files = await allPages(async (cursor) => {
    const page = await listFiles(deps, userId, { uploadType: undefined, limit: MAX_LIMIT, cursor });
    return { items: page.files, next_cursor: page.next_cursor };
  });
  const emotes = (
    await Promise.all(
      [false, true].map((trash) =>
        allPages(async (cursor) => {
          const page = await listEmotes(deps, userId, { limit: MAX_LIMIT, cursor, trash });
          return { items: page.emotes, next_cursor: page.next_cursor };
        }),
      ),
    )
  ).flat();
  const emoteRows = new Map((await deps.db.selectFrom('emotes').select(['id', 'file_id', 'deleted_at']).where('owner_id', '=', userId).execute()).map((e) => [e.id, e]));
  const { cartoons } = await listRecentCartoons(deps, userId);
  const user = await describeUser(deps, userId);
  const fileRows = new Map(
    (await deps.db.selectFrom('files').select(['id', 'rendition_id', 'received', 'original_deleted_at']).where('owner_id', '=', userId).where('deleted_at', 'is', null).execute()).map((f) => [f.id, f]),
  );

  const plan: Planned[] = [];
  const manifestFiles: Array<Omit<FileItem, 'thumbnail_url'> & { archive: { original: string | null; variants: VariantPaths } }> = [];
  for (const { thumbnail_url: _thumbnail, ...file } of files) {
    const row = fileRows.get(file.id);
    const folder = `uploads/${file.id}`;
    const format = formatFromMime(file.content_type);
    let original: string | null = null;
    if (row?.received && row.original_deleted_at === null && format) {
      original = `${folder}/original.${IMAGE_FORMATS[format].extension}`;
      plan.push({ key: objectKeys.original(file.id), path: original, modified: file.created_at });
    }
    const variants = row?.rendition_id ? await planVariants(deps, row.rendition_id, folder, file.updated_at, plan) : {};
    manifestFiles.push({ ...file, archive: { original, variants } });
  }
  const manifestCartoons: Array<Omit<CartoonItem, 'thumbnail_url'> & { archive: { variants: VariantPaths } }> = [];
  for (const { thumbnail_url: _thumbnail, ...cartoon } of cartoons) {
    manifestCartoons.push({ ...cartoon, archive: { variants: await planVariants(deps, cartoon.id, `cartoons/${cartoon.id}`, cartoon.created_at, plan) } });
  }
  const manifestEmotes = emotes.map((emote) => ({ ...emote, file_id: emoteRows.get(emote.id)?.file_id ?? null, deleted_at: emoteRows.get(emote.id)?.deleted_at ?? null }));

  async function* entries(): AsyncGenerator<ZipEntry> {
    const missing = new Set<string>();
    for (const { key, path, modified } of plan) {
      const object = await deps.storage.get(key);
      if (!object) {
        missing.add(path); // deleted since the rows were read
        continue;
      }
      yield { name: path, body: object.body, modified: new Date(modified * 1000) };
    }
    const present = (path: string | null) => (path !== null && !missing.has(path) ? path : null);
    const keepPresent = (variants: VariantPaths) =>
      Object.fromEntries(Object.entries(variants).map(([size, byFormat]) => [size, Object.fromEntries(Object.entries(byFormat).filter(([, path]) => present(path)))]));
    const manifest = {
      format: EXPORT_FORMAT,
      user_id: userId,
      exported_at: exportedAt,
      user,
      files: manifestFiles.map((file) => ({ ...file, archive: { original: present(file.archive.original), variants: keepPresent(file.archive.variants) } })),
      cartoons: manifestCartoons.map((cartoon) => ({ ...cartoon, archive: { variants: keepPresent(cartoon.archive.variants) } })),
      emotes: manifestEmotes,
    };
    yield { name: 'manifest.json', body: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), modified: new Date(exportedAt * 1000), deflate: true };
  }
  return zipStream(entries());
}
