// Every error code the server sends, in one catalogue: its HTTP status and its default message. The server's handlers
// throw by code (the status comes from here), the OpenAPI document lists each operation's codes from it, and the
// widget puts every code it can receive into the user's words (widget/i18n.ts, checked against this list). Errors
// are answered as {"error":{"code","message"}}; a message thrown with the code says more than the default here.
//
// `processing`: also the code of a failed image's `error` (GET /v1/files, emotes, avatar.failed and emote.failed
// webhooks); codes with no status are only that. `admin`: only the admin API and operators get it, never the widget.

interface ErrorEntry {
  status?: number;
  message: string;
  processing?: true;
  admin?: true;
}

export const ERRORS = {
  // Any request
  INVALID_REQUEST: { status: 400, message: 'The request is not valid' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again later' },
  INTERNAL: { status: 500, message: 'Something went wrong on the server; try again' },
  STORAGE_UNAVAILABLE: { status: 503, message: 'The image storage cannot be reached; try again shortly', processing: true },
  // Refused by the HTTP parser, before any route
  REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive' },
  URI_TOO_LONG: { status: 414, message: 'The request URL is too long' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are larger than the 16 KiB allowed' },
  // Who is calling
  UNAUTHENTICATED: { status: 401, message: 'A valid token is required' },
  FORBIDDEN: { status: 403, message: 'A user token cannot call admin routes' },
  AUTH_UNAVAILABLE: { status: 503, message: "The identity provider's keys could not be fetched; try again" },
  // Uploads and files
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Only JPEG, PNG, GIF, WebP and AVIF images are accepted', processing: true },
  FILE_TOO_LARGE: { status: 413, message: 'The file is too large' },
  MULTIPART_INVALID: { status: 400, message: 'The multipart/form-data body is malformed' },
  SIZE_MISMATCH: { status: 400, message: 'The body is not as long as announced' },
  CROP_INVALID: { status: 400, message: 'The crop is not valid', processing: true },
  UPLOAD_URL_INVALID: { status: 403, message: 'The upload URL is not valid' },
  UPLOAD_URL_EXPIRED: { status: 403, message: 'The upload URL has expired' },
  UPLOAD_ALREADY_RECEIVED: { status: 409, message: 'This upload has already been received' },
  UPLOAD_NOT_RECEIVED: { status: 409, message: 'No bytes have been uploaded for this file yet' },
  FILE_NOT_FOUND: { status: 404, message: 'No such file' },
  FILE_NOT_PROFILE_PIC: { status: 400, message: 'This file is not a profile picture' },
  FILE_NOT_READY: { status: 409, message: 'The file is not ready' },
  FILE_IN_USE: { status: 409, message: 'This photo is the avatar (or is becoming it)' },
  // Processing an image
  IMAGE_INVALID: { message: 'The image could not be processed', processing: true },
  IMAGE_TOO_LARGE: { message: 'The image has too many pixels or frames', processing: true },
  IMAGE_TOO_COMPLEX: { message: 'The image has more progressive scans than any real encoder writes', processing: true },
  // Avatars
  INVALID_SIZE: { status: 400, message: 'No such size' },
  AVATAR_NOT_FOUND: { status: 404, message: 'This user has no avatar' },
  AVATAR_NOT_READY: { status: 409, message: 'The avatar is still being processed' },
  AVATAR_NOT_RECROPPABLE: { status: 409, message: 'A cartoon avatar has no photo to crop' },
  AVATAR_SUPERSEDED: { status: 409, message: 'A newer avatar change was accepted meanwhile' },
  RECROP_INVALID: { status: 400, message: 'The crop is not valid' },
  INVALID_AVATAR_CONFIG: { status: 400, message: 'The cartoon options are not valid' },
  CARTOON_NOT_FOUND: { status: 404, message: 'No such cartoon among your recent avatars' },
  CARTOON_IN_USE: { status: 409, message: 'This cartoon is the avatar' },
  // A person's data
  USER_ERASED: { status: 409, message: "This user's data has just been erased; changes for them are refused for a few minutes" },
  // Emotes
  SHORTCODE_INVALID: { status: 400, message: 'A shortcode is 2 to 32 letters, digits or underscores' },
  SHORTCODE_TAKEN: { status: 409, message: 'You already have an emote with this shortcode' },
  EMOTE_QUOTA_EXCEEDED: { status: 409, message: 'You have as many emotes as you may' },
  EMOTE_NOT_FOUND: { status: 404, message: 'No such emote' },
  EMOTE_NOT_OWNER: { status: 403, message: 'Only the owner can change this emote' },
  EMOTE_NOT_READY: { status: 409, message: 'The emote is not ready' },
  INVALID_LIMIT: { status: 400, message: 'The limit is out of range' },
  INVALID_CURSOR: { status: 400, message: 'The cursor is not one this server handed out' },
  // Private images (signed URLs under /cdn)
  URL_INVALID: { status: 403, message: 'This private image needs a valid signed URL' },
  URL_EXPIRED: { status: 403, message: 'This signed URL has expired; ask for a new one' },
  // The admin API and operations
  RETURN_URL_NOT_ALLOWED: { status: 400, message: 'The return URL is not on an allowed origin', admin: true },
  WEBHOOK_URL_INVALID: { status: 400, message: 'The webhook URL is not valid', admin: true },
  WEBHOOK_URL_FORBIDDEN: { status: 400, message: 'The webhook URL points where deliveries may not go', admin: true },
  WEBHOOK_NOT_FOUND: { status: 404, message: 'No such webhook endpoint', admin: true },
  WEBHOOK_MANAGED_BY_CONFIG: { status: 409, message: 'This endpoint comes from AVATAR_WEBHOOK_URL', admin: true },
  DELIVERY_NOT_FOUND: { status: 404, message: 'No such delivery for this webhook endpoint', admin: true },
  DELIVERY_IN_FLIGHT: { status: 409, message: 'This delivery is being sent right now', admin: true },
  NOT_READY: { status: 503, message: 'The database or the storage cannot be reached', admin: true },
} as const satisfies Record<string, ErrorEntry>;

type Catalogue = typeof ERRORS;
export type ErrorCode = keyof Catalogue;
/** A code a response is answered with (it has an HTTP status). */
export type ApiErrorCode = { [C in ErrorCode]: Catalogue[C] extends { status: number } ? C : never }[ErrorCode];
/** A code a failed image's `error` may carry. */
export type ProcessingErrorCode = { [C in ErrorCode]: Catalogue[C] extends { processing: true } ? C : never }[ErrorCode];
/** A code the widget may receive: every one but those of the admin API and operations. */
export type WidgetErrorCode = { [C in ErrorCode]: Catalogue[C] extends { admin: true } ? never : C }[ErrorCode];

/** The HTTP status of a code. */
export const statusOf = (code: ApiErrorCode): number => ERRORS[code].status;
