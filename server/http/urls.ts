// Every URL the server hands out is built here, so the base (AVATAR_PUBLIC_URL) and the paths stay in one place.
import { DEFAULT_FORMAT } from '../../media/variants.ts';
import type { Deps } from '../deps.ts';
import { objectKeys } from '../storage/index.ts';

/** A public variant: the CDN or bucket URL with S3 storage, else this server's /cdn. Never the app for S3. */
export const variantUrl = (deps: Deps, key: string) => deps.storage.publicUrl(key) ?? `${deps.baseUrl()}/cdn/${key}`;

/**
 * Where a rendition's public variants are served from (the start of each of their URLs), for a CDN purge by prefix:
 * the URL of one of its variant keys without the file name.
 */
export function renditionUrlPrefix(deps: Deps, renditionId: string): string {
  const url = variantUrl(deps, objectKeys.variant(renditionId, 'any', '0'.repeat(32), DEFAULT_FORMAT));
  return url.slice(0, url.lastIndexOf('/') + 1);
}

/** A private variant's read URL, valid until `expiresAt`: an S3 presigned GET, or /cdn with our own signature. */
export async function privateVariantUrl(deps: Deps, key: string, expiresAt: number): Promise<string> {
  const presigned = await deps.storage.presignGet(key, expiresAt - deps.clock());
  if (presigned) return presigned;
  return `${deps.baseUrl()}/cdn/${key}?expires=${expiresAt}&signature=${deps.readSigner.sign(key, expiresAt)}`;
}

/**
 * The address of a variant made on request, on this server whatever the storage (storage/index.ts onRequestKey):
 * public, or signed until `expiresAt` like a private variant on local storage.
 */
export function onRequestUrl(deps: Deps, key: string, expiresAt: number | null): string {
  const url = `${deps.baseUrl()}/cdn/${key}`;
  return expiresAt === null ? url : `${url}?expires=${expiresAt}&signature=${deps.readSigner.sign(key, expiresAt)}`;
}

/** The presigned PUT of an upload, verified by the server itself (local storage). */
export const uploadUrl = (deps: Deps, fileId: string, expiresAt: number, signature: string) =>
  `${deps.baseUrl()}/v1/uploads/${encodeURIComponent(fileId)}/content?expires=${expiresAt}&signature=${signature}`;

/** An upload link (POST /v1/admin/avatars/new): a multipart POST or raw PUT of the image, verified by the server. */
export const uploadLinkUrl = (deps: Deps, fileId: string, expiresAt: number, signature: string) =>
  `${deps.baseUrl()}/v1/uploads/${encodeURIComponent(fileId)}/image?expires=${expiresAt}&signature=${signature}`;

/** The hosted editor page of a session (POST /v1/admin/sessions). */
export const editorUrl = (deps: Deps, sessionId: string) => `${deps.baseUrl()}/editor/${sessionId}`;
