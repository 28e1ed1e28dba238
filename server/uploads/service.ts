// Uploads: create (presigned), receive the bytes, complete; and the one-request upload built from the same steps.
import type { Readable } from 'node:stream';
import type { Deps } from '../deps.ts';
import type { FileRow } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { newId } from '../db/ids.ts';
import { formatFromMime, MIME_BY_FORMAT } from '../images/sniff.ts';
import { ObjectLengthError, ObjectTooLargeError, objectKeys } from '../storage/index.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { checkShortcode, insertEmote } from '../emotes/service.ts';
import { cropColumns, cropRect, ownedFile, squareCrop, storedCrop, type Crop, type CropFields } from './files.ts';
import { queueRendition } from '../renditions/service.ts';
import { uploadUrl } from '../http/urls.ts';
import { beginUserWrite, lockUser } from '../people/user-lock.ts';
import { nextSeq } from '../db/dialect.ts';

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
export function acceptedMime(declared: string): string {
  const format = formatFromMime(declared);
  if (!format) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Only JPEG, PNG, GIF, WebP and AVIF images are accepted');
  return MIME_BY_FORMAT[format];
}

function checkSize(deps: Deps, sizeBytes: number, uploadType: NewUpload['upload_type'] = 'profile_pic') {
  const max = uploadType === 'emote' ? deps.config.maxEmoteBytes : deps.config.maxAvatarBytes;
  if (sizeBytes > max) throw new ApiError('FILE_TOO_LARGE', `The file is larger than the ${max} bytes allowed`);
}

/** Inserts a file in the caller's transaction, as its first statement: the user's turn (409 USER_ERASED while erased). */
export async function insertFile(
  deps: Deps,
  trx: Transaction<Database>,
  userId: string,
  upload: NewUpload,
  contentType: string,
  crop: Crop | null,
  /** The id of bytes already stored (a one-request upload): the row is created received. */
  storedAs: string | null = null,
): Promise<string> {
  const id = storedAs ?? newId('f');
  const now = deps.clock();
  await beginUserWrite(trx, userId, now);
  await trx
    .insertInto('files')
    .values({
      id,
      owner_id: userId,
      seq: nextSeq(trx, 'files'),
      upload_type: upload.upload_type,
      filename: upload.filename,
      content_type: contentType,
      size_bytes: upload.size_bytes,
      ...cropColumns(crop),
      set_as_avatar: upload.upload_type === 'profile_pic' && upload.set_as_avatar !== false ? 1 : 0,
      state: 'awaiting_upload',
      received: storedAs ? 1 : 0,
      error_code: null,
      error_message: null,
      width: null,
      height: null,
      rendition_id: null,
      created_at: now,
      updated_at: now,
      retention_from: now,
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
  await deps.uploadLimiter.hit(userId, deps.clock());
  // The file and its emote are created together: a taken shortcode or a full quota leaves nothing behind.
  const { fileId, emoteId } = await deps.db.transaction().execute(async (trx) => {
    const id = await insertFile(deps, trx, userId, upload, contentType, crop);
    if (!shortcode) return { fileId: id, emoteId: null };
    const emote = { ownerId: userId, fileId: id, name: upload.filename, shortcode, public: upload.public ?? false, sizeBytes: upload.size_bytes, mimeType: contentType };
    return { fileId: id, emoteId: await insertEmote(deps, trx, emote, deps.clock()) };
  });
  const expiresAt = deps.clock() + deps.config.uploadUrlTtlSeconds;
  // With S3 the bytes go straight to the bucket, through a URL bound to this type and length.
  const presigned = await deps.storage.presignPut(objectKeys.original(fileId), {
    contentType,
    contentLength: upload.size_bytes,
    expiresInSeconds: deps.config.uploadUrlTtlSeconds,
  });
  const signature = deps.signer.sign({ fileId, contentType, sizeBytes: upload.size_bytes, expiresAt });
  return {
    file_id: fileId,
    upload_url: presigned?.url ?? uploadUrl(deps, fileId, expiresAt, signature),
    upload_method: 'PUT' as const,
    upload_headers: presigned ? { ...presigned.headers, 'Content-Type': contentType } : { 'Content-Type': contentType },
    expires_at: presigned?.expiresAt ?? expiresAt,
    ...(emoteId ? { emote_id: emoteId } : {}),
  };
}

/**
 * Bytes PUT straight to the bucket (S3) are not seen by this server: check the object (size and type) and
 * record it as received. An object that does not match is deleted; nothing is processed from it.
 */
export async function receivedInBucket(deps: Deps, file: FileRow): Promise<boolean> {
  const head = await deps.storage.head(objectKeys.original(file.id));
  if (!head) return false;
  const type = (head.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (head.size !== file.size_bytes || type !== file.content_type) {
    await deps.storage.delete(objectKeys.original(file.id));
    throw new ApiError('SIZE_MISMATCH', `The uploaded object is ${head.size} bytes of ${type || 'unknown type'}; ${file.size_bytes} bytes of ${file.content_type} were announced`);
  }
  await deps.db.updateTable('files').set({ received: 1, updated_at: deps.clock() }).where('id', '=', file.id).where('received', '=', 0).execute();
  return true;
}

/**
 * Reserves a file's original for one writer until `releaseOriginal` (deps.uploadReservations: across processes on
 * PostgreSQL): 409 while another request writes it, or once it has been received (re-read after reserving, so
 * a request that checked before the previous writer finished cannot overwrite its bytes).
 */
export async function reserveOriginal(deps: Deps, fileId: string): Promise<void> {
  if (!(await deps.uploadReservations.reserve(fileId))) throw new ApiError('UPLOAD_ALREADY_RECEIVED', 'This upload is already being received');
  const current = await deps.db.selectFrom('files').select('received').where('id', '=', fileId).executeTakeFirst().catch(async (err: unknown) => {
    await deps.uploadReservations.release(fileId);
    throw err;
  });
  if (current?.received) {
    await deps.uploadReservations.release(fileId);
    throw new ApiError('UPLOAD_ALREADY_RECEIVED', 'This upload has already been received');
  }
}

export const releaseOriginal = (deps: Deps, fileId: string) => deps.uploadReservations.release(fileId);

/** Stores the original's bytes exactly once; a body of the wrong length stores nothing. */
async function storeOriginal(deps: Deps, file: FileRow, body: Readable | null, declaredLength: number | null) {
  if (declaredLength !== null && declaredLength !== file.size_bytes) {
    throw new ApiError('SIZE_MISMATCH', `The body is ${declaredLength} bytes but ${file.size_bytes} were announced`);
  }
  await reserveOriginal(deps, file.id);
  try {
    await writeOriginal(deps, file, body);
  } finally {
    await releaseOriginal(deps, file.id);
  }
}

async function writeOriginal(deps: Deps, file: FileRow, body: Readable | null) {
  try {
    if (!body) throw new ObjectLengthError(file.size_bytes, 0);
    await deps.storage.put(objectKeys.original(file.id), body, { exactBytes: file.size_bytes });
  } catch (err) {
    if (err instanceof ObjectLengthError || err instanceof ObjectTooLargeError) {
      throw new ApiError('SIZE_MISMATCH', `The body must be exactly ${file.size_bytes} bytes`);
    }
    throw err;
  }
  const marked = await deps.db
    .updateTable('files')
    .set({ received: 1, updated_at: deps.clock() })
    .where('id', '=', file.id)
    .where('received', '=', 0)
    .executeTakeFirst();
  if (marked.numUpdatedRows === 0n) {
    if (await deps.db.selectFrom('files').select('id').where('id', '=', file.id).executeTakeFirst()) {
      throw new ApiError('UPLOAD_ALREADY_RECEIVED', 'This upload has already been received');
    }
    // Deleted while its bytes arrived (its owner deleted it, or was erased): they must not stay.
    await deps.storage.delete(objectKeys.original(file.id));
    throw new ApiError('FILE_NOT_FOUND', 'This upload was deleted while its bytes arrived');
  }
}

export interface ReceivedUpload {
  fileId: string;
  expires: string;
  signature: string;
  contentType: string | undefined;
  contentLength: number | null;
  body: Readable | null;
}

/** An upload URL (or link) is valid while the clock is before `expiresAt`: from that second on it has expired. */
export const urlExpired = (deps: Deps, expiresAt: number) => expiresAt <= deps.clock();

/** The presigned PUT, verified by the server itself (local storage). */
export async function receiveUpload(deps: Deps, put: ReceivedUpload) {
  const invalid = new ApiError('UPLOAD_URL_INVALID', 'The upload URL is not valid (tampered, or the Content-Type differs from the signed one)');
  const expired = new ApiError('UPLOAD_URL_EXPIRED', 'The upload URL has expired; create a new upload');
  const file = await deps.db.selectFrom('files').selectAll().where('id', '=', put.fileId).executeTakeFirst();
  const expiresAt = /^\d{1,12}$/.test(put.expires) ? Number(put.expires) : NaN;
  if (!Number.isFinite(expiresAt)) throw invalid;
  const sentType = (put.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!file) {
    // An upload never sent is swept once its URL has expired: the request itself (its type and length, which the
    // signature binds) shows whether this was a genuine URL that has expired, or a made-up one.
    const sent = { fileId: put.fileId, contentType: sentType, sizeBytes: put.contentLength ?? -1, expiresAt };
    throw urlExpired(deps, expiresAt) && deps.signer.verify(sent, put.signature) ? expired : invalid;
  }
  const grant = { fileId: file.id, contentType: file.content_type, sizeBytes: file.size_bytes, expiresAt };
  if (!deps.signer.verify(grant, put.signature)) throw invalid;
  if (sentType !== file.content_type) throw invalid;
  if (urlExpired(deps, expiresAt)) throw expired;
  if (file.received) throw new ApiError('UPLOAD_ALREADY_RECEIVED', 'This upload has already been received');
  await storeOriginal(deps, file, put.body, put.contentLength);
}

/** Starts processing a received file (once); returns its state. */
export async function startProcessing(deps: Deps, file: FileRow): Promise<FileRow['state']> {
  if (file.state !== 'awaiting_upload') return file.state;
  const now = deps.clock();
  const started = await deps.db.transaction().execute(async (trx) => {
    await lockUser(trx, file.owner_id);
    const claimed = await trx
      .updateTable('files')
      .set({ state: 'processing', updated_at: now })
      .where('id', '=', file.id)
      .where('state', '=', 'awaiting_upload')
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) return false;
    await queueRendition(trx, deps, file, storedCrop(file), Boolean(file.set_as_avatar), now);
    return true;
  });
  if (!started) {
    const current = await deps.db.selectFrom('files').select('state').where('id', '=', file.id).executeTakeFirst();
    if (!current) throw new ApiError('FILE_NOT_FOUND', 'No such file'); // purged in the meantime
    return current.state;
  }
  deps.jobs.kick();
  return 'processing';
}

export async function completeUpload(deps: Deps, userId: string, fileId: string) {
  const file = await ownedFile(deps, userId, fileId);
  const direct = deps.storage.capabilities.presignedPut && file.state === 'awaiting_upload';
  const received = Boolean(file.received) || (direct && (await receivedInBucket(deps, file)));
  if (!received) throw new ApiError('UPLOAD_NOT_RECEIVED', 'No bytes have been uploaded for this file yet');
  return { file_id: file.id, processing_state: await startProcessing(deps, { ...file, received: 1 }) };
}

/** An image arriving in a request: the type it was sent as, the client's file name, the bytes as they stream in. */
export interface IncomingImage {
  contentType: string;
  filename: string | null;
  body: Readable;
}

/** An image's bytes, stored as the original of `fileId`; its size is known only now that they are. */
export interface StoredImage {
  fileId: string;
  contentType: string;
  filename: string;
  sizeBytes: number;
}

/** Streams an image into `fileId`'s original, at most `maxAvatarBytes` (413 FILE_TOO_LARGE past them, nothing stored). */
export async function storeImage(deps: Deps, fileId: string, image: IncomingImage, contentType: string): Promise<StoredImage> {
  const max = deps.config.maxAvatarBytes;
  try {
    const sizeBytes = await deps.storage.put(objectKeys.original(fileId), image.body, { maxBytes: max });
    return { fileId, contentType, filename: image.filename ?? 'avatar', sizeBytes };
  } catch (err) {
    if (err instanceof ObjectTooLargeError) throw new ApiError('FILE_TOO_LARGE', `The file is larger than the ${max} bytes allowed`);
    throw err;
  }
}

/** Deletes stored bytes that no file row will claim (the rest of their request was refused). */
export const discardImage = (deps: Deps, stored: StoredImage) => deps.storage.delete(objectKeys.original(stored.fileId));

/**
 * POST /v1/users/me/avatar, step 1: refuses a type that is not an accepted image (415) or an exhausted allowance
 * (429), then streams the bytes into a new file's original. No file row exists until `commitDirectUpload`.
 */
export async function stageDirectUpload(deps: Deps, userId: string, image: IncomingImage): Promise<StoredImage> {
  const contentType = acceptedMime(image.contentType);
  await deps.uploadLimiter.hit(userId, deps.clock());
  return storeImage(deps, newId('f'), image, contentType);
}

/**
 * Step 2, once the whole request was read: the file row (with the stored size) and its processing; the avatar is
 * promoted when ready. Whatever is refused here (an empty image, a bad crop) leaves nothing behind.
 */
export async function commitDirectUpload(deps: Deps, userId: string, stored: StoredImage, fields: CropFields) {
  let file: FileRow;
  try {
    if (stored.sizeBytes === 0) throw new ApiError('INVALID_REQUEST', 'The image is empty');
    const crop = squareCrop(fields);
    const newFile = { upload_type: 'profile_pic' as const, filename: stored.filename, content_type: stored.contentType, size_bytes: stored.sizeBytes, set_as_avatar: true };
    await deps.db.transaction().execute((trx) => insertFile(deps, trx, userId, newFile, stored.contentType, crop, stored.fileId));
    file = await ownedFile(deps, userId, stored.fileId);
  } catch (err) {
    await discardImage(deps, stored);
    throw err;
  }
  return { file_id: file.id, processing_state: await startProcessing(deps, file) };
}
