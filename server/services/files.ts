// Uploaded files as the other services see them: ownership, and the crop a client asked for.
// Crops are parsed here once, at the edge, into the pipeline's one `Crop` type.
import type { Deps } from '../context.ts';
import type { FileRow } from '../db/schema.ts';
import { ApiError } from '../errors.ts';
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
export function cropRect(input: CropFields, code = 'CROP_INVALID'): Crop | null {
  const { crop_x: x, crop_y: y, crop_w: w } = input;
  const h = input.crop_h ?? w;
  const given = [x, y, w].filter((v) => v !== undefined).length;
  if (given === 0 && input.crop_h === undefined) return null;
  if (given !== 3 || x === undefined || y === undefined || w === undefined || h === undefined) {
    throw new ApiError(400, code, 'crop_x, crop_y and crop_w must be given together');
  }
  return { x, y, w, h };
}

/** An avatar crop: square, or null for "centred largest square". */
export function squareCrop(input: CropFields, code = 'CROP_INVALID'): Crop | null {
  const crop = cropRect(input, code);
  if (crop && crop.w !== crop.h) throw new ApiError(400, code, 'An avatar crop must be square (crop_w = crop_h)');
  return crop;
}

/** The crop stored in a files or renditions row (its four nullable columns), or null. */
export function storedCrop(row: { crop_x: number | null; crop_y: number | null; crop_w: number | null; crop_h: number | null }): Crop | null {
  const { crop_x: x, crop_y: y, crop_w: w, crop_h: h } = row;
  return x === null || y === null || w === null || h === null ? null : { x, y, w, h };
}

/** The crop as the four columns of a files or renditions row. */
export const cropColumns = (crop: Crop | null) => ({ crop_x: crop?.x ?? null, crop_y: crop?.y ?? null, crop_w: crop?.w ?? null, crop_h: crop?.h ?? null });

/** The user's own file; anyone else's is indistinguishable from a missing one. */
export async function ownedFile(deps: Deps, userId: string, fileId: string): Promise<FileRow> {
  const file = await deps.db.selectFrom('files').selectAll().where('id', '=', fileId).where('owner_id', '=', userId).executeTakeFirst();
  if (!file) throw new ApiError(404, 'FILE_NOT_FOUND', 'No such file');
  return file;
}
