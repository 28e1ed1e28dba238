// Programmatic creation (POST /v1/admin/avatars/new): a file waiting for its bytes, and a signed, single-use URL
// that takes them as a multipart POST (field "image") or a raw PUT, so a backend needs one curl line. The type and
// size are unknown when the URL is made, so the signature binds the file id and the expiry only; the type comes
// with the bytes (and processing refuses bytes that are not that type). Processing starts when they arrive; the
// outcome is the file's processing_state, and the avatar.ready / avatar.failed webhooks with its file_id.
import type { Deps } from '../deps.ts';
import type { FileRow } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { squareCrop, type CropFields } from './files.ts';
import {
  acceptedMime, discardImage, insertFile, releaseOriginal, reserveOriginal, startProcessing, storeImage, urlExpired, type IncomingImage, type StoredImage,
} from './service.ts';
import { uploadLinkUrl } from '../http/urls.ts';

export interface NewUploadLink extends CropFields {
  user_id: string;
  set_as_avatar?: boolean | undefined;
}

/** Until its bytes arrive, a link's file has no type ('') and no size (0). */
export async function createUploadLink(deps: Deps, input: NewUploadLink) {
  const crop = squareCrop(input);
  await deps.uploadLimiter.hit(input.user_id, deps.clock());
  const pending = { upload_type: 'profile_pic' as const, filename: 'avatar', content_type: '', size_bytes: 0, set_as_avatar: input.set_as_avatar };
  const fileId = await deps.db.transaction().execute((trx) => insertFile(deps, trx, input.user_id, pending, '', crop));
  const expiresAt = deps.clock() + deps.config.uploadUrlTtlSeconds;
  return {
    file_id: fileId,
    upload_url: uploadLinkUrl(deps, fileId, expiresAt, deps.signer.signLink(fileId, expiresAt)),
    upload_method: 'POST' as const,
    expires_at: expiresAt,
  };
}

export interface UploadLinkRequest {
  fileId: string;
  expires: string;
  signature: string;
}

/** The file a link is for, checked before its body is read: 403 for a tampered or expired link, 409 once used. */
export async function openUploadLink(deps: Deps, link: UploadLinkRequest): Promise<FileRow> {
  const invalid = new ApiError('UPLOAD_URL_INVALID', 'The upload URL is not valid (tampered, or not an upload link)');
  const expiresAt = /^\d{1,12}$/.test(link.expires) ? Number(link.expires) : NaN;
  if (!Number.isFinite(expiresAt) || !deps.signer.verifyLink(link.fileId, expiresAt, link.signature)) throw invalid;
  // Before the file is looked up: an expired link's file may have been swept (never sent), and it is still expired.
  if (urlExpired(deps, expiresAt)) throw new ApiError('UPLOAD_URL_EXPIRED', 'The upload URL has expired; ask for a new one');
  const file = await deps.db.selectFrom('files').selectAll().where('id', '=', link.fileId).executeTakeFirst();
  if (!file) throw invalid;
  if (file.received) throw new ApiError('UPLOAD_ALREADY_RECEIVED', 'This upload URL has already been used');
  return file;
}

/**
 * Takes the link's image: its type as sent (415 unless an accepted image type), its bytes into the file's
 * original (413 past the limit). The file stays reserved for this request until commit or discard.
 */
export async function stageLinkUpload(deps: Deps, file: FileRow, image: IncomingImage): Promise<StoredImage> {
  const contentType = acceptedMime(image.contentType);
  await reserveOriginal(deps, file.id);
  try {
    return await storeImage(deps, file.id, image, contentType);
  } catch (err) {
    await releaseOriginal(deps, file.id);
    throw err;
  }
}

/** The rest of the request was refused: the bytes go, and the link can be used again. */
export async function discardLinkUpload(deps: Deps, stored: StoredImage) {
  try {
    await discardImage(deps, stored);
  } finally {
    await releaseOriginal(deps, stored.fileId);
  }
}

/** Marks the bytes received, with their type, size and file name, and starts processing. */
export async function commitLinkUpload(deps: Deps, file: FileRow, stored: StoredImage) {
  const received = { content_type: stored.contentType, size_bytes: stored.sizeBytes, filename: stored.filename, received: 1, updated_at: deps.clock() };
  try {
    if (stored.sizeBytes === 0) throw new ApiError('INVALID_REQUEST', 'The image is empty');
    const marked = await deps.db.updateTable('files').set(received).where('id', '=', file.id).where('received', '=', 0).executeTakeFirst();
    // Deleted while its bytes arrived (its user was erased): they must not stay.
    if (marked.numUpdatedRows === 0n) throw new ApiError('FILE_NOT_FOUND', 'This upload was deleted while its bytes arrived');
  } catch (err) {
    await discardLinkUpload(deps, stored);
    throw err;
  }
  await releaseOriginal(deps, file.id);
  return { file_id: file.id, processing_state: await startProcessing(deps, { ...file, ...received }) };
}
