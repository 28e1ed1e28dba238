// The one error type of the image layer. Its own module so the byte-level checks (structure, markup,
// trailing data) can throw it without importing the sharp pipeline.
import type { ProcessingErrorCode } from '../../media/errors.ts';

export class ImageError extends Error {
  constructor(
    /** Every processing error but STORAGE_UNAVAILABLE, which is the storage's, not the image's. */
    readonly code: Exclude<ProcessingErrorCode, 'STORAGE_UNAVAILABLE'>,
    message: string,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}

/** IMAGE_INVALID for a file whose structure ends early: `what` says where, for the user and the logs. */
export const truncated = (format: string, what: string) => new ImageError('IMAGE_INVALID', `The ${format} image is truncated: ${what}`);

/** IMAGE_INVALID for a file whose structure is broken in a way no encoder writes. */
export const corrupt = (format: string, what: string) => new ImageError('IMAGE_INVALID', `The ${format} image is corrupt: ${what}`);
