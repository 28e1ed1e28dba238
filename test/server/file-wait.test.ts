// GET /v1/files/{id}?wait=N (SPEC §3): the long-poll a client uses instead of polling. It answers as soon as the
// file is ready or failed, or after N seconds with the state as it is; a client that goes away frees its wait;
// waits are bounded. Runs on SQLite + folder (npm run test:server) and on PostgreSQL + S3 (test:server:scale-out);
// across processes on PostgreSQL: test/postgres/scale-out.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_WAITERS_PER_USER } from '../../server/uploads/file-settled.ts';
import { jpeg, twelveMegapixelJpeg } from '../fixtures/images.ts';
import { api, expectError, startServer, uploadImage, userToken, waitUntil, type RunningServer } from '../helpers/server.ts';

/** Nine more large sizes to encode: a 12 MP upload then takes seconds to render, long enough to wait on. */
const SLOW_RENDER = { AVATAR_AVATAR_SIZES: '2048,2000,1950,1900,1850,1800,1750,1700,1650', AVATAR_JOB_CONCURRENCY: '1' };

/** An upload created but never sent: it stays awaiting_upload. */
async function pendingUpload(server: RunningServer, token: string): Promise<string> {
  const created = await api(server, 'POST', '/v1/uploads', {
    token,
    json: { upload_type: 'profile_pic', filename: 'never-sent.jpg', content_type: 'image/jpeg', size_bytes: 1000 },
  });
  assert.equal(created.status, 201, created.text);
  return created.json.file_id;
}

describe('GET /v1/files/{id}?wait=N', { timeout: 120_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: SLOW_RENDER });
  });
  after(async () => {
    await server?.stop();
  });

  test('a file still processing: one request answers with it ready, once it is', async () => {
    const token = userToken(server, 'waits-for-ready');
    const fileId = await uploadImage(server, token, await twelveMegapixelJpeg(), { setAsAvatar: false });
    await server.waitForLine(new RegExp(`^job started \\S+ ${fileId}$`));
    const now = await api(server, 'GET', `/v1/files/${fileId}`, { token });
    assert.equal(now.json.processing_state, 'processing', 'the render is still running: the test would prove nothing');

    const waited = await api(server, 'GET', `/v1/files/${fileId}?wait=30`, { token });
    assert.equal(waited.status, 200, waited.text);
    assert.equal(waited.json.processing_state, 'ready');
    assert.equal(typeof waited.json.width, 'number');
  });

  test('a file that fails: the wait answers with failed and the error', async () => {
    const token = userToken(server, 'waits-for-failure');
    const bytes = new Uint8Array(await jpeg(64, 64)).slice(0, 300); // a truncated JPEG
    const fileId = await uploadImage(server, token, bytes, { setAsAvatar: false });
    const waited = await api(server, 'GET', `/v1/files/${fileId}?wait=30`, { token });
    assert.equal(waited.json.processing_state, 'failed');
    assert.equal(waited.json.error.code, 'IMAGE_INVALID');
  });

  test('a file already ready is answered at once, like a plain GET', async () => {
    const token = userToken(server, 'already-ready');
    const fileId = await uploadImage(server, token, await jpeg(64, 64), { setAsAvatar: false });
    await api(server, 'GET', `/v1/files/${fileId}?wait=30`, { token });
    const [plain, waited] = await Promise.all([api(server, 'GET', `/v1/files/${fileId}`, { token }), api(server, 'GET', `/v1/files/${fileId}?wait=30`, { token })]);
    assert.equal(plain.json.processing_state, 'ready');
    assert.deepEqual(waited.json, plain.json);
  });

  test('nothing happens: after N seconds the state as it is', async () => {
    const token = userToken(server, 'waits-in-vain');
    const fileId = await pendingUpload(server, token);
    const started = Date.now();
    const waited = await api(server, 'GET', `/v1/files/${fileId}?wait=1`, { token });
    assert.equal(waited.status, 200);
    assert.equal(waited.json.processing_state, 'awaiting_upload');
    assert.ok(Date.now() - started >= 950, `answered after ${Date.now() - started} ms: it did not wait`);
  });

  test('wait is 0–30 whole seconds', async () => {
    const token = userToken(server, 'bad-waits');
    const fileId = await pendingUpload(server, token);
    for (const wait of ['31', '-1', '1.5', 'soon']) {
      const res = await api(server, 'GET', `/v1/files/${fileId}?wait=${wait}`, { token });
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, /wait/);
    }
    assert.equal((await api(server, 'GET', `/v1/files/${fileId}?wait=0`, { token })).json.processing_state, 'awaiting_upload');
  });

  test("another user's file is not found, without waiting", async () => {
    const fileId = await pendingUpload(server, userToken(server, 'owner'));
    expectError(await api(server, 'GET', `/v1/files/${fileId}?wait=30`, { token: userToken(server, 'someone-else') }), 404, 'FILE_NOT_FOUND');
  });

  test(`at most ${MAX_WAITERS_PER_USER} waits per user (429 with Retry-After); a client that goes away frees its wait`, async () => {
    const token = userToken(server, 'many-tabs');
    const fileId = await pendingUpload(server, token);
    const url = `${server.url}/v1/files/${fileId}?wait=30`;
    const aborts = Array.from({ length: MAX_WAITERS_PER_USER }, () => new AbortController());
    const waitLines = (kind: string) => server.lines.filter((line) => line.startsWith(`file wait ${kind} ${fileId}`)).length;
    const held = aborts.map((abort) => fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal }).catch((error: Error) => error));
    try {
      // Once every one of them waits (the server logs each wait at debug level), one more is refused.
      await waitUntil(async () => waitLines('started') === MAX_WAITERS_PER_USER, 'the waits to fill up', 10_000);
      const refused = await api(server, 'GET', `/v1/files/${fileId}?wait=30`, { token });
      expectError(refused, 429, 'RATE_LIMITED');
      assert.equal(refused.headers.get('retry-after'), '1');
      // Another user is not affected.
      const other = userToken(server, 'one-tab');
      assert.equal((await api(server, 'GET', `/v1/files/${await pendingUpload(server, other)}?wait=1`, { token: other })).status, 200);

      // One client goes away: its place is free again (else every try would be refused for 30 s).
      aborts[0]!.abort();
      await waitUntil(async () => waitLines('ended') === 1, 'the server to notice', 10_000);
      assert.ok(server.lines.includes(`file wait ended ${fileId} aborted`));
      const accepted = await api(server, 'GET', `/v1/files/${fileId}?wait=1`, { token });
      assert.equal(accepted.status, 200, accepted.text);
      assert.equal(accepted.json.processing_state, 'awaiting_upload');
    } finally {
      for (const abort of aborts) abort.abort();
      await Promise.all(held);
    }
  });
});
