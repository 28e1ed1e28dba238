// Backend-only avatars (POST /v1/admin/avatars/new) against a real server process: the signed, single-use upload
// URL takes a multipart POST (field "image") or a raw PUT, processing starts when the bytes arrive, and every bad
// input is refused as for other uploads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jpeg, png } from '../fixtures/images.ts';
import { api, expectError, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';

const MiB = 1024 * 1024;
const now = () => Math.floor(Date.now() / 1000);

interface Link {
  file_id: string;
  upload_url: string;
  upload_method: string;
  expires_at: number;
}

/** A multipart/form-data body with `bytes` in the field `name`, built by FormData as a browser or curl -F would. */
function form(bytes: Uint8Array, opts: { name?: string; type?: string; filename?: string } = {}): FormData {
  const body = new FormData();
  body.append(opts.name ?? 'image', new Blob([new Uint8Array(bytes)], { type: opts.type ?? 'image/jpeg' }), opts.filename ?? 'photo.jpg');
  return body;
}

describe('backend-only avatars: POST /v1/admin/avatars/new and its upload URL', () => {
  let server: RunningServer;
  let admin: Record<string, string>;
  let photo: Uint8Array;
  let userCounter = 0;
  const newUser = () => `link-user-${++userCounter}`;

  before(async () => {
    server = await startServer({ env: { AVATAR_UPLOAD_RATE_LIMIT: '1000' } });
    admin = { authorization: `Bearer ${server.adminKey}` };
    photo = await jpeg(300, 200);
  });
  after(async () => {
    await server?.stop();
  });

  async function newLink(body: Record<string, unknown>): Promise<Link> {
    const res = await api<Link>(server, 'POST', '/v1/admin/avatars/new', { headers: admin, json: body });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }
  const me = (userId: string) => api(server, 'GET', '/v1/users/me', { token: userToken(server, userId) });

  test('201 {file_id, upload_url, upload_method: "POST", expires_at} valid 10 minutes; the file waits for its bytes', async () => {
    const userId = newUser();
    const before = now();
    const link = await newLink({ user_id: userId });
    assert.deepEqual(Object.keys(link).sort(), ['expires_at', 'file_id', 'upload_method', 'upload_url']);
    assert.equal(link.upload_method, 'POST');
    assert.ok(link.expires_at >= before + 600 && link.expires_at <= now() + 600, `expires_at ${link.expires_at}`);
    const url = new URL(link.upload_url);
    assert.equal(url.origin, server.url);
    assert.equal(url.pathname, `/v1/uploads/${link.file_id}/image`);
    assert.equal(url.searchParams.get('expires'), String(link.expires_at));
    const file = await api(server, 'GET', `/v1/files/${link.file_id}`, { token: userToken(server, userId) });
    assert.equal(file.status, 200, file.text);
    assert.equal(file.json.processing_state, 'awaiting_upload');
    expectError(await api(server, 'GET', `/v1/files/${link.file_id}`, { token: userToken(server, 'someone-else') }), 404, 'FILE_NOT_FOUND');
  });

  test('a multipart POST (field "image") starts processing at once; the photo becomes the avatar', async () => {
    const userId = newUser();
    const link = await newLink({ user_id: userId });
    const res = await api(server, 'POST', link.upload_url, { body: form(photo), headers: { origin: 'https://backend.example' } });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.json.file_id, link.file_id);
    assert.ok(['processing', 'ready'].includes(res.json.processing_state));
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const file = await waitForFile(server, userToken(server, userId), link.file_id);
    assert.equal(file.processing_state, 'ready');
    assert.equal(file.content_type, 'image/jpeg');
    assert.equal(file.size_bytes, photo.byteLength);
    assert.deepEqual([file.width, file.height], [300, 200]);
    assert.equal((await me(userId)).json.avatar.file_id, link.file_id);
  });

  test('a raw PUT works too; set_as_avatar: false and a crop are honoured', async () => {
    const userId = newUser();
    const first = await newLink({ user_id: userId });
    assert.equal((await api(server, 'PUT', first.upload_url, { body: new Uint8Array(photo), headers: { 'content-type': 'image/jpeg' } })).status, 202);
    assert.equal((await waitForFile(server, userToken(server, userId), first.file_id)).processing_state, 'ready');

    const second = await newLink({ user_id: userId, set_as_avatar: false, crop_x: 10, crop_y: 20, crop_w: 100 });
    const pic = await png(200, 150);
    const res = await api(server, 'PUT', second.upload_url, { body: new Uint8Array(pic), headers: { 'content-type': 'image/png' } });
    assert.equal(res.status, 202, res.text);
    const file = await waitForFile(server, userToken(server, userId), second.file_id);
    assert.equal(file.processing_state, 'ready');
    assert.equal(file.content_type, 'image/png');
    assert.equal((await me(userId)).json.avatar.file_id, first.file_id, 'set_as_avatar: false leaves the avatar alone');
    // Setting it makes the crop visible: 100 px square.
    assert.equal((await api(server, 'PUT', `/v1/admin/users/${userId}/avatar`, { headers: admin, json: { file_id: second.file_id } })).status, 204);
    assert.equal((await api(server, 'GET', `/v1/users/${userId}/avatar?size=cropped`)).json.width, 100);
  });

  test('409 UPLOAD_ALREADY_RECEIVED when the URL is used again, by either method', async () => {
    const link = await newLink({ user_id: newUser() });
    assert.equal((await api(server, 'POST', link.upload_url, { body: form(photo) })).status, 202);
    expectError(await api(server, 'POST', link.upload_url, { body: form(photo) }), 409, 'UPLOAD_ALREADY_RECEIVED');
    expectError(await api(server, 'PUT', link.upload_url, { body: new Uint8Array(photo), headers: { 'content-type': 'image/jpeg' } }), 409, 'UPLOAD_ALREADY_RECEIVED');
  });

  test('two uploads racing for one URL: one 202, the other 409, and the stored bytes are the 202 ones', async () => {
    const userId = newUser();
    const link = await newLink({ user_id: userId });
    const other = await png(120, 80);
    const [a, b] = await Promise.all([
      api(server, 'PUT', link.upload_url, { body: new Uint8Array(photo), headers: { 'content-type': 'image/jpeg' } }),
      api(server, 'PUT', link.upload_url, { body: new Uint8Array(other), headers: { 'content-type': 'image/png' } }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [202, 409], `${a.status} ${a.text}; ${b.status} ${b.text}`);
    const file = await waitForFile(server, userToken(server, userId), link.file_id);
    assert.equal(file.processing_state, 'ready');
    assert.equal(file.content_type, a.status === 202 ? 'image/jpeg' : 'image/png');
  });

  test('403 UPLOAD_URL_INVALID for a tampered, foreign or presigned-upload signature; nothing is used up', async () => {
    const userId = newUser();
    const link = await newLink({ user_id: userId });
    const tampered = new URL(link.upload_url);
    const signature = tampered.searchParams.get('signature')!;
    tampered.searchParams.set('signature', (signature[0] === '0' ? '1' : '0') + signature.slice(1));
    expectError(await api(server, 'POST', tampered.toString(), { body: form(photo) }), 403, 'UPLOAD_URL_INVALID');
    const later = new URL(link.upload_url);
    later.searchParams.set('expires', String(link.expires_at + 3600));
    expectError(await api(server, 'POST', later.toString(), { body: form(photo) }), 403, 'UPLOAD_URL_INVALID');
    const noSignature = new URL(link.upload_url);
    noSignature.searchParams.delete('signature');
    expectError(await api(server, 'POST', noSignature.toString(), { body: form(photo) }), 403, 'UPLOAD_URL_INVALID');

    // Another file's id with this signature, and this signature on the presigned PUT route (and the other way round).
    const second = await newLink({ user_id: userId });
    expectError(await api(server, 'POST', link.upload_url.replace(link.file_id, second.file_id), { body: form(photo) }), 403, 'UPLOAD_URL_INVALID');
    const asPresigned = link.upload_url.replace('/image?', '/content?');
    expectError(await api(server, 'PUT', asPresigned, { body: new Uint8Array(photo), headers: { 'content-type': 'image/jpeg' } }), 403, 'UPLOAD_URL_INVALID');
    const presigned = await api(server, 'POST', '/v1/uploads', {
      token: userToken(server, userId),
      json: { upload_type: 'profile_pic', filename: 'p.jpg', content_type: 'image/jpeg', size_bytes: photo.byteLength },
    });
    // (With S3 the presigned PUT is the bucket's, signed by other means: there is no app signature to move.)
    if (server.objects.kind === 'local') {
      const presignedAsLink = presigned.json.upload_url.replace('/content?', '/image?');
      expectError(await api(server, 'PUT', presignedAsLink, { body: new Uint8Array(photo), headers: { 'content-type': 'image/jpeg' } }), 403, 'UPLOAD_URL_INVALID');
    }

    // The real URL still works afterwards.
    assert.equal((await api(server, 'POST', link.upload_url, { body: form(photo) })).status, 202);
  });

  test('415 for a type that is not an accepted image, 413 FILE_TOO_LARGE, 400 for malformed bodies: the URL stays usable', async () => {
    const userId = newUser();
    const link = await newLink({ user_id: userId });
    expectError(await api(server, 'POST', link.upload_url, { body: form(photo, { type: 'image/svg+xml' }) }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await api(server, 'POST', link.upload_url, { body: form(photo, { type: 'text/plain' }) }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await api(server, 'PUT', link.upload_url, { body: 'hello', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await api(server, 'PUT', link.upload_url, { body: '<svg/>', headers: { 'content-type': 'image/svg+xml' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const big = Buffer.alloc(5 * MiB + 1, 0x41);
    big.set(photo);
    expectError(await api(server, 'POST', link.upload_url, { body: form(big) }), 413, 'FILE_TOO_LARGE');
    expectError(await api(server, 'PUT', link.upload_url, { body: new Uint8Array(big), headers: { 'content-type': 'image/jpeg' } }), 413, 'FILE_TOO_LARGE');
    expectError(await api(server, 'POST', link.upload_url, { body: form(photo, { name: 'avatar' }) }), 400, 'INVALID_REQUEST');
    expectError(await api(server, 'POST', link.upload_url, { body: 'not a form', headers: { 'content-type': 'multipart/form-data; boundary=x' } }), 400, 'MULTIPART_INVALID');
    expectError(await api(server, 'POST', link.upload_url, { body: form(new Uint8Array(0)) }), 400, 'INVALID_REQUEST');
    const file = await api(server, 'GET', `/v1/files/${link.file_id}`, { token: userToken(server, userId) });
    assert.equal(file.json.processing_state, 'awaiting_upload', 'nothing was received');
    assert.equal(await server.objects.exists(`originals/${link.file_id}`), false, 'nothing was stored');
    assert.equal((await api(server, 'POST', link.upload_url, { body: form(photo) })).status, 202);
    assert.equal((await waitForFile(server, userToken(server, userId), link.file_id)).processing_state, 'ready');
  });

  test('bytes that are not the declared type fail in processing with IMAGE_INVALID (the outcome of avatar.failed)', async () => {
    const userId = newUser();
    for (const [bytes, type] of [[await png(40, 40), 'image/jpeg'], [Buffer.from('definitely not an image'), 'image/png']] as const) {
      const link = await newLink({ user_id: userId });
      assert.equal((await api(server, 'POST', link.upload_url, { body: form(bytes, { type }) })).status, 202);
      const file = await waitForFile(server, userToken(server, userId), link.file_id);
      assert.equal(file.processing_state, 'failed');
      assert.equal(file.error.code, 'IMAGE_INVALID');
    }
    assert.equal((await me(userId)).json.avatar, null, 'a failed photo never becomes the avatar');
    assert.equal((await me(userId)).json.avatar_processing, false);
  });

  test('creating a link: 400 for a bad user id, crop or body; 401 without the admin key; 403 with a user token', async () => {
    for (const body of [{}, { user_id: 'bad id' }, { user_id: 'a'.repeat(129) }, { user_id: 'ok', set_as_avatar: 'yes' }, { user_id: 'ok', crop_x: -1, crop_y: 0, crop_w: 10 }]) {
      expectError(await api(server, 'POST', '/v1/admin/avatars/new', { headers: admin, json: body }), 400, 'INVALID_REQUEST');
    }
    expectError(await api(server, 'POST', '/v1/admin/avatars/new', { headers: admin, json: { user_id: 'ok', crop_x: 0, crop_y: 0, crop_w: 10, crop_h: 20 } }), 400, 'CROP_INVALID');
    expectError(await api(server, 'POST', '/v1/admin/avatars/new', { headers: admin, json: { user_id: 'ok', crop_w: 10 } }), 400, 'CROP_INVALID');
    expectError(await api(server, 'POST', '/v1/admin/avatars/new', { json: { user_id: 'ok' } }), 401, 'UNAUTHENTICATED');
    expectError(await api(server, 'POST', '/v1/admin/avatars/new', { headers: { authorization: 'Bearer wrong-key-wrong-key' }, json: { user_id: 'ok' } }), 401, 'UNAUTHENTICATED');
    expectError(await api(server, 'POST', '/v1/admin/avatars/new', { token: userToken(server, 'ok'), json: { user_id: 'ok' } }), 403, 'FORBIDDEN');
  });

  test('the README\'s curl lines work as written (.ci/run installs curl)', async () => {
    // The ```sh block under "## Backend-only avatars", run by bash in a folder holding photo.jpg.
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Backend-only avatars'));
    const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    assert.ok(script.includes('curl '), 'the README has the sh block with the two curl lines');
    const folder = await mkdtemp(join(server.dataDir, 'readme-'));
    await writeFile(join(folder, 'photo.jpg'), photo);
    const ran = spawnSync('bash', ['--norc', '-euo', 'pipefail', '-c', script, 'readme'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: folder,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, SERVER: server.url, ADMIN_KEY: server.adminKey },
    });
    assert.equal(ran.status, 0, `${ran.stdout}${ran.stderr}${ran.error ?? ''}`);
    const sent = JSON.parse(ran.stdout) as { file_id: string; processing_state: string };
    assert.match(sent.file_id, /^f_/);
    assert.equal((await waitForFile(server, userToken(server, 'alice'), sent.file_id)).processing_state, 'ready');
    assert.equal((await me('alice')).json.avatar.file_id, sent.file_id, 'the photo became the avatar');
  });

  test('/openapi.json describes both routes', async () => {
    const doc = (await api(server, 'GET', '/openapi.json')).json;
    assert.ok(doc.paths['/v1/admin/avatars/new'].post.responses['201']);
    assert.ok(doc.paths['/v1/uploads/{file_id}/image'].post.requestBody.content['multipart/form-data']);
    assert.ok(doc.paths['/v1/uploads/{file_id}/image'].put);
  });
});

describe('backend-only avatars: expiry and the rate limit', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { AVATAR_UPLOAD_URL_TTL_SECONDS: '1', AVATAR_UPLOAD_RATE_LIMIT: '3' } });
  });
  after(async () => {
    await server?.stop();
  });

  test('403 UPLOAD_URL_EXPIRED once the URL has expired (a tampered one is still INVALID)', async () => {
    const admin = { authorization: `Bearer ${server.adminKey}` };
    const link = (await api(server, 'POST', '/v1/admin/avatars/new', { headers: admin, json: { user_id: 'late' } })).json as Link;
    const photo = await jpeg(32, 32);
    // While valid, a refused body (wrong type) uses nothing up, so it can poll for the expiry.
    const expired = await waitUntil(async () => {
      const res = await api(server, 'PUT', link.upload_url, { body: 'x', headers: { 'content-type': 'text/plain' } });
      assert.ok([415, 403].includes(res.status), res.text);
      return res.status === 403 ? res : undefined;
    }, 'the upload URL to expire', 15_000);
    expectError(expired, 403, 'UPLOAD_URL_EXPIRED');
    expectError(await api(server, 'POST', link.upload_url, { body: form(photo) }), 403, 'UPLOAD_URL_EXPIRED');
    expectError(await api(server, 'POST', link.upload_url.replace(/signature=./, 'signature=z'), { body: form(photo) }), 403, 'UPLOAD_URL_INVALID');
  });

  test('the expiry is exact: a link is refused from the moment expires_at is reached', async () => {
    const admin = { authorization: `Bearer ${server.adminKey}` };
    const link = (await api(server, 'POST', '/v1/admin/avatars/new', { headers: admin, json: { user_id: 'exact' } })).json as Link;
    const photo = await jpeg(32, 32);
    await waitUntil(async () => Date.now() >= link.expires_at * 1000, 'expires_at to be reached', 5_000);
    expectError(await api(server, 'POST', link.upload_url, { body: form(photo) }), 403, 'UPLOAD_URL_EXPIRED');
  });

  test('429 RATE_LIMITED per user, like other uploads', async () => {
    const admin = { authorization: `Bearer ${server.adminKey}` };
    const create = (userId: string) => api(server, 'POST', '/v1/admin/avatars/new', { headers: admin, json: { user_id: userId } });
    for (let i = 0; i < 3; i++) assert.equal((await create('busy')).status, 201);
    const limited = await create('busy');
    expectError(limited, 429, 'RATE_LIMITED');
    assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal((await create('idle')).status, 201);
    // Uploads through the presigned flow count against the same allowance.
    await assert.rejects(uploadImage(server, userToken(server, 'busy'), await jpeg(16, 16)), /429/);
  });
});
