// What the features' schemas share: the error shape and the OpenAPI helpers, user ids, crop fields, and why
// processing failed. Each feature keeps its own request and response schemas beside its routes (schemas.ts): the
// same zod objects validate requests and generate /openapi.json.
import { z } from '@hono/zod-openapi';
import { ERRORS, statusOf, type ApiErrorCode, type ProcessingErrorCode } from '../../media/errors.ts';
import { USER_ID } from '../access/auth.ts';
import { MAX_JPEG_SCANS } from '../images/jpeg-structure.ts';

/** The codes of an error response entry (errors()), so more can be added to it (withErrors). */
const CODES = Symbol('error codes');

interface ErrorResponse {
  description: string;
  content: { 'application/json': { schema: z.ZodType } };
  [CODES]: ApiErrorCode[];
}

/** The error shape, its code one of `codes`. */
const errorSchema = (codes: [ApiErrorCode, ...ApiErrorCode[]]) =>
  z.object({ error: z.object({ code: z.enum(codes), message: z.string().openapi({ description: 'What went wrong, in a sentence' }) }) });

/**
 * OpenAPI response entries for the error codes an operation may answer with (media/errors.ts), one per status, each
 * listing its codes.
 */
export function errors(...codes: ApiErrorCode[]): Record<number, ErrorResponse> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => {
      const entry = { description: list.join(', '), content: { 'application/json': { schema: errorSchema(list as [ApiErrorCode, ...ApiErrorCode[]]) } } };
      return [status, Object.defineProperty(entry, CODES, { value: list, enumerable: false }) as unknown as ErrorResponse];
    }),
  );
}

/** `responses` with the error codes of errors() entries and `more` merged, one entry per status. */
export function withErrors<R extends Record<string | number, object>>(responses: R, more: ApiErrorCode[]): R {
  const declared = Object.values(responses).flatMap((entry) => (entry as Partial<ErrorResponse>)[CODES] ?? []);
  const others = Object.fromEntries(Object.entries(responses).filter(([, entry]) => !(CODES in entry)));
  return { ...others, ...errors(...declared, ...more) } as R;
}

/** An OpenAPI JSON response entry. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

export const cropInt = z.number().int().min(0).max(1_000_000);

export const CropFields = {
  crop_x: cropInt.optional(),
  crop_y: cropInt.optional(),
  crop_w: cropInt.min(1).optional(),
  crop_h: cropInt.min(1).optional().openapi({ description: 'Defaults to crop_w (avatars are square).' }),
};

/** A user id as the host app names its users (a token's `sub`). */
export const UserId = z.string().regex(USER_ID, 'must be 1-128 characters of A-Za-z0-9_.:@-');

export const UserIdParam = z.object({
  user_id: UserId.openapi({ param: { name: 'user_id', in: 'path' }, example: 'alice' }),
});

const PROCESSING_CODES = Object.entries(ERRORS).flatMap(([code, entry]) => ('processing' in entry ? [code as ProcessingErrorCode] : [])) as [ProcessingErrorCode, ...ProcessingErrorCode[]];

/** Why processing failed, in one place for files and emotes (and the image limits behind the codes). */
export const ProcessingErrorSchema = z
  .object({
    code: z.enum(PROCESSING_CODES).openapi({
      example: 'IMAGE_INVALID',
      description:
        `IMAGE_INVALID (does not decode, is not the declared type, or took longer than AVATAR_PROCESSING_TIMEOUT_SECONDS), ` +
        `IMAGE_TOO_LARGE (more than AVATAR_MAX_PIXELS pixels or AVATAR_MAX_FRAMES frames), ` +
        `IMAGE_TOO_COMPLEX (a JPEG of more than ${MAX_JPEG_SCANS} scans, i.e. progressive passes: real encoders write at most about 18), ` +
        'UNSUPPORTED_MEDIA_TYPE, CROP_INVALID, STORAGE_UNAVAILABLE (the image storage stayed unreachable through every attempt: upload it again later)',
    }),
    message: z.string(),
  })
  .openapi('ProcessingError');

// ---- Images (avatars and emotes alike) ----

export const Placeholder = z
  .string()
  .nullable()
  .openapi({ description: 'A ThumbHash of the image as base64 (at most 40 characters): decode it (the thumbhash package) and paint it before the image loads', example: '3PcNNYSFeXh/k0oABQAAAAAAAAAAAAA=' });

export const SizeUrls = z.record(z.string(), z.string()).openapi({ description: 'Size → WebP URL, every size' });

export const AvifUrls = z.record(z.string(), z.string()).openapi({
  description:
    'Size → AVIF URL, for the sizes made in AVIF (still images of at least 100×100 px). Made the first time it is asked for, then stored: until then the URL is an address on this server that answers with the WebP (not cached) while it makes the AVIF',
});
