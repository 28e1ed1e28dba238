// The events <avatar-editor> fires: bubbling and composed, so a host page hears them from anywhere.
import type { Emote } from './api/emotes.ts';

export interface AvatarChangedDetail {
  user_id: string | null;
  /** The uploaded file; null for a cartoon (`source: 'config'`). */
  file_id: string | null;
  version: number;
  /** The 256 px variant (WebP). */
  url: string;
  /** Size → WebP URL. */
  urls: Record<string, string>;
  /** Size → AVIF URL, for the sizes also made in AVIF ({} from servers older than AVIF variants). */
  avif_urls: Record<string, string>;
  /** A ThumbHash of the avatar as base64 (media/placeholder.ts), to paint before the image loads. */
  placeholder: string | null;
  source: 'upload' | 'config';
}

export interface AvatarRemovedDetail {
  user_id: string | null;
}

export interface AvatarErrorDetail {
  code: string;
  message: string;
  retryable: boolean;
}

export interface UploadProgressDetail {
  phase: 'processing' | 'upload' | 'waiting';
  loaded: number;
  total: number;
}

export interface EmoteEventDetail {
  emote: Emote;
}

export interface AvatarEditorEventMap {
  'avatar-changed': CustomEvent<AvatarChangedDetail>;
  'avatar-removed': CustomEvent<AvatarRemovedDetail>;
  'avatar-error': CustomEvent<AvatarErrorDetail>;
  'upload-progress': CustomEvent<UploadProgressDetail>;
  'emote-created': CustomEvent<EmoteEventDetail>;
  'emote-updated': CustomEvent<EmoteEventDetail>;
  'emote-deleted': CustomEvent<EmoteEventDetail>;
}

export function emit<K extends keyof AvatarEditorEventMap>(target: EventTarget, type: K, detail: AvatarEditorEventMap[K]['detail']) {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

declare global {
  interface GlobalEventHandlersEventMap extends AvatarEditorEventMap {}
}
