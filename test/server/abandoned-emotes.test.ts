// Uploads created and never sent, and emotes that failed (issue 13 point 5), against real server processes:
// - an upload whose URL expired (more than AVATAR_CLEANUP_GRACE_SECONDS ago) with no bytes sent is swept with
//   its rows, emote or avatar, presigned or upload link, freeing the emote's quota and shortcode;
// - an upload whose URL is still valid, one still inside the grace period, and one whose bytes arrived are kept;
// - a failed emote keeps its reason (`error`), holds neither quota nor shortcode, and can be deleted.
// Expiry is made by moving an upload's creation back in its database (the sweep reads created_at + the URL
// lifetime), so nothing waits for a clock; one server also lets a 1-second URL expire for real.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jpeg, png } from '../fixtures/images.ts';
import { queryDb, queryValue } from '../helpers/database.ts';
import { TEST_STORAGE, api, expectError, startServer, userToken, waitUntil, type ApiResponse, type RunningServer } from '../helpers/server.ts';

const TTL = 600;
const now = () => Math.floor(Date.now() / 1000);
const NO_RATE_LIMIT = { AVATAR_UPLOAD_RATE_LIMIT: '1000000' };

/**
 * Presigned PUTs go to the server itself with local storage; a bucket checks its own URL's expiry, which
 * moving the creation back in the database does not change, so there a late PUT is not tried.
 */
const serverReceivesPuts = TEST_STORAGE === 'local';

/** Moves an upload's creation back so that its URL expired `agoSeconds` ago. */
const expire = (server: RunningServer, fileId: string, agoSeconds: number) =>
  queryDb(server, 'update files set created_at = ? where id = ?', now() - TTL - agoSeconds, fileId);

const count = async (server: RunningServer, table: 'files' | 'emotes' | 'garbage', column: string, value: string) =>
  Number(await queryValue(server, `select count(*) from ${table} where ${column} = ?`, value));

/** A client of one server, so tests read as the API does. */
function clientOf(server: () => RunningServer) {
  const token = (user: string) => userToken(server(), user);
  const get = (user: string, path: string) => api(server(), 'GET', path, { token: token(user) });

  /** POST /v1/uploads; no bytes are sent. */
  async function create(user: string, json: Record<string, unknown>): Promise<ApiResponse> {
    return api(server(), 'POST', '/v1/uploads', { token: token(user), json: { filename: 'x.png', content_type: 'image/png', size_bytes: 100, ...json } });
  }
  const createEmote = (user: string, shortcode: string, sizeBytes = 100) => create(user, { upload_type: 'emote', shortcode, size_bytes: sizeBytes });

  /** An emote upload that is created and never sent. */
  async function unsentEmote(user: string, shortcode: string) {
    const res = await createEmote(user, shortcode);
    assert.equal(res.status, 201, res.text);
    return res.json as { file_id: string; emote_id: string; upload_url: string; upload_headers: Record<string, string> };
  }

  /** PUTs the bytes to the upload URL (the server's own, or the bucket's: 204 or 200). */
  async function send(created: { upload_url: string; upload_headers: Record<string, string> }, bytes: Uint8Array) {
    const put = await fetch(created.upload_url, { method: 'PUT', headers: created.upload_headers, body: new Uint8Array(bytes) });
    return { ok: put.ok, status: put.status, text: await put.text() };
  }

  /** Creates, sends and completes an emote; resolves once processing has ended, with the emote. */
  async function processedEmote(user: string, shortcode: string, bytes: Uint8Array): Promise<any> {
    const created = await createEmote(user, shortcode, bytes.byteLength);
    assert.equal(created.status, 201, created.text);
    const put = await send(created.json, bytes);
    assert.ok(put.ok, put.text);
    assert.equal((await api(server(), 'POST', `/v1/uploads/${created.json.file_id}/complete`, { token: token(user) })).status, 202);
    return waitUntil(async () => {
      const res = await get(user, `/v1/emotes/${created.json.emote_id}`);
      assert.equal(res.status, 200, res.text);
      return ['ready', 'failed'].includes(res.json.processing_state) ? res.json : undefined;
    }, `emote :${shortcode}: to finish processing`);
  }

  async function quota(user: string) {
    const res = await get(user, '/v1/emotes/quota');
    assert.equal(res.status, 200, res.text);
    return res.json as { used_count: number; used_bytes: number };
  }

  async function list(user: string, trash = false): Promise<any[]> {
    const res = await get(user, `/v1/emotes${trash ? '/trash' : ''}?limit=500`);
    assert.equal(res.status, 200, res.text);
    return res.json.emotes;
  }

  /** Resolves once the sweep has deleted the file's row. */
  const swept = (fileId: string) => waitUntil(async () => (await count(server(), 'files', 'id', fileId)) === 0, `upload ${fileId} to be swept`, 15_000);

  return { token, get, create, createEmote, unsentEmote, send, processedEmote, quota, list, swept };
}

/** The 403 of an upload URL whose upload is gone. */
function expectUrlRefused(res: { status: number; text: string }) {
  assert.equal(res.status, 403, res.text);
  assert.match(JSON.parse(res.text).error.code, /^UPLOAD_URL_(INVALID|EXPIRED)$/, res.text);
}

describe('uploads never sent (AVATAR_CLEANUP_GRACE_SECONDS=0: swept every second)', () => {
  let server: RunningServer;
  const c = clientOf(() => server);

  before(async () => {
    server = await startServer({ env: { ...NO_RATE_LIMIT, AVATAR_UPLOAD_URL_TTL_SECONDS: String(TTL), AVATAR_CLEANUP_GRACE_SECONDS: '0', AVATAR_EMOTE_QUOTA: '2' } });
  });
  after(() => server?.stop());

  it('an expired emote upload that was never sent goes with its emote: quota and shortcode are free again', async () => {
    const user = 'quitter';
    const wave = await c.unsentEmote(user, 'wave');
    expectError(await c.createEmote(user, 'WAVE'), 409, 'SHORTCODE_TAKEN');
    const keep = await c.unsentEmote(user, 'keep');
    expectError(await c.createEmote(user, 'third'), 409, 'EMOTE_QUOTA_EXCEEDED');
    assert.deepEqual(await c.quota(user), { used_count: 2, used_bytes: 200, max_count: 2, max_bytes: 10 * 1024 * 1024 });

    await expire(server, wave.file_id, 1);
    await c.swept(wave.file_id);

    assert.equal(await count(server, 'emotes', 'id', wave.emote_id), 0);
    expectError(await c.get(user, `/v1/emotes/${wave.emote_id}`), 404, 'EMOTE_NOT_FOUND');
    expectError(await c.get(user, `/v1/files/${wave.file_id}`), 404, 'FILE_NOT_FOUND');
    assert.deepEqual((await c.list(user)).map((e) => e.id), [keep.emote_id], 'the one whose URL is still valid stays');
    assert.deepEqual(await c.list(user, true), []);
    assert.equal((await c.quota(user)).used_count, 1);
    // The name is free again (any case), and the old URL takes nothing.
    assert.equal((await c.createEmote(user, 'Wave')).status, 201);
    if (serverReceivesPuts) expectUrlRefused(await c.send(wave, await png(10, 10)));
    await waitUntil(async () => (await count(server, 'garbage', 'prefix', `originals/${wave.file_id}`)) === 0, 'its original’s garbage entry to be done');
  });

  it('an emote moved to the trash before its bytes came is swept too', async () => {
    const user = 'binner';
    const binned = await c.unsentEmote(user, 'binned');
    assert.equal((await api(server, 'DELETE', `/v1/emotes/${binned.emote_id}`, { token: c.token(user) })).status, 204);
    assert.equal((await c.list(user, true)).length, 1);
    await expire(server, binned.file_id, 1);
    await c.swept(binned.file_id);
    assert.deepEqual(await c.list(user, true), []);
    expectError(await api(server, 'POST', `/v1/emotes/${binned.emote_id}/restore`, { token: c.token(user) }), 404, 'EMOTE_NOT_FOUND');
  });

  it('an expired avatar upload and an expired upload link that were never sent are swept', async () => {
    const photo = await c.create('ghost', { upload_type: 'profile_pic' });
    assert.equal(photo.status, 201, photo.text);
    const link = await api(server, 'POST', '/v1/admin/avatars/new', { headers: { authorization: `Bearer ${server.adminKey}` }, json: { user_id: 'ghost' } });
    assert.equal(link.status, 201, link.text);
    for (const fileId of [photo.json.file_id, link.json.file_id]) await expire(server, fileId, 1);
    await c.swept(photo.json.file_id);
    await c.swept(link.json.file_id);
    expectError(await c.get('ghost', `/v1/files/${photo.json.file_id}`), 404, 'FILE_NOT_FOUND');
    if (serverReceivesPuts) expectUrlRefused(await c.send(photo.json, await jpeg(16, 16)));
    const body = new FormData();
    body.append('image', new Blob([new Uint8Array(await jpeg(16, 16))], { type: 'image/jpeg' }), 'photo.jpg');
    const late = await api(server, 'POST', link.json.upload_url, { body });
    expectUrlRefused(late);
    const me = await c.get('ghost', '/v1/users/me');
    assert.equal(me.json.avatar, null);
  });

  it('an upload whose URL is still valid is not swept, and can still be sent', async () => {
    const user = 'patient';
    const bytes = await png(24, 12);
    const pending = await c.createEmote(user, 'later', bytes.byteLength);
    assert.equal(pending.status, 201, pending.text);
    const witness = await c.unsentEmote('witness', 'gone');
    await expire(server, witness.file_id, 1);
    // The pass that swept the witness came after `pending` was made, and kept it.
    await c.swept(witness.file_id);
    assert.equal(await count(server, 'files', 'id', pending.json.file_id), 1);
    assert.ok((await c.send(pending.json, bytes)).ok);
    assert.equal((await api(server, 'POST', `/v1/uploads/${pending.json.file_id}/complete`, { token: c.token(user) })).status, 202);
    await waitUntil(async () => (await c.get(user, `/v1/emotes/${pending.json.emote_id}`)).json.processing_state === 'ready', 'the emote to be ready');
  });

  it('an upload whose bytes arrived is kept past its expiry, and can still be completed', async () => {
    const user = 'slowpoke';
    const bytes = await png(24, 12);
    const created = await c.createEmote(user, 'sent', bytes.byteLength);
    assert.equal(created.status, 201, created.text);
    assert.ok((await c.send(created.json, bytes)).ok);
    await expire(server, created.json.file_id, 3600);
    const witness = await c.unsentEmote('witness2', 'gone');
    await expire(server, witness.file_id, 1);
    await c.swept(witness.file_id);
    assert.equal(await count(server, 'files', 'id', created.json.file_id), 1);
    assert.equal((await api(server, 'POST', `/v1/uploads/${created.json.file_id}/complete`, { token: c.token(user) })).status, 202);
    const ready = await waitUntil(async () => {
      const res = await c.get(user, `/v1/emotes/${created.json.emote_id}`);
      return res.json.processing_state === 'ready' ? res.json : undefined;
    }, 'the completed emote to be ready');
    assert.equal(ready.shortcode, 'sent');
  });
});

describe('failed emotes', () => {
  let server: RunningServer;
  const c = clientOf(() => server);

  before(async () => {
    server = await startServer({ env: { ...NO_RATE_LIMIT, AVATAR_EMOTE_QUOTA: '2' } });
  });
  after(() => server?.stop());

  it('say why they failed, in GET one and in the list; a ready emote has no error', async () => {
    const user = 'reasoned';
    const failed = await c.processedEmote(user, 'broken', Buffer.from('this is not a PNG at all, just text'));
    assert.equal(failed.processing_state, 'failed');
    assert.equal(failed.shortcode, 'broken', 'the shortcode is still shown');
    assert.equal(failed.error?.code, 'IMAGE_INVALID', JSON.stringify(failed));
    assert.equal(typeof failed.error.message, 'string');
    assert.ok(failed.error.message.length > 0);
    const [listed] = await c.list(user);
    assert.deepEqual(listed, failed);
    const ready = await c.processedEmote(user, 'fine', await png(24, 12));
    assert.equal(ready.processing_state, 'ready');
    assert.equal('error' in ready, false);
    assert.equal('error' in (await c.list(user)).find((e) => e.id === ready.id), false);
  });

  it('hold neither quota nor shortcode; can be deleted, and restored even with a full quota', async () => {
    const user = 'unlucky';
    const failed = await c.processedEmote(user, 'party', Buffer.from('GIF89a but nothing after it'));
    assert.equal(failed.processing_state, 'failed', JSON.stringify(failed));
    assert.deepEqual(await c.quota(user), { used_count: 0, used_bytes: 0, max_count: 2, max_bytes: 10 * 1024 * 1024 });

    // The same name (any case) can be used again, and the quota (2) has room for two more.
    const again = await c.createEmote(user, 'PARTY');
    assert.equal(again.status, 201, again.text);
    assert.equal((await c.createEmote(user, 'other')).status, 201);
    expectError(await c.createEmote(user, 'third'), 409, 'EMOTE_QUOTA_EXCEEDED');
    // Renaming a failed emote does not make it hold the new name either.
    const renamed = await api(server, 'PUT', `/v1/emotes/${failed.id}`, { token: c.token(user), json: { shortcode: 'renamed' } });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json.shortcode, 'renamed');
    assert.equal(renamed.json.error?.code, failed.error.code);
    assert.equal((await api(server, 'PUT', `/v1/emotes/${again.json.emote_id}`, { token: c.token(user), json: { shortcode: 'renamed' } })).status, 200);

    assert.equal((await api(server, 'DELETE', `/v1/emotes/${failed.id}`, { token: c.token(user) })).status, 204);
    expectError(await c.get(user, `/v1/emotes/${failed.id}`), 404, 'EMOTE_NOT_FOUND');
    const [trashed] = await c.list(user, true);
    assert.equal(trashed.id, failed.id);
    assert.equal(trashed.error?.code, failed.error.code);
    const restored = await api(server, 'POST', `/v1/emotes/${failed.id}/restore`, { token: c.token(user) });
    assert.equal(restored.status, 200, restored.text);
    assert.equal((await c.quota(user)).used_count, 2);
  });

  it('/openapi.json documents the optional error of an emote', async () => {
    const doc = (await api(server, 'GET', '/openapi.json')).json;
    const emote = doc.components.schemas.Emote;
    // The same schema as a file's error, by reference.
    const ref: string | undefined = emote.properties.error.$ref ?? emote.properties.error.allOf?.[0]?.$ref;
    const error = ref ? doc.components.schemas[ref.split('/').pop()!] : emote.properties.error;
    assert.deepEqual(Object.keys(error.properties).sort(), ['code', 'message']);
    assert.match(error.properties.code.description, /IMAGE_TOO_COMPLEX/);
    assert.equal(emote.required.includes('error'), false);
  });
});

describe('uploads never sent: a URL that expired for real (AVATAR_UPLOAD_URL_TTL_SECONDS=1)', () => {
  let server: RunningServer;
  const c = clientOf(() => server);

  before(async () => {
    server = await startServer({ env: { ...NO_RATE_LIMIT, AVATAR_UPLOAD_URL_TTL_SECONDS: '1', AVATAR_CLEANUP_GRACE_SECONDS: '0' } });
  });
  after(() => server?.stop());

  it('is swept a moment after it expired, and its shortcode can be used again', async () => {
    const blink = await c.unsentEmote('blinker', 'blink');
    await c.swept(blink.file_id);
    await server.waitForLine(/cleanup: deleted \d+ upload\(s\) never sent/);
    assert.equal((await c.createEmote('blinker', 'blink')).status, 201);
  });

  it('its URL, correctly signed, still says UPLOAD_URL_EXPIRED once the upload is swept (not INVALID)', async () => {
    const link = await api(server, 'POST', '/v1/admin/avatars/new', { headers: { authorization: `Bearer ${server.adminKey}` }, json: { user_id: 'swept' } });
    assert.equal(link.status, 201, link.text);
    const unsent = await c.unsentEmote('swept', 'gone');
    await c.swept(link.json.file_id);
    await c.swept(unsent.file_id);
    const body = new FormData();
    body.append('image', new Blob([new Uint8Array(await jpeg(16, 16))], { type: 'image/jpeg' }), 'photo.jpg');
    expectError(await api(server, 'POST', link.json.upload_url, { body }), 403, 'UPLOAD_URL_EXPIRED');
    // The presigned PUT of local storage (a bucket checks its own URLs): with the signed type and length.
    if (serverReceivesPuts) {
      const late = await api(server, 'PUT', unsent.upload_url, { headers: unsent.upload_headers, body: new Uint8Array(100) });
      expectError(late, 403, 'UPLOAD_URL_EXPIRED');
    }
  });
});

describe('uploads never sent: the grace period (AVATAR_CLEANUP_GRACE_SECONDS=600, the sweep at start-up)', () => {
  it('keeps an upload whose URL expired less than the grace period ago, and sweeps one past it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'avatar-abandoned-'));
    const env = { ...NO_RATE_LIMIT, AVATAR_UPLOAD_URL_TTL_SECONDS: String(TTL), AVATAR_CLEANUP_GRACE_SECONDS: '600' };
    try {
      const first = await startServer({ dataDir, env });
      const c = clientOf(() => first);
      const fresh = await c.unsentEmote('margin', 'fresh');
      const recent = await c.unsentEmote('margin', 'recent');
      const old = await c.unsentEmote('margin', 'old');
      await first.stop({ keepData: true });
      await expire(first, recent.file_id, 300);
      await expire(first, old.file_id, 700);

      const second = await startServer({ dataDir, env, jwtSecret: first.jwtSecret, adminKey: first.adminKey });
      try {
        await clientOf(() => second).swept(old.file_id);
        assert.equal(await count(second, 'files', 'id', recent.file_id), 1, 'expired 300 s ago, inside the grace period');
        assert.equal(await count(second, 'files', 'id', fresh.file_id), 1, 'still valid');
        assert.equal(await count(second, 'emotes', 'id', old.emote_id), 0);
      } finally {
        await second.stop({ keepData: true });
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
