// Uploads: create (presigned), receive the bytes, complete; and the one-request upload built from the same steps.
import type { Readable } from 'node:stream';
import type { Deps } from '../context.ts';
import type { FileRow } from '../db/schema.ts';
import { ApiError } from '../errors.ts';
import { newId } from '../ids.ts';
import { formatFromMime, MIME_BY_FORMAT } from '../images/sniff.ts';
import { ObjectLengthError, ObjectTooLargeError, objectKeys } from '../storage/index.ts';
import type { Transaction } from 'kysely';
import type { Db } from '../db/index.ts';
import type { Database } from '../db/schema.ts';
import { checkShortcode, insertEmote } from './emotes.ts';
import { cropColumns, cropRect, ownedFile, squareCrop, storedCrop, type Crop, type CropFields } from './files.ts';
import { queueRendition } from './renditions.ts';
import { uploadUrl } from './urls.ts';

export interface NewUpload extends CropFields {
  upload_type: 'profile_pic' | 'emote';
  filename: string;
  content_type: string;
  size_bytes: number;
  set_as_avatar?: boolean | undefined;
  shortcode?: string | undefined;
  public?: boolean | undefined;
}

/** The canonical MIME type for an accepted declared type; 415 otherwise. */
function acceptedMime(declared: string): string {
  const format = formatFromMime(declared);
  if (!format) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Only JPEG, PNG, GIF, WebP and AVIF images are accepted');
  return MIME_BY_FORMAT[format];
}

function checkSize(deps: Deps, sizeBytes: number, uploadType: NewUpload['upload_type'] = 'profile_pic') {
  const max = uploadType === 'emote' ? deps.config.maxEmoteBytes : deps.config.maxAvatarBytes;
  if (sizeBytes > max) throw new ApiError(413, 'FILE_TOO_LARGE', `The file is larger than the ${max} bytes allowed`);
}

async function insertFile(deps: Deps, db: Db | Transaction<Database>, userId: string, upload: NewUpload, contentType: string, crop: Crop | null): Promise<string> {
  const id = newId('f');
  const now = deps.clock();
  await db
    .insertInto('files')
    .values({
      id,
      owner_id: userId,
      upload_type: upload.upload_type,
      filename: upload.filename,
      content_type: contentType,
      size_bytes: upload.size_bytes,
      ...cropColumns(crop),
      set_as_avatar: upload.upload_type === 'profile_pic' && upload.set_as_avatar !== false ? 1 : 0,
      state: 'awaiting_upload',
      received: 0,
      error_code: null,
      error_message: null,
      width: null,
      height: null,
      rendition_id: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export async function createUpload(deps: Deps, userId: string, upload: NewUpload) {
  const isEmote = upload.upload_type === 'emote';
  const contentType = acceptedMime(upload.content_type);
  checkSize(deps, upload.size_bytes, upload.upload_type);
  // Emotes keep their aspect ratio, so their crop is any rectangle; avatars are square.
  const crop = isEmote ? cropRect(upload) : squareCrop(upload);
  const shortcode = isEmote ? checkShortcode(upload.shortcode) : null;
  deps.uploadLimiter.hit(userId, deps.clock());
  // The file and its emote are created together: a taken shortcode or a full quota leaves nothing behind.
  const { fileId, emoteId } = await deps.db.transaction().execute(async (trx) => {
    const id = await insertFile(deps, trx, userId, upload, contentType, crop);
    if (!shortcode) return { fileId: id, emoteId: null };
    const emote = { ownerId: userId, fileId: id, name: upload.filename, shortcode, public: upload.public ?? false, sizeBytes: upload.size_bytes, mimeType: contentType };
    return { fileId: id, emoteId: await insertEmote(deps, trx, emote, deps.clock()) };
  });
  const expiresAt = deps.clock() + deps.config.uploadUrlTtlSeconds;
  const signature = deps.signer.sign({ fileId, contentType, sizeBytes: upload.size_bytes, expiresAt });
  return {
    file_id: fileId,
    upload_url: uploadUrl(deps, fileId, expiresAt, signature),
    upload_method: 'PUT' as const,
    upload_headers: { 'Content-Type': contentType },
    expires_at: expiresAt,
    ...(emoteId ? { emote_id: emoteId } : {}),
  };
}

/** Files whose bytes are being written by this process: a second concurrent PUT must not overwrite them. */
const receiving = new Set<string>();

/** Stores the original's bytes exactly once; a body of the wrong length stores nothing. */
async function storeOriginal(deps: Deps, file: FileRow, body: Readable | null, declaredLength: number | null) {
  if (declaredLength !== null && declaredLength !== file.size_bytes) {
    throw new ApiError(400, 'SIZE_MISMATCH', `The body is ${declaredLength} bytes but ${file.size_bytes} were announced`);
  }
  if (receiving.has(file.id)) throw new ApiError(409, 'UPLOAD_ALREADY_RECEIVED', 'This upload is already being received');
  receiving.add(file.id);
  try {
    await writeOriginal(deps, file, body);
  } finally {
    receiving.delete(file.id);
  }
}

async function writeOriginal(deps: Deps, file: FileRow, body: Readable | null) {
  try {
    if (!body) throw new ObjectLengthError(file.size_bytes, 0);
    await deps.storage.put(objectKeys.original(file.id), body, { exactBytes: file.size_bytes });
  } catch (err) {
    if (err instanceof ObjectLengthError || err instanceof ObjectTooLargeError) {
      throw new ApiError(400, 'SIZE_MISMATCH', `The body must be exactly ${file.size_bytes} bytes`);
    }
    throw err;
  }
  const marked = await deps.db
    .updateTable('files')
    .set({ received: 1, updated_at: deps.clock() })
    .where('id', '=', file.id)
    .where('received', '=', 0)
    .executeTakeFirst();
  if (marked.numUpdatedRows === 0n) throw new ApiError(409, 'UPLOAD_ALREADY_RECEIVED', 'This upload has already been received');
}

export interface ReceivedUpload {
  fileId: string;
  expires: string;
  signature: string;
  contentType: string | undefined;
  contentLength: number | null;
  body: Readable | null;
}

/** The presigned PUT, verified by the server itself (local storage). */
export async function receiveUpload(deps: Deps, put: ReceivedUpload) {
  const invalid = new ApiError(403, 'UPLOAD_URL_INVALID', 'The upload URL is not valid (tampered, or the Content-Type differs from the signed one)');
  const file = await deps.db.selectFrom('files').selectAll().where('id', '=', put.fileId).executeTakeFirst();
  const expiresAt = /^\d{1,12}$/.test(put.expires) ? Number(put.expires) : NaN;
  if (!file || !Number.isFinite(expiresAt)) throw invalid;
  const grant = { fileId: file.id, contentType: file.content_type, sizeBytes: file.size_bytes, expiresAt };
  if (!deps.signer.verify(grant, put.signature)) throw invalid;
  const sentType = (put.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (sentType !== file.content_type) throw invalid;
  if (expiresAt < deps.clock()) throw new ApiError(403, 'UPLOAD_URL_EXPIRED', 'The upload URL has expired; create a new upload');
  if (file.received) throw new ApiError(409, 'UPLOAD_ALREADY_RECEIVED', 'This upload has already been received');
  await storeOriginal(deps, file, put.body, put.contentLength);
}

/** Starts processing a received file (once); returns its state. */
async function startProcessing(deps: Deps, file: FileRow): Promise<FileRow['state']> {
  if (file.state !== 'awaiting_upload') return file.state;
  const now = deps.clock();
  const started = await deps.db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('files')
      .set({ state: 'processing', updated_at: now })
      .where('id', '=', file.id)
      .where('state', '=', 'awaiting_upload')
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) return false;
    await queueRendition(trx, deps, file.id, storedCrop(file), file.set_as_avatar ? file.owner_id : null, now);
    return true;
  });
  if (!started) {
    const current = await deps.db.selectFrom('files').select('state').where('id', '=', file.id).executeTakeFirst();
    if (!current) throw new ApiError(404, 'FILE_NOT_FOUND', 'No such file'); // purged in the meantime
    return current.state;
  }
  deps.jobs.kick();
  return 'processing';
}

export async function completeUpload(deps: Deps, userId: string, fileId: string) {
  const file = await ownedFile(deps, userId, fileId);
  if (!file.received) throw new ApiError(409, 'UPLOAD_NOT_RECEIVED', 'No bytes have been uploaded for this file yet');
  return { file_id: file.id, processing_state: await startProcessing(deps, file) };
}

export interface DirectUpload extends CropFields {
  contentType: string;
  filename: string;
  body: Readable;
  /** Known for buffered multipart parts and raw bodies that send Content-Length. */
  sizeBytes: number | null;
}

/** POST /v1/users/me/avatar: create, receive and complete in one request; the avatar is promoted when ready. */
export async function directUpload(deps: Deps, userId: string, upload: DirectUpload) {
  const contentType = acceptedMime(upload.contentType);
  if (upload.sizeBytes === null) throw new ApiError(411, 'LENGTH_REQUIRED', 'Send Content-Length (or use multipart/form-data)');
  if (upload.sizeBytes === 0) throw new ApiError(400, 'INVALID_REQUEST', 'The image is empty');
  checkSize(deps, upload.sizeBytes);
  const crop = squareCrop(upload);
  deps.uploadLimiter.hit(userId, deps.clock());
  const newFile = { upload_type: 'profile_pic' as const, filename: upload.filename, content_type: contentType, size_bytes: upload.sizeBytes, set_as_avatar: true };
  const fileId = await insertFile(deps, deps.db, userId, newFile, contentType, crop);
  const file = await ownedFile(deps, userId, fileId);
  try {
    await storeOriginal(deps, file, upload.body, upload.sizeBytes);
  } catch (err) {
    // Nothing useful was stored: leave no half-created file behind.
    await deps.db.deleteFrom('files').where('id', '=', fileId).execute();
    throw err;
  }
  return { file_id: fileId, processing_state: await startProcessing(deps, { ...file, received: 1 }) };
}
