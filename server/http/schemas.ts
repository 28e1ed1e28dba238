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
  content: { 'application/json': { schema: z.ZodType; examples: Record<string, { summary: string; value: unknown }> } };
  [CODES]: ApiErrorCode[];
}

/** The error shape, its code one of `codes`. */
const errorSchema = (codes: [ApiErrorCode, ...ApiErrorCode[]]) =>
  z.object({ error: z.object({ code: z.enum(codes), message: z.string().openapi({ description: 'What went wrong, in a sentence' }) }) });

/** One example per code, with the catalogue's message (a thrown error often says more). */
const errorExamples = (codes: ApiErrorCode[]) =>
  Object.fromEntries(codes.map((code) => [code, { summary: code, value: { error: { code, message: ERRORS[code].message } } }]));

/**
 * OpenAPI response entries for the error codes an operation may answer with (media/errors.ts), one per status, each
 * listing its codes with an example of each.
 */
export function errors(...codes: ApiErrorCode[]): Record<number, ErrorResponse> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => {
      const entry = { description: list.join(', '), content: { 'application/json': { schema: errorSchema(list as [ApiErrorCode, ...ApiErrorCode[]]), examples: errorExamples(list) } } };
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

// ---- Examples in /openapi.json (taken from a real server's answers, on a deployment at avatars.example.com) ----

export const EXAMPLE_TIME = 1796620128;
export const EXAMPLE_FILE_ID = 'f_T-rxUqmGzQgNEa5O';
export const EXAMPLE_EMOTE_ID = 'e_QBXs9AKcxY6Bg9Zr';
const EXAMPLE_VARIANTS = 'https://avatars.example.com/cdn/variants/r_xCeJh4E2-0qVDxzx';
/** The sizes of an avatar, each its WebP URL (content-addressed) and its AVIF URL. */
export const EXAMPLE_AVATAR_URLS = {
  urls: {
    64: `${EXAMPLE_VARIANTS}/64-874176dc59f8bf8709730de5681844cc.webp`,
    128: `${EXAMPLE_VARIANTS}/128-c6b38dec4903626a5794ef2d6e5a06c7.webp`,
    256: `${EXAMPLE_VARIANTS}/256-66236ec8cf564fc09dc108029c1a9f25.webp`,
    512: `${EXAMPLE_VARIANTS}/512-4994a37b417e2a1e1b635cee61719a46.webp`,
    1600: `${EXAMPLE_VARIANTS}/1600-4994a37b417e2a1e1b635cee61719a46.webp`,
    cropped: `${EXAMPLE_VARIANTS}/cropped-4994a37b417e2a1e1b635cee61719a46.webp`,
  },
  avif_urls: {
    128: `${EXAMPLE_VARIANTS}/128.avif`,
    256: `${EXAMPLE_VARIANTS}/256.avif`,
    512: `${EXAMPLE_VARIANTS}/512.avif`,
    1600: `${EXAMPLE_VARIANTS}/1600.avif`,
    cropped: `${EXAMPLE_VARIANTS}/cropped.avif`,
  },
};
export const EXAMPLE_PLACEHOLDER = '33UBBwB4eHeHh3iHd/h3iIiKfwjZ8HcJ';

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
