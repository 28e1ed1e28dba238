// S3-compatible storage (AWS S3, MinIO, R2, …) through the AWS SDK v3, which is imported on first use only:
// a server on the local folder never loads it.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { format } from 'node:util';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import {
  ObjectLengthError,
  ObjectTooLargeError,
  StorageError,
  VARIANT_KEY,
  type ObjectHead,
  type PresignOptions,
  type PutOptions,
  type Storage,
  type StoredObject,
} from './index.ts';

export interface S3StorageOptions {
  bucket: string;
  /** Signing region ('us-east-1' suits most S3-compatible servers). */
  region: string;
  /** An S3-compatible server (MinIO, R2, …); AWS itself when absent. */
  endpoint?: string | undefined;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key`, as MinIO-style endpoints need. */
  forcePathStyle?: boolean | undefined;
  /** Static keys; when absent the SDK's default chain (AWS_* env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined } | undefined;
  /** Base URL of the CDN in front of the bucket (AVATAR_CDN_URL); the bucket's own URL when absent. */
  cdnUrl?: string | undefined;
  /** Attempts per request, the first included; faults (5xx, throttling, timeouts, resets) are retried with backoff. */
  maxAttempts?: number | undefined;
  /** Per attempt: to connect, and for the whole exchange. */
  connectTimeoutMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
  /**
   * Streamed bodies are held in memory up to this size, so that every request can be retried; longer ones
   * go up as a multipart upload in parts of this size (S3's minimum is 5 MiB).
   */
  partSizeBytes?: number | undefined;
  /** Unix seconds, for the signing time of presigned URLs (Deps.clock). */
  clock?: (() => number) | undefined;
  log?: { error(line: string): void } | undefined;
}

const MiB = 1024 * 1024;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;
/** SigV4 presigned URLs live at most a week. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** /readyz must answer quickly, whatever the retry settings. */
const CHECK_DEADLINE_MS = 5000;

type Sdk = typeof import('@aws-sdk/client-s3');
type Presigner = typeof import('@aws-sdk/s3-request-presigner');
interface Loaded {
  sdk: Sdk;
  presigner: Presigner;
  client: S3Client;
}

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');
/** S3 refuses a body that does not arrive as it was sent. */
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('base64');

/** The bucket's own base URL, as a browser reaches it. */
function bucketUrl(options: S3StorageOptions): string {
  if (!options.endpoint) {
    const host = `s3.${options.region}.amazonaws.com`;
    return options.forcePathStyle ? `https://${host}/${options.bucket}` : `https://${options.bucket}.${host}`;
  }
  const endpoint = new URL(options.endpoint);
  const path = endpoint.pathname.replace(/\/+$/, '');
  return options.forcePathStyle ? `${endpoint.origin}${path}/${options.bucket}` : `${endpoint.protocol}//${options.bucket}.${endpoint.host}${path}`;
}

/**
 * The IAM permission each call needs (AWS names; other S3-compatible services use the same ideas), named in the
 * error when the bucket refuses one, so an operator knows what to grant.
 */
const PERMISSIONS: Record<string, { action: string; on: 'bucket' | 'objects' }> = {
  PutObject: { action: 's3:PutObject', on: 'objects' },
  CreateMultipartUpload: { action: 's3:PutObject', on: 'objects' },
  UploadPart: { action: 's3:PutObject', on: 'objects' },
  CompleteMultipartUpload: { action: 's3:PutObject', on: 'objects' },
  AbortMultipartUpload: { action: 's3:AbortMultipartUpload', on: 'objects' },
  GetObject: { action: 's3:GetObject', on: 'objects' },
  HeadObject: { action: 's3:GetObject', on: 'objects' },
  DeleteObject: { action: 's3:DeleteObject', on: 'objects' },
  DeleteObjects: { action: 's3:DeleteObject', on: 'objects' },
  ListObjectsV2: { action: 's3:ListBucket', on: 'bucket' },
  HeadBucket: { action: 's3:ListBucket', on: 'bucket' },
};

const isAccessDenied = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === 403 || (err as Error | null)?.name === 'AccessDenied';

/** What to grant when `operation` was refused. */
function missingPermission(operation: string, bucket: string): string {
  const needed = PERMISSIONS[operation];
  if (!needed) return 'the bucket refused it: check its policy and the credentials’ permissions';
  const resource = needed.on === 'bucket' ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/*`;
  // Without ListBucket, S3 answers a missing object 403 rather than 404.
  const hint = operation === 'HeadObject' || operation === 'GetObject' ? ' (and s3:ListBucket on the bucket, without which a missing object is refused, not 404)' : '';
  return `the bucket refused it: the credentials need ${needed.action} on ${resource}${hint}`;
}

const isNotFound = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === 404 || (err as Error | null)?.name === 'NoSuchKey';

/** Refuses keys that must never leave the server (originals), and private variants where only public ones may go. */
function variantKey(key: string, access: 'public' | 'any'): string {
  const match = VARIANT_KEY.exec(key);
  if (!match || (access === 'public' && match[1] !== 'variants')) throw new Error(`not a ${access === 'public' ? 'public' : 'variant'} object key: ${key}`);
  return key;
}

function checkLifetime(expiresInSeconds: number) {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
    throw new RangeError(`expiresInSeconds must be 1..${MAX_PRESIGN_SECONDS}, got ${expiresInSeconds}`);
  }
}

/** What put() refuses a body of `length` bytes so far with (`ended`: the body is complete), as local.ts does. */
function lengthProblem(opts: PutOptions, length: number, ended: boolean): Error | null {
  if (opts.exactBytes !== undefined) {
    if (length > opts.exactBytes || (opts.maxBytes !== undefined && length > opts.maxBytes)) return new ObjectLengthError(opts.exactBytes, length);
    return ended && length !== opts.exactBytes ? new ObjectLengthError(opts.exactBytes, length) : null;
  }
  return opts.maxBytes !== undefined && length > opts.maxBytes ? new ObjectTooLargeError(opts.maxBytes) : null;
}

export function createS3Storage(options: S3StorageOptions): Storage {
  const { bucket } = options;
  const publicBase = (options.cdnUrl ?? bucketUrl(options)).replace(/\/+$/, '');
  const partSize = options.partSizeBytes ?? 8 * MiB;
  if (partSize < 5 * MiB) throw new RangeError(`partSizeBytes must be at least 5 MiB (S3's smallest part), got ${partSize}`);
  const nowSeconds = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const logError = (line: string) => options.log?.error(`s3: ${line}`);
  let loading: Promise<Loaded> | undefined;

  const load = () =>
    (loading ??= (async () => {
      const [sdk, presigner] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]);
      const client = new sdk.S3Client({
        region: options.region,
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle ?? false,
        credentials: options.credentials,
        maxAttempts: options.maxAttempts ?? 4,
        retryMode: 'standard',
        requestHandler: {
          connectionTimeout: options.connectTimeoutMs ?? 3000,
          requestTimeout: options.requestTimeoutMs ?? 30_000,
          throwOnRequestTimeout: true,
        },
        // Checksums only where S3 demands them (DeleteObjects): the SDK's newer defaults add checksum
        // trailers and headers that many S3-compatible servers refuse. Bodies carry Content-MD5 instead.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        logger: {
          debug: () => {},
          info: () => {},
          warn: (...args: unknown[]) => logError(format(...args)),
          // A missing object is an answer (exists, head, get), not a fault worth a log line.
          error: (...args: unknown[]) => {
            if (!isNotFound((args[0] as { error?: unknown } | null)?.error)) logError(format(...args));
          },
        },
      });
      return { sdk, presigner, client };
    })().catch((err: unknown) => {
      loading = undefined; // let a later call try again
      throw err;
    }));

  /** Runs one storage operation; the SDK's failures become a StorageError naming it (and, when refused, the permission it needs). */
  async function call<T>(operation: string, key: string, run: (s3: Loaded) => Promise<T>): Promise<T> {
    const s3 = await load();
    try {
      return await run(s3);
    } catch (err) {
      throw new StorageError(operation, key, { cause: err, ...(isAccessDenied(err) ? { refusal: missingPermission(operation, bucket) } : {}) });
    }
  }

  /** One PUT of bytes of known length: replayable, so the SDK retries it on faults. */
  async function putBytes(key: string, bytes: Uint8Array, opts: PutOptions): Promise<number> {
    const problem = lengthProblem(opts, bytes.byteLength, true);
    if (problem) throw problem;
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await call('PutObject', key, ({ client, sdk }) =>
      client.send(
        new sdk.PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5(body),
          ContentType: opts.contentType,
          CacheControl: opts.cacheControl,
        }),
      ),
    );
    return body.length;
  }

  /**
   * Stores a stream holding at most one part in memory: a body that fits in one part is one PUT; a longer
   * one a multipart upload, completed only once the whole body has arrived with the right length. Until
   * then nothing is visible under `key`; a refused or failed upload is aborted. (A PUT streamed straight
   * through could not be retried, and some S3-compatible servers keep a cut-off PUT as a partial object.)
   */
  async function putStream(key: string, body: Readable, opts: PutOptions): Promise<number> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let length = 0;
    let uploadId: string | null = null;
    const parts: CompletedPart[] = [];

    const sendPart = async (part: Buffer) => {
      uploadId ??= await call('CreateMultipartUpload', key, async ({ client, sdk }) => {
        const created = await client.send(
          new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: opts.contentType, CacheControl: opts.cacheControl }),
        );
        if (!created.UploadId) throw new Error('no UploadId in the answer');
        return created.UploadId;
      });
      const UploadId = uploadId;
      const PartNumber = parts.length + 1;
      const { ETag } = await call('UploadPart', key, ({ client, sdk }) =>
        client.send(new sdk.UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: part, ContentLength: part.length, ContentMD5: md5(part) })),
      );
      parts.push({ ETag, PartNumber });
    };

    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        length += chunk.length;
        // Refuse at the first byte too many, before it goes anywhere (leaving the loop destroys the body).
        const problem = lengthProblem(opts, length, false);
        if (problem) throw problem;
        pending.push(chunk);
        pendingBytes += chunk.length;
        // Strictly more than a part: the last part is sent only once the body has ended with the right length.
        while (pendingBytes > partSize) {
          const all = Buffer.concat(pending, pendingBytes);
          pending = [all.subarray(partSize)];
          pendingBytes -= partSize;
          await sendPart(all.subarray(0, partSize));
        }
      }
      const problem = lengthProblem(opts, length, true);
      if (problem) throw problem;
      const rest = Buffer.concat(pending, pendingBytes);
      if (uploadId === null) return await putBytes(key, rest, opts);
      await sendPart(rest);
      const UploadId: string = uploadId;
      await call('CompleteMultipartUpload', key, ({ client, sdk }) =>
        client.send(new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } })),
      );
      return length;
    } catch (err) {
      const UploadId: string | null = uploadId;
      if (UploadId !== null) {
        // Parts of an unfinished upload are never visible; one whose abort fails is left to the bucket's
        // AbortIncompleteMultipartUpload lifecycle rule.
        await load()
          .then(({ client, sdk }) => client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })))
          .catch((abortErr: unknown) => logError(`abort of multipart upload ${UploadId} of ${key} failed: ${String(abortErr)}`));
      }
      throw err;
    }
  }

  async function head(key: string): Promise<ObjectHead | null> {
    return call('HeadObject', key, async ({ client, sdk }) => {
      try {
        const res = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: res.ContentLength ?? 0, contentType: res.ContentType ?? null };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  return {
    capabilities: { presignedPut: true, publicUrls: true, presignedGet: true },

    async put(key: string, body: Readable | Uint8Array, opts: PutOptions = {}) {
      return body instanceof Uint8Array ? putBytes(key, body, opts) : putStream(key, body, opts);
    },

    async get(key: string): Promise<StoredObject | null> {
      return call('GetObject', key, async ({ client, sdk }) => {
        try {
          const res = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
          if (!(res.Body instanceof Readable)) throw new Error('GetObject answered without a readable body');
          return { body: res.Body, size: res.ContentLength ?? 0 };
        } catch (err) {
          if (isNotFound(err)) return null;
          throw err;
        }
      });
    },

    async getBytes(key: string) {
      return call('GetObject', key, async ({ client, sdk }) => {
        try {
          const res = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
          if (!res.Body) throw new Error('GetObject answered without a body');
          return Buffer.from(await res.Body.transformToByteArray());
        } catch (err) {
          if (isNotFound(err)) return null;
          throw err;
        }
      });
    },

    head,

    async exists(key: string) {
      return (await head(key)) !== null;
    },

    async delete(key: string) {
      // S3 answers 204 whether or not the object was there.
      await call('DeleteObject', key, ({ client, sdk }) => client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },

    async deletePrefix(prefix: string) {
      if (!prefix.endsWith('/') || prefix === '/') throw new Error(`prefix must end in '/': ${prefix}`);
      let token: string | undefined;
      do {
        const continuation = token;
        const page = await call('ListObjectsV2', prefix, ({ client, sdk }) =>
          client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuation, MaxKeys: DELETE_BATCH })),
        );
        const objects = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (objects.length > 0) {
          await call('DeleteObjects', prefix, async ({ client, sdk }) => {
            const res = await client.send(new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
            const failed = res.Errors ?? [];
            if (failed.length > 0) throw new Error(`${failed.length} not deleted, first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`);
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    async check() {
      await call('HeadBucket', bucket, ({ client, sdk }) =>
        client.send(new sdk.HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(CHECK_DEADLINE_MS) }),
      );
    },

    // Nothing half-written is ever visible: unfinished multipart uploads are aborted, or expire by the
    // bucket's AbortIncompleteMultipartUpload lifecycle rule.
    removeStaleTemp: async () => 0,

    async presignPut(key: string, { contentType, contentLength, expiresInSeconds }: PresignOptions) {
      checkLifetime(expiresInSeconds);
      const signedAt = nowSeconds();
      const url = await call('PresignPut', key, ({ client, sdk, presigner }) =>
        presigner.getSignedUrl(client, new sdk.PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, ContentLength: contentLength }), {
          expiresIn: expiresInSeconds,
          signingDate: new Date(signedAt * 1000),
          // The presigner leaves Content-Type unsigned by default; signed, the storage refuses any other type.
          signableHeaders: new Set(['content-type', 'content-length']),
        }),
      );
      return { url, method: 'PUT' as const, headers: { 'Content-Type': contentType }, expiresAt: signedAt + expiresInSeconds };
    },

    async presignGet(key: string, expiresInSeconds: number) {
      variantKey(key, 'any');
      checkLifetime(expiresInSeconds);
      return call('PresignGet', key, ({ client, sdk, presigner }) =>
        presigner.getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), {
          expiresIn: expiresInSeconds,
          signingDate: new Date(nowSeconds() * 1000),
        }),
      );
    },

    publicUrl(key: string) {
      return `${publicBase}/${encodeKey(variantKey(key, 'public'))}`;
    },

    // Presigned PUTs and GETs go to the bucket; public variants come from the CDN when there is one.
    browserOrigins: () => [...new Set([new URL(bucketUrl(options)).origin, ...(options.cdnUrl ? [new URL(options.cdnUrl).origin] : [])])],

    async close() {
      const current = loading;
      loading = undefined;
      if (current) (await current.catch(() => null))?.client.destroy();
    },
  };
}
