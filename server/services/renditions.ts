// A rendition is one picture made from a source plus its variants: a crop of a file (rendered by a job)
// or a cartoon config (drawn in its request).
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Deps } from '../context.ts';
import { nextSeq } from '../db/dialect.ts';
import type { Database, NewVariant } from '../db/schema.ts';
import type { AvatarVariant } from '../images/pipeline.ts';
import { objectKeys, type VariantVisibility } from '../storage/index.ts';
import { newId } from '../ids.ts';
import { cropColumns, type Crop } from './files.ts';
import { requestAvatar } from './avatar-state.ts';

/**
 * Inserts a rendition and its job in the caller's transaction; call deps.jobs.kick() after commit.
 * `seq` orders renditions by creation, so a slow older recrop can never replace a newer one.
 */
export async function queueRendition(trx: Transaction<Database>, deps: Deps, fileId: string, crop: Crop | null, requestFor: string | null, now: number) {
  const id = newId('r');
  await trx
    .insertInto('renditions')
    .values({
      id,
      file_id: fileId,
      config: null,
      seq: nextSeq(trx, 'renditions'),
      ...cropColumns(crop),
      state: 'processing',
      created_at: now,
    })
    .execute();
  if (requestFor) await requestAvatar(trx, requestFor, id);
  await deps.jobs.enqueue(trx, id, now);
  return id;
}

/** Inserts a cartoon's rendition, already drawn and ready, in the caller's transaction. */
export async function insertConfigRendition(trx: Transaction<Database>, id: string, config: Record<string, string>, now: number) {
  await trx
    .insertInto('renditions')
    .values({ id, file_id: null, config: JSON.stringify(config), seq: nextSeq(trx, 'renditions'), ...cropColumns(null), state: 'ready', created_at: now })
    .execute();
}

/** Deletes every object of a rendition, public and private. */
export async function deleteRenditionObjects(deps: Deps, renditionId: string) {
  for (const prefix of objectKeys.renditionPrefixes(renditionId)) await deps.storage.deletePrefix(prefix);
}

/** Variant keys are content-addressed: a CDN or browser may keep them for ever. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Writes a rendition's variants under content-addressed keys (under private/ for a private emote); returns their
 * rows, for the caller to insert.
 */
export async function storeVariants(deps: Deps, renditionId: string, variants: readonly AvatarVariant[], visibility: VariantVisibility = 'public'): Promise<NewVariant[]> {
  // Written side by side: with S3 each write is a round trip, and they do not depend on each other.
  return Promise.all(
    variants.map(async (variant): Promise<NewVariant> => {
      const hash = createHash('sha256').update(variant.data).digest('hex').slice(0, 32);
      const key = objectKeys.variant(renditionId, variant.size, hash, visibility);
      await deps.storage.put(key, variant.data, { contentType: variant.contentType, cacheControl: IMMUTABLE });
      return { rendition_id: renditionId, size: variant.size, key, width: variant.width, height: variant.height, bytes: variant.data.byteLength, content_type: variant.contentType };
    }),
  );
}
