// The Storage contract, run against the local folder and against a real S3-protocol server (s3rver, started
// here); then what only S3 does: presigned PUTs the server itself refuses when the type, length, expiry,
// key or signature differ, presigned GETs that expire, URLs that point at the bucket or CDN, retries and
// bounded failures when the storage misbehaves, and the SDK loaded only on first use.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ObjectLengthError, ObjectTooLargeError, StorageError, type Storage } from '../../server/storage/index.ts';
import { createLocalStorage } from '../../server/storage/local.ts';
import { createS3Storage, type S3StorageOptions } from '../../server/storage/s3.ts';
import { closedPort, listBucket, startFaultProxy, startS3Server, type FaultProxy, type RunningS3 } from '../helpers/s3-server.ts';
import { listFiles, waitUntil } from '../helpers/server.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const variantKey = (rendition: string, size = '64') => `variants/${rendition}/${size}-${randomBytes(8).toString('hex')}.webp`;
const bytes = (n: number) => randomBytes(n);
/** A body arriving in pieces, as an HTTP request's does. */
const stream = (...chunks: Buffer[]) => Readable.from(chunks);
const unique = () => randomBytes(6).toString('hex');
const MiB = 1024 * 1024;
/** `total` random bytes in 1 MiB chunks. */
const chunksOf = (total: number) => Array.from({ length: Math.ceil(total / MiB) }, (_, i) => bytes(Math.min(MiB, total - i * MiB)));

interface Harness {
  storage: Storage;
  /** Every object and temp file the driver holds, to prove that a refused write left nothing. */
  allKeys(): Promise<string[]>;
  /** A driver of the same kind whose place cannot be used (a folder that is a file, a bucket that is not there). */
  unusable(): Promise<Storage>;
  close(): Promise<void>;
}

async function localHarness(): Promise<Harness & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'avatar-storage-'));
  return {
    dir,
    storage: createLocalStorage(dir),
    allKeys: async () => [...(await listFiles(join(dir, 'objects'))), ...(await listFiles(join(dir, 'tmp'))).map((name) => `tmp/${name}`)],
    async unusable() {
      const file = join(dir, `not-a-folder-${unique()}`);
      await writeFile(file, 'a file where the storage folder should be');
      return createLocalStorage(file);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

function s3Options(s3: RunningS3, extra: Partial<S3StorageOptions> = {}): S3StorageOptions {
  return { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials, maxAttempts: 3, ...extra };
}

async function s3Harness(): Promise<Harness> {
  const s3 = await startS3Server();
  const storage = createS3Storage(s3Options(s3));
  return {
    storage,
    allKeys: () => listBucket(s3, s3.bucket),
    unusable: async () => createS3Storage(s3Options(s3, { bucket: `missing-${unique()}` })),
    async close() {
      await storage.close();
      await s3.stop();
    },
  };
}

/** The same behaviours, whatever the driver. */
function storageContract(name: string, setup: () => Promise<Harness>) {
  describe(name, () => {
    let h: Harness;
    let storage: Storage;
    before(async () => {
      h = await setup();
      storage = h.storage;
    });
    after(() => h.close());

    /** Asserts that `write` is refused with `errorClass` and changes nothing stored. */
    async function refusedAndNothingStored(write: () => Promise<unknown>, errorClass: new (...args: never[]) => Error) {
      const before = await h.allKeys();
      await assert.rejects(write(), errorClass);
      assert.deepEqual(await h.allKeys(), before);
    }

    it('stores bytes and reads them back whole, as a stream and as bytes', async () => {
      const key = `originals/f_${unique()}`;
      const data = bytes(70_000);
      assert.equal(await storage.put(key, data), data.length);
      const object = await storage.get(key);
      assert.ok(object);
      assert.equal(object.size, data.length);
      const chunks: Buffer[] = [];
      for await (const chunk of object.body) chunks.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(chunks), data);
      assert.deepEqual(await storage.getBytes(key), data);
      assert.equal(await storage.exists(key), true);
      assert.equal((await storage.head(key))?.size, data.length);
    });

    it('stores a streamed body of exactly exactBytes, and one within maxBytes', async () => {
      const exact = `originals/f_${unique()}`;
      const parts = [bytes(20_000), bytes(20_000), bytes(5)];
      assert.equal(await storage.put(exact, stream(...parts), { exactBytes: 40_005 }), 40_005);
      assert.deepEqual(await storage.getBytes(exact), Buffer.concat(parts));
      const bounded = `originals/f_${unique()}`;
      assert.equal(await storage.put(bounded, stream(bytes(1000), bytes(1000)), { maxBytes: 2000 }), 2000);
      assert.equal((await storage.head(bounded))?.size, 2000);
    });

    it('refuses a streamed body longer than exactBytes and stores nothing', async () => {
      await refusedAndNothingStored(() => storage.put(`originals/f_${unique()}`, stream(bytes(600), bytes(600)), { exactBytes: 1000 }), ObjectLengthError);
    });

    it('refuses a body longer than exactBytes even when its first chunk is exactly that long', async () => {
      await refusedAndNothingStored(() => storage.put(`originals/f_${unique()}`, stream(bytes(1000), bytes(1)), { exactBytes: 1000 }), ObjectLengthError);
    });

    it('refuses a streamed body shorter than exactBytes and stores nothing', async () => {
      await refusedAndNothingStored(() => storage.put(`originals/f_${unique()}`, stream(bytes(400), bytes(400)), { exactBytes: 1000 }), ObjectLengthError);
    });

    it('refuses bytes of another length than exactBytes', async () => {
      await refusedAndNothingStored(() => storage.put(`originals/f_${unique()}`, bytes(999), { exactBytes: 1000 }), ObjectLengthError);
    });

    it('refuses a body over maxBytes, streamed or not, and stores nothing', async () => {
      await refusedAndNothingStored(() => storage.put(`originals/f_${unique()}`, stream(bytes(700), bytes(700)), { maxBytes: 1000 }), ObjectTooLargeError);
      await refusedAndNothingStored(() => storage.put(`originals/f_${unique()}`, bytes(1001), { maxBytes: 1000 }), ObjectTooLargeError);
    });

    it('keeps the stored object when a refused write targets the same key', async () => {
      const key = `originals/f_${unique()}`;
      const good = bytes(1000);
      await storage.put(key, good);
      await assert.rejects(storage.put(key, stream(bytes(600), bytes(600)), { exactBytes: 1000 }), ObjectLengthError);
      assert.deepEqual(await storage.getBytes(key), good);
    });

    it('passes on the error of a body whose sender goes away, and stores nothing', async () => {
      const key = `originals/f_${unique()}`;
      const before = await h.allKeys();
      let sent = false;
      const body = new Readable({
        read() {
          if (sent) this.destroy(new Error('client went away'));
          else this.push(bytes(500));
          sent = true;
        },
      });
      await assert.rejects(storage.put(key, body, { exactBytes: 1000 }), /client went away/);
      assert.deepEqual(await h.allKeys(), before);
    });

    it('answers null and false for a missing object, and deletes quietly', async () => {
      const key = `originals/f_${unique()}`;
      assert.equal(await storage.get(key), null);
      assert.equal(await storage.getBytes(key), null);
      assert.equal(await storage.head(key), null);
      assert.equal(await storage.exists(key), false);
      await storage.delete(key);
      await storage.put(key, bytes(10));
      await storage.delete(key);
      assert.equal(await storage.exists(key), false);
    });

    it('deletes every object under a prefix and nothing beside it', async () => {
      const rendition = `r${unique()}`;
      const inside = [variantKey(rendition, '64'), variantKey(rendition, '128'), variantKey(rendition, '256')];
      const beside = variantKey(`${rendition}x`); // shares the prefix text, not the folder
      for (const key of [...inside, beside]) await storage.put(key, bytes(16));
      await storage.deletePrefix(`variants/${rendition}/`);
      for (const key of inside) assert.equal(await storage.exists(key), false, key);
      assert.equal(await storage.exists(beside), true);
      await storage.deletePrefix(`variants/${rendition}/`); // nothing left: still fine
      await assert.rejects(storage.deletePrefix('variants'), /must end in/);
    });

    it('is ready when usable, and its probe leaves nothing behind; not ready when its place is unusable', async () => {
      const before = await h.allKeys();
      await storage.check();
      assert.deepEqual(await h.allKeys(), before);
      const unusable = await h.unusable();
      await assert.rejects(unusable.check());
      await unusable.close();
    });
  });
}

storageContract('local storage', localHarness);
storageContract('S3 storage', s3Harness);

describe('local storage', () => {
  it('removes temp files older than the cut-off only', async () => {
    const h = await localHarness();
    await h.storage.put('originals/f_1', bytes(1)); // creates the temp dir
    await writeFile(join(h.dir, 'tmp', 'abandoned.part'), 'half');
    assert.equal(await h.storage.removeStaleTemp(Date.now() - 60_000), 0);
    assert.equal(await h.storage.removeStaleTemp(Date.now() + 60_000), 1);
    assert.deepEqual(await h.allKeys(), ['originals/f_1']);
    await h.close();
  });

  it('has no presigned or public URLs: the app signs and serves them', async () => {
    const h = await localHarness();
    assert.equal(await h.storage.presignPut('originals/f_1', { contentType: 'image/png', contentLength: 5, expiresInSeconds: 60 }), null);
    assert.equal(await h.storage.presignGet(variantKey('r1'), 60), null);
    assert.equal(h.storage.publicUrl(variantKey('r1')), null);
    assert.deepEqual(await h.storage.head(`originals/${unique()}`), null);
    await h.storage.put('originals/f_2', bytes(3), { contentType: 'image/png' });
    assert.deepEqual(await h.storage.head('originals/f_2'), { size: 3, contentType: null });
    await h.close();
  });
});

describe('S3 storage', () => {
  let s3: RunningS3;
  let storage: Storage;
  before(async () => {
    s3 = await startS3Server();
    storage = createS3Storage(s3Options(s3));
  });
  after(async () => {
    await storage.close();
    await s3.stop();
  });

  /** A PUT with fetch, as a browser sends it; the server's status and its S3 error code. */
  async function send(url: string, contentType: string, body: Uint8Array): Promise<{ status: number; code: string | null }> {
    const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': contentType }, body: new Uint8Array(body) });
    const text = await res.text();
    return { status: res.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? null };
  }

  describe('objects', () => {
    it('stores variants with their Content-Type and Cache-Control, served so by the bucket', async () => {
      const key = variantKey(`r${unique()}`);
      const data = bytes(2048);
      await storage.put(key, data, { contentType: 'image/webp', cacheControl: IMMUTABLE });
      assert.deepEqual(await storage.head(key), { size: 2048, contentType: 'image/webp' });
      const url = storage.publicUrl(key);
      assert.equal(url, `${s3.endpoint}/${s3.bucket}/${key}`);
      const res = await fetch(url!);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/webp');
      assert.equal(res.headers.get('cache-control'), IMMUTABLE);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    });

    it('keeps Content-Type and Cache-Control on streamed writes too', async () => {
      const key = `originals/f_${unique()}`;
      await storage.put(key, stream(bytes(3000), bytes(3000)), { exactBytes: 6000, contentType: 'image/jpeg', cacheControl: 'private, no-store' });
      assert.deepEqual(await storage.head(key), { size: 6000, contentType: 'image/jpeg' });
    });
  });

  describe('streams longer than a part (multipart upload)', () => {
    let multipart: Storage;
    before(() => {
      multipart = createS3Storage(s3Options(s3, { partSizeBytes: 5 * MiB }));
    });
    after(() => multipart.close());

    it('stores a long stream whole, with its Content-Type and Cache-Control', async () => {
      const key = `originals/f_${unique()}`;
      const chunks = chunksOf(11 * MiB + 3);
      assert.equal(await multipart.put(key, stream(...chunks), { exactBytes: 11 * MiB + 3, contentType: 'image/png', cacheControl: 'private, no-store' }), 11 * MiB + 3);
      assert.deepEqual(await multipart.head(key), { size: 11 * MiB + 3, contentType: 'image/png' });
      assert.deepEqual(await multipart.getBytes(key), Buffer.concat(chunks));
    });

    it('stores a long stream within maxBytes', async () => {
      const key = `originals/f_${unique()}`;
      assert.equal(await multipart.put(key, stream(...chunksOf(6 * MiB)), { maxBytes: 7 * MiB }), 6 * MiB);
      assert.equal((await multipart.head(key))?.size, 6 * MiB);
    });

    it('refuses a body that turns out too long or too short after parts went up, and nothing becomes visible', async () => {
      const before = await listBucket(s3, s3.bucket);
      await assert.rejects(multipart.put(`originals/f_${unique()}`, stream(...chunksOf(11 * MiB)), { exactBytes: 11 * MiB - 1 }), ObjectLengthError);
      await assert.rejects(multipart.put(`originals/f_${unique()}`, stream(...chunksOf(11 * MiB)), { exactBytes: 11 * MiB + 1 }), ObjectLengthError);
      await assert.rejects(multipart.put(`originals/f_${unique()}`, stream(...chunksOf(11 * MiB)), { maxBytes: 10 * MiB }), ObjectTooLargeError);
      assert.deepEqual(await listBucket(s3, s3.bucket), before);
    });

    it('has no temp files to sweep: an unfinished upload is never an object', async () => {
      assert.equal(await multipart.removeStaleTemp(Date.now() + 60_000), 0);
    });
  });

  describe('URLs handed out', () => {
    const key = 'variants/r1/64-0123456789abcdef.webp';
    it('point at the CDN when there is one', () => {
      const cdn = createS3Storage({ ...s3Options(s3), cdnUrl: 'https://cdn.example.com/avatars/' });
      assert.equal(cdn.publicUrl(key), `https://cdn.example.com/avatars/${key}`);
    });

    it('point at the bucket otherwise: path-style, virtual-hosted, or AWS', () => {
      assert.equal(createS3Storage({ bucket: 'b', region: 'eu-west-1', endpoint: 'https://minio.example.com:9000', forcePathStyle: true }).publicUrl(key), `https://minio.example.com:9000/b/${key}`);
      assert.equal(createS3Storage({ bucket: 'b', region: 'eu-west-1', endpoint: 'https://r2.example.com' }).publicUrl(key), `https://b.r2.example.com/${key}`);
      assert.equal(createS3Storage({ bucket: 'b', region: 'eu-west-1' }).publicUrl(key), `https://b.s3.eu-west-1.amazonaws.com/${key}`);
    });

    it('are never made for originals or any other private key; a private variant gets a presigned GET only', async () => {
      assert.throws(() => storage.publicUrl('originals/f_1'), /not a public object key/);
      assert.throws(() => storage.publicUrl('tmp/abc'), /not a public object key/);
      await assert.rejects(storage.presignGet('originals/f_1', 60), /not a variant object key/);
      const privateVariant = variantKey('r1').replace(/^variants\//, 'private/');
      assert.throws(() => storage.publicUrl(privateVariant), /not a public object key/);
      assert.match(String(await storage.presignGet(privateVariant, 60)), /X-Amz-Signature=/);
    });
  });

  describe('presigned PUT', () => {
    const png = 'image/png';
    async function presign(key: string, length: number, opts: { clock?: () => number; expiresInSeconds?: number } = {}) {
      const signer = opts.clock ? createS3Storage(s3Options(s3, { clock: opts.clock })) : storage;
      const presigned = await signer.presignPut(key, { contentType: png, contentLength: length, expiresInSeconds: opts.expiresInSeconds ?? 600 });
      if (signer !== storage) await signer.close();
      assert.ok(presigned);
      return presigned;
    }

    it('accepts the signed type and length, and HEAD then shows both', async () => {
      const key = `originals/f_${unique()}`;
      const presigned = await presign(key, 1234);
      assert.equal(presigned.method, 'PUT');
      assert.deepEqual(presigned.headers, { 'Content-Type': png });
      assert.match(new URL(presigned.url).searchParams.get('X-Amz-SignedHeaders') ?? '', /content-length;content-type;host/);
      assert.deepEqual(await send(presigned.url, png, bytes(1234)), { status: 200, code: null });
      assert.deepEqual(await storage.head(key), { size: 1234, contentType: png });
    });

    it('says when it expires', async () => {
      const now = Math.floor(Date.now() / 1000);
      const presigned = await presign(`originals/f_${unique()}`, 10, { clock: () => now, expiresInSeconds: 90 });
      assert.equal(presigned.expiresAt, now + 90);
    });

    it('is refused by the storage with another Content-Type, and nothing is stored', async () => {
      const key = `originals/f_${unique()}`;
      const presigned = await presign(key, 100);
      assert.deepEqual(await send(presigned.url, 'image/jpeg', bytes(100)), { status: 403, code: 'SignatureDoesNotMatch' });
      assert.deepEqual(await send(presigned.url, 'text/html', bytes(100)), { status: 403, code: 'SignatureDoesNotMatch' });
      assert.equal(await storage.head(key), null);
    });

    it('is refused by the storage with a longer or shorter body, and nothing is stored', async () => {
      const key = `originals/f_${unique()}`;
      const presigned = await presign(key, 100);
      assert.deepEqual(await send(presigned.url, png, bytes(101)), { status: 403, code: 'SignatureDoesNotMatch' });
      assert.deepEqual(await send(presigned.url, png, bytes(99)), { status: 403, code: 'SignatureDoesNotMatch' });
      assert.equal(await storage.head(key), null);
    });

    it('is refused by the storage once expired', async () => {
      const key = `originals/f_${unique()}`;
      const twoMinutesAgo = Math.floor(Date.now() / 1000) - 120;
      const presigned = await presign(key, 100, { clock: () => twoMinutesAgo, expiresInSeconds: 60 });
      assert.deepEqual(await send(presigned.url, png, bytes(100)), { status: 403, code: 'AccessDenied' });
      assert.equal(await storage.head(key), null);
    });

    it('is refused by the storage when the signature is tampered with or the URL is moved to another key', async () => {
      const key = `originals/f_${unique()}`;
      const presigned = await presign(key, 100);
      const tampered = new URL(presigned.url);
      const signature = tampered.searchParams.get('X-Amz-Signature')!;
      tampered.searchParams.set('X-Amz-Signature', `${signature[0] === '0' ? '1' : '0'}${signature.slice(1)}`);
      assert.deepEqual(await send(tampered.toString(), png, bytes(100)), { status: 403, code: 'SignatureDoesNotMatch' });
      const longer = new URL(presigned.url); // a lifetime stretched after signing
      longer.searchParams.set('X-Amz-Expires', '604800');
      assert.deepEqual(await send(longer.toString(), png, bytes(100)), { status: 403, code: 'SignatureDoesNotMatch' });
      const moved = presigned.url.replace(key, `originals/f_${unique()}`);
      assert.deepEqual(await send(moved, png, bytes(100)), { status: 403, code: 'SignatureDoesNotMatch' });
      assert.equal(await storage.head(key), null);
    });

    it('refuses lifetimes S3 cannot sign', async () => {
      await assert.rejects(storage.presignPut('originals/f_1', { contentType: png, contentLength: 1, expiresInSeconds: 8 * 24 * 3600 }), RangeError);
      await assert.rejects(storage.presignPut('originals/f_1', { contentType: png, contentLength: 1, expiresInSeconds: 0 }), RangeError);
    });
  });

  describe('presigned GET', () => {
    it('reads a private variant while valid; the storage refuses one whose lifetime has passed', async () => {
      const key = variantKey(`r${unique()}`);
      const data = bytes(500);
      await storage.put(key, data, { contentType: 'image/webp' });
      // Signed by clocks set in the past, so the storage's own (real) clock decides, with margins of minutes.
      const signedFor60sAt = async (secondsAgo: number) => {
        const signer = createS3Storage(s3Options(s3, { clock: () => Math.floor(Date.now() / 1000) - secondsAgo }));
        try {
          return await signer.presignGet(key, 60);
        } finally {
          await signer.close();
        }
      };
      const valid = await signedFor60sAt(0);
      assert.ok(valid);
      const fresh = await fetch(valid);
      assert.equal(fresh.status, 200);
      assert.deepEqual(Buffer.from(await fresh.arrayBuffer()), data);
      const expired = await signedFor60sAt(180);
      assert.ok(expired);
      const refused = await fetch(expired);
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /expired/i);
    });
  });

  describe('faults', () => {
    let proxy: FaultProxy;
    let faulty: Storage;
    before(async () => {
      proxy = await startFaultProxy(s3.endpoint);
      faulty = createS3Storage(s3Options(s3, { endpoint: proxy.url, maxAttempts: 3, connectTimeoutMs: 500, requestTimeoutMs: 1000 }));
    });
    after(async () => {
      await faulty.close();
      await proxy.close();
    });
    const putsOf = (key: string) => proxy.requests.filter((r) => r === `PUT /${s3.bucket}/${key}`).length;

    it('retries 5xx and throttling with backoff, then succeeds', async () => {
      const key = variantKey(`r${unique()}`);
      proxy.inject({ status: 500, code: 'InternalError' }, { status: 503, code: 'SlowDown' });
      const data = bytes(100);
      await faulty.put(key, data, { contentType: 'image/webp' });
      assert.equal(putsOf(key), 3);
      assert.deepEqual(await storage.getBytes(key), data);
    });

    it('gives up after maxAttempts with a StorageError, and nothing is stored', async () => {
      const key = variantKey(`r${unique()}`);
      proxy.inject(...Array.from({ length: 3 }, () => ({ status: 503, code: 'ServiceUnavailable' })));
      await assert.rejects(faulty.put(key, bytes(100)), (err: unknown) => err instanceof StorageError && /PutObject/.test(err.message));
      assert.equal(putsOf(key), 3);
      assert.equal(await storage.exists(key), false);
    });

    // How long giving up takes, here and when nothing listens, is `npm run bench` (BENCH_ONLY=limits).
    // The test timeouts only turn a hang (no timeout at all) into a failure: 10× what giving up takes.
    it('times out a storage that never answers, after maxAttempts', { timeout: 30_000 }, async () => {
      const key = variantKey(`r${unique()}`);
      proxy.inject({ stall: true }, { stall: true }, { stall: true });
      await assert.rejects(faulty.put(key, bytes(100)), StorageError);
      assert.equal(putsOf(key), 3);
      assert.equal(await storage.exists(key), false);
    });

    it('retries an upload whose connection is cut, and stores it whole', async () => {
      const key = `originals/f_${unique()}`;
      const parts = [bytes(16_384), bytes(16_384), bytes(16_384)];
      proxy.inject({ cutAfterBytes: 10_000 });
      assert.equal(await faulty.put(key, stream(...parts), { exactBytes: 49_152 }), 49_152);
      assert.equal(putsOf(key), 2);
      assert.deepEqual(await storage.getBytes(key), Buffer.concat(parts));
    });

    it('leaves no object, whole or partial, when every attempt is cut mid-upload', async () => {
      const key = `originals/f_${unique()}`;
      proxy.inject({ cutAfterBytes: 10_000 }, { cutAfterBytes: 10_000 }, { cutAfterBytes: 10_000 });
      await assert.rejects(faulty.put(key, stream(bytes(16_384), bytes(16_384), bytes(16_384)), { exactBytes: 49_152 }), StorageError);
      assert.equal(putsOf(key), 3);
      // s3rver keeps a cut-off PUT as a partial object (S3 does not): the driver's PUT is whole or never sent.
      assert.equal(await storage.exists(key), false);
    });

    it('aborts a multipart upload whose part cannot be written, and nothing becomes visible', async () => {
      const key = `originals/f_${unique()}`;
      const multipart = createS3Storage(s3Options(s3, { endpoint: proxy.url, maxAttempts: 2, partSizeBytes: 5 * MiB }));
      const before = await listBucket(s3, s3.bucket);
      proxy.inject({ pass: true }, { status: 503, code: 'ServiceUnavailable' }, { status: 503, code: 'ServiceUnavailable' });
      await assert.rejects(multipart.put(key, stream(...chunksOf(6 * MiB)), { exactBytes: 6 * MiB }), (err: unknown) => err instanceof StorageError && /UploadPart/.test(err.message));
      assert.deepEqual(proxy.requests.filter((r) => r.endsWith(`/${s3.bucket}/${key}`)), [`POST /${s3.bucket}/${key}`, `PUT /${s3.bucket}/${key}`, `PUT /${s3.bucket}/${key}`, `DELETE /${s3.bucket}/${key}`]);
      assert.deepEqual(await listBucket(s3, s3.bucket), before);
      await multipart.close();
    });

    it('fails with a StorageError when nothing listens, and so does check() (what /readyz asks)', { timeout: 30_000 }, async () => {
      const port = await closedPort();
      const down = createS3Storage(s3Options(s3, { endpoint: `http://127.0.0.1:${port}`, connectTimeoutMs: 500, requestTimeoutMs: 1000 }));
      await assert.rejects(down.put(variantKey('r1'), bytes(10)), (err: unknown) => err instanceof StorageError && err.cause instanceof Error);
      await assert.rejects(down.check(), StorageError);
      await down.close();
    });

    it('refuses requests signed with the wrong secret (the server checks header signatures too)', async () => {
      const wrong = createS3Storage(s3Options(s3, { credentials: { accessKeyId: s3.credentials.accessKeyId, secretAccessKey: 'not-the-secret' } }));
      await assert.rejects(wrong.put(variantKey('r1'), bytes(10)), (err: unknown) => err instanceof StorageError && /SignatureDoesNotMatch|does not match/i.test(String((err.cause as Error).name) + (err.cause as Error).message));
      await assert.rejects(wrong.check(), StorageError);
      await wrong.close();
    });
  });
});

describe('S3 storage start-up cost', () => {
  it('loads the AWS SDK on first use, not when the driver is created', async () => {
    const moduleUrl = new URL('../../server/storage/s3.ts', import.meta.url).href;
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const sdkLoaded = () => Object.keys(require.cache).some((path) => path.includes('@aws-sdk'));
      const { createS3Storage } = await import(${JSON.stringify(moduleUrl)});
      const storage = createS3Storage({ bucket: 'b', region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      storage.publicUrl('variants/r1/64-0123456789abcdef.webp');
      const atCreation = sdkLoaded();
      await storage.presignGet('variants/r1/64-0123456789abcdef.webp', 60);
      console.log(JSON.stringify({ atCreation, afterUse: sdkLoaded() }));
      await storage.close();
    `;
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { atCreation: false, afterUse: true });
  });
});
