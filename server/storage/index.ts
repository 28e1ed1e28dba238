// Object storage seam: the local folder now, S3-compatible later. Keys are '/'-separated, never user-chosen.
import type { Readable } from 'node:stream';

export interface PutOptions {
  /** Refuse (and store nothing) when the body is longer than this. */
  maxBytes?: number;
  /** Refuse (and store nothing) unless the body is exactly this long. */
  exactBytes?: number;
}

export interface StoredObject {
  body: Readable;
  size: number;
}

export interface Storage {
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

export const objectKeys = {
  original: (fileId: string) => `originals/${fileId}`,
  renditionPrefix: (renditionId: string) => `variants/${renditionId}/`,
  variant: (renditionId: string, size: string, hash: string) => `variants/${renditionId}/${size}-${hash}.webp`,
};

/** Only variant keys are public; originals are never served. */
export const PUBLIC_KEY = /^variants\/[A-Za-z0-9_-]{1,64}\/[a-z0-9]{1,16}-([a-f0-9]{16,64})\.webp$/;
