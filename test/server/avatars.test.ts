// Avatars end to end against real server processes: reading (public), serving (/cdn), defaults,
// the signed-in user's own avatar (set, one-request upload, remove, recrop), auth and CORS.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { jpeg, png, truncatedJpeg, twelveMegapixelJpeg, webp } from '../fixtures/images.ts';
import { queryDb } from '../helpers/database.ts';
import {
  api, expectError, fetchBytes, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer, type UploadOptions,
} from '../helpers/server.ts';

const SIZES = ['cropped', '1600', '512', '256', '128', '64'];
const MiB = 1024 * 1024;

/** Uploads, waits for processing and insists it succeeded. */
async function readyUpload(server: RunningServer, token: string, bytes: Uint8Array, opts: UploadOptions = {}): Promise<string> {
  const fileId = await uploadImage(server, token, bytes, opts);
  const file = await waitForFile(server, token, fileId);
  assert.equal(file.processing_state, 'ready', JSON.stringify(file));
  return fileId;
}

const getAvatar = (server: RunningServer, userId: string, query = '', headers: Record<string, string> = {}) =>
  api(server, 'GET', `/v1/users/${encodeURIComponent(userId)}/avatar${query}`, { headers });

const me = (server: RunningServer, token: string) => api(server, 'GET', '/v1/users/me', { token });

/** Width and height of the image bytes themselves. */
async function dimensions(bytes: Buffer) {
  const { width, height, format } = await sharp(bytes).metadata();
  return { width, height, format };
}

describe('avatars', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('404 AVATAR_NOT_FOUND for a user without an avatar', async () => {
    expectError(await getAvatar(server, 'nobody'), 404, 'AVATAR_NOT_FOUND');
    expectError(await getAvatar(server, 'nobody', '?size=64'), 404, 'AVATAR_NOT_FOUND');
  });

  test('a ready avatar: shape, default size 256, every size with its true width, is_preview', async () => {
    const token = userToken(server, 'shape');
    const before = Math.floor(Date.now() / 1000);
    const fileId = await readyUpload(server, token, await jpeg(1800, 1700));

    const res = await getAvatar(server, 'shape');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['avif_url', 'avif_urls', 'content_type', 'expires_at', 'height', 'placeholder', 'size', 'updated_at', 'url', 'urls', 'version', 'width']);
    assert.equal(res.json.urls['256'], res.json.url);
    assert.equal(res.json.avif_urls['256'], res.json.avif_url);
    assert.match(res.json.placeholder, /^[A-Za-z0-9+/]{20,38}={0,2}$/);
    assert.equal(res.json.size, '256');
    assert.equal(res.json.width, 256);
    assert.equal(res.json.height, 256);
    assert.equal(res.json.expires_at, null);
    assert.equal(res.json.content_type, 'image/webp');
    assert.ok(Number.isInteger(res.json.version) && res.json.version >= 1, `version ${res.json.version}`);
    assert.ok(Number.isInteger(res.json.updated_at) && res.json.updated_at >= before - 1, `updated_at ${res.json.updated_at}`);
    assert.ok(res.json.url.startsWith(server.objects.publicBase), res.json.url);

    // The source is 1800×1700, so the centred square is 1700: `cropped` keeps it, 1600 and below are real downscales.
    const expected: Record<string, number> = { cropped: 1700, '1600': 1600, '512': 512, '256': 256, '128': 128, '64': 64 };
    const urls = new Set<string>();
    for (const size of SIZES) {
      const sized = await getAvatar(server, 'shape', `?size=${size}`);
      assert.equal(sized.status, 200, sized.text);
      assert.equal(sized.json.size, size, 'size echoes the request');
      assert.equal(sized.json.width, expected[size], `width of ${size}`);
      assert.equal(sized.json.height, expected[size], `height of ${size}`);
      assert.equal(sized.json.version, res.json.version);
      urls.add(sized.json.url);
      const image = await fetchBytes(sized.json.url);
      assert.equal(image.status, 200);
      assert.deepEqual(await dimensions(image.bytes), { width: expected[size], height: expected[size], format: 'webp' }, `bytes of ${size}`);
    }
    assert.equal(urls.size, SIZES.length, 'every size has its own URL');

    const preview = await getAvatar(server, 'shape', '?is_preview=true');
    assert.equal(preview.status, 200);
    assert.equal(preview.json.size, '64');
    assert.equal(preview.json.width, 64);
    const previewWins = await getAvatar(server, 'shape', '?is_preview=true&size=512');
    assert.equal(previewWins.json.size, '64');

    const mine = await me(server, token);
    assert.equal(mine.json.avatar.file_id, fileId);
  });

  test('never upscaled: a 300×300 source reports its true width at every larger size', async () => {
    const token = userToken(server, 'small');
    await readyUpload(server, token, await png(300, 300), { contentType: 'image/png' });
    for (const [size, width] of [['cropped', 300], ['1600', 300], ['512', 300], ['256', 256], ['64', 64]] as const) {
      const res = await getAvatar(server, 'small', `?size=${size}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.size, size);
      assert.equal(res.json.width, width, `width of ${size}`);
      assert.equal(res.json.height, width, `height of ${size}`);
      const image = await fetchBytes(res.json.url);
      assert.equal((await dimensions(image.bytes)).width, width, `bytes of ${size}`);
    }
  });

  test('400 INVALID_SIZE for sizes that are not configured', async () => {
    await readyUpload(server, userToken(server, 'sizes'), await jpeg(100, 100));
    for (const size of ['100', 'abc', '0', '-64', '256px']) {
      expectError(await getAvatar(server, 'sizes', `?size=${size}`), 400, 'INVALID_SIZE');
    }
    // Also for users without an avatar: the size is checked first.
    expectError(await getAvatar(server, 'nobody', '?size=100'), 400, 'INVALID_SIZE');
  });

  test('public reads allow any origin', async () => {
    await readyUpload(server, userToken(server, 'cors-read'), await jpeg(80, 80));
    const res = await getAvatar(server, 'cors-read', '', { origin: 'https://example.com' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const missing = await getAvatar(server, 'nobody', '', { origin: 'https://example.com' });
    assert.equal(missing.headers.get('access-control-allow-origin'), '*');
  });

  test('served variants: immutable caching, ETag and 304, nosniff, CSP; originals and traversal are never served', async () => {
    const token = userToken(server, 'serve');
    const fileId = await readyUpload(server, token, await jpeg(200, 200));
    const { json: avatar } = await getAvatar(server, 'serve');

    // The URL handed out (the bucket's with S3) serves the bytes with the type and immutable caching…
    const handedOut = await fetchBytes(avatar.url);
    assert.equal(handedOut.status, 200);
    assert.equal(handedOut.headers.get('content-type'), 'image/webp');
    assert.equal(handedOut.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    // …and so does /cdn, which also answers revalidation and sends the security headers.
    const variantKey = server.objects.keyOfUrl(avatar.url);
    const cdnUrl = `${server.url}/cdn/${variantKey}`;
    const image = await fetchBytes(cdnUrl, { origin: 'https://example.com' });
    assert.ok(image.bytes.equals(handedOut.bytes), 'the same bytes');
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/webp');
    assert.equal(image.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(image.headers.get('content-security-policy'), 'a Content-Security-Policy is sent');
    assert.match(image.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.equal(image.headers.get('access-control-allow-origin'), '*');
    const etag = image.headers.get('etag');
    assert.ok(etag && /^(W\/)?"[^"]+"$/.test(etag), `quoted ETag, got ${etag}`);
    assert.equal((await dimensions(image.bytes)).format, 'webp');

    const revalidated = await fetchBytes(cdnUrl, { 'if-none-match': etag });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.bytes.length, 0);
    const otherTag = await fetchBytes(cdnUrl, { 'if-none-match': '"something-else"' });
    assert.equal(otherTag.status, 200);
    // RFC 9110: "*" matches any current representation; in a list, and weak forms match too.
    for (const tag of ['*', ` *`, `"a", ${etag}`, `W/${etag}`]) assert.equal((await fetchBytes(cdnUrl, { 'if-none-match': tag })).status, 304, tag);

    // The original is stored (for recrop) but there is no way to fetch it.
    assert.ok(await server.objects.exists(`originals/${fileId}`), 'the original is kept');
    const renditionId = variantKey.split('/')[1];
    for (const path of [
      `/cdn/originals/${fileId}`,
      '/cdn/../avatar.db',
      '/cdn/%2e%2e/avatar.db',
      `/cdn/%2e%2e/objects/originals/${fileId}`,
      `/cdn/variants/${renditionId}/%2e%2e/%2e%2e/originals/${fileId}`,
      `/cdn/variants/${renditionId}/..%2f..%2foriginals%2f${fileId}`,
      '/cdn/variants/nope/256-0123456789abcdef0123456789abcdef.webp',
      '/cdn/',
    ]) {
      const res = await api(server, 'GET', path);
      expectError(res, 404, 'NOT_FOUND');
    }
  });

  test('/avatar/image redirects to the variant; without an avatar it draws a default', async () => {
    await readyUpload(server, userToken(server, 'img'), await jpeg(300, 300));
    for (const query of ['', '?size=128', '?is_preview=true', '?size=cropped&default=404']) {
      const res = await api(server, 'GET', `/v1/users/img/avatar/image${query}`);
      assert.equal(res.status, 302, res.text);
      const variant = await getAvatar(server, 'img', query.replace('&default=404', ''));
      assert.equal(res.headers.get('location'), variant.json.url, `Location for ${query || 'no query'}`);
      assert.match(res.headers.get('cache-control') ?? '', /max-age=60\b/, 'the redirect is only briefly cacheable');
    }

    const first = await api(server, 'GET', '/v1/users/no-avatar-1/avatar/image');
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^image\/svg\+xml/);
    assert.match(first.text, /^<svg[\s>]/);
    const again = await api(server, 'GET', '/v1/users/no-avatar-1/avatar/image');
    assert.equal(again.text, first.text, 'identicons are deterministic');
    const explicit = await api(server, 'GET', '/v1/users/no-avatar-1/avatar/image?default=identicon');
    assert.equal(explicit.text, first.text, 'identicon is the default');
    const other = await api(server, 'GET', '/v1/users/no-avatar-2/avatar/image');
    assert.equal(other.status, 200);
    assert.notEqual(other.text, first.text, 'different users get different identicons');

    const initials = await api(server, 'GET', '/v1/users/no-avatar-1/avatar/image?default=initials&name=Ada%20Lovelace');
    assert.equal(initials.status, 200);
    assert.match(initials.headers.get('content-type') ?? '', /^image\/svg\+xml/);
    assert.match(initials.text, />AL</);

    const hostile = await api(server, 'GET', `/v1/users/no-avatar-1/avatar/image?default=initials&name=${encodeURIComponent('<script>alert(1)</script> <img src=x>')}`);
    assert.equal(hostile.status, 200);
    assert.doesNotMatch(hostile.text, /<script|<img/i);
    assert.match(hostile.text, /&lt;/);

    expectError(await api(server, 'GET', '/v1/users/no-avatar-1/avatar/image?default=404'), 404, 'AVATAR_NOT_FOUND');
    expectError(await api(server, 'GET', '/v1/users/no-avatar-1/avatar/image?size=100'), 400, 'INVALID_SIZE');
  });

  test('/v1/users/me: shape before and after an avatar', async () => {
    const token = userToken(server, 'me-shape');
    const empty = await me(server, token);
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, { id: 'me-shape', avatar_url: null, avatar: null, avatar_processing: false });

    const fileId = await readyUpload(server, token, await jpeg(600, 400));
    const res = await me(server, token);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json).sort(), ['avatar', 'avatar_processing', 'avatar_url', 'id']);
    assert.equal(res.json.id, 'me-shape');
    assert.equal(res.json.avatar_processing, false);
    const { avatar } = res.json;
    assert.deepEqual(Object.keys(avatar).sort(), ['avif_urls', 'file_id', 'placeholder', 'source', 'updated_at', 'url', 'urls', 'version']);
    assert.equal(avatar.file_id, fileId);
    assert.equal(avatar.url, avatar.urls['256']);
    assert.equal(avatar.source, 'upload');
    assert.ok(Number.isInteger(avatar.version) && avatar.version >= 1);
    assert.ok(Number.isInteger(avatar.updated_at));
    assert.deepEqual(Object.keys(avatar.urls).sort(), [...SIZES].sort());
    const public256 = await getAvatar(server, 'me-shape');
    assert.equal(res.json.avatar_url, avatar.urls['256']);
    assert.equal(res.json.avatar_url, public256.json.url);
    assert.equal(avatar.version, public256.json.version);
    assert.equal(avatar.updated_at, public256.json.updated_at);
    for (const size of SIZES) assert.equal(avatar.urls[size], (await getAvatar(server, 'me-shape', `?size=${size}`)).json.url, `urls.${size}`);
  });

  test('set_as_avatar:false keeps the avatar; PUT {file_id} sets it and bumps the version', async () => {
    const token = userToken(server, 'chooser');
    const first = await readyUpload(server, token, await jpeg(120, 120), { setAsAvatar: false });
    expectError(await getAvatar(server, 'chooser'), 404, 'AVATAR_NOT_FOUND');
    assert.deepEqual((await me(server, token)).json, { id: 'chooser', avatar_url: null, avatar: null, avatar_processing: false });

    const put = await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: first } });
    assert.equal(put.status, 204, put.text);
    assert.equal(put.text, '');
    const v1 = await getAvatar(server, 'chooser');
    assert.equal(v1.status, 200);
    assert.equal((await me(server, token)).json.avatar.file_id, first);

    const second = await readyUpload(server, token, await png(90, 90), { setAsAvatar: false, contentType: 'image/png' });
    assert.equal((await me(server, token)).json.avatar.file_id, first, 'a set_as_avatar:false upload does not replace the avatar');
    assert.equal((await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: second } })).status, 204);
    const v2 = await getAvatar(server, 'chooser');
    assert.ok(v2.json.version > v1.json.version, `version ${v1.json.version} → ${v2.json.version}`);
    assert.notEqual(v2.json.url, v1.json.url);
    assert.equal((await me(server, token)).json.avatar.file_id, second);

    // Setting the same file again is allowed and is a change like any other.
    assert.equal((await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: first } })).status, 204);
    const v3 = await getAvatar(server, 'chooser');
    assert.ok(v3.json.version > v2.json.version);
    assert.equal(v3.json.url, v1.json.url, 'the same rendition, the same content-addressed URL');
  });

  test('PUT /v1/users/me/avatar errors', async () => {
    const token = userToken(server, 'put-errors');
    const otherToken = userToken(server, 'put-errors-other');
    const othersFile = await readyUpload(server, otherToken, await jpeg(64, 64), { setAsAvatar: false });

    expectError(await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: 'f_does_not_exist' } }), 404, 'FILE_NOT_FOUND');
    expectError(await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: othersFile } }), 404, 'FILE_NOT_FOUND');

    const created = await api(server, 'POST', '/v1/uploads', {
      token,
      json: { upload_type: 'profile_pic', filename: 'later.jpg', content_type: 'image/jpeg', size_bytes: 1234 },
    });
    assert.equal(created.status, 201, created.text);
    expectError(await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: created.json.file_id } }), 409, 'FILE_NOT_READY');

    const broken = await uploadImage(server, token, await truncatedJpeg());
    assert.equal((await waitForFile(server, token, broken)).processing_state, 'failed');
    expectError(await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: broken } }), 409, 'FILE_NOT_READY');

    const missing = await api(server, 'PUT', '/v1/users/me/avatar', { token, json: {} });
    expectError(missing, 400, 'INVALID_REQUEST');
    assert.match(missing.json.error.message, /file_id/);
    expectError(await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: 42 } }), 400, 'INVALID_REQUEST');

    // None of that gave anyone an avatar.
    expectError(await getAvatar(server, 'put-errors'), 404, 'AVATAR_NOT_FOUND');
    expectError(await getAvatar(server, 'put-errors-other'), 404, 'AVATAR_NOT_FOUND');
  });

  test('newest request wins: of two uploads back to back, the second ends as the avatar', async () => {
    const token = userToken(server, 'newest');
    // The first is much bigger, so it tends to finish last: it must still not take over.
    const first = await uploadImage(server, token, await jpeg(2400, 2400));
    const second = await uploadImage(server, token, await jpeg(200, 200));
    assert.equal((await waitForFile(server, token, first)).processing_state, 'ready');
    assert.equal((await waitForFile(server, token, second)).processing_state, 'ready');
    const mine = await me(server, token);
    assert.equal(mine.json.avatar.file_id, second);
    assert.equal(mine.json.avatar_processing, false);
    assert.equal((await getAvatar(server, 'newest', '?size=cropped')).json.width, 200);
  });

  test('POST /v1/users/me/avatar: multipart with crop fields, and a raw image body', async () => {
    const token = userToken(server, 'direct');
    const form = new FormData();
    form.append('avatar', new Blob([new Uint8Array(await jpeg(400, 300))], { type: 'image/jpeg' }), 'me.jpg');
    form.append('crop_x', '10');
    form.append('crop_y', '20');
    form.append('crop_w', '100');
    form.append('crop_h', '100');
    const multipart = await api(server, 'POST', '/v1/users/me/avatar', { token, body: form });
    assert.equal(multipart.status, 202, multipart.text);
    assert.deepEqual(Object.keys(multipart.json).sort(), ['file_id', 'processing_state']);
    assert.ok(['processing', 'ready'].includes(multipart.json.processing_state));
    const file = await waitForFile(server, token, multipart.json.file_id);
    assert.equal(file.processing_state, 'ready');
    assert.equal(file.width, 400);
    assert.equal(file.height, 300);
    const mine = await me(server, token);
    assert.equal(mine.json.avatar.file_id, multipart.json.file_id);
    assert.equal((await getAvatar(server, 'direct', '?size=cropped')).json.width, 100, 'the crop fields were used');

    const raw = await api(server, 'POST', '/v1/users/me/avatar', { token, body: new Uint8Array(await webp(160, 120)), headers: { 'content-type': 'image/webp' } });
    assert.equal(raw.status, 202, raw.text);
    assert.equal((await waitForFile(server, token, raw.json.file_id)).processing_state, 'ready');
    assert.equal((await me(server, token)).json.avatar.file_id, raw.json.file_id);
    assert.equal((await getAvatar(server, 'direct', '?size=cropped')).json.width, 120, 'centred largest square');
  });

  test('POST /v1/users/me/avatar refuses other media types and oversized bodies', async () => {
    const token = userToken(server, 'direct-errors');
    expectError(await api(server, 'POST', '/v1/users/me/avatar', { token, body: 'hello', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await api(server, 'POST', '/v1/users/me/avatar', { token, body: '<svg/>', headers: { 'content-type': 'image/svg+xml' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');

    const big = Buffer.alloc(5 * MiB + 1, 0x41);
    big.set(await jpeg(16, 16));
    const rawBig = await api(server, 'POST', '/v1/users/me/avatar', { token, body: new Uint8Array(big), headers: { 'content-type': 'image/jpeg' } });
    expectError(rawBig, 413, 'FILE_TOO_LARGE');

    const form = new FormData();
    form.append('avatar', new Blob([new Uint8Array(Buffer.alloc(6 * MiB, 0x41))], { type: 'image/jpeg' }), 'big.jpg');
    const multipartBig = await api(server, 'POST', '/v1/users/me/avatar', { token, body: form });
    expectError(multipartBig, 413, 'FILE_TOO_LARGE');

    const noField = new FormData();
    noField.append('picture', new Blob([new Uint8Array(await jpeg(16, 16))], { type: 'image/jpeg' }), 'x.jpg');
    expectError(await api(server, 'POST', '/v1/users/me/avatar', { token, body: noField }), 400, 'INVALID_REQUEST');

    expectError(await getAvatar(server, 'direct-errors'), 404, 'AVATAR_NOT_FOUND');
    assert.equal((await me(server, token)).json.avatar_processing, false);
  });

  test('DELETE is idempotent, the file can be set again; PATCH remove_avatar does the same', async () => {
    const token = userToken(server, 'remover');
    const fileId = await readyUpload(server, token, await jpeg(100, 100));
    const before = await getAvatar(server, 'remover');
    assert.equal(before.status, 200);

    for (let i = 0; i < 2; i++) {
      const res = await api(server, 'DELETE', '/v1/users/me/avatar', { token });
      assert.equal(res.status, 204, res.text);
      assert.equal(res.text, '');
    }
    expectError(await getAvatar(server, 'remover'), 404, 'AVATAR_NOT_FOUND');
    assert.deepEqual((await me(server, token)).json, { id: 'remover', avatar_url: null, avatar: null, avatar_processing: false });
    const file = await api(server, 'GET', `/v1/files/${fileId}`, { token });
    assert.equal(file.json.processing_state, 'ready', 'the file is kept');

    assert.equal((await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: fileId } })).status, 204);
    const restored = await getAvatar(server, 'remover');
    assert.equal(restored.status, 200);
    assert.ok(restored.json.version > before.json.version);
    assert.equal((await fetchBytes(restored.json.url)).status, 200);

    const patched = await api(server, 'PATCH', '/v1/users/me', { token, json: { remove_avatar: true } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json, { id: 'remover', avatar_url: null, avatar: null, avatar_processing: false });
    expectError(await getAvatar(server, 'remover'), 404, 'AVATAR_NOT_FOUND');

    // remove_avatar:false (or nothing) changes nothing and still returns the user.
    assert.equal((await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: fileId } })).status, 204);
    const untouched = await api(server, 'PATCH', '/v1/users/me', { token, json: { remove_avatar: false } });
    assert.equal(untouched.status, 200);
    assert.equal(untouched.json.avatar.file_id, fileId);
    expectError(await api(server, 'PATCH', '/v1/users/me', { token, json: { remove_avatar: 'yes' } }), 400, 'INVALID_REQUEST');
  });

  test('recrop: the old avatar is served without a gap until the new one is ready', async () => {
    const token = userToken(server, 'recropper');
    const fileId = await readyUpload(server, token, await jpeg(400, 400));
    const old = await getAvatar(server, 'recropper', '?size=cropped');
    assert.equal(old.json.width, 400);

    const res = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 0, crop_y: 0, crop_w: 200, crop_h: 200 } });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.json, { status: 'processing', message: 'Avatar recrop queued' });

    // Every read until the switch returns the old avatar; none fails.
    const fresh = await waitUntil(async () => {
      const now = await getAvatar(server, 'recropper', '?size=cropped');
      assert.equal(now.status, 200, `no gap while the recrop is processing: ${now.text}`);
      if (now.json.url === old.json.url) {
        assert.equal(now.json.version, old.json.version);
        assert.equal((await fetchBytes(old.json.url)).status, 200, 'the old URL is served while the recrop runs');
        return undefined;
      }
      return now;
    }, 'the recropped avatar');
    assert.ok(fresh.json.version > old.json.version, `version ${old.json.version} → ${fresh.json.version}`);
    assert.equal(fresh.json.width, 200);
    const image = await fetchBytes(fresh.json.url);
    assert.equal(image.status, 200);
    assert.equal((await dimensions(image.bytes)).width, 200);
    // URLs already handed out keep working for the grace period.
    assert.equal((await fetchBytes(old.json.url)).status, 200);

    const mine = await me(server, token);
    assert.equal(mine.json.avatar.file_id, fileId, 'a recrop keeps the file');
    assert.equal(mine.json.avatar.urls.cropped, fresh.json.url);
    assert.equal(mine.json.avatar_processing, false);

    // crop_h defaults to crop_w.
    const again = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 100, crop_y: 100, crop_w: 300 } });
    assert.equal(again.status, 202, again.text);
    const third = await waitUntil(async () => {
      const now = await getAvatar(server, 'recropper', '?size=cropped');
      assert.equal(now.status, 200);
      return now.json.url !== fresh.json.url ? now : undefined;
    }, 'the second recrop');
    assert.equal(third.json.width, 300);
  });

  test(
    'two recrops back to back: the file keeps the newest crop, so setting it again shows what the user last chose',
    async () => {
      const token = userToken(server, 'double-recrop');
      const fileId = await readyUpload(server, token, await jpeg(2000, 2000));
      const recrop = (crop_w: number) => api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 0, crop_y: 0, crop_w } });
      // The older request is the expensive one, so with two workers it tends to finish last.
      assert.equal((await recrop(1800)).status, 202);
      assert.equal((await recrop(64)).status, 202);
      // First render plus two recrops.
      await waitUntil(async () => server.lines.filter((line) => line.endsWith(`${fileId} ready`)).length >= 3, 'both recrop jobs to finish');
      assert.equal((await getAvatar(server, 'double-recrop', '?size=cropped')).json.width, 64, 'the newest recrop is the avatar');
      assert.equal((await api(server, 'DELETE', '/v1/users/me/avatar', { token })).status, 204);
      assert.equal((await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: fileId } })).status, 204);
      assert.equal((await getAvatar(server, 'double-recrop', '?size=cropped')).json.width, 64, 'setting the file again restores the newest crop');
    },
  );

  test('recrop errors', async () => {
    const token = userToken(server, 'recrop-errors');
    expectError(await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 0, crop_y: 0, crop_w: 10 } }), 404, 'AVATAR_NOT_FOUND');

    await readyUpload(server, token, await jpeg(400, 300));
    const before = await getAvatar(server, 'recrop-errors');
    const recrop = (json: unknown) => api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json });
    expectError(await recrop({ crop_x: 300, crop_y: 0, crop_w: 200, crop_h: 200 }), 400, 'RECROP_INVALID');
    expectError(await recrop({ crop_x: 0, crop_y: 0, crop_w: 301, crop_h: 301 }), 400, 'RECROP_INVALID');
    expectError(await recrop({ crop_x: 0, crop_y: 200, crop_w: 101 }), 400, 'RECROP_INVALID');
    expectError(await recrop({ crop_x: 0, crop_y: 0, crop_w: 100, crop_h: 50 }), 400, 'RECROP_INVALID');
    expectError(await recrop({ crop_x: 0, crop_y: 0 }), 400, 'INVALID_REQUEST');
    expectError(await recrop({ crop_x: -1, crop_y: 0, crop_w: 10 }), 400, 'INVALID_REQUEST');

    const after = await getAvatar(server, 'recrop-errors');
    assert.equal(after.json.url, before.json.url, 'refused recrops change nothing');
    assert.equal(after.json.version, before.json.version);
    assert.equal((await me(server, token)).json.avatar_processing, false);
  });

  test('every /v1/users/me route needs a valid token', async () => {
    const forged = userToken({ ...server, jwtSecret: 'x'.repeat(64) }, 'mallory');
    const expired = userToken(server, 'mallory', -60);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/users/me'],
      ['PATCH', '/v1/users/me', { remove_avatar: true }],
      ['PUT', '/v1/users/me/avatar', { file_id: 'f_x' }],
      ['POST', '/v1/users/me/avatar'],
      ['DELETE', '/v1/users/me/avatar'],
      ['POST', '/v1/users/me/avatar/recrop', { crop_x: 0, crop_y: 0, crop_w: 10 }],
    ];
    for (const [method, path, json] of routes) {
      for (const token of [undefined, forged, expired, 'not-a-jwt']) {
        const res = await api(server, method, path, { ...(token ? { token } : {}), ...(json ? { json } : {}) });
        expectError(res, 401, 'UNAUTHENTICATED');
      }
    }
  });
});

describe('AVATAR_NOT_READY (one job at a time)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { AVATAR_JOB_CONCURRENCY: '1' } });
  });
  after(async () => {
    await server?.stop();
  });

  test('409 while the only avatar is processing; the previous avatar is served while a replacement is (deterministic)', async () => {
    // A job that is requested but never queued stands for "still processing" without racing the worker:
    // the rows are exactly what POST /complete writes, minus the job.
    const pendingToken = userToken(server, 'pending');
    const replacingToken = userToken(server, 'replacing');
    const fileId = await readyUpload(server, replacingToken, await jpeg(100, 100));
    const current = await getAvatar(server, 'replacing');
    const now = Math.floor(Date.now() / 1000);
    await queryDb(
      server,
      `insert into files (id, owner_id, upload_type, filename, content_type, size_bytes, set_as_avatar, state, received, created_at, updated_at)
       values ('f_seeded', 'pending', 'profile_pic', 'x.jpg', 'image/jpeg', 10, 1, 'processing', 1, ?, ?)`,
      now,
      now,
    );
    await queryDb(server, `insert into renditions (id, file_id, seq, state, created_at) values ('r_seeded_1', 'f_seeded', 1000001, 'processing', ?), ('r_seeded_2', ?, 1000002, 'processing', ?)`, now, fileId, now);
    await queryDb(server, `insert into users (id, avatar_version, requested_rendition_id) values ('pending', 0, 'r_seeded_1')`);
    await queryDb(server, `update users set requested_rendition_id = 'r_seeded_2' where id = 'replacing'`);

    expectError(await getAvatar(server, 'pending'), 409, 'AVATAR_NOT_READY');
    expectError(await getAvatar(server, 'pending', '?size=64'), 409, 'AVATAR_NOT_READY');
    expectError(await getAvatar(server, 'pending', '?size=100'), 400, 'INVALID_SIZE');
    assert.deepEqual((await me(server, pendingToken)).json, { id: 'pending', avatar_url: null, avatar: null, avatar_processing: true });
    const placeholder = await api(server, 'GET', '/v1/users/pending/avatar/image');
    assert.equal(placeholder.status, 200, 'the default stands in while the first avatar is processing');
    assert.match(placeholder.headers.get('content-type') ?? '', /^image\/svg\+xml/);

    const served = await getAvatar(server, 'replacing');
    assert.equal(served.status, 200, 'a replacement in progress does not hide the current avatar');
    assert.equal(served.json.url, current.json.url);
    const replacing = await me(server, replacingToken);
    assert.equal(replacing.json.avatar_processing, true);
    assert.equal(replacing.json.avatar.file_id, fileId);
    assert.equal((await api(server, 'GET', '/v1/users/replacing/avatar/image')).headers.get('location'), current.json.url);

    // Removing the avatar also cancels the pending one.
    assert.equal((await api(server, 'DELETE', '/v1/users/me/avatar', { token: pendingToken })).status, 204);
    expectError(await getAvatar(server, 'pending'), 404, 'AVATAR_NOT_FOUND');
    assert.equal((await me(server, pendingToken)).json.avatar_processing, false);
  });

  test('a real first upload behind a busy queue: 409 until ready, then 200', async () => {
    // A 12 MP job occupies the only worker, so the second user's job waits behind it. Whether the reads land
    // before that job is done is up to the machine: if they do not, a fresh pair of users tries again, until
    // a read has seen the waiting job.
    const bigPhoto = await twelveMegapixelJpeg();
    const reads: string[] = [];
    let seen: { busy: string; busyFile: string; waiting: string; waitingFile: string } | undefined;
    for (let attempt = 1; attempt <= 5 && !seen; attempt++) {
      const [busy, waiting] = [`busy-${attempt}`, `waiting-${attempt}`];
      const busyFile = await uploadImage(server, userToken(server, busy), bigPhoto);
      const waitingFile = await uploadImage(server, userToken(server, waiting), await jpeg(64, 64));
      // /me first: once it says not processing, the avatar must be there; while it says processing, the
      // avatar read is 409 unless the job finished between the two reads.
      const mine = await me(server, userToken(server, waiting));
      const res = await getAvatar(server, waiting);
      reads.push(`processing ${mine.json.avatar_processing}, avatar ${res.status}`);
      if (!mine.json.avatar_processing) {
        assert.equal(res.status, 200, 'once /me says not processing, the avatar is ready');
        continue;
      }
      assert.equal(mine.json.avatar, null);
      if (res.status === 200) continue;
      expectError(res, 409, 'AVATAR_NOT_READY');
      seen = { busy, busyFile, waiting, waitingFile };
    }
    assert.ok(seen, `a read while the job waited, in 5 attempts (${reads.join('; ')})`);

    const waitingToken = userToken(server, seen.waiting);
    assert.equal((await waitForFile(server, waitingToken, seen.waitingFile)).processing_state, 'ready');
    const ready = await getAvatar(server, seen.waiting);
    assert.equal(ready.status, 200);
    assert.equal((await me(server, waitingToken)).json.avatar_processing, false);
    assert.equal((await waitForFile(server, userToken(server, seen.busy), seen.busyFile)).processing_state, 'ready');
    assert.equal((await getAvatar(server, seen.busy, '?size=cropped')).json.width, 2048, 'cropped is capped at 2048');
  });
});

describe('recrop cleanup (AVATAR_CLEANUP_GRACE_SECONDS=1)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { AVATAR_CLEANUP_GRACE_SECONDS: '1' } });
  });
  after(async () => {
    await server?.stop();
  });

  test("the old rendition's objects disappear after the grace period while the new URL serves", async () => {
    const token = userToken(server, 'cleaned');
    const fileId = await readyUpload(server, token, await jpeg(300, 300));
    const old = await me(server, token);
    const oldKeys = Object.values(old.json.avatar.urls as Record<string, string>).map(server.objects.keyOfUrl);
    for (const key of oldKeys) assert.ok(await server.objects.exists(key), `${key} exists before the recrop`);

    const res = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 50, crop_y: 50, crop_w: 150 } });
    assert.equal(res.status, 202, res.text);
    const fresh = await waitUntil(async () => {
      const now = await me(server, token);
      return now.json.avatar.urls.cropped !== old.json.avatar.urls.cropped ? now : undefined;
    }, 'the recropped avatar');
    assert.ok(fresh.json.avatar.version > old.json.avatar.version);

    await waitUntil(async () => (await server.objects.keys('variants/')).every((key) => !oldKeys.includes(key)), 'the old objects to be deleted', 20_000);
    assert.equal((await fetchBytes(old.json.avatar.urls['256'])).status, 404);
    for (const url of Object.values(fresh.json.avatar.urls as Record<string, string>)) assert.equal((await fetchBytes(url)).status, 200, url);
    // The original stays for the next recrop; nothing but the new rendition is left under variants/.
    assert.ok(await server.objects.exists(`originals/${fileId}`));
    const newKeys = Object.values(fresh.json.avatar.urls as Record<string, string>).map(server.objects.keyOfUrl);
    assert.deepEqual(await server.objects.keys('variants/'), newKeys.sort());
  });

  test("a failed upload keeps its error but its original is deleted after the grace period", async () => {
    const token = userToken(server, 'failing');
    // PNG bytes declared as JPEG: refused when processed.
    const fileId = await uploadImage(server, token, await png(40, 40), { contentType: 'image/jpeg' });
    const file = await waitForFile(server, token, fileId);
    assert.equal(file.processing_state, 'failed');
    assert.equal(file.error.code, 'IMAGE_INVALID');
    await waitUntil(async () => !(await server.objects.exists(`originals/${fileId}`)), 'the failed original to be deleted', 20_000);
    const after = await api(server, 'GET', `/v1/files/${fileId}`, { token });
    assert.equal(after.json.processing_state, 'failed', 'the file and its error stay readable');
    assert.equal(after.json.error.code, 'IMAGE_INVALID');
  });
});

describe('CORS allow-list for authenticated calls (not dev mode)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ dev: false, env: { AVATAR_ALLOWED_ORIGINS: 'https://good.example' } });
  });
  after(async () => {
    await server?.stop();
  });

  const preflight = (origin: string, path = '/v1/users/me', method = 'GET') =>
    api(server, 'OPTIONS', path, { headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' } });

  test('preflight from an allowed origin is granted for that origin only', async () => {
    const res = await preflight('https://good.example');
    assert.ok(res.status === 204 || res.status === 200, `status ${res.status}`);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://good.example');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/i);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /PUT/);
    assert.match(res.headers.get('vary') ?? '', /origin/i);
    const del = await preflight('https://good.example', '/v1/users/me/avatar', 'DELETE');
    assert.equal(del.headers.get('access-control-allow-origin'), 'https://good.example');
  });

  test('other origins get no CORS grant', async () => {
    for (const origin of ['https://evil.example', 'https://good.example.evil.example', 'http://good.example']) {
      const res = await preflight(origin);
      assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
    }
    const token = userToken(server, 'cors-user');
    const evil = await api(server, 'GET', '/v1/users/me', { token, headers: { origin: 'https://evil.example' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const good = await api(server, 'GET', '/v1/users/me', { token, headers: { origin: 'https://good.example' } });
    assert.equal(good.status, 200);
    assert.equal(good.headers.get('access-control-allow-origin'), 'https://good.example');
    assert.match(good.headers.get('vary') ?? '', /origin/i);
    assert.match(good.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
    // An error is readable by the page too, so the widget can show its cause.
    const refused = await api(server, 'GET', '/v1/users/me', { headers: { origin: 'https://good.example' } });
    expectError(refused, 401, 'UNAUTHENTICATED');
    assert.equal(refused.headers.get('access-control-allow-origin'), 'https://good.example');
    assert.match(refused.headers.get('vary') ?? '', /origin/i);
  });

  test('public reads stay open to every origin', async () => {
    const res = await getAvatar(server, 'nobody', '', { origin: 'https://evil.example' });
    expectError(res, 404, 'AVATAR_NOT_FOUND');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });

  test('the dev token route does not exist outside dev mode', async () => {
    expectError(await api(server, 'POST', '/v1/dev/token', { json: { user_id: 'x' } }), 404, 'NOT_FOUND');
  });
});
