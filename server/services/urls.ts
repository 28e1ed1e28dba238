// Every URL the server hands out is built here, so the base (AVATAR_PUBLIC_URL) and the paths stay in one place.
import type { Deps } from '../context.ts';

/** A stored variant served by /cdn (local storage). */
export const cdnUrl = (deps: Deps, key: string) => `${deps.baseUrl()}/cdn/${key}`;

/** A private variant's read URL, signed until `expiresAt`. */
export const signedCdnUrl = (deps: Deps, key: string, expiresAt: number, signature: string) => `${cdnUrl(deps, key)}?expires=${expiresAt}&signature=${signature}`;

/** The presigned PUT of an upload, verified by the server itself (local storage). */
export const uploadUrl = (deps: Deps, fileId: string, expiresAt: number, signature: string) =>
  `${deps.baseUrl()}/v1/uploads/${encodeURIComponent(fileId)}/content?expires=${expiresAt}&signature=${signature}`;
