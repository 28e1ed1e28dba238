// Presigned uploads over HTTP against a real server process: creating an upload, the signed PUT,
// completing, reading the file back, and what happens to images that must be refused. The first two suites
// test the PUT this server receives itself (local storage, whatever the run's); the last one, uploads straight
// to an S3 bucket (a real S3-protocol server started here), checked by HEAD at `complete`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  exifOrientedJpeg, htmlAsPng, jpeg, png, pngBomb20000, polyglot, svg, truncatedJpeg,
} from '../fixtures/images.ts';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { rawClient, serverStorageEnv, startS3Server, type RunningS3 } from '../helpers/s3-server.ts';
import {
  api, expectError, listFiles, signJwt, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer,
} from '../helpers/server.ts';

const MiB = 1024 * 1024;
const now = () => Math.floor(Date.now() / 1000);

let userCounter = 0;
/** A user id of its own for every test, so per-user state (rate limit, avatar) never leaks between tests. */
const newUser = (label: string) => `${label}-${process.pid}-${++userCounter}`;

function uploadBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { upload_type: 'profile_pic', filename: 'photo.jpg', content_type: 'image/jpeg', size_bytes: 1000, ...overrides };
}

interface Created {
  file_id: string;
  upload_url: string;
  upload_method: string;
  upload_headers: Record<string, string>;
  expires_at: number;
}

async function createUpload(server: RunningServer, token: string, overrides: Record<string, unknown> = {}): Promise<Created> {
  const res = await api<Created>(server, 'POST', '/v1/uploads', { token, json: uploadBody(overrides) });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

/** PUT to a presigned URL; `body` may be bytes (sent with Content-Length) or a stream (chunked, no length). */
function put(url: string, body: BodyInit, contentType: string, headers: Record<string, string> = {}) {
  return api(url, 'PUT', url, { body, headers: { 'content-type': contentType, ...headers } });
}

/** A streamed body: sent chunked, so the server only learns its length by reading it. */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      const half = Math.floor(bytes.byteLength / 2);
      controller.enqueue(bytes.slice(0, half));
      controller.enqueue(bytes.slice(half));
      controller.close();
    },
  });
}

/** Replaces one hex digit of the signature, keeping its length. */
function tamperSignature(uploadUrl: string): string {
  const url = new URL(uploadUrl);
  const signature = url.searchParams.get('signature')!;
  const flipped = (signature[0] === '0' ? '1' : '0') + signature.slice(1);
  url.searchParams.set('signature', flipped);
  return url.toString();
}

describe('uploads (default limits)', () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer({ env: { AVATAR_STORAGE: 'local' } });
  });
  after(async () => {
    await server?.stop();
  });

  describe('POST /v1/uploads', () => {
    test('201 with file_id, presigned PUT URL, signed Content-Type and a 10-minute expiry', async () => {
      const token = userToken(server, newUser('create'));
      const before = now();
      const res = await api<Created>(server, 'POST', '/v1/uploads', { token, json: uploadBody({ size_bytes: 12345 }) });
      const after = now();
      assert.equal(res.status, 201, res.text);
      const body = res.json;
      assert.deepEqual(Object.keys(body).sort(), ['expires_at', 'file_id', 'upload_headers', 'upload_method', 'upload_url']);
      assert.equal(typeof body.file_id, 'string');
      assert.ok(body.file_id.length > 0);
      assert.equal(body.upload_method, 'PUT');
      assert.deepEqual(body.upload_headers, { 'Content-Type': 'image/jpeg' });
      assert.ok(Number.isInteger(body.expires_at));
      assert.ok(body.expires_at >= before + 600 && body.expires_at <= after + 600, `expires_at ${body.expires_at} not ≈ now+600`);
      const url = new URL(body.upload_url);
      assert.equal(url.origin, server.url);
      assert.equal(url.pathname, `/v1/uploads/${encodeURIComponent(body.file_id)}/content`);
      assert.equal(url.searchParams.get('expires'), String(body.expires_at));
      assert.match(url.searchParams.get('signature') ?? '', /^[0-9a-f]{16,}$/);
    });

    test('a new file is awaiting_upload and visible to its owner', async () => {
      const token = userToken(server, newUser('fresh'));
      const created = await createUpload(server, token, { size_bytes: 777 });
      const res = await api(server, 'GET', `/v1/files/${created.file_id}`, { token });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.id, created.file_id);
      assert.equal(res.json.processing_state, 'awaiting_upload');
      assert.equal(res.json.size_bytes, 777);
      assert.equal(res.json.width, null);
      assert.equal(res.json.height, null);
      assert.equal(res.json.error, undefined);
    });

    test('exactly 5 MiB is accepted', async () => {
      const token = userToken(server, newUser('max'));
      await createUpload(server, token, { size_bytes: 5 * MiB });
    });

    const invalid: Array<[string, Record<string, unknown> | undefined, string]> = [
      ['missing filename', { filename: undefined }, 'filename'],
      ['empty filename', { filename: '' }, 'filename'],
      ['size_bytes 0', { size_bytes: 0 }, 'size_bytes'],
      ['size_bytes negative', { size_bytes: -5 }, 'size_bytes'],
      ['size_bytes fractional', { size_bytes: 10.5 }, 'size_bytes'],
      ['size_bytes as a string', { size_bytes: '1000' }, 'size_bytes'],
      ['missing size_bytes', { size_bytes: undefined }, 'size_bytes'],
      ['filename as a number', { filename: 42 }, 'filename'],
      ['unknown upload_type', { upload_type: 'banner' }, 'upload_type'],
      ['missing content_type', { content_type: undefined }, 'content_type'],
      ['crop_x as a string', { crop_x: '1', crop_y: 0, crop_w: 10 }, 'crop_x'],
      ['negative crop_y', { crop_x: 0, crop_y: -1, crop_w: 10 }, 'crop_y'],
      ['crop_w 0', { crop_x: 0, crop_y: 0, crop_w: 0 }, 'crop_w'],
      ['set_as_avatar as a string', { set_as_avatar: 'yes' }, 'set_as_avatar'],
    ];
    for (const [name, overrides, field] of invalid) {
      test(`400 INVALID_REQUEST naming the field: ${name}`, async () => {
        const token = userToken(server, newUser('invalid'));
        const res = await api(server, 'POST', '/v1/uploads', { token, json: uploadBody(overrides) });
        expectError(res, 400, 'INVALID_REQUEST');
        assert.match(res.json.error.message, new RegExp(field), `message should name ${field}: ${res.json.error.message}`);
      });
    }

    test('400 INVALID_REQUEST for malformed JSON and for a non-object body', async () => {
      const token = userToken(server, newUser('malformed'));
      const malformed = await api(server, 'POST', '/v1/uploads', {
        token,
        body: '{"upload_type": "profile_pic", "filename": ',
        headers: { 'content-type': 'application/json' },
      });
      expectError(malformed, 400, 'INVALID_REQUEST');
      const array = await api(server, 'POST', '/v1/uploads', { token, json: [uploadBody()] });
      expectError(array, 400, 'INVALID_REQUEST');
    });

    test('415 UNSUPPORTED_MEDIA_TYPE when the body is not sent as JSON', async () => {
      const token = userToken(server, newUser('not-json'));
      const res = await api(server, 'POST', '/v1/uploads', { token, body: JSON.stringify(uploadBody()), headers: { 'content-type': 'text/plain' } });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    test('413 PAYLOAD_TOO_LARGE for a JSON body over 64 KiB', async () => {
      const token = userToken(server, newUser('huge-json'));
      const res = await api(server, 'POST', '/v1/uploads', { token, json: uploadBody({ filename: 'x'.repeat(70 * 1024) }) });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    for (const contentType of ['image/svg+xml', 'text/html', 'application/octet-stream', 'image/bmp']) {
      test(`415 UNSUPPORTED_MEDIA_TYPE for ${contentType}`, async () => {
        const token = userToken(server, newUser('type'));
        const res = await api(server, 'POST', '/v1/uploads', { token, json: uploadBody({ content_type: contentType }) });
        expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      });
    }

    test('every accepted type is signed with its canonical Content-Type', async () => {
      const token = userToken(server, newUser('types'));
      for (const contentType of ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif']) {
        const created = await createUpload(server, token, { content_type: contentType });
        assert.deepEqual(created.upload_headers, { 'Content-Type': contentType });
      }
    });

    test('413 FILE_TOO_LARGE over 5 MiB', async () => {
      const token = userToken(server, newUser('big'));
      const res = await api(server, 'POST', '/v1/uploads', { token, json: uploadBody({ size_bytes: 5 * MiB + 1 }) });
      expectError(res, 413, 'FILE_TOO_LARGE');
    });

    const badCrops: Array<[string, Record<string, unknown>]> = [
      ['only crop_x and crop_y', { crop_x: 0, crop_y: 0 }],
      ['only crop_w', { crop_w: 10 }],
      ['only crop_h', { crop_h: 10 }],
      ['non-square crop', { crop_x: 0, crop_y: 0, crop_w: 10, crop_h: 20 }],
    ];
    for (const [name, crop] of badCrops) {
      test(`400 CROP_INVALID: ${name}`, async () => {
        const token = userToken(server, newUser('crop'));
        const res = await api(server, 'POST', '/v1/uploads', { token, json: uploadBody(crop) });
        expectError(res, 400, 'CROP_INVALID');
      });
    }

    test('a square crop with crop_h defaulting to crop_w is accepted', async () => {
      const token = userToken(server, newUser('crop-ok'));
      await createUpload(server, token, { crop_x: 0, crop_y: 0, crop_w: 10 });
      await createUpload(server, token, { crop_x: 5, crop_y: 5, crop_w: 10, crop_h: 10 });
    });
  });

  describe('authentication', () => {
    const cases: Array<[string, (s: RunningServer) => Record<string, string>]> = [
      ['no Authorization header', () => ({})],
      ['a non-Bearer scheme', (s) => ({ authorization: `Token ${userToken(s, 'alice')}` })],
      ['garbage token', () => ({ authorization: 'Bearer not.a.jwt' })],
      ['token signed with the wrong secret', () => ({ authorization: `Bearer ${signJwt('x'.repeat(64), { sub: 'alice', exp: now() + 3600 })}` })],
      ['expired token', (s) => ({ authorization: `Bearer ${signJwt(s.jwtSecret, { sub: 'alice', exp: now() - 10 })}` })],
      ['alg none token', () => {
        const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        return { authorization: `Bearer ${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'alice', exp: now() + 3600 })}.` };
      }],
      ['alg none header with a valid HS256 signature', (s) => {
        const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'alice', exp: now() + 3600 })}`;
        const real = signJwt(s.jwtSecret, { sub: 'alice', exp: now() + 3600 });
        return { authorization: `Bearer ${unsigned}.${real.split('.')[2]}` };
      }],
      ['token without exp', (s) => ({ authorization: `Bearer ${signJwt(s.jwtSecret, { sub: 'alice' })}` })],
      ['exp as a string', (s) => ({ authorization: `Bearer ${signJwt(s.jwtSecret, { sub: 'alice', exp: String(now() + 3600) })}` })],
      ['sub with forbidden characters', (s) => ({ authorization: `Bearer ${signJwt(s.jwtSecret, { sub: 'alice smith/../x', exp: now() + 3600 })}` })],
      ['sub longer than 128 characters', (s) => ({ authorization: `Bearer ${signJwt(s.jwtSecret, { sub: 'a'.repeat(129), exp: now() + 3600 })}` })],
      ['empty sub', (s) => ({ authorization: `Bearer ${signJwt(s.jwtSecret, { sub: '', exp: now() + 3600 })}` })],
      ['missing sub', (s) => ({ authorization: `Bearer ${signJwt(s.jwtSecret, { exp: now() + 3600 })}` })],
      ['numeric sub', (s) => ({ authorization: `Bearer ${signJwt(s.jwtSecret, { sub: 12345, exp: now() + 3600 })}` })],
    ];
    for (const [name, headers] of cases) {
      test(`401 UNAUTHENTICATED: ${name}`, async () => {
        const res = await api(server, 'POST', '/v1/uploads', { json: uploadBody(), headers: headers(server) });
        expectError(res, 401, 'UNAUTHENTICATED');
      });
    }

    test('a 128-character sub of every allowed character class is accepted', async () => {
      const sub = `Az09_.:@-${'x'.repeat(119)}`;
      assert.equal(sub.length, 128);
      const res = await api(server, 'POST', '/v1/uploads', { token: signJwt(server.jwtSecret, { sub, exp: now() + 60 }), json: uploadBody() });
      assert.equal(res.status, 201, res.text);
    });

    test('complete and GET /v1/files also require a valid token', async () => {
      const token = userToken(server, newUser('auth'));
      const created = await createUpload(server, token);
      expectError(await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`), 401, 'UNAUTHENTICATED');
      expectError(await api(server, 'GET', `/v1/files/${created.file_id}`), 401, 'UNAUTHENTICATED');
      const forged = signJwt('y'.repeat(64), { sub: newUser('x'), exp: now() + 60 });
      expectError(await api(server, 'GET', `/v1/files/${created.file_id}`, { token: forged }), 401, 'UNAUTHENTICATED');
    });
  });

  describe('PUT to the presigned URL', () => {
    test('204 with the exact bytes and the signed Content-Type (CORS *)', async () => {
      const token = userToken(server, newUser('put'));
      const bytes = await jpeg(64, 64);
      const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
      const res = await put(created.upload_url, bytes, created.upload_headers['Content-Type']!, { origin: 'https://elsewhere.example' });
      assert.equal(res.status, 204, res.text);
      assert.equal(res.text, '');
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
    });

    test('a streamed (chunked) body of the right length is accepted', async () => {
      const token = userToken(server, newUser('put-stream'));
      const bytes = await jpeg(48, 48);
      const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
      const res = await put(created.upload_url, streamOf(bytes), 'image/jpeg');
      assert.equal(res.status, 204, res.text);
    });

    test('the CORS preflight for the PUT allows any origin, PUT and Content-Type', async () => {
      const token = userToken(server, newUser('preflight'));
      const created = await createUpload(server, token);
      const res = await api(created.upload_url, 'OPTIONS', created.upload_url, {
        headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
      });
      assert.ok(res.status === 204 || res.status === 200, `${res.status} ${res.text}`);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /\bPUT\b/);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /content-type/i);
    });

    test('403 UPLOAD_URL_INVALID for a tampered signature', async () => {
      const token = userToken(server, newUser('tamper-sig'));
      const bytes = await jpeg(32, 32);
      const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
      expectError(await put(tamperSignature(created.upload_url), bytes, 'image/jpeg'), 403, 'UPLOAD_URL_INVALID');
      const url = new URL(created.upload_url);
      url.searchParams.delete('signature');
      expectError(await put(url.toString(), bytes, 'image/jpeg'), 403, 'UPLOAD_URL_INVALID');
      url.searchParams.set('signature', '');
      expectError(await put(url.toString(), bytes, 'image/jpeg'), 403, 'UPLOAD_URL_INVALID');
      // The untampered URL still works afterwards: nothing was stored by the refused attempts.
      assert.equal((await put(created.upload_url, bytes, 'image/jpeg')).status, 204);
    });

    test('403 UPLOAD_URL_INVALID for a tampered expires', async () => {
      const token = userToken(server, newUser('tamper-exp'));
      const bytes = await jpeg(32, 32);
      const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
      for (const expires of [String(created.expires_at + 3600), String(created.expires_at - 1), 'soon', '']) {
        const url = new URL(created.upload_url);
        url.searchParams.set('expires', expires);
        expectError(await put(url.toString(), bytes, 'image/jpeg'), 403, 'UPLOAD_URL_INVALID');
      }
    });

    test('403 UPLOAD_URL_INVALID for another file_id with this signature', async () => {
      const token = userToken(server, newUser('other-id'));
      const bytes = await jpeg(32, 32);
      const first = await createUpload(server, token, { size_bytes: bytes.byteLength });
      const second = await createUpload(server, token, { size_bytes: bytes.byteLength });
      const swapped = first.upload_url.replace(`/uploads/${encodeURIComponent(first.file_id)}/`, `/uploads/${encodeURIComponent(second.file_id)}/`);
      assert.notEqual(swapped, first.upload_url);
      expectError(await put(swapped, bytes, 'image/jpeg'), 403, 'UPLOAD_URL_INVALID');
      const unknown = first.upload_url.replace(`/uploads/${encodeURIComponent(first.file_id)}/`, '/uploads/f_doesnotexist/');
      expectError(await put(unknown, bytes, 'image/jpeg'), 403, 'UPLOAD_URL_INVALID');
      // Neither file received anything.
      const state = await api(server, 'POST', `/v1/uploads/${second.file_id}/complete`, { token });
      expectError(state, 409, 'UPLOAD_NOT_RECEIVED');
    });

    test('403 UPLOAD_URL_INVALID when the Content-Type differs from the signed one', async () => {
      const token = userToken(server, newUser('ctype'));
      const bytes = await jpeg(32, 32);
      const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
      expectError(await put(created.upload_url, bytes, 'image/png'), 403, 'UPLOAD_URL_INVALID');
      expectError(await put(created.upload_url, bytes, 'text/html'), 403, 'UPLOAD_URL_INVALID');
      const noType = await api(created.upload_url, 'PUT', created.upload_url, { body: bytes });
      expectError(noType, 403, 'UPLOAD_URL_INVALID');
      assert.equal((await put(created.upload_url, bytes, 'image/jpeg')).status, 204);
    });

    test('409 UPLOAD_ALREADY_RECEIVED when the URL is used again', async () => {
      const token = userToken(server, newUser('reuse'));
      const bytes = await jpeg(32, 32);
      const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
      assert.equal((await put(created.upload_url, bytes, 'image/jpeg')).status, 204);
      expectError(await put(created.upload_url, bytes, 'image/jpeg'), 409, 'UPLOAD_ALREADY_RECEIVED');
      // A different body of the same length cannot replace the first one either.
      const other = Buffer.alloc(bytes.byteLength, 0xab);
      expectError(await put(created.upload_url, other, 'image/jpeg'), 409, 'UPLOAD_ALREADY_RECEIVED');
    });

    test('two concurrent PUTs: one 204, the other 409, and the stored bytes are the 204 one', async () => {
      const token = userToken(server, newUser('concurrent'));
      const first = await jpeg(96, 96, { quality: 90 });
      // A second body of the same length with different bytes.
      const second = Buffer.from(first);
      second.fill(0x42, 100, 200);
      const created = await createUpload(server, token, { size_bytes: first.byteLength });
      const tmpDir = join(server.dataDir, 'tmp');
      const partsBefore = new Set(await listFiles(tmpDir));
      // The first body is held back after its first half, so the server is mid-write when the second arrives.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const half = Math.floor(first.byteLength / 2);
      const slowBody = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(first.slice(0, half));
          await gate;
          controller.enqueue(first.slice(half));
          controller.close();
        },
      });
      const slow = put(created.upload_url, slowBody, 'image/jpeg');
      await waitUntil(async () => (await listFiles(tmpDir)).some((path) => !partsBefore.has(path)), 'the first PUT to start writing');
      const fast = await put(created.upload_url, second, 'image/jpeg');
      release();
      const slowRes = await slow;
      const statuses = [slowRes.status, fast.status].sort();
      assert.deepEqual(statuses, [204, 409], `slow ${slowRes.status} ${slowRes.text}; fast ${fast.status} ${fast.text}`);
      const loser = slowRes.status === 409 ? slowRes : fast;
      assert.equal(loser.json?.error?.code, 'UPLOAD_ALREADY_RECEIVED');
      const winner = slowRes.status === 204 ? first : second;
      const stored = await readFile(join(server.dataDir, 'objects', 'originals', created.file_id));
      assert.ok(stored.equals(winner), 'the stored original is the body that got 204');
    });

    test('400 SIZE_MISMATCH for shorter and longer bodies; the right body is still accepted afterwards', async () => {
      const user = newUser('size');
      const token = userToken(server, user);
      const bytes = await jpeg(80, 80);
      const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
      const shorter = bytes.subarray(0, bytes.byteLength - 1);
      const longer = Buffer.concat([bytes, Buffer.from([0])]);
      expectError(await put(created.upload_url, shorter, 'image/jpeg'), 400, 'SIZE_MISMATCH');
      expectError(await put(created.upload_url, longer, 'image/jpeg'), 400, 'SIZE_MISMATCH');
      // Without Content-Length the server finds out while reading.
      expectError(await put(created.upload_url, streamOf(shorter), 'image/jpeg'), 400, 'SIZE_MISMATCH');
      expectError(await put(created.upload_url, streamOf(longer), 'image/jpeg'), 400, 'SIZE_MISMATCH');
      expectError(await put(created.upload_url, new Uint8Array(0), 'image/jpeg'), 400, 'SIZE_MISMATCH');
      // Nothing was half-stored: completing is still refused, then the right body goes in and processes.
      expectError(await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token }), 409, 'UPLOAD_NOT_RECEIVED');
      assert.equal((await put(created.upload_url, bytes, 'image/jpeg')).status, 204);
      const done = await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token });
      assert.equal(done.status, 202, done.text);
      const file = await waitForFile(server, token, created.file_id);
      assert.equal(file.processing_state, 'ready', JSON.stringify(file));
      assert.equal(file.width, 80);
      assert.equal(file.height, 80);
    });
  });

  describe('POST /v1/uploads/{file_id}/complete', () => {
    test('202 {file_id, processing_state}; idempotent', async () => {
      const token = userToken(server, newUser('complete'));
      const bytes = await jpeg(64, 64);
      const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
      assert.equal((await put(created.upload_url, bytes, 'image/jpeg')).status, 204);
      const first = await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token });
      assert.equal(first.status, 202, first.text);
      assert.deepEqual(Object.keys(first.json).sort(), ['file_id', 'processing_state']);
      assert.equal(first.json.file_id, created.file_id);
      assert.ok(['processing', 'ready'].includes(first.json.processing_state), first.text);
      const second = await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token });
      assert.equal(second.status, 202, second.text);
      assert.equal(second.json.file_id, created.file_id);
      assert.ok(['processing', 'ready'].includes(second.json.processing_state), second.text);
      await waitForFile(server, token, created.file_id);
      const third = await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token });
      assert.equal(third.status, 202, third.text);
      assert.equal(third.json.processing_state, 'ready');
      // Completing twice processed once.
      const finished = server.lines.filter((line) => line.startsWith('job finished ') && line.includes(` ${created.file_id} `));
      assert.equal(finished.length, 1, finished.join('\n'));
    });

    test('409 UPLOAD_NOT_RECEIVED before the bytes arrive', async () => {
      const token = userToken(server, newUser('not-received'));
      const created = await createUpload(server, token);
      expectError(await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token }), 409, 'UPLOAD_NOT_RECEIVED');
      const file = await api(server, 'GET', `/v1/files/${created.file_id}`, { token });
      assert.equal(file.json.processing_state, 'awaiting_upload');
    });

    test("404 FILE_NOT_FOUND for someone else's file and for unknown ids", async () => {
      const owner = userToken(server, newUser('owner'));
      const stranger = userToken(server, newUser('stranger'));
      const bytes = await jpeg(32, 32);
      const created = await createUpload(server, owner, { size_bytes: bytes.byteLength });
      assert.equal((await put(created.upload_url, bytes, 'image/jpeg')).status, 204);
      expectError(await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token: stranger }), 404, 'FILE_NOT_FOUND');
      expectError(await api(server, 'POST', '/v1/uploads/f_nosuchfile/complete', { token: owner }), 404, 'FILE_NOT_FOUND');
      // The stranger's attempt did not start anything: the owner's file is still waiting.
      const file = await api(server, 'GET', `/v1/files/${created.file_id}`, { token: owner });
      assert.equal(file.json.processing_state, 'awaiting_upload');
    });
  });

  describe('GET /v1/files/{file_id}', () => {
    test('the owner sees the documented shape; it ends ready with the image size', async () => {
      const user = newUser('files');
      const token = userToken(server, user);
      const bytes = await jpeg(640, 480);
      const fileId = await uploadImage(server, token, bytes);
      const file = await waitForFile(server, token, fileId);
      assert.equal(file.processing_state, 'ready', JSON.stringify(file));
      assert.deepEqual(Object.keys(file).sort(), ['content_type', 'created_at', 'crop', 'crop_source', 'height', 'id', 'processing_state', 'size_bytes', 'updated_at', 'upload_type', 'width']);
      // Uploaded without a crop: the default crop, here (no face, no clear subject) the centred largest square.
      assert.equal(file.crop_source, 'center');
      assert.deepEqual(file.crop, { x: 80, y: 0, w: 480, h: 480 });
      assert.equal(file.id, fileId);
      assert.equal(file.upload_type, 'profile_pic');
      assert.equal(file.content_type, 'image/jpeg');
      assert.equal(file.size_bytes, bytes.byteLength);
      assert.equal(file.width, 640);
      assert.equal(file.height, 480);
      assert.ok(Number.isInteger(file.created_at) && Math.abs(file.created_at - now()) < 120);
      assert.ok(Number.isInteger(file.updated_at) && file.updated_at >= file.created_at);
      // set_as_avatar defaults to true: the file became the avatar.
      const avatar = await api(server, 'GET', `/v1/users/${user}/avatar`);
      assert.equal(avatar.status, 200, avatar.text);
      assert.equal(avatar.json.width, 256);
    });

    test('another user gets 404 FILE_NOT_FOUND; so does an unknown id', async () => {
      const owner = userToken(server, newUser('files-owner'));
      const stranger = userToken(server, newUser('files-stranger'));
      const created = await createUpload(server, owner);
      expectError(await api(server, 'GET', `/v1/files/${created.file_id}`, { token: stranger }), 404, 'FILE_NOT_FOUND');
      expectError(await api(server, 'GET', '/v1/files/f_nosuchfile', { token: owner }), 404, 'FILE_NOT_FOUND');
    });

    test('set_as_avatar false keeps the file out of the avatar', async () => {
      const user = newUser('no-avatar');
      const token = userToken(server, user);
      const fileId = await uploadImage(server, token, await jpeg(64, 64), { setAsAvatar: false });
      const file = await waitForFile(server, token, fileId);
      assert.equal(file.processing_state, 'ready');
      expectError(await api(server, 'GET', `/v1/users/${user}/avatar`), 404, 'AVATAR_NOT_FOUND');
    });
  });

  describe('images that must be refused end as failed files', () => {
    const variantsDir = () => join(server.dataDir, 'objects', 'variants');

    const cases: Array<{ name: string; bytes: () => Promise<Buffer> | Buffer; contentType: string; code: string; crop?: { crop_x: number; crop_y: number; crop_w: number } }> = [
      { name: 'truncated JPEG', bytes: truncatedJpeg, contentType: 'image/jpeg', code: 'IMAGE_INVALID' },
      { name: 'HTML with a script labelled image/png', bytes: htmlAsPng, contentType: 'image/png', code: 'IMAGE_INVALID' },
      { name: 'SVG bytes labelled image/png', bytes: svg, contentType: 'image/png', code: 'IMAGE_INVALID' },
      { name: 'JPEG/HTML polyglot', bytes: polyglot, contentType: 'image/jpeg', code: 'IMAGE_INVALID' },
      { name: 'PNG labelled image/jpeg', bytes: () => png(64, 64), contentType: 'image/jpeg', code: 'IMAGE_INVALID' },
      { name: 'JPEG labelled image/png', bytes: () => jpeg(64, 64), contentType: 'image/png', code: 'IMAGE_INVALID' },
      { name: '20000×20000 PNG decompression bomb', bytes: pngBomb20000, contentType: 'image/png', code: 'IMAGE_TOO_LARGE' },
      { name: 'crop outside the image', bytes: () => jpeg(64, 64), contentType: 'image/jpeg', code: 'CROP_INVALID', crop: { crop_x: 32, crop_y: 32, crop_w: 64 } },
    ];

    for (const c of cases) {
      test(`${c.name} → failed ${c.code}; no avatar, no variant objects`, async () => {
        const user = newUser('bad');
        const token = userToken(server, user);
        const variantsBefore = new Set(await listFiles(variantsDir()));
        const fileId = await uploadImage(server, token, await c.bytes(), { contentType: c.contentType, ...(c.crop ? { crop: c.crop } : {}) });
        const file = await waitForFile(server, token, fileId);
        assert.equal(file.processing_state, 'failed', JSON.stringify(file));
        assert.equal(file.error?.code, c.code, JSON.stringify(file));
        assert.equal(typeof file.error.message, 'string');
        assert.ok(file.error.message.length > 0);
        // The job ran to its end and said so.
        await server.waitForLine(new RegExp(`^job finished \\S+ ${fileId} failed ${c.code}$`));
        // Nothing half-written: the user still has no avatar and no variant objects appeared.
        expectError(await api(server, 'GET', `/v1/users/${user}/avatar`), 404, 'AVATAR_NOT_FOUND');
        const me = await api(server, 'GET', '/v1/users/me', { token });
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.avatar, null);
        assert.equal(me.json.avatar_processing, false);
        const added = (await listFiles(variantsDir())).filter((path) => !variantsBefore.has(path));
        assert.deepEqual(added, []);
        // Completing again does not restart a failed file.
        const again = await api(server, 'POST', `/v1/uploads/${fileId}/complete`, { token });
        assert.equal(again.status, 202, again.text);
        assert.equal(again.json.processing_state, 'failed');
      });
    }

    test('the bomb is refused from its header: the probe reports the real size', async () => {
      const token = userToken(server, newUser('bomb'));
      const fileId = await uploadImage(server, token, pngBomb20000(), { contentType: 'image/png' });
      const file = await waitForFile(server, token, fileId);
      assert.equal(file.error?.code, 'IMAGE_TOO_LARGE');
      assert.match(file.error.message, /20000/);
      await server.waitForLine(new RegExp(`^job finished \\S+ ${fileId} failed IMAGE_TOO_LARGE$`));
    });

    test('zero bytes → 400 INVALID_REQUEST at creation', async () => {
      const token = userToken(server, newUser('empty'));
      const res = await api(server, 'POST', '/v1/uploads', { token, json: uploadBody({ size_bytes: 0 }) });
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, /size_bytes/);
    });

    test('a failed upload does not disturb the existing avatar', async () => {
      const user = newUser('keeps');
      const token = userToken(server, user);
      const variantsBefore = new Set(await listFiles(variantsDir()));
      const good = await uploadImage(server, token, await jpeg(100, 100));
      assert.equal((await waitForFile(server, token, good)).processing_state, 'ready');
      // (The objects check above is meaningful: a ready file does add variant objects there.)
      const added = (await listFiles(variantsDir())).filter((path) => !variantsBefore.has(path));
      assert.ok(added.length >= 6, `expected variant objects, got ${JSON.stringify(added)}`);
      const variantsAfterGood = new Set(await listFiles(variantsDir()));
      const before = await api(server, 'GET', `/v1/users/${user}/avatar`);
      assert.equal(before.status, 200, before.text);
      const bad = await uploadImage(server, token, await truncatedJpeg());
      assert.equal((await waitForFile(server, token, bad)).processing_state, 'failed');
      assert.deepEqual((await listFiles(variantsDir())).filter((path) => !variantsAfterGood.has(path)), []);
      const after = await api(server, 'GET', `/v1/users/${user}/avatar`);
      assert.equal(after.status, 200, after.text);
      assert.equal(after.json.url, before.json.url);
      assert.equal(after.json.version, before.json.version);
      const me = await api(server, 'GET', '/v1/users/me', { token });
      assert.equal(me.json.avatar.file_id, good);
      assert.equal(me.json.avatar_processing, false);
    });
  });

  describe('EXIF orientation and metadata stripping', () => {
    test('width/height are the oriented ones; the served WebP is upright and carries no metadata', async () => {
      const user = newUser('exif');
      const token = userToken(server, user);
      const source = await exifOrientedJpeg();
      const sourceMeta = await sharp(source).metadata();
      assert.equal(sourceMeta.orientation, 6, 'fixture should carry orientation 6');
      assert.ok(sourceMeta.exif && sourceMeta.xmp, 'fixture should carry EXIF and XMP');
      const fileId = await uploadImage(server, token, source);
      const file = await waitForFile(server, token, fileId);
      assert.equal(file.processing_state, 'ready', JSON.stringify(file));
      assert.equal(file.width, 200);
      assert.equal(file.height, 300);

      const avatar = await api(server, 'GET', `/v1/users/${user}/avatar?size=cropped`);
      assert.equal(avatar.status, 200, avatar.text);
      assert.equal(avatar.json.size, 'cropped');
      assert.equal(avatar.json.content_type, 'image/webp');
      assert.equal(avatar.json.width, 200);
      assert.equal(avatar.json.height, 200);

      const res = await fetch(avatar.json.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/webp');
      const served = Buffer.from(await res.arrayBuffer());
      assert.equal(served.toString('latin1', 0, 4), 'RIFF');
      assert.equal(served.toString('latin1', 8, 12), 'WEBP');

      const meta = await sharp(served).metadata();
      assert.equal(meta.format, 'webp');
      assert.equal(meta.width, 200);
      assert.equal(meta.height, 200);
      assert.equal(meta.exif, undefined, 'no EXIF');
      assert.equal(meta.xmp, undefined, 'no XMP');
      assert.equal(meta.iptc, undefined, 'no IPTC');
      assert.ok(meta.orientation === undefined || meta.orientation === 1, `orientation ${meta.orientation}`);
      assert.ok(!served.includes(Buffer.from('FixtureCam')), 'camera make must not survive');

      // The centred 200×200 square of the upright 200×300 image: red on top, green bottom-left, blue bottom-right.
      const { data, info } = await sharp(served).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const pixel = (x: number, y: number) => {
        const at = (y * info.width + x) * info.channels;
        return [data[at]!, data[at + 1]!, data[at + 2]!] as const;
      };
      const dominant = (x: number, y: number) => {
        const [r, g, b] = pixel(x, y);
        if (r > 180 && g < 80 && b < 80) return 'red';
        if (g > 180 && r < 80 && b < 80) return 'green';
        if (b > 180 && r < 80 && g < 80) return 'blue';
        return `rgb(${r},${g},${b})`;
      };
      assert.equal(dominant(50, 25), 'red');
      assert.equal(dominant(150, 25), 'red');
      assert.equal(dominant(50, 175), 'green');
      assert.equal(dominant(150, 175), 'blue');
    });
  });
});

describe('uploads (tight limits: 3 uploads a minute, 1-second upload URLs)', () => {
  let server: RunningServer;

  before(async () => {
    server = await startServer({ env: { AVATAR_UPLOAD_RATE_LIMIT: '3', AVATAR_UPLOAD_URL_TTL_SECONDS: '1', AVATAR_STORAGE: 'local' } });
  });
  after(async () => {
    await server?.stop();
  });

  test('429 RATE_LIMITED with Retry-After after 3 uploads a minute; per user', async () => {
    const token = userToken(server, newUser('rate'));
    for (let i = 0; i < 3; i++) await createUpload(server, token);
    const limited = await api(server, 'POST', '/v1/uploads', { token, json: uploadBody() });
    expectError(limited, 429, 'RATE_LIMITED');
    const retryAfter = limited.headers.get('retry-after');
    assert.match(retryAfter ?? '', /^\d+$/);
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);
    // Refused requests of other kinds are not counted against someone else; another user is unaffected.
    const other = userToken(server, newUser('rate-other'));
    await createUpload(server, other);
  });

  test('invalid requests do not use up the allowance', async () => {
    const token = userToken(server, newUser('rate-invalid'));
    for (let i = 0; i < 5; i++) {
      expectError(await api(server, 'POST', '/v1/uploads', { token, json: uploadBody({ content_type: 'image/svg+xml' }) }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    for (let i = 0; i < 3; i++) await createUpload(server, token);
  });

  test('403 UPLOAD_URL_EXPIRED once the URL has expired, whatever the body', async () => {
    const token = userToken(server, newUser('expire'));
    const bytes = await jpeg(32, 32);
    const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
    // While the URL is still valid a wrong-length body is refused with SIZE_MISMATCH and stores nothing,
    // so polling with it never uses the upload up.
    const wrongLength = bytes.subarray(0, bytes.byteLength - 1);
    await waitUntil(async () => {
      const res = await put(created.upload_url, wrongLength, 'image/jpeg');
      const code = res.json?.error?.code as string | undefined;
      assert.ok(
        (res.status === 400 && code === 'SIZE_MISMATCH') || (res.status === 403 && code === 'UPLOAD_URL_EXPIRED'),
        `unexpected ${res.status} ${res.text}`,
      );
      return code === 'UPLOAD_URL_EXPIRED';
    }, 'the upload URL to expire', 15_000);
    expectError(await put(created.upload_url, bytes, 'image/jpeg'), 403, 'UPLOAD_URL_EXPIRED');
    // A tampered expired URL is still INVALID (signature is checked first).
    expectError(await put(tamperSignature(created.upload_url), bytes, 'image/jpeg'), 403, 'UPLOAD_URL_INVALID');
    expectError(await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token }), 409, 'UPLOAD_NOT_RECEIVED');
  });

  test('the expiry is exact: a URL is refused from the moment expires_at is reached, not a whole second later', async () => {
    const token = userToken(server, newUser('exact'));
    const bytes = await jpeg(32, 32);
    const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
    // The first moment the URL is expired; the PUT follows at once, well inside the second that starts then
    // (the server used to compare whole seconds and accepted it until that second was over).
    await waitUntil(async () => Date.now() >= created.expires_at * 1000, 'expires_at to be reached', 5_000);
    expectError(await put(created.upload_url, bytes, 'image/jpeg'), 403, 'UPLOAD_URL_EXPIRED');
  });
});

describe('uploads straight to an S3 bucket', () => {
  let s3: RunningS3;
  let server: RunningServer;

  before(async () => {
    s3 = await startS3Server();
    server = await startServer({ env: serverStorageEnv(s3, s3.bucket) });
  });
  after(async () => {
    await server?.stop();
    await s3?.stop();
  });

  test('upload_url is a presigned PUT of the bucket binding type and length; sent so, complete → ready, served from the bucket', async () => {
    const token = userToken(server, newUser('s3'));
    const bytes = await jpeg(300, 200);
    const before = now();
    const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
    const url = new URL(created.upload_url);
    assert.equal(url.origin, s3.endpoint);
    assert.equal(url.pathname, `/${s3.bucket}/originals/${created.file_id}`);
    assert.match(url.searchParams.get('X-Amz-SignedHeaders') ?? '', /content-length;content-type/);
    assert.equal(created.upload_headers['Content-Type'], 'image/jpeg');
    assert.ok(created.expires_at >= before + 600 && created.expires_at <= now() + 600, `expires_at ${created.expires_at}`);

    expectError(await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token }), 409, 'UPLOAD_NOT_RECEIVED');
    assert.equal((await put(created.upload_url, bytes, 'image/jpeg')).status, 200);
    assert.equal((await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token })).status, 202);
    const file = await waitForFile(server, token, created.file_id);
    assert.deepEqual([file.processing_state, file.width, file.height], ['ready', 300, 200]);
    const me = await api(server, 'GET', '/v1/users/me', { token });
    for (const variantUrl of Object.values(me.json.avatar.urls as Record<string, string>)) {
      assert.ok(variantUrl.startsWith(`${s3.endpoint}/${s3.bucket}/variants/`), variantUrl);
      const res = await fetch(variantUrl);
      assert.equal(res.status, 200, variantUrl);
      assert.equal(res.headers.get('content-type'), 'image/webp');
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    }
  });

  test('the bucket refuses another type or length; nothing is received, and the right body still goes through', async () => {
    const token = userToken(server, newUser('s3-refused'));
    const bytes = await jpeg(64, 64);
    const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
    assert.equal((await put(created.upload_url, bytes, 'image/png')).status, 403);
    assert.ok((await put(created.upload_url, bytes.subarray(1), 'image/jpeg')).status >= 400);
    expectError(await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token }), 409, 'UPLOAD_NOT_RECEIVED');
    assert.equal((await put(created.upload_url, bytes, 'image/jpeg')).status, 200);
    assert.equal((await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token })).status, 202);
    assert.equal((await waitForFile(server, token, created.file_id)).processing_state, 'ready');
  });

  test('an object of another size or type put behind the presigned URL\'s back: 400 SIZE_MISMATCH at complete, and it is deleted', async () => {
    const token = userToken(server, newUser('s3-mismatch'));
    const bytes = await jpeg(64, 64);
    const client = rawClient(s3);
    try {
      for (const [body, type] of [[bytes.subarray(0, 100), 'image/jpeg'], [bytes, 'image/png']] as const) {
        const created = await createUpload(server, token, { size_bytes: bytes.byteLength });
        const key = `originals/${created.file_id}`;
        await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, ContentType: type }));
        expectError(await api(server, 'POST', `/v1/uploads/${created.file_id}/complete`, { token }), 400, 'SIZE_MISMATCH');
        assert.equal((await fetch(`${s3.endpoint}/${s3.bucket}/${key}`)).status, 404, 'the object is deleted');
        const file = await api(server, 'GET', `/v1/files/${created.file_id}`, { token });
        assert.equal(file.json.processing_state, 'awaiting_upload');
      }
    } finally {
      client.destroy();
    }
  });
});
