// Drafts: the picked image and its crop, kept in IndexedDB until saved, so a reload (or a failed offline
// upload) loses nothing. One draft per avatar server and user.
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { Crop } from './crop-geometry.ts';
import { tokenSubject } from './token.ts';

export interface Draft {
  blob: Blob;
  name: string;
  type: string;
  /** The whole edit: the crop with its turn and mirror (null: the default crop). */
  crop: Crop | null;
  /** Date.now() when saved. */
  savedAt: number;
  /** The user pressed Save but the upload did not go through (e.g. offline): retry it when back online. */
  pendingUpload?: boolean | undefined;
}

export type DraftInput = Omit<Draft, 'savedAt'> & { savedAt?: number | undefined };

/** Opened on first use, not on import: importing the widget must not touch IndexedDB. */
let store: UseStore | undefined;
const draftStore = (): UseStore => (store ??= createStore('avatar-editor', 'drafts'));

/**
 * The key a user's draft lives under: the endpoint plus the token's `sub`. The JWT is decoded, not verified:
 * it only keeps two users of one browser apart, and the server checks the token on every call anyway.
 * Null when there is no usable token (then there is no draft to keep).
 */
export function draftNamespace(endpoint: string, token: string | undefined): string | null {
  const sub = tokenSubject(token);
  return sub ? `${endpoint.replace(/\/+$/, '')}|${sub}` : null;
}

export async function saveDraft(namespace: string, draft: DraftInput): Promise<void> {
  const value: Draft = { ...draft, savedAt: draft.savedAt ?? Date.now() };
  await set(namespace, value, draftStore());
}

/** The saved draft, or undefined when there is none or what is stored is not a draft we can use. */
export async function loadDraft(namespace: string): Promise<Draft | undefined> {
  const value: unknown = await get(namespace, draftStore());
  if (!isDraft(value)) return undefined;
  // Drafts of earlier versions kept a quarter turn next to the crop.
  const { rotate } = value as { rotate?: unknown };
  if (value.crop && typeof rotate === 'number' && rotate && value.crop.rotate === undefined) value.crop = { ...value.crop, rotate };
  return value;
}

export async function clearDraft(namespace: string): Promise<void> {
  await del(namespace, draftStore());
}

function isDraft(value: unknown): value is Draft {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Partial<Draft>;
  return d.blob instanceof Blob && typeof d.name === 'string' && typeof d.type === 'string' && typeof d.savedAt === 'number';
}

/** Resolves at once when the browser is online, else on the next 'online' event; rejects if `signal` aborts first. */
export function whenOnline(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    if (navigator.onLine) return resolve();
    const done = () => {
      window.removeEventListener('online', onOnline);
      signal?.removeEventListener('abort', onAbort);
    };
    const onOnline = () => {
      done();
      resolve();
    };
    const onAbort = () => {
      done();
      reject(signal!.reason);
    };
    window.addEventListener('online', onOnline);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
