// A person's recent avatars (SPEC §3 "A person's uploads and data"): their ready photos and their kept cartoons,
// newest first, to set one again or delete it. A photo is set again by its file, a cartoon by its stored options
// (it has no file: the server points the avatar back at the kept cartoon, without drawing it again).
import type { CartoonConfig } from './avatar-config.ts';
import { saveCartoon } from './avatar-config.ts';
import type { ApiClient } from './client.ts';
import { setAvatarFile, type AvatarDetail } from './upload.ts';

export interface RecentAvatar {
  kind: 'photo' | 'cartoon';
  /** The file's id, or the cartoon's. */
  id: string;
  /** Its 128 px picture. */
  thumbnail: string;
  /** Unix seconds: the newest come first. */
  created: number;
  isAvatar: boolean;
  /** A cartoon's options. */
  config?: CartoonConfig;
}

interface ListedFile {
  id: string;
  processing_state: string;
  thumbnail_url: string | null;
  is_avatar: boolean;
  created_at: number;
}

interface ListedCartoon {
  id: string;
  config: CartoonConfig;
  thumbnail_url: string | null;
  is_avatar: boolean;
  created_at: number;
}

/** The `count` most recent, photos and cartoons together (only photos that are ready: the others have no picture yet). */
export async function recentAvatars(client: ApiClient, count: number, signal?: AbortSignal): Promise<RecentAvatar[]> {
  // A page of photos twice as long as needed leaves room for uploads still processing (or failed) among them.
  const [{ files }, { cartoons }] = await Promise.all([
    client.request<{ files: ListedFile[] }>('GET', `/v1/users/me/files?upload_type=profile_pic&limit=${2 * count}`, { signal }),
    client.request<{ cartoons: ListedCartoon[] }>('GET', '/v1/users/me/cartoons', { signal }),
  ]);
  const photos = files.flatMap((f): RecentAvatar[] =>
    f.processing_state === 'ready' && f.thumbnail_url ? [{ kind: 'photo', id: f.id, thumbnail: f.thumbnail_url, created: f.created_at, isAvatar: f.is_avatar }] : [],
  );
  const drawn = cartoons.flatMap((c): RecentAvatar[] =>
    c.thumbnail_url ? [{ kind: 'cartoon', id: c.id, thumbnail: c.thumbnail_url, created: c.created_at, isAvatar: c.is_avatar, config: c.config }] : [],
  );
  return [...photos, ...drawn].sort((a, b) => b.created - a.created).slice(0, count);
}

/** Makes a recent avatar the avatar again; resolves with what avatar-changed says (and a cartoon's options). */
export async function useRecent(client: ApiClient, item: RecentAvatar): Promise<AvatarDetail & { config?: CartoonConfig }> {
  if (item.kind === 'photo') return setAvatarFile(client, item.id);
  return { ...(await saveCartoon(client, item.config!)), config: item.config };
}

/** Deletes a recent avatar that is not the avatar (409 FILE_IN_USE / CARTOON_IN_USE otherwise). */
export async function deleteRecent(client: ApiClient, item: RecentAvatar): Promise<void> {
  const path = item.kind === 'photo' ? `/v1/files/${encodeURIComponent(item.id)}` : `/v1/users/me/cartoons/${encodeURIComponent(item.id)}`;
  await client.request('DELETE', path);
}
