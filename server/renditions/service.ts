// A rendition is one picture made from a source plus its variants: a crop of a file (rendered by a job)
// or a cartoon config (drawn in its request).
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { variantFormatOf } from '../../media/variants.ts';
import type { Deps } from '../deps.ts';
import { nextSeq } from '../db/dialect.ts';
import type { Database, FileRow, NewVariant } from '../db/schema.ts';
import type { AvatarVariant } from '../images/pipeline.ts';
import { objectKeys, type VariantVisibility } from '../storage/index.ts';
import { newId } from '../db/ids.ts';
import { cropColumns, type Crop } from '../uploads/files.ts';
import { requestAvatar } from '../avatars/avatar-state.ts';

/**
 * Inserts a rendition and its job in the caller's transaction; call deps.jobs.kick() after commit. With `promote`
 * it becomes the owner's avatar request. `seq` orders renditions by creation, so a slow older recrop can never
 * replace a newer one.
 */
export async function queueRendition(trx: Transaction<Database>, deps: Deps, file: Pick<FileRow, 'id' | 'owner_id'>, crop: Crop | null, promote: boolean, now: number) {
  const id = newId('r');
  await trx
    .insertInto('renditions')
    .values({
      id,
      file_id: file.id,
      owner_id: file.owner_id,
      config: null,
      seq: nextSeq(trx, 'renditions'),
      ...cropColumns(crop),
      crop_source: crop ? 'user' : null, // without one, the job picks the default crop and says why
      state: 'processing',
      created_at: now,
    })
    .execute();
  if (promote) await requestAvatar(trx, file.owner_id, id, now);
  await deps.jobs.enqueue(trx, { renditionId: id, ownerId: file.owner_id }, now);
  return id;
}

/** Inserts `ownerId`'s cartoon rendition, already drawn and ready, in the caller's transaction. */
export async function insertConfigRendition(trx: Transaction<Database>, id: string, ownerId: string, configJson: string, placeholder: string | null, now: number) {
  await trx
    .insertInto('renditions')
    .values({ id, file_id: null, owner_id: ownerId, config: configJson, seq: nextSeq(trx, 'renditions'), ...cropColumns(null), state: 'ready', created_at: now, placeholder })
    .execute();
}

/** Deletes every object of a rendition, public and private. */
export async function deleteRenditionObjects(deps: Deps, renditionId: string) {
  for (const prefix of objectKeys.renditionPrefixes(renditionId)) await deps.storage.deletePrefix(prefix);
}

/** Variant keys are content-addressed: a CDN or browser may keep them for ever. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Writes one variant under its content-addressed key (under private/ for a private emote); returns its row. */
export async function storeVariant(deps: Deps, renditionId: string, variant: AvatarVariant, visibility: VariantVisibility = 'public'): Promise<NewVariant> {
  const hash = createHash('sha256').update(variant.data).digest('hex').slice(0, 32);
  const format = variantFormatOf(variant.contentType);
  const key = objectKeys.variant(renditionId, variant.size, hash, format, visibility);
  await deps.storage.put(key, variant.data, { contentType: variant.contentType, cacheControl: IMMUTABLE });
  return { rendition_id: renditionId, size: variant.size, format, key, width: variant.width, height: variant.height, bytes: variant.data.byteLength, content_type: variant.contentType };
}

/**
 * Stores variants as they are handed over, each write started at once (with S3 each is a round trip, so writing
 * while later sizes are still encoding saves time). `close` takes no more (an encode ending after a timeout must
 * not write behind the failure path's back) and resolves with every row once all writes are done, or rejects
 * with a write's error once none is still running.
 */
export function variantWriter(deps: Deps, renditionId: string, visibility: VariantVisibility) {
  const writes: Array<Promise<NewVariant>> = [];
  let open = true;
  return {
    store(variant: AvatarVariant) {
      if (!open) return;
      const write = storeVariant(deps, renditionId, variant, visibility);
      write.catch(() => {}); // awaited by close(); failing before then is not an unhandled rejection
      writes.push(write);
    },
    async close(): Promise<NewVariant[]> {
      open = false;
      await Promise.allSettled(writes);
      return Promise.all(writes);
    },
  };
}

/** Writes a rendition's variants side by side (with S3 each write is a round trip); returns their rows. */
export const storeVariants = (deps: Deps, renditionId: string, variants: readonly AvatarVariant[]) =>
  Promise.all(variants.map((variant) => storeVariant(deps, renditionId, variant)));
