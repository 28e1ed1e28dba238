// The emote API (SPEC §3 Emotes) for the widget's emote mode.
import type { ApiClient } from './client.ts';
import { cropFields, uploadFile, type Crop, type UploadAvatarOptions } from './upload.ts';

export interface Emote {
  id: string;
  owner_id: string;
  name: string;
  shortcode: string;
  size_bytes: number;
  mime_type: string;
  processing_state: 'awaiting_upload' | 'processing' | 'ready' | 'failed';
  /** Why processing failed (a failed emote only). */
  error?: { code: string; message: string };
  public: boolean;
  animated: boolean;
  created_at: number;
  updated_at: number;
}

export interface EmoteQuota {
  used_count: number;
  max_count: number;
  used_bytes: number;
  max_bytes: number;
}

export const SHORTCODE = /^[A-Za-z0-9_]{2,32}$/;

const path = (id: string, rest = '') => `/v1/emotes/${encodeURIComponent(id)}${rest}`;

/**
 * Uploads the file as it is (an animated GIF or WebP keeps its frames; the server applies `crop`, a
 * rectangle in the image's pixels) and resolves with the ready emote.
 */
export async function createEmote(
  client: ApiClient,
  file: Blob,
  fields: { shortcode: string; public: boolean; crop?: Crop | null },
  options: UploadAvatarOptions = {},
): Promise<Emote> {
  const { crop, ...rest } = fields;
  const upload = await uploadFile<{ emote_id: string }>(client, file, { upload_type: 'emote', ...rest, ...cropFields(crop) }, options);
  return client.request<Emote>('GET', path(upload.emote_id), { signal: options.signal });
}

/** Every page of one list (the quota bounds it). */
async function listAll(client: ApiClient, base: string, signal?: AbortSignal): Promise<Emote[]> {
  const emotes: Emote[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=500&cursor=${encodeURIComponent(cursor)}` : '?limit=500';
    const page: { emotes: Emote[]; next_cursor: string | null } = await client.request('GET', `${base}${query}`, { signal });
    emotes.push(...page.emotes);
    cursor = page.next_cursor;
  } while (cursor);
  return emotes;
}

export const listEmotes = (client: ApiClient, signal?: AbortSignal) => listAll(client, '/v1/emotes', signal);
export const listTrash = (client: ApiClient, signal?: AbortSignal) => listAll(client, '/v1/emotes/trash', signal);
export const emoteQuota = (client: ApiClient, signal?: AbortSignal) => client.request<EmoteQuota>('GET', '/v1/emotes/quota', { signal });

export const updateEmote = (client: ApiClient, id: string, changes: { shortcode?: string; public?: boolean }) =>
  client.request<Emote>('PUT', path(id), { json: changes });
export const deleteEmote = (client: ApiClient, id: string) => client.request<void>('DELETE', path(id));
export const restoreEmote = (client: ApiClient, id: string) => client.request<Emote>('POST', path(id, '/restore'));

export const emoteImageUrl = (client: ApiClient, id: string, size = '64') =>
  client.request<{ url: string; expires_at: number | null }>('GET', path(id, `/url?size=${size}`));
