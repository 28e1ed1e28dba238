// Admin routes (widget tokens, avatars on behalf of a user) and operations (/healthz, /readyz, /openapi.json,
// /docs, unknown routes, body limits, the error shape), each against a real server process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ERRORS } from '../../media/errors.ts';
import { jpeg, webp } from '../fixtures/images.ts';
import { api, expectError, startServer, uploadImage, userToken, waitForFile, type RunningServer } from '../helpers/server.ts';

const now = () => Math.floor(Date.now() / 1000);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function jwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a JWT has three parts');
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('admin', () => {
  let server: RunningServer;
  let adminAuth: Record<string, string>;
  before(async () => {
    server = await startServer();
    adminAuth = { authorization: `Bearer ${server.adminKey}` };
  });
  after(async () => {
    await server?.stop();
  });

  const issue = (json: unknown, headers: Record<string, string> = adminAuth) => api(server, 'POST', '/v1/admin/tokens', { json, headers });

  test('POST /v1/admin/tokens issues a user token that works (default ttl 3600)', async () => {
    const before = now();
    const res = await issue({ user_id: 'widget-user' });
    const after = now();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['expires_at', 'token']);
    assert.ok(res.json.expires_at >= before + 3600 && res.json.expires_at <= after + 3600, `expires_at ${res.json.expires_at}`);
    const payload = jwtPayload(res.json.token);
    assert.equal(payload.sub, 'widget-user');
    assert.equal(payload.exp, res.json.expires_at);

    const mine = await api(server, 'GET', '/v1/users/me', { token: res.json.token });
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.json.id, 'widget-user');
  });

  test('ttl_seconds is honoured within 60..2592000', async () => {
    for (const ttl of [60, 120, 2_592_000]) {
      const before = now();
      const res = await issue({ user_id: 'ttl-user', ttl_seconds: ttl });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.expires_at >= before + ttl && res.json.expires_at <= now() + ttl, `ttl ${ttl}: expires_at ${res.json.expires_at}`);
      assert.equal((await api(server, 'GET', '/v1/users/me', { token: res.json.token })).status, 200);
    }
    for (const ttl of [59, 0, -1, 2_592_001, 1.5, '3600']) {
      const res = await issue({ user_id: 'ttl-user', ttl_seconds: ttl });
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, /ttl_seconds/);
    }
  });

  test('Basic auth with the key as the password works too', async () => {
    for (const user of ['admin', '', 'anything at all']) {
      const res = await issue({ user_id: 'basic-user' }, { authorization: basic(user, server.adminKey) });
      assert.equal(res.status, 200, res.text);
      assert.equal(jwtPayload(res.json.token).sub, 'basic-user');
    }
  });

  test('wrong or missing credentials are 401, a user token is 403', async () => {
    expectError(await issue({ user_id: 'x' }, { authorization: 'Bearer wrong-key-wrong-key' }), 401, 'UNAUTHENTICATED');
    expectError(await issue({ user_id: 'x' }, { authorization: `Bearer ${server.adminKey}x` }), 401, 'UNAUTHENTICATED');
    expectError(await issue({ user_id: 'x' }, { authorization: basic('admin', 'wrong-key-wrong-key') }), 401, 'UNAUTHENTICATED');
    expectError(await issue({ user_id: 'x' }, { authorization: basic(server.adminKey, '') }), 401, 'UNAUTHENTICATED');
    expectError(await issue({ user_id: 'x' }, {}), 401, 'UNAUTHENTICATED');
    expectError(await issue({ user_id: 'x' }, { authorization: server.adminKey }), 401, 'UNAUTHENTICATED');
    expectError(await issue({ user_id: 'x' }, { authorization: `Bearer ${userToken(server, 'sneaky')}` }), 403, 'FORBIDDEN');
    // An expired user token is not a valid credential at all.
    expectError(await issue({ user_id: 'x' }, { authorization: `Bearer ${userToken(server, 'sneaky', -60)}` }), 401, 'UNAUTHENTICATED');
    // And the admin key is not a user token.
    expectError(await api(server, 'GET', '/v1/users/me', { headers: adminAuth }), 401, 'UNAUTHENTICATED');
  });

  test('bad user_id or body is 400 INVALID_REQUEST naming the field', async () => {
    for (const user_id of ['', 'has space', 'slash/y', 'é', 'x'.repeat(129), 42]) {
      const res = await issue({ user_id });
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, /user_id/);
    }
    expectError(await issue({}), 400, 'INVALID_REQUEST');
    expectError(await api(server, 'POST', '/v1/admin/tokens', { headers: { ...adminAuth, 'content-type': 'application/json' }, body: '{"user_id":' }), 400, 'INVALID_REQUEST');
    // The longest allowed id and every allowed punctuation character are fine.
    assert.equal((await issue({ user_id: 'a'.repeat(128) })).status, 200);
    assert.equal((await issue({ user_id: 'A-z_0.9:x@y' })).status, 200);
  });

  test('avatars on behalf of a user: POST (multipart and raw), PUT, DELETE', async () => {
    const carol = userToken(server, 'carol');
    const form = new FormData();
    form.append('avatar', new Blob([new Uint8Array(await jpeg(240, 200))], { type: 'image/jpeg' }), 'carol.jpg');
    form.append('crop_x', '0');
    form.append('crop_y', '0');
    form.append('crop_w', '120');
    const posted = await api(server, 'POST', '/v1/admin/users/carol/avatar', { headers: adminAuth, body: form });
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(Object.keys(posted.json).sort(), ['file_id', 'processing_state']);
    assert.equal((await waitForFile(server, carol, posted.json.file_id)).processing_state, 'ready', 'the file belongs to carol');
    const avatar = await api(server, 'GET', '/v1/users/carol/avatar?size=cropped');
    assert.equal(avatar.status, 200, avatar.text);
    assert.equal(avatar.json.width, 120);
    assert.equal((await api(server, 'GET', '/v1/users/me', { token: carol })).json.avatar.file_id, posted.json.file_id);

    const raw = await api(server, 'POST', '/v1/admin/users/carol/avatar', { headers: { ...adminAuth, 'content-type': 'image/webp' }, body: new Uint8Array(await webp(90, 90)) });
    assert.equal(raw.status, 202, raw.text);
    assert.equal((await waitForFile(server, carol, raw.json.file_id)).processing_state, 'ready');
    assert.equal((await api(server, 'GET', '/v1/users/me', { token: carol })).json.avatar.file_id, raw.json.file_id);

    // PUT one of carol's own ready files.
    const before = await api(server, 'GET', '/v1/users/carol/avatar');
    const chosen = await uploadImage(server, carol, await jpeg(100, 100), { setAsAvatar: false });
    assert.equal((await waitForFile(server, carol, chosen)).processing_state, 'ready');
    const put = await api(server, 'PUT', '/v1/admin/users/carol/avatar', { headers: adminAuth, json: { file_id: chosen } });
    assert.equal(put.status, 204, put.text);
    const afterPut = await api(server, 'GET', '/v1/users/carol/avatar');
    assert.ok(afterPut.json.version > before.json.version);
    assert.equal((await api(server, 'GET', '/v1/users/me', { token: carol })).json.avatar.file_id, chosen);

    // Someone else's file is not carol's to use.
    const dave = userToken(server, 'dave');
    const davesFile = await uploadImage(server, dave, await jpeg(64, 64), { setAsAvatar: false });
    assert.equal((await waitForFile(server, dave, davesFile)).processing_state, 'ready');
    expectError(await api(server, 'PUT', '/v1/admin/users/carol/avatar', { headers: adminAuth, json: { file_id: davesFile } }), 404, 'FILE_NOT_FOUND');
    expectError(await api(server, 'PUT', '/v1/admin/users/carol/avatar', { headers: adminAuth, json: { file_id: 'f_nope' } }), 404, 'FILE_NOT_FOUND');
    expectError(await api(server, 'PUT', '/v1/admin/users/carol/avatar', { headers: adminAuth, json: {} }), 400, 'INVALID_REQUEST');
    assert.equal((await api(server, 'GET', '/v1/users/me', { token: carol })).json.avatar.file_id, chosen, 'refused PUTs change nothing');

    for (let i = 0; i < 2; i++) {
      const del = await api(server, 'DELETE', '/v1/admin/users/carol/avatar', { headers: adminAuth });
      assert.equal(del.status, 204, del.text);
    }
    expectError(await api(server, 'GET', '/v1/users/carol/avatar'), 404, 'AVATAR_NOT_FOUND');
    assert.equal((await api(server, 'GET', '/v1/users/me', { token: carol })).json.avatar, null);
    // Dave was never touched.
    expectError(await api(server, 'GET', '/v1/users/dave/avatar'), 404, 'AVATAR_NOT_FOUND');
  });

  test('admin avatar routes refuse users and anonymous callers, and bad user ids', async () => {
    const token = userToken(server, 'carol');
    const calls: Array<[string, RequestInit['body'] | undefined, Record<string, string>]> = [
      ['PUT', JSON.stringify({ file_id: 'f_x' }), { 'content-type': 'application/json' }],
      ['POST', new Uint8Array(await jpeg(16, 16)), { 'content-type': 'image/jpeg' }],
      ['DELETE', undefined, {}],
    ];
    for (const [method, body, headers] of calls) {
      const opts = body === undefined ? {} : { body: body as BodyInit };
      expectError(await api(server, method, '/v1/admin/users/carol/avatar', { ...opts, headers }), 401, 'UNAUTHENTICATED');
      expectError(await api(server, method, '/v1/admin/users/carol/avatar', { ...opts, headers: { ...headers, authorization: `Bearer ${token}` } }), 403, 'FORBIDDEN');
      expectError(await api(server, method, '/v1/admin/users/bad%20id/avatar', { ...opts, headers: { ...headers, ...adminAuth } }), 400, 'INVALID_REQUEST');
    }
    expectError(await api(server, 'POST', '/v1/admin/users/carol/avatar', { headers: { ...adminAuth, 'content-type': 'text/plain' }, body: 'hi' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('operations', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('/healthz and /readyz', async () => {
    const health = await api(server, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok' });
    const ready = await api(server, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json, { status: 'ok', database: 'ok', storage: 'ok' });
  });

  test('/openapi.json is OpenAPI 3.1 and describes every route', async () => {
    const res = await api(server, 'GET', '/openapi.json');
    assert.equal(res.status, 200);
    const doc = res.json;
    assert.match(doc.openapi, /^3\.1\./);
    assert.ok(doc.info?.title);
    const expected: Record<string, string[]> = {
      '/v1/uploads': ['post'],
      '/v1/uploads/{file_id}/content': ['put'],
      '/v1/uploads/{file_id}/complete': ['post'],
      '/v1/files/{file_id}': ['get'],
      '/v1/users/me': ['get', 'patch'],
      '/v1/users/me/avatar': ['put', 'post', 'delete'],
      '/v1/users/me/avatar/recrop': ['post'],
      '/v1/users/{user_id}/avatar': ['get'],
      '/v1/users/{user_id}/avatar/image': ['get'],
      '/v1/admin/tokens': ['post'],
      '/v1/admin/users/{user_id}/avatar': ['put', 'post', 'delete'],
      '/v1/avatar-config/options': ['get'],
      '/v1/avatar-config/preview.svg': ['get'],
      '/v1/users/me/avatar/config': ['post'],
      '/v1/admin/users/{user_id}/avatar/config': ['post'],
      '/healthz': ['get'],
      '/readyz': ['get'],
      '/cdn/{key}': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      assert.ok(doc.paths[path], `${path} is described`);
      for (const method of methods) assert.ok(doc.paths[path][method], `${method.toUpperCase()} ${path} is described`);
    }
    // Generated from the validating schemas: the PUT body requires file_id, the token request bounds its ttl.
    const setAvatar = doc.paths['/v1/users/me/avatar'].put.requestBody.content['application/json'].schema;
    const resolve = (schema: { $ref?: string }) => (schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema);
    assert.deepEqual(resolve(setAvatar).required, ['file_id']);
    const tokenBody = resolve(doc.paths['/v1/admin/tokens'].post.requestBody.content['application/json'].schema);
    assert.equal(tokenBody.properties.ttl_seconds.minimum, 60);
    assert.equal(tokenBody.properties.ttl_seconds.maximum, 2_592_000);
    assert.ok(doc.paths['/v1/users/{user_id}/avatar'].get.responses['409'], 'AVATAR_NOT_READY is documented');
  });

  test('/openapi.json lists each operation\'s error codes, each under its status in the error catalogue', async () => {
    const doc = (await api(server, 'GET', '/openapi.json')).json;
    const catalogue: Record<string, { status?: number; message: string }> = ERRORS;
    let listed = 0;
    for (const [path, operations] of Object.entries<Record<string, { responses: Record<string, any> }>>(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const codes: string[] = response.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum ?? [];
          for (const code of codes) assert.equal(catalogue[code]?.status, Number(status), `${method.toUpperCase()} ${path}: ${code} under ${status}`);
          listed += codes.length;
        }
      }
    }
    assert.ok(listed > 100, `${listed} codes listed`);
    const emoteUrl = doc.paths['/v1/emotes/{id}/url'].get.responses;
    assert.deepEqual(emoteUrl['409'].content['application/json'].schema.properties.error.properties.code.enum, ['EMOTE_NOT_READY']);
    assert.deepEqual(emoteUrl['404'].content['application/json'].schema.properties.error.properties.code.enum, ['EMOTE_NOT_FOUND']);
  });

  test('/docs loads the interactive reference of /openapi.json (more in api-docs.test.ts)', async () => {
    const res = await api(server, 'GET', '/docs');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.text, /data-openapi="\/openapi\.json"/);
    assert.match(res.text, /<script src="\/docs\/assets\/swagger-ui-bundle\.[0-9a-f]{16}\.js"><\/script>/);
  });

  test('unknown routes are 404 NOT_FOUND in the error shape', async () => {
    const token = userToken(server, 'wanderer');
    for (const [method, path] of [['GET', '/nope'], ['GET', '/v1'], ['POST', '/v1/nothing'], ['GET', '/v1/users/a/b/c'], ['DELETE', '/v1/uploads'], ['GET', '/v2/users/me']]) {
      expectError(await api(server, method!, path!, { token }), 404, 'NOT_FOUND');
    }
  });

  test('requests refused by the HTTP parser still get the JSON error shape (431 headers, 400 malformed)', async () => {
    const url = new URL(server.url);
    const exchange = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname);
        let response = '';
        socket.on('data', (chunk) => (response += chunk.toString('latin1')));
        socket.on('end', () => resolve(response));
        socket.on('error', reject);
        socket.end(request);
      });
    const parse = (raw: string) => {
      const [head, body] = raw.split('\r\n\r\n') as [string, string];
      return { status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r]+)/i.exec(head)?.[1], json: JSON.parse(body) };
    };
    const huge = parse(await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`));
    assert.equal(huge.status, 431);
    assert.equal(huge.contentType, 'application/json');
    assert.equal(huge.json.error.code, 'HEADERS_TOO_LARGE');
    const garbage = parse(await exchange('NOT HTTP AT ALL\r\n\r\n'));
    assert.equal(garbage.status, 400);
    assert.equal(garbage.json.error.code, 'INVALID_REQUEST');
    assert.equal((await api(server, 'GET', '/healthz')).status, 200, 'the server is fine afterwards');
  });

  test('JSON bodies over 64 KiB are 413 PAYLOAD_TOO_LARGE', async () => {
    const token = userToken(server, 'verbose');
    const big = { upload_type: 'profile_pic', filename: 'x'.repeat(70 * 1024), content_type: 'image/jpeg', size_bytes: 10 };
    expectError(await api(server, 'POST', '/v1/uploads', { token, json: big }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await api(server, 'PATCH', '/v1/users/me', { token, json: { remove_avatar: true, pad: 'x'.repeat(65 * 1024) } }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await api(server, 'POST', '/v1/admin/tokens', { headers: { authorization: `Bearer ${server.adminKey}` }, json: { user_id: 'x', pad: 'x'.repeat(65 * 1024) } }), 413, 'PAYLOAD_TOO_LARGE');

    // Without a Content-Length (chunked) the limit holds as the body streams in.
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await api(server, 'PATCH', '/v1/users/me', { token, body: stream, headers: { 'content-type': 'application/json' } });
    expectError(streamed, 413, 'PAYLOAD_TOO_LARGE');
    // The rest was read and dropped, so the connection stays usable (a refused body left unread in it made
    // the client's next request fail now and then).
    assert.notEqual(streamed.headers.get('connection'), 'close');
    for (let i = 0; i < 3; i++) assert.equal((await api(server, 'GET', '/healthz')).status, 200);

    // Just under the limit is fine (and then judged on its content).
    const small = await api(server, 'PATCH', '/v1/users/me', { token, json: { remove_avatar: false, pad: 'x'.repeat(60 * 1024) } });
    assert.equal(small.status, 200, small.text);
  });

  test('schema violations are 400 INVALID_REQUEST naming the field', async () => {
    const token = userToken(server, 'sloppy');
    const res = await api(server, 'POST', '/v1/uploads', { token, json: { upload_type: 'profile_pic', filename: 'a.jpg', content_type: 'image/jpeg', size_bytes: 'ten' } });
    expectError(res, 400, 'INVALID_REQUEST');
    assert.match(res.json.error.message, /size_bytes/);
    expectError(await api(server, 'POST', '/v1/uploads', { token, body: 'not json', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_REQUEST');
  });
});

describe('readiness with broken storage', () => {
  let server: RunningServer;
  // The local folder, broken below by hand; an unreachable S3 storage is tested in storage.test.ts.
  before(async () => {
    server = await startServer({ env: { AVATAR_STORAGE: 'local' } });
  });
  after(async () => {
    await server?.stop();
  });

  test('/readyz is 503 NOT_READY and uploads fail with a clear 5xx, losing nothing', async () => {
    const token = userToken(server, 'unlucky');
    const bytes = await jpeg(64, 64);
    const created = await api(server, 'POST', '/v1/uploads', {
      token,
      json: { upload_type: 'profile_pic', filename: 'a.jpg', content_type: 'image/jpeg', size_bytes: bytes.length },
    });
    assert.equal(created.status, 201, created.text);
    const { file_id: fileId, upload_url: uploadUrl, upload_headers: uploadHeaders } = created.json;
    const putBytes = () => api(server, 'PUT', uploadUrl, { body: new Uint8Array(bytes), headers: uploadHeaders });

    // Root ignores permissions, so make the temp dir impossible instead: a regular file where it should be.
    const tmp = join(server.dataDir, 'tmp');
    await rm(tmp, { recursive: true, force: true });
    await writeFile(tmp, 'not a directory');

    const notReady = await api(server, 'GET', '/readyz');
    assert.equal(notReady.status, 503, notReady.text);
    assert.equal(notReady.json.error.code, 'NOT_READY');
    assert.equal(typeof notReady.json.error.message, 'string');
    assert.equal(notReady.json.storage, 'error');
    assert.equal(notReady.json.database, 'ok');
    assert.equal((await api(server, 'GET', '/healthz')).status, 200, 'the process itself is up');

    const failed = await putBytes();
    expectError(failed, 500, 'INTERNAL');
    assert.doesNotMatch(failed.json.error.message, /ENOTDIR|EEXIST|\/tmp\//, 'no internals leak into the message');

    // Nothing was recorded as received: the file still waits for its bytes.
    const file = await api(server, 'GET', `/v1/files/${fileId}`, { token });
    assert.equal(file.json.processing_state, 'awaiting_upload');
    expectError(await api(server, 'POST', `/v1/uploads/${fileId}/complete`, { token }), 409, 'UPLOAD_NOT_RECEIVED');
    assert.ok(!existsSync(join(server.dataDir, 'objects', 'originals', fileId)), 'no partial original');

    // Repaired, the very same URL works.
    await rm(tmp, { force: true });
    await mkdir(tmp);
    const ready = await api(server, 'GET', '/readyz');
    assert.equal(ready.status, 200, ready.text);
    const retried = await putBytes();
    assert.equal(retried.status, 204, retried.text);
    const done = await api(server, 'POST', `/v1/uploads/${fileId}/complete`, { token });
    assert.equal(done.status, 202, done.text);
    assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
    assert.equal((await api(server, 'GET', '/v1/users/unlucky/avatar')).status, 200);
  });
});
