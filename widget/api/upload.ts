// Avatar upload as SPEC §3 describes it: create → presigned PUT (with progress) → complete → wait for
// processing → read the promoted avatar. Also reading and removing the current avatar.
import { formatOfType, IMAGE_FORMATS } from '../../media/formats.ts';
import type { ApiClient } from './client.ts';
import { wait } from './client.ts';
import { abortReason, errorFromResponse, networkError, WidgetError } from './errors.ts';

import type { Crop } from '../crop-geometry.ts';

export type { Crop };

export interface UploadProgress {
  phase: 'upload' | 'processing';
  loaded: number;
  total: number;
}

/** The `avatar-changed` event detail; `url` is the 256 px variant. `file_id` is null for a cartoon. */
export interface AvatarDetail {
  file_id: string | null;
  version: number;
  url: string;
  urls: Record<string, string>;
  avif_urls: Record<string, string>;
  placeholder: string | null;
  source: 'upload' | 'config';
}

export interface UploadAvatarOptions {
  /** Square crop in source pixels; without one the server applies its default crop (face, saliency or centre). */
  crop?: Crop | null | undefined;
  filename?: string | undefined;
  onProgress?: ((progress: UploadProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Give up waiting for processing after this long (the server's own job timeout is 30 s by default). */
  processingTimeoutMs?: number | undefined;
}

/** An avatar as the server describes it; `config` holds a cartoon's options. */
export interface ServedAvatar {
  file_id: string | null;
  version: number;
  source: 'upload' | 'config';
  urls: Record<string, string>;
  /** Absent from servers older than AVIF variants. */
  avif_urls?: Record<string, string>;
  placeholder?: string | null;
  config?: Record<string, string>;
  updated_at: number;
}

/** The event detail's fields of an avatar the server described (sizes in AVIF and the placeholder as far as it has them). */
export const servedDetail = (avatar: ServedAvatar) => ({
  version: avatar.version,
  url: avatar.urls['256'] ?? Object.values(avatar.urls)[0] ?? '',
  urls: avatar.urls,
  avif_urls: avatar.avif_urls ?? {},
  placeholder: avatar.placeholder ?? null,
});

/** GET /v1/users/me. */
export interface CurrentUser {
  id: string;
  avatar_url: string | null;
  avatar: ServedAvatar | null;
  avatar_processing: boolean;
}

interface UploadCreated {
  file_id: string;
  upload_url: string;
  upload_method: 'PUT';
  upload_headers: Record<string, string>;
  expires_at: number;
}

type ProcessingState = 'awaiting_upload' | 'processing' | 'ready' | 'failed';

interface FileView {
  id: string;
  processing_state: ProcessingState;
  error?: { code: string; message: string };
}

/** Reading /users/me again starts fast and backs off to a gentle pace. */
const POLL_FIRST_MS = 150;
const POLL_GROWTH = 1.5;
const POLL_MAX_MS = 2000;
const DEFAULT_PROCESSING_TIMEOUT_MS = 120_000;
/** Promotion happens in the transaction that marks the file ready, so /users/me should agree at once. */
const PROMOTION_TIMEOUT_MS = 5_000;

export function defaultFilename(blob: Blob): string {
  if (typeof File !== 'undefined' && blob instanceof File && blob.name) return blob.name;
  const format = formatOfType(blob.type);
  return `avatar.${format ? IMAGE_FORMATS[format].extension : 'bin'}`;
}

/**
 * Uploads `blob` as the user's new avatar and resolves once the server serves it, with the URLs for
 * `avatar-changed`. Rejects with a WidgetError, or with the signal's AbortError when aborted.
 */
export async function uploadAvatar(client: ApiClient, blob: Blob, options: UploadAvatarOptions = {}): Promise<AvatarDetail> {
  const body = { upload_type: 'profile_pic', set_as_avatar: true, ...cropFields(options.crop) };
  const upload = await uploadFile(client, blob, body, options);
  const detail = await waitForPromotion(client, upload.file_id, options.signal);
  options.onProgress?.({ phase: 'processing', loaded: 1, total: 1 });
  return detail;
}

/**
 * A crop as the fields of POST /v1/uploads (none when there is no crop). The server cuts a plain rectangle: a
 * turned or mirrored crop is drawn in the worker instead, and sending only its rectangle would be wrong.
 */
export function cropFields(crop: Crop | null | undefined) {
  if (crop?.rotate || crop?.flip) throw new RangeError('The server applies no turn or mirror: draw this crop in the worker');
  return crop ? { crop_x: crop.x, crop_y: crop.y, crop_w: crop.w, crop_h: crop.h } : {};
}

/**
 * The two-step upload every kind shares: create (with `fields` such as upload_type), presigned PUT with
 * progress, complete, and the wait until processing ends. Resolves with the created upload once the file
 * is ready; a failed file rejects with the server's error code.
 */
export async function uploadFile<T extends object = object>(
  client: ApiClient,
  blob: Blob,
  fields: Record<string, unknown>,
  options: UploadAvatarOptions = {},
): Promise<T & UploadCreated> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  let upload = await createUpload<T>(client, blob, fields, options);
  try {
    await putBytes(client, upload, blob, options);
  } catch (error) {
    // The URL lives 10 minutes: a long retry or a sleeping laptop can outlive it. A fresh upload fixes that once.
    if (!(error instanceof WidgetError) || error.code !== 'UPLOAD_URL_EXPIRED') throw error;
    upload = await createUpload<T>(client, blob, fields, options);
    await putBytes(client, upload, blob, options);
  }
  const id = encodeURIComponent(upload.file_id);
  onProgress?.({ phase: 'processing', loaded: 0, total: 1 });
  const started = await client.request<{ processing_state: ProcessingState }>('POST', `/v1/uploads/${id}/complete`, { signal });
  const file = await waitForProcessing(client, upload.file_id, started.processing_state, options);
  if (file.processing_state === 'failed') {
    const { code, message } = file.error ?? { code: 'PROCESSING_FAILED', message: 'Processing failed' };
    throw new WidgetError(code, message, { retryable: false });
  }
  return upload;
}

/** The current avatar as an `avatar-changed` detail, or null when the user has none. */
export async function currentAvatar(client: ApiClient, signal?: AbortSignal): Promise<AvatarDetail | null> {
  return avatarDetail(await currentUser(client, signal));
}

export function currentUser(client: ApiClient, signal?: AbortSignal): Promise<CurrentUser> {
  return client.request<CurrentUser>('GET', '/v1/users/me', { signal });
}

/** DELETE /v1/users/me/avatar (idempotent). */
export async function removeAvatar(client: ApiClient, signal?: AbortSignal): Promise<void> {
  await client.request('DELETE', '/v1/users/me/avatar', { signal });
}

export function avatarDetail(user: CurrentUser): AvatarDetail | null {
  const { avatar } = user;
  if (!avatar) return null;
  return { file_id: avatar.file_id, ...servedDetail(avatar), source: avatar.source };
}

function createUpload<T>(client: ApiClient, blob: Blob, fields: Record<string, unknown>, { filename, signal }: UploadAvatarOptions): Promise<T & UploadCreated> {
  const body = { filename: filename ?? defaultFilename(blob), content_type: blob.type, size_bytes: blob.size, ...fields };
  return client.request<T & UploadCreated>('POST', '/v1/uploads', { json: body, signal });
}

/** The presigned PUT, retried like any request. Progress restarts from 0 on a retry, because the bytes do too. */
async function putBytes(client: ApiClient, upload: UploadCreated, blob: Blob, { onProgress, signal }: UploadAvatarOptions) {
  const total = blob.size;
  let lastLoaded = -1;
  const report = (loaded: number) => {
    if (loaded === lastLoaded) return;
    lastLoaded = loaded;
    onProgress?.({ phase: 'upload', loaded, total });
  };
  report(0);
  await client.retry(async (attempt) => {
    try {
      await xhrPut(upload.upload_url, blob, upload.upload_headers, report, signal);
    } catch (error) {
      // An earlier attempt's bytes arrived but its answer was lost: the upload is done.
      if (attempt > 1 && error instanceof WidgetError && error.code === 'UPLOAD_ALREADY_RECEIVED') return;
      throw error;
    }
  }, signal);
  report(total);
}

/** fetch() cannot report upload progress, XMLHttpRequest can. */
function xhrPut(url: string, blob: Blob, headers: Record<string, string>, onLoaded: (loaded: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const settle = (outcome: () => void) => {
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => onLoaded(Math.min(event.loaded, blob.size)));
    xhr.addEventListener('load', () =>
      settle(() => {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(errorFromResponse(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      }),
    );
    xhr.addEventListener('error', () => settle(() => reject(networkError())));
    xhr.addEventListener('timeout', () => settle(() => reject(networkError('timed out'))));
    xhr.addEventListener('abort', () => settle(() => reject(signal?.aborted ? abortReason(signal) : networkError('aborted'))));
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(blob);
  });
}

/** Each long-poll asks the server to hold the answer this long (SPEC §3 allows up to 30 s). */
const LONG_POLL_SECONDS = 25;

/**
 * Waits until the file is ready or failed with GET /v1/files/{id}?wait=N: the server answers as soon as it is,
 * so the widget learns at once, without polling.
 */
async function waitForProcessing(client: ApiClient, fileId: string, state: ProcessingState, { signal, processingTimeoutMs }: UploadAvatarOptions): Promise<FileView> {
  const deadline = Date.now() + (processingTimeoutMs ?? DEFAULT_PROCESSING_TIMEOUT_MS);
  const path = `/v1/files/${encodeURIComponent(fileId)}`;
  // `complete` already tells the state: a file already ready or failed is read at once, without a wait.
  let seconds = state === 'ready' || state === 'failed' ? 0 : LONG_POLL_SECONDS;
  for (;;) {
    const file = await client.request<FileView>('GET', `${path}?wait=${Math.min(seconds, Math.max(0, Math.ceil((deadline - Date.now()) / 1000)))}`, { signal });
    if (file.processing_state === 'ready' || file.processing_state === 'failed') return file;
    if (Date.now() >= deadline) throw new WidgetError('PROCESSING_TIMEOUT', 'Processing timed out', { retryable: true });
    seconds = LONG_POLL_SECONDS;
  }
}

/** Reads /users/me until it shows this file as the avatar. */
async function waitForPromotion(client: ApiClient, fileId: string, signal?: AbortSignal): Promise<AvatarDetail> {
  const deadline = Date.now() + PROMOTION_TIMEOUT_MS;
  let interval = POLL_FIRST_MS;
  for (;;) {
    const detail = avatarDetail(await currentUser(client, signal));
    if (detail?.file_id === fileId) return detail;
    if (Date.now() + interval > deadline) {
      throw new WidgetError('AVATAR_SUPERSEDED', 'Superseded by another change', { retryable: false });
    }
    await wait(interval, signal);
    interval = Math.min(interval * POLL_GROWTH, POLL_MAX_MS);
  }
}

/** PUT /v1/users/me/avatar: makes a ready profile picture the avatar again (e.g. after a removal), then reads it. */
export async function setAvatarFile(client: ApiClient, fileId: string, signal?: AbortSignal): Promise<AvatarDetail> {
  await client.request('PUT', '/v1/users/me/avatar', { json: { file_id: fileId }, signal });
  const detail = await currentAvatar(client, signal);
  if (detail?.file_id !== fileId) throw new WidgetError('AVATAR_SUPERSEDED', 'Superseded by another change', { retryable: false });
  return detail;
}
