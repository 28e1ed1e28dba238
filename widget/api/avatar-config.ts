// Cartoon avatars (SPEC §3 Config avatars): the option list, preview URLs, and saving options as the avatar.
import type { ApiClient } from './client.ts';
import { servedDetail, type AvatarDetail, type ServedAvatar } from './upload.ts';

/** Option key → chosen value, e.g. `{ topType: 'LongHairMiaWallace', skinColor: 'Light' }`. */
export type CartoonConfig = Record<string, string>;
/** Option key → its allowed values; the first is the default. */
export type CartoonOptions = Record<string, string[]>;

/** GET /v1/avatar-config/options: every key with its values, in the server's order. */
export async function cartoonOptions(client: ApiClient): Promise<CartoonOptions> {
  // `defaults` repeats the first value of each list.
  const { defaults, ...options } = await client.request<CartoonOptions & { defaults: unknown }>('GET', '/v1/avatar-config/options');
  return options;
}

/** The server's drawing of `config` (omitted keys take their defaults). */
export const cartoonPreviewUrl = (client: ApiClient, config: CartoonConfig): string =>
  client.url(`/v1/avatar-config/preview.svg?${new URLSearchParams(config)}`);

/** POST /v1/users/me/avatar/config: the avatar is already served when this resolves. */
export async function saveCartoon(client: ApiClient, config: CartoonConfig): Promise<AvatarDetail> {
  const { avatar } = await client.request<{ avatar: ServedAvatar }>('POST', '/v1/users/me/avatar/config', { json: { data: config } });
  return { file_id: null, ...servedDetail(avatar), source: 'config' };
}
