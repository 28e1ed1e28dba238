// Uploaded files as the other services see them: ownership, and the crop a client asked for.
// Crops are parsed here once, at the edge, into the pipeline's one `Crop` type.
import type { Deps } from '../deps.ts';
import type { CropSource, FileRow, RenditionRow } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import type { Crop } from '../images/pipeline.ts';

export type { Crop };

/** The crop fields of a request body or query (crop_h defaults to crop_w). */
export interface CropFields {
  crop_x?: number | undefined;
  crop_y?: number | undefined;
  crop_w?: number | undefined;
  crop_h?: number | undefined;
}

/** A crop rectangle, or null for none. Whether it fits is known only after probing. */
export function cropRect(input: CropFields, code: 'CROP_INVALID' | 'RECROP_INVALID' = 'CROP_INVALID'): Crop | null {
  const { crop_x: x, crop_y: y, crop_w: w } = input;
  const h = input.crop_h ?? w;
  const given = [x, y, w].filter((v) => v !== undefined).length;
  if (given === 0 && input.crop_h === undefined) return null;
  if (given !== 3 || x === undefined || y === undefined || w === undefined || h === undefined) {
    throw new ApiError(code, 'crop_x, crop_y and crop_w must be given together');
  }
  return { x, y, w, h };
}

/** An avatar crop: square, or null for "centred largest square". */
export function squareCrop(input: CropFields, code: 'CROP_INVALID' | 'RECROP_INVALID' = 'CROP_INVALID'): Crop | null {
  const crop = cropRect(input, code);
  if (crop && crop.w !== crop.h) throw new ApiError(code, 'An avatar crop must be square (crop_w = crop_h)');
  return crop;
}

/** The crop stored in a files or renditions row (its four nullable columns), or null. */
export function storedCrop(row: { crop_x: number | null; crop_y: number | null; crop_w: number | null; crop_h: number | null }): Crop | null {
  const { crop_x: x, crop_y: y, crop_w: w, crop_h: h } = row;
  return x === null || y === null || w === null || h === null ? null : { x, y, w, h };
}

/** The crop as the four columns of a files or renditions row. */
export const cropColumns = (crop: Crop | null) => ({ crop_x: crop?.x ?? null, crop_y: crop?.y ?? null, crop_w: crop?.w ?? null, crop_h: crop?.h ?? null });

/** The crop a file's picture is made of, and why (issue 21), as its JSON shows them. */
export interface AppliedCrop {
  crop: Crop;
  crop_source: CropSource;
}

/**
 * The crop of the file's current picture and why it is what it is: once rendered, the rendition's (the client's,
 * or the default crop the job chose); before that, the one the client asked for, if any.
 */
export async function appliedCrop(deps: Deps, file: FileRow): Promise<AppliedCrop | null> {
  const rendition = file.rendition_id
    ? await deps.db.selectFrom('renditions').select(['crop_x', 'crop_y', 'crop_w', 'crop_h', 'crop_source']).where('id', '=', file.rendition_id).executeTakeFirst()
    : undefined;
  return cropOf(file, rendition);
}

/** The rendition columns the applied crop is read from. */
export type RenditionCrop = Pick<RenditionRow, 'crop_x' | 'crop_y' | 'crop_w' | 'crop_h' | 'crop_source'>;

/** appliedCrop, given the file's current rendition (if it has one). */
export function cropOf(file: FileRow, rendition: RenditionCrop | undefined): AppliedCrop | null {
  const rendered = rendition && storedCrop(rendition);
  if (rendered) return { crop: rendered, crop_source: rendition.crop_source ?? 'user' };
  const requested = storedCrop(file);
  return requested ? { crop: requested, crop_source: 'user' } : null;
}

/** The user's own file; anyone else's (and one they deleted) is indistinguishable from a missing one. */
export async function ownedFile(deps: Deps, userId: string, fileId: string): Promise<FileRow> {
  const file = await deps.db.selectFrom('files').selectAll().where('id', '=', fileId).where('owner_id', '=', userId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!file) throw new ApiError('FILE_NOT_FOUND', 'No such file');
  return file;
}

/** Still on its way: not yet ready or failed. */
const inProgress = (file: FileRow) => file.state === 'awaiting_upload' || file.state === 'processing';

/**
 * The user's own file, once it is ready or failed, or after `waitSeconds` with the state as it is (the long-poll
 * of GET /v1/files/{id}?wait=N). Whoever stops listening (`signal`) frees the wait at once.
 */
export async function settledFile(deps: Deps, userId: string, fileId: string, waitSeconds: number, signal?: AbortSignal): Promise<FileRow> {
  let file = await ownedFile(deps, userId, fileId);
  const deadline = Date.now() + waitSeconds * 1000;
  while (inProgress(file) && !signal?.aborted) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const stop = new AbortController();
    const waiting = deps.fileSettled.wait(userId, fileId, remaining, signal ? AbortSignal.any([signal, stop.signal]) : stop.signal);
    if (!waiting) throw new ApiError('RATE_LIMITED', 'Too many requests are waiting on files; try again in 1 s', { 'Retry-After': '1' });
    deps.log.debug(`file wait started ${fileId}`);
    void waiting.then((outcome) => deps.log.debug(`file wait ended ${fileId} ${outcome}`));
    // Read again now that the waiter is in place: a change that committed in between is not missed.
    try {
      file = await ownedFile(deps, userId, fileId);
    } catch (error) {
      stop.abort(); // deleted meanwhile
      throw error;
    }
    if (!inProgress(file)) stop.abort();
    const outcome = await waiting;
    if (outcome === 'aborted') return file;
    file = await ownedFile(deps, userId, fileId); // announced, or out of time: the state as it is now
    if (outcome === 'timeout') return file;
  }
  return file;
}
