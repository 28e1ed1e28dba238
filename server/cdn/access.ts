// Who may read a variant object through /cdn: an avatar's, anyone; an emote's, anyone while it is public and outside
// the trash (else only with a signed URL); any other key, no one. /cdn asks on every request, so answers are kept
// briefly, per process (in its Deps: two servers in one process share nothing); every change of an emote's
// visibility forgets them in the process that made it. Other processes sharing the database see the change within
// the TTL (5 s): the bound on how long a deleted or newly private emote may still be served.
import type { Db } from '../db/index.ts';
import { createTtlCache } from './ttl-cache.ts';

/** null: no such variant (never served); `emote` null: an avatar's variant (public). */
export type VariantAccess = { emote: { public: number; deleted_at: number | null } | null } | null;

export interface VariantAccessCache {
  /** The kept answer for `key`, without waiting (undefined: not kept, ask `lookup`). */
  cached(key: string): { access: VariantAccess } | undefined;
  /** Who may read `key`, from the database unless kept. */
  lookup(key: string): Promise<VariantAccess>;
  /** Forgets every answer: call after changing whether an emote's variants may be read. */
  forget(): void;
}

const ACCESS_TTL_MS = 5000;
const ACCESS_ENTRIES = 10_000;

export function createVariantAccess(db: Db): VariantAccessCache {
  const answers = createTtlCache<{ access: VariantAccess }>(ACCESS_TTL_MS, ACCESS_ENTRIES);
  return {
    cached: (key) => answers.get(key),
    async lookup(key) {
      const kept = answers.get(key);
      if (kept) return kept.access;
      const row = await db
        .selectFrom('variants')
        .innerJoin('renditions', 'renditions.id', 'variants.rendition_id')
        .leftJoin('emotes', 'emotes.file_id', 'renditions.file_id')
        .select(['emotes.id as emote_id', 'emotes.public', 'emotes.deleted_at'])
        .where('variants.key', '=', key)
        .executeTakeFirst();
      const access: VariantAccess = !row ? null : { emote: row.emote_id === null ? null : { public: row.public ?? 0, deleted_at: row.deleted_at } };
      answers.set(key, { access });
      return access;
    },
    forget: () => answers.clear(),
  };
}
