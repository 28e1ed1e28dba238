// GET /v1/avatars?user_ids=…: many users' avatars in one answer (what <avatar-image> asks for a page's users). Its
// shape and order against the single lookup, users without an avatar or whose first one is processing, public CORS
// (with an allow-list that would refuse the origin for a signed-in call), the input limits with the documented
// 400 error, and the compressed, revalidatable answer (br, gzip, ETag and 304). One server, not in dev mode.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { jpeg } from '../fixtures/images.ts';
import { queryDb } from '../helpers/database.ts';
import { api, expectError, startServer, uploadImage, userToken, waitForFile, type RunningServer } from '../helpers/server.ts';

const MAX_IDS = 100;

/** One GET exactly as sent (fetch would ask for and undo the compression itself): status, headers and raw body bytes. */
function rawGet(server: RunningServer, path: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(server.url);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.get({ host: hostname, port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

const avatars = (server: RunningServer, userIds: string, headers: Record<string, string> = {}) =>
  api(server, 'GET', `/v1/avatars?user_ids=${userIds}`, { headers });

describe('GET /v1/avatars', () => {
  let server: RunningServer;
  /** Users with an avatar, each a different photo. */
  const withAvatar = ['batch-a', 'batch-b', 'batch-c'];

  before(async () => {
    server = await startServer({ dev: false, env: { AVATAR_ALLOWED_ORIGINS: 'https://good.example' } });
    await Promise.all(
      withAvatar.map(async (id, i) => {
        const token = userToken(server, id);
        const file = await waitForFile(server, token, await uploadImage(server, token, await jpeg(300 + i * 10, 300)));
        assert.equal(file.processing_state, 'ready', JSON.stringify(file));
      }),
    );
  });
  after(async () => {
    await server?.stop();
  });

  test('one entry per user asked for, in the order asked, each once; what the single lookup says; null without an avatar', async () => {
    const res = await avatars(server, 'batch-c,nobody,batch-a,batch-c,batch-b');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.json.users.map((user: { id: string }) => user.id),
      ['batch-c', 'nobody', 'batch-a', 'batch-b'],
    );
    assert.equal(res.json.users[1].avatar, null);
    for (const { id, avatar } of res.json.users.filter((user: { avatar: unknown }) => user.avatar)) {
      const single = await api(server, 'GET', `/v1/users/${id}/avatar`);
      assert.equal(single.status, 200, single.text);
      assert.deepEqual(Object.keys(avatar).sort(), ['avif_urls', 'placeholder', 'updated_at', 'urls', 'version']);
      assert.deepEqual(avatar, { version: single.json.version, updated_at: single.json.updated_at, placeholder: single.json.placeholder, urls: single.json.urls, avif_urls: single.json.avif_urls }, id);
    }
    const urls = res.json.users.filter((user: { avatar: unknown }) => user.avatar).map((user: { avatar: { urls: Record<string, string> } }) => user.avatar.urls['128']);
    assert.equal(new Set(urls).size, 3, 'each user gets their own avatar');
  });

  test("a user whose first avatar is still processing is null (the default stands in), as the single lookup's 409 says", async () => {
    const now = Math.floor(Date.now() / 1000);
    await queryDb(
      server,
      `insert into files (id, owner_id, upload_type, filename, content_type, size_bytes, set_as_avatar, state, received, created_at, updated_at)
       values ('f_batch_pending', 'batch-pending', 'profile_pic', 'x.jpg', 'image/jpeg', 10, 1, 'processing', 1, ?, ?)`,
      now,
      now,
    );
    await queryDb(server, `insert into renditions (id, file_id, seq, state, created_at) values ('r_batch_pending', 'f_batch_pending', 2000001, 'processing', ?)`, now);
    await queryDb(server, `insert into users (id, avatar_version, requested_rendition_id) values ('batch-pending', 0, 'r_batch_pending')`);
    expectError(await api(server, 'GET', '/v1/users/batch-pending/avatar'), 409, 'AVATAR_NOT_READY');
    const res = await avatars(server, 'batch-pending,batch-a');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.users[0].avatar, null);
    assert.notEqual(res.json.users[1].avatar, null);
  });

  test('public: any origin may read it, with no token, even where signed-in calls are limited to an allow-list', async () => {
    const res = await avatars(server, 'batch-a', { origin: 'https://evil.example' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const preflight = await api(server, 'OPTIONS', '/v1/avatars?user_ids=batch-a', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    assert.ok(preflight.status === 204 || preflight.status === 200, `preflight ${preflight.status}`);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    const refused = await avatars(server, 'batch-a,', { origin: 'https://evil.example' });
    expectError(refused, 400, 'INVALID_REQUEST');
    assert.equal(refused.headers.get('access-control-allow-origin'), '*', 'errors are readable too');
    // The same origin is refused a signed-in call: the allow-list is in force on this server.
    const me = await api(server, 'GET', '/v1/users/me', { token: userToken(server, 'batch-a'), headers: { origin: 'https://evil.example' } });
    assert.equal(me.headers.get('access-control-allow-origin'), null);
  });

  test(`input limits: 1 to ${MAX_IDS} different valid ids, else 400 INVALID_REQUEST naming user_ids; never a 5xx`, async () => {
    const ids = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const full = await avatars(server, ids(MAX_IDS).join(','));
    assert.equal(full.status, 200, full.text);
    assert.equal(full.json.users.length, MAX_IDS);
    assert.equal((await avatars(server, [...ids(MAX_IDS), ...ids(MAX_IDS)].join(','))).status, 200, 'repeats count once');
    const longest = await avatars(server, ids(MAX_IDS, 'x'.repeat(120)).join(','));
    assert.equal(longest.status, 200, `${MAX_IDS} ids of 128 characters: ${longest.status}`);

    const refused = [
      '',
      ids(MAX_IDS + 1).join(','),
      'a,,b',
      'a,',
      encodeURIComponent('a b'),
      encodeURIComponent('<script>'),
      'é',
      'x'.repeat(129),
      encodeURIComponent('a/b'),
      '%00',
    ];
    for (const query of refused) {
      const res = await avatars(server, query);
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, /^user_ids: /, query);
    }
    const missing = await api(server, 'GET', '/v1/avatars');
    expectError(missing, 400, 'INVALID_REQUEST');
    assert.match(missing.json.error.message, /user_ids/);

    // Odd shapes: each answered without a server error.
    for (const path of ['/v1/avatars?user_ids=a&user_ids=b', '/v1/avatars?user_ids[]=a', '/v1/avatars?user_ids=%FF', '/v1/avatars?user_ids=%', `/v1/avatars?user_ids=${'a,'.repeat(5000)}a`, '/v1/avatars/']) {
      const res = await api(server, 'GET', path);
      assert.ok(res.status < 500, `${path.slice(0, 60)}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await api(server, method, '/v1/avatars?user_ids=a');
      assert.ok(res.status >= 400 && res.status < 500, `${method}: ${res.status}`);
    }
  });

  test('compressed as the request accepts (br, else gzip), with Vary: Accept-Encoding; the same JSON either way', async () => {
    const path = `/v1/avatars?user_ids=${withAvatar.join(',')}`;
    const plain = await rawGet(server, path);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(String(plain.headers.vary), /accept-encoding/i);
    assert.ok(plain.body.length > 1024, `an answer of three users is worth compressing (${plain.body.length} B)`);
    const json = JSON.parse(plain.body.toString('utf8'));

    const br = await rawGet(server, path, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(brotliDecompressSync(br.body).toString('utf8')), json);
    assert.ok(br.body.length < plain.body.length / 2, `br ${br.body.length} B of ${plain.body.length} B`);

    const gzip = await rawGet(server, path, { 'accept-encoding': 'gzip' });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.deepEqual(JSON.parse(gunzipSync(gzip.body).toString('utf8')), json);

    const small = await rawGet(server, '/v1/avatars?user_ids=nobody', { 'accept-encoding': 'br' });
    assert.equal(small.status, 200);
    assert.equal(small.headers['content-encoding'], undefined, 'a few bytes are sent as they are');
  });

  test('cacheable for a minute, with an ETag per content and encoding: If-None-Match gives 304 until the avatar changes', async () => {
    const path = '/v1/avatars?user_ids=batch-a,batch-b';
    const first = await rawGet(server, path, { 'accept-encoding': 'br' });
    assert.equal(first.headers['cache-control'], 'public, max-age=60');
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[^"]+"$/);
    const plain = await rawGet(server, path);
    assert.notEqual(plain.headers.etag, etag, 'the encodings have different bytes, so different ETags');

    const revalidated = await rawGet(server, path, { 'accept-encoding': 'br', 'if-none-match': etag });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.body.length, 0);
    assert.equal(revalidated.headers.etag, etag);

    // batch-b's avatar changes: the same request no longer matches.
    const token = userToken(server, 'batch-b');
    assert.equal((await waitForFile(server, token, await uploadImage(server, token, await jpeg(400, 400)))).processing_state, 'ready');
    const changed = await rawGet(server, path, { 'accept-encoding': 'br', 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.etag, etag);
  });

  test('described in /openapi.json: the query, the answer, 304, the 400 (and the 500 every route lists)', async () => {
    const spec = (await api(server, 'GET', '/openapi.json')).json;
    const route = spec.paths['/v1/avatars']?.get;
    assert.ok(route, 'GET /v1/avatars is documented');
    assert.deepEqual(
      route.parameters.map((p: { name: string; in: string; required: boolean }) => [p.name, p.in, p.required]),
      [['user_ids', 'query', true]],
    );
    assert.deepEqual(Object.keys(route.responses).sort(), ['200', '304', '400', '500']);
    assert.equal(route.security, undefined, 'no token');
    assert.ok(spec.components.schemas.Avatars && spec.components.schemas.PublicAvatar);
  });
});

