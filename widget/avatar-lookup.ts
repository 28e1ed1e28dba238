// Which avatar each user has, asked for all of a page's users at once: GET /v1/avatars?user_ids=… gives every size's
// URL (WebP and AVIF) and the placeholder of up to 100 users in one compressed answer: a page of 100 avatars makes
// 101 requests, not 200 (bench/avatar-page.ts). What an answer or an event said is reused for a minute, as long as
// the server lets caches keep the answer.
import { MAX_AVATARS_PER_REQUEST, USER_ID } from '../media/users.ts';

/** What <avatar-image> needs of an avatar: its placeholder and each size's URL per format. */
export interface AvatarSources {
  version: number;
  placeholder: string | null;
  /** Size ('64', 'cropped', …) → WebP URL. */
  urls: Record<string, string>;
  /** Size → AVIF URL, for the sizes made in AVIF too. */
  avif_urls: Record<string, string>;
}

/** null: the user has no avatar to show (none, or the first still processing): the default stands in. */
export type Lookup = Promise<AvatarSources | null>;

/** How long an answer is reused by elements created later (the server lets caches keep it as long). */
const REUSE_MS = 60_000;
/** A request's user ids stay under this many characters, so its URL passes any proxy or CDN (8 kB is common). */
const MAX_QUERY_CHARS = 4_000;

const known = new Map<string, { lookup: Lookup; until: number }>();
/** Users asked for since the last request went out, per endpoint: what to settle when the answer comes. */
const queued = new Map<string, Map<string, { resolve(sources: AvatarSources | null): void; reject(error: unknown): void }>>();
let flushing = false;

const keyOf = (endpoint: string, userId: string) => `${endpoint}\n${userId}`;

export function isUrlMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((url) => typeof url === 'string');
}

/** An answer's avatar as the element uses it; null when the user has none; throws on a shape it cannot use. */
function sourcesOf(avatar: unknown): AvatarSources | null {
  if (avatar === null) return null;
  const { version, placeholder, urls, avif_urls } = (avatar ?? {}) as Partial<AvatarSources>;
  if (!isUrlMap(urls)) throw new Error('this server does not list avatar sizes');
  return { version: Number(version) || 0, placeholder: typeof placeholder === 'string' ? placeholder : null, urls, avif_urls: isUrlMap(avif_urls) ? avif_urls : {} };
}

/**
 * The user's avatar, from the one request that asks for every user looked up before the current task's microtasks
 * are done: elements created or upgraded together (their first updates are microtasks of that task) are asked for
 * together. Rejects when the server could not say (it may predate GET /v1/avatars).
 */
export function lookUpAvatar(endpoint: string, userId: string): Lookup {
  const key = keyOf(endpoint, userId);
  const reused = known.get(key);
  if (reused && Date.now() < reused.until) return reused.lookup;
  // An id the server would refuse would fail everyone's request: it has no avatar to show.
  const lookup: Lookup = USER_ID.test(userId)
    ? new Promise((resolve, reject) => {
        let waiting = queued.get(endpoint);
        if (!waiting) queued.set(endpoint, (waiting = new Map()));
        waiting.set(userId, { resolve, reject });
        if (!flushing) queueMicrotask(flush);
        flushing = true;
      })
    : Promise.resolve(null);
  known.set(key, { lookup, until: Date.now() + REUSE_MS });
  lookup.catch(() => known.get(key)?.lookup === lookup && known.delete(key)); // asked again by the next element
  return lookup;
}

/** Remembers what an event said, so elements created afterwards do not show (or ask the server for) the old avatar. */
export function rememberAvatar(endpoint: string, userId: string, sources: AvatarSources | null) {
  known.set(keyOf(endpoint, userId), { lookup: Promise.resolve(sources), until: Date.now() + REUSE_MS });
}

/** Forgets a user's avatar: the next element asks the server. */
export const forgetAvatar = (endpoint: string, userId: string) => known.delete(keyOf(endpoint, userId));

/** Sends every queued lookup: per endpoint, requests of up to 100 users (sorted: a page asks the same URL each time). */
function flush() {
  flushing = false;
  for (const [endpoint, waiting] of queued) {
    queued.delete(endpoint);
    let batch: string[] = [];
    let chars = 0;
    for (const userId of [...waiting.keys()].sort()) {
      if (batch.length === MAX_AVATARS_PER_REQUEST || chars + userId.length > MAX_QUERY_CHARS) {
        void ask(endpoint, batch, waiting);
        batch = [];
        chars = 0;
      }
      batch.push(userId);
      chars += userId.length + 1;
    }
    void ask(endpoint, batch, waiting);
  }
}

async function ask(endpoint: string, userIds: string[], waiting: Map<string, { resolve(sources: AvatarSources | null): void; reject(error: unknown): void }>) {
  try {
    const response = await fetch(`${endpoint}/v1/avatars?user_ids=${userIds.map(encodeURIComponent).join(',')}`, { credentials: 'omit' });
    if (!response.ok) throw new Error(`avatar lookup answered ${response.status}`);
    const body = (await response.json()) as { users?: Array<{ id?: unknown; avatar?: unknown }> };
    const avatars = new Map((body.users ?? []).map(({ id, avatar }) => [id, avatar]));
    for (const userId of userIds) {
      const { resolve, reject } = waiting.get(userId)!;
      try {
        resolve(sourcesOf(avatars.has(userId) ? avatars.get(userId) : undefined));
      } catch (error) {
        reject(error);
      }
    }
  } catch (error) {
    for (const userId of userIds) waiting.get(userId)!.reject(error);
  }
}
