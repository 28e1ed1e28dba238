// Object storage seam: the local folder (local.ts) or an S3-compatible bucket (s3.ts). Keys are '/'-separated,
// never user-chosen.
import type { Readable } from 'node:stream';
import { IMAGE_FORMATS } from '../../media/formats.ts';
import { VARIANT_FORMATS, type VariantFormat } from '../../media/variants.ts';

export interface PutOptions {
  /** Refuse (and store nothing) when the body is longer than this. */
  maxBytes?: number;
  /** Refuse (and store nothing) unless the body is exactly this long. */
  exactBytes?: number;
  /** Sent back as `Content-Type` by the bucket or CDN (S3). The local driver ignores it: /cdn sets its own. */
  contentType?: string;
  /** Sent back as `Cache-Control` by the bucket or CDN (S3). The local driver ignores it: /cdn sets its own. */
  cacheControl?: string;
}

/** What HEAD tells about a stored object. */
export interface ObjectHead {
  size: number;
  /** The stored `Content-Type`; null when the driver does not keep one (local). */
  contentType: string | null;
}

export interface PresignOptions {
  /** The only `Content-Type` the upload may be sent with. */
  contentType: string;
  /** The only body length the upload may have. */
  contentLength: number;
  expiresInSeconds: number;
}

/** A PUT the client sends straight to the storage, which itself refuses another type, length, or a late or altered URL. */
export interface PresignedPut {
  url: string;
  method: 'PUT';
  /** Headers the client must send as they are (they are part of the signature). */
  headers: Record<string, string>;
  /** Unix seconds. */
  expiresAt: number;
}

export interface StoredObject {
  body: Readable;
  size: number;
}

/**
 * What a storage does itself, so services ask what it can do rather than which one it is (as Kysely's dialects
 * are asked). The methods that need one return null without it.
 */
export interface StorageCapabilities {
  /**
   * Clients PUT uploads straight to it through presigned URLs (presignPut): this server does not see those bytes
   * arrive, and learns of them by asking (head) at `complete` or before sweeping an upload as never sent.
   */
  presignedPut: boolean;
  /** Public objects are read from it or its CDN (publicUrl), not through this server's /cdn. */
  publicUrls: boolean;
  /** Private objects are read through its presigned GETs (presignGet), not /cdn's signed URLs. */
  presignedGet: boolean;
}

export interface Storage {
  readonly capabilities: StorageCapabilities;
  /** Stores a body atomically: readers see the whole object or none. Returns its length. */
  put(key: string, body: Readable | Uint8Array, opts?: PutOptions): Promise<number>;
  get(key: string): Promise<StoredObject | null>;
  getBytes(key: string): Promise<Buffer | null>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix` (which ends in '/'). */
  deletePrefix(prefix: string): Promise<void>;
  /** Throws when the storage cannot be written (for /readyz). */
  check(): Promise<void>;
  /**
   * Deletes temp files of writes that were never finished (a process killed mid-upload) and not touched
   * since `before` (ms since the epoch). Returns how many went.
   */
  removeStaleTemp(before: number): Promise<number>;
  /** Size and type of a stored object, or null when there is none (used by `complete` after a presigned PUT). */
  head(key: string): Promise<ObjectHead | null>;
  /**
   * A presigned PUT bound to the type and length, or null when the driver has none (local: the app signs and
   * receives uploads itself, see access/url-signing.ts).
   */
  presignPut(key: string, opts: PresignOptions): Promise<PresignedPut | null>;
  /**
   * A presigned GET (private emotes), or null when the app signs its own read URLs (local: /cdn). Only for
   * variant keys (VARIANT_KEY): S3 throws for any other (originals are never handed out).
   */
  presignGet(key: string, expiresInSeconds: number): Promise<string | null>;
  /**
   * Where a public object is read from (the CDN, else the bucket), or null when the app serves it (local:
   * /cdn). Only for public variant keys (under variants/): S3 throws for any other.
   */
  publicUrl(key: string): string | null;
  /**
   * Origins a browser loads objects from and uploads to directly (the bucket, the CDN), for the hosted editor
   * page's Content-Security-Policy; none when the app serves and receives them itself (local: /cdn).
   */
  browserOrigins(): string[];
  /** Releases connections; the storage is not used afterwards. */
  close(): Promise<void>;
}

/** Thrown by put() when the body is longer than maxBytes; nothing is stored. */
export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`object larger than ${maxBytes} bytes`);
  }
}

/** Thrown by put() when the body's length differs from exactBytes; nothing is stored. */
export class ObjectLengthError extends Error {
  constructor(readonly expected: number, readonly actual: number) {
    super(`object is ${actual} bytes, expected ${expected}`);
  }
}

/**
 * The storage service failed (unreachable, timed out, throttled or 5xx after the retries, access denied):
 * a server-side fault to answer with a 5xx, never the client's.
 */
export class StorageError extends Error {
  /** `refusal`: the storage refused the call (access denied), and what to grant so it will not. */
  constructor(readonly operation: string, readonly key: string, options: { cause: unknown; refusal?: string }) {
    const cause = options.cause instanceof Error ? `${options.cause.name === 'Error' ? '' : `${options.cause.name}: `}${options.cause.message}` : String(options.cause);
    super(`storage ${operation} ${key} failed: ${cause}${options.refusal ? `; ${options.refusal}` : ''}`, { cause: options.cause });
  }
}

/**
 * Who may read a variant object straight from the bucket or CDN: public ones live under variants/ (the prefix a
 * bucket policy or CDN exposes), private emotes' under private/ (read only through signed URLs).
 */
export type VariantVisibility = 'public' | 'private';

const VARIANT_ROOT: Record<VariantVisibility, string> = { public: 'variants', private: 'private' };

export const objectKeys = {
  original: (fileId: string) => `originals/${fileId}`,
  /** The prefix that names a rendition (in garbage rows); its objects are under renditionPrefixes. */
  renditionPrefix: (renditionId: string) => `variants/${renditionId}/`,
  renditionPrefixes: (renditionId: string) => [`variants/${renditionId}/`, `private/${renditionId}/`],
  variant: (renditionId: string, size: string, hash: string, format: VariantFormat, visibility: VariantVisibility = 'public') =>
    `${VARIANT_ROOT[visibility]}/${renditionId}/${size}-${hash}.${IMAGE_FORMATS[format].extension}`,
  /** The same variant's key under the other visibility. */
  withVisibility: (key: string, visibility: VariantVisibility) => key.replace(/^[a-z]+\//, `${VARIANT_ROOT[visibility]}/`),
};

/**
 * Variant keys, public or private (group 1: which; group 2: the content hash; group 3: the extension of a variant
 * format). Originals are never served.
 */
export const VARIANT_KEY = new RegExp(
  `^(variants|private)/[A-Za-z0-9_-]{1,64}/[a-z0-9]{1,16}-([a-f0-9]{16,64})\\.(${VARIANT_FORMATS.map((format) => IMAGE_FORMATS[format].extension).join('|')})$`,
);

/**
 * The address of a variant made on request (media/variants.ts `made: 'request'`) before it exists: its rendition,
 * size and format without a content hash (group 1: public or private; 2: rendition; 3: size; 4: extension). /cdn
 * answers it with the variant once made, and makes it meanwhile (server/renditions/on-request.ts). Never a stored key.
 */
export const ON_REQUEST_KEY = /^(variants|private)\/([A-Za-z0-9_-]{1,64})\/([a-z0-9]{1,16})\.([a-z0-9]{1,8})$/;

export const onRequestKey = (renditionId: string, size: string, format: VariantFormat, visibility: VariantVisibility) =>
  `${VARIANT_ROOT[visibility]}/${renditionId}/${size}.${IMAGE_FORMATS[format].extension}`;

/** The variant format of a key that matched VARIANT_KEY, by its extension. */
export function formatOfKey(key: string): VariantFormat | null {
  const extension = VARIANT_KEY.exec(key)?.[3];
  return VARIANT_FORMATS.find((format) => IMAGE_FORMATS[format].extension === extension) ?? null;
}

export const visibilityOfKey = (key: string): VariantVisibility => (key.startsWith('private/') ? 'private' : 'public');
