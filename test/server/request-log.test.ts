// The server's log as an operator's pipeline reads it: one JSON line per request (method, route template, status,
// duration, request id, user), per job outcome, with no secret in any line; X-Request-Id accepted or generated, and
// echoed. A real server in this process (helpers/in-process.ts), on SQLite and the folder or PostgreSQL and S3.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { prettyLine } from '../../server/telemetry/pretty.ts';
import { jpeg } from '../fixtures/images.ts';
import { startInProcessServer, type InProcessServer } from '../helpers/in-process.ts';
import type { LogRecord } from '../helpers/log-lines.ts';
import { api, sendImage, userToken, waitForFile, completeUpload, waitUntil } from '../helpers/server.ts';

let server: InProcessServer;
before(async () => {
  server = await startInProcessServer();
});
after(() => server.stop());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The request line for `requestId`, once the response has been logged (the line is written when it closes). */
const requestLine = (requestId: string) =>
  waitUntil(async () => server.records().find((r) => r.msg === 'request' && r.request_id === requestId), `the request line of ${requestId}`, 5000);

describe('X-Request-Id', () => {
  test('a valid one is kept, echoed and logged', async () => {
    const id = 'edge-7f3a.19_B';
    const res = await api(server, 'GET', '/healthz', { headers: { 'x-request-id': id } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), id);
    const line = await requestLine(id);
    assert.equal(line.route, '/healthz');
  });

  for (const [what, header] of [
    ['too long', 'a'.repeat(129)],
    ['with a space', 'two words'],
    ['with a quote and a newline escape', 'x"\\n'],
    ['empty', ''],
  ] as const) {
    test(`one ${what} is replaced by a new id, echoed`, async () => {
      const res = await api(server, 'GET', '/healthz', { headers: { 'x-request-id': header } });
      const echoed = res.headers.get('x-request-id') ?? '';
      assert.match(echoed, UUID);
      await requestLine(echoed);
    });
  }

  test('every response carries one, errors and /cdn/ too; each request a new one', async () => {
    const answers = await Promise.all([
      api(server, 'GET', '/healthz'),
      api(server, 'GET', '/v1/no-such-route'),
      api(server, 'POST', '/v1/uploads', { json: {} }),
      api(server, 'GET', '/cdn/variants/nothing/here.webp'),
    ]);
    assert.deepEqual(answers.map((a) => a.status), [200, 404, 401, 404]);
    const ids = answers.map((a) => a.headers.get('x-request-id') ?? '');
    for (const id of ids) assert.match(id, UUID);
    assert.equal(new Set(ids).size, ids.length);
    const lines = await Promise.all(ids.map(requestLine));
    assert.deepEqual(lines.map((l) => [l.method, l.route, l.status]), [
      ['GET', '/healthz', 200],
      ['GET', 'unmatched', 404],
      ['POST', '/v1/uploads', 401],
      ['GET', '/cdn/{key}', 404],
    ]);
  });
});

describe('request lines', () => {
  test('name the route template, never the path with its ids; the authenticated user; a duration in ms', async () => {
    const token = userToken(server, 'log-alice');
    const me = await api(server, 'GET', '/v1/users/me', { token, headers: { 'x-request-id': 'me-1' } });
    assert.equal(me.status, 200);
    const other = await api(server, 'GET', '/v1/users/log-bob/avatar', { headers: { 'x-request-id': 'bob-1' } });
    const meLine = await requestLine('me-1');
    const otherLine = await requestLine('bob-1');
    assert.equal(meLine.level, 'info');
    assert.equal(meLine.method, 'GET');
    assert.equal(meLine.route, '/v1/users/me');
    assert.equal(meLine.status, 200);
    assert.equal(meLine.user_id, 'log-alice');
    assert.equal(typeof meLine.duration_ms, 'number');
    assert.ok((meLine.duration_ms as number) >= 0);
    assert.ok(!Number.isNaN(Date.parse(meLine.time as string)), 'an ISO time');
    assert.equal(otherLine.route, '/v1/users/{user_id}/avatar');
    assert.equal(otherLine.status, other.status);
    assert.equal(otherLine.user_id, undefined, 'no user on an anonymous request');
    assert.ok(!server.output.some((line) => line.includes('log-bob')), 'the id in the path is not logged');
  });

  test('a job logs its outcome, as work of its own: not under the id of the request that kicked its loop', async () => {
    const token = userToken(server, 'log-carol');
    const fileId = await sendImage(server, token, await jpeg(300, 200));
    await completeUpload(server, token, fileId);
    assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
    const outcome = await waitUntil(async () => server.records().find((r) => r.file_id === fileId && r.outcome), 'the job outcome line', 5000);
    assert.equal(outcome.outcome, 'ready');
    assert.equal(outcome.level, 'info');
    assert.equal(typeof outcome.duration_ms, 'number');
    assert.equal(typeof outcome.job_id, 'number');
    assert.equal(outcome.request_id, undefined);
  });
});

describe('errors', () => {
  test("a request that fails logs the error with its stack and the request's id; the client gets 500 INTERNAL", async () => {
    const token = userToken(server, 'log-erin');
    const fileId = await sendImage(server, token, await jpeg(200, 200));
    await completeUpload(server, token, fileId);
    const file = await waitForFile(server, token, fileId);
    assert.equal(file.processing_state, 'ready');
    // A variant through /cdn/ (served there whichever the storage), not yet read, so not in memory.
    const { db } = server.deps;
    const variant = await db
      .selectFrom('variants')
      .innerJoin('renditions', 'renditions.id', 'variants.rendition_id')
      .select('variants.key')
      .where('renditions.file_id', '=', fileId)
      .where('variants.key', 'like', 'variants/%')
      .executeTakeFirstOrThrow();
    // The storage failing for one read, as a disk or a bucket does.
    const storage = server.deps.storage;
    const get = storage.get;
    storage.get = async () => {
      throw new Error('the disk went away');
    };
    let res;
    try {
      res = await api(server, 'GET', `/cdn/${variant.key}`, { headers: { 'x-request-id': 'failing-read' } });
    } finally {
      storage.get = get;
    }
    assert.equal(res.status, 500, res.text);
    assert.equal(res.json.error.code, 'INTERNAL');
    assert.ok(!res.text.includes('disk went away'), 'the cause is not told to the client');
    const error = await waitUntil(async () => server.records().find((r) => r.level === 'error' && r.request_id === 'failing-read'), 'the error line');
    assert.equal(error.err?.message, 'the disk went away');
    assert.match(error.err?.stack ?? '', /request-log\.test\.ts/);
    const line = await requestLine('failing-read');
    assert.equal(line.status, 500);
    assert.equal(line.level, 'warn');
  });
});

describe('secrets never reach the log', () => {
  test('a bearer token, a signed URL, the admin key: neither their requests nor lines that quote them print them', async () => {
    const token = userToken(server, 'log-dave');
    const created = await api(server, 'POST', '/v1/uploads', {
      token,
      json: { upload_type: 'profile_pic', filename: 'p', content_type: 'image/jpeg', size_bytes: 10 },
    });
    assert.equal(created.status, 201, created.text);
    const signedUrl = new URL(created.json.upload_url as string);
    const signedQuery = [...signedUrl.searchParams.values()].filter((v) => v.length >= 16);
    assert.ok(signedQuery.length > 0, `the upload URL is signed: ${signedUrl}`);
    // The signed URL used, with a wrong body: refused, logged.
    await fetch(signedUrl, { method: 'PUT', headers: created.json.upload_headers, body: new Uint8Array(3) });
    const admin = await api(server, 'GET', '/v1/admin/webhooks', { token: server.adminKey });
    assert.equal(admin.status, 200);
    const wrongAdmin = await api(server, 'GET', '/v1/admin/webhooks', { headers: { authorization: `Basic ${Buffer.from(`admin:${server.adminKey}x`).toString('base64')}` } });
    assert.equal(wrongAdmin.status, 401);

    // Code that carelessly logs what it holds: the log censors it by field name, by shape and by value.
    const { log } = server.deps;
    log.info({ headers: { authorization: `Bearer ${token}`, cookie: `session=${token}` } }, 'headers seen');
    log.info({ url: signedUrl.href }, `fetching ${signedUrl.href}`);
    log.error({ err: new Error(`the admin key ${server.adminKey} and the secret ${server.jwtSecret} were refused`) }, `calling with ${server.adminKey}`);
    log.info({ token, secret: server.jwtSecret }, 'settings');

    const records = await waitUntil(async () => {
      const all = server.records();
      return all.filter((r) => r.msg === 'request').length >= 1 && all.some((r) => r.msg === 'settings') ? all : undefined;
    }, 'the lines');
    const text = server.output.join('\n');
    for (const secret of [token, server.adminKey, server.jwtSecret, ...signedQuery]) {
      assert.ok(!text.includes(secret), `${secret.slice(0, 12)}… is not in the log`);
    }
    const [payload] = token.split('.').slice(1);
    assert.ok(!text.includes(payload!), 'not even part of the token');
    // What was censored is still there to read around it.
    const fetching = records.find((r) => r.msg.startsWith('fetching '));
    assert.ok(fetching?.msg.startsWith(`fetching ${signedUrl.origin}${signedUrl.pathname}?`), fetching?.msg);
    assert.match(fetching!.msg, /=\[REDACTED\]/, 'the URL with its signature censored');
    const error = records.find((r) => r.err);
    assert.ok(error?.err?.stack?.includes('request-log.test.ts'), 'an error keeps its stack');
  });
});

describe('AVATAR_LOG_FORMAT', () => {
  const base = { AVATAR_JWT_SECRET: 'x'.repeat(32), AVATAR_ADMIN_KEY: 'y'.repeat(16) };

  test('json by default, pretty by default in dev mode, refused when neither', () => {
    assert.equal(loadConfig({}, base).logFormat, 'json');
    assert.equal(loadConfig({ dev: '1', 'data-dir': server.deps.config.dataDir }, base).logFormat, 'pretty');
    assert.equal(loadConfig({}, { ...base, AVATAR_LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.throws(() => loadConfig({}, { ...base, AVATAR_LOG_FORMAT: 'yaml' }), (error: unknown) => error instanceof ConfigError && error.variable === 'AVATAR_LOG_FORMAT');
  });

  test('pretty: one readable line per record, fields as key=value, an error stack below', () => {
    const record: LogRecord = { level: 'error', time: '2026-12-07T05:30:01.250Z', msg: 'request', method: 'GET', status: 500, route: '/healthz', err: { message: 'boom', stack: 'Error: boom\n    at here' } };
    const line = prettyLine(JSON.stringify(record), false);
    assert.equal(line, '05:30:01.250 ERROR request  method=GET status=500 route=/healthz\n    Error: boom\n        at here\n');
  });
});
